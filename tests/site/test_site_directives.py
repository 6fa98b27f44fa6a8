"""Directives: figures (registry, numbering, model checks), listings, manifest values."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from sitegen.errors import BuildError
from sitegen.syntax.figures import load_registry
from sitegen.syntax.listings import extract
from sitegen.syntax.manifest import Manifest, ManifestError, results_table
from sitegen.project import REPO_ROOT

MODELS = Path(__file__).parent / "fixtures" / "models"  # as in conftest.py


# --- figures -----------------------------------------------------------------------------------

def test_figure_html_follows_the_contract(md):
    html, ctx = md("::: figure sinusoid-demo\nCaption with $x$ and [@finn2017].\n:::\n\nSee @fig:sinusoid-demo.\n")
    assert ctx.figures == {"sinusoid-demo": 1}
    opening = re.search(r"<figure [^>]*>", html).group(0)
    assert 'class="figure" id="fig-sinusoid-demo" data-figure="sinusoid-demo"' in opening
    assert 'data-module="sinusoid-demo"' in opening
    params = re.search(r"data-params='([^']*)'", opening).group(1)
    assert json.loads(params.replace("&quot;", '"')) == {
        "graph": "sinusoid_predict", "model": "maml", "amplitude": 2.0, "phase": 0.5}
    assert '<div class="figure-mount"></div>' in html
    assert ('<div class="figure-fallback"><div class="figure-picture" role="img" '
            'aria-label="The model&#x27;s prediction on [-5, 5] next to a target sinusoid.">') in html
    assert '<p class="fallback-note">This figure is interactive' in html
    assert '<figcaption><span class="figure-label">Figure 1.</span> Caption with <span class="katex">' in html
    assert "<p>Caption" not in html  # a one-paragraph caption reads inline
    assert '<a class="xref" href="#fig-sinusoid-demo">Figure 1</a>' in html


def test_unknown_figure_is_an_error(md):
    with pytest.raises(BuildError) as err:
        md("Text.\n\n::: figure nope\nCaption.\n:::\n", line_offset=3)
    assert err.value.line == 6 and "nope" in err.value.message and "figures.yaml" in err.value.hint


def test_missing_model_file_is_an_error(project, tmp_path):
    from sitegen.site import build
    models = tmp_path / "models"
    shutil.copytree(MODELS, models)
    (models / "maml.params.bin").unlink()
    broken = type(project).at(content=project.content, models=models)
    with pytest.raises(BuildError) as err:
        build(broken, tmp_path / "_site")
    assert "missing model file static/models/maml.params.bin" in err.value.message
    assert err.value.file.name == "alpha.md" and err.value.line == 34
    assert "article export" in err.value.hint


def test_registry_errors_name_the_line(tmp_path):
    file = tmp_path / "figures.yaml"
    figures = tmp_path / "figures"
    figures.mkdir()
    (figures / "m.js").write_text("export function mount() {}\n")
    file.write_text("a:\n  module: m\n  alt: x\nb:\n  module: no-such\n  alt: x\n")
    with pytest.raises(BuildError) as err:
        load_registry(file, "figures.yaml", figures)
    assert err.value.line == 5 and "static/figures/no-such.js" in err.value.message
    assert "modules there: m" in err.value.message


def registry_error(folder, text: str) -> BuildError:
    """The error of a figures.yaml holding `text`, beside an empty module m.js."""
    file = folder / "figures.yaml"
    (folder / "m.js").write_text("")
    file.write_text(text)
    with pytest.raises(BuildError) as err:
        load_registry(file, "figures.yaml", folder)
    return err.value


def test_registry_refuses_unknown_settings(tmp_path):
    """An old `fallback:` entry (Python renderers are gone) is named, not silently ignored."""
    error = registry_error(tmp_path, "a:\n  module: m\n  fallback: sinusoid_demo\n  alt: x\n")
    assert error.line == 3 and "`fallback`" in error.message


def test_registry_refuses_params_keys_yaml_reads_as_booleans(tmp_path):
    """`on: true` is {True: True} to YAML: the build names it instead of crashing on sort."""
    error = registry_error(tmp_path, "a:\n  module: m\n  params: {maml: {on: true, k: 1}}\n  alt: x\n")
    assert error.line == 3 and "True" in error.message and '"true"' in error.message


# --- listings ----------------------------------------------------------------------------------

def test_listing_extracts_a_function():
    listing = extract(REPO_ROOT, "trainers/sinusoid_mlp.py", "forward")
    assert listing.code.startswith("def forward(")
    source = (REPO_ROOT / "trainers/sinusoid_mlp.py").read_text().splitlines()
    assert source[listing.start - 1].startswith("def forward(")
    assert listing.end >= listing.start


def test_listing_of_a_method(tmp_path):
    root = tmp_path
    (root / "trainers").mkdir()
    (root / "trainers/m.py").write_text("class A:\n    @staticmethod\n    def go():\n        return 1\n")
    listing = extract(root, "trainers/m.py", "A.go")
    assert listing.code == "@staticmethod\ndef go():\n    return 1\n" and listing.start == 2


@pytest.mark.parametrize("path, name, words", [
    ("trainers/sinusoid_mlp.py", "no_such_function", "defines no function or class"),
    ("trainers/nope.py", "forward", "does not exist"),
    ("build/sitegen/cli.py", "main", "listings come from trainers/"),
])
def test_listing_errors(md, path, name, words):
    with pytest.raises(BuildError) as err:
        md(f"Text.\n\n::: listing {path} {name}\n:::\n", line_offset=2)
    assert words in err.value.message and err.value.line == 5


def test_listing_html(md):
    html, ctx = md("::: listing trainers/sinusoid_mlp.py forward\nThe forward pass.\n:::\n")
    assert '<figure class="listing" id="listing-forward">' in html
    assert 'href="../source/trainers/sinusoid_mlp.py.html#L-' in html
    assert "The forward pass.</figcaption>" in html
    assert [l.path for l in ctx.listings] == ["trainers/sinusoid_mlp.py"]


# --- manifest ----------------------------------------------------------------------------------

def test_manifest_values(md):
    html, _ = md("Error {{manifest:models.maml.evaluation.K5.mean.1:.3f}}, "
                 "time {{manifest:models.maml.train_seconds}}.\n")
    assert '<span class="manifest-value">1.500</span>' in html
    assert '<span class="manifest-value">61.2</span>' in html


def test_unknown_manifest_path(md):
    with pytest.raises(BuildError) as err:
        md("One.\nTwo {{manifest:models.reptile.seed}}.\n", line_offset=10)
    assert err.value.line == 12 and "'reptile'" in err.value.message and "maml" in err.value.message


def test_missing_manifest(tmp_path):
    with pytest.raises(ManifestError, match="does not exist"):
        Manifest(tmp_path / "manifest.json").lookup("models")


def test_results_table():
    html = results_table(Manifest(MODELS / "manifest.json"))
    assert '<table class="results">' in html and "K = 5" in html and "K = 10" in html
    assert '<td class="estimate">1.50<span class="ci"> ± 0.10</span></td>' in html
    assert '<td class="training">61\u00a0s</td>' in html


def test_results_table_rows_follow_the_article_with_their_training_budget(tmp_path):
    """Methods in the article's order (a variant after its method, by inner steps), each row with
    its meta-training budget (inner steps, iterations, points per task, time) in a column group of
    its own; a model without an evaluation (demo) gets no row."""
    fixture = json.loads((MODELS / "manifest.json").read_text())
    evaluation = fixture["models"]["maml"]["evaluation"]

    def model(method: str, steps: int, iterations: int, seconds: float, support: int, query: int,
              pooled: bool = False) -> dict:
        training = {"inner_steps": steps, "iterations": iterations, "seconds": seconds,
                    "support_points": support, "query_points": query, "pooled": pooled}
        return {"method": method, "config": {"inner_steps": steps}, "iterations": iterations,
                "train_seconds": seconds, "evaluation": evaluation, "training": training}

    models = {
        "demo": {"method": "untrained-initialisation", "iterations": 0, "train_seconds": 0.0},
        "imaml": model("imaml", 10, 15000, 63.6, 5, 10),
        "maml": model("maml", 1, 70000, 140.3, 5, 10),
        "maml5": model("maml", 5, 70000, 812.0, 5, 10),
        "pretrained": model("pretrained", 0, 70000, 117.4, 10, 10, pooled=True),
        "reptile": model("reptile", 10, 70000, 216.2, 10, 0),
    }
    (tmp_path / "manifest.json").write_text(json.dumps({"models": models}))
    html = results_table(Manifest(tmp_path / "manifest.json"))
    assert re.findall(r'data-model="([^"]+)"', html) == ["pretrained", "maml", "maml5", "reptile", "imaml"]
    assert "untrained" not in html
    assert '<th colspan="4" scope="colgroup" class="training">Meta-training</th>' in html

    def cells(name: str) -> list[str]:
        row = re.search(rf'<tr><th scope="row" data-model="{name}">(.*?)</tr>', html).group(1)
        return re.findall(r"<td[^>]*>(.*?)</td>", row)

    assert len(cells("maml5")) == 2 * 4 + 4  # K = 5 and 10 at 0, 1, 5, 10 steps, then the budget
    assert cells("maml5")[-4:] == ["5", "70,000", "5 + 10", "812\u00a0s"]
    assert cells("pretrained")[-4:] == ["0", "70,000", "20 pooled", "117\u00a0s"]
    assert cells("reptile")[-4:] == ["10", "70,000", "10 + 0", "216\u00a0s"]
    assert cells("imaml")[-4:] == ["10", "15,000", "5 + 10", "64\u00a0s"]
