"""Figures' static pictures: drawn at build time by the figure's own module, in Node.

The fixture article shows the sinusoid-demo figure on the fixture models (a tiny MLP graph). The
picture must be the module's drawing of the graph's real output, the same on every build, cached
so that an unchanged figure starts no Node, and every way it can fail must name the file and line.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from sitegen.errors import BuildError
from sitegen.project import Project
from sitegen.site import Caches, build

FIXTURES = Path(__file__).parent / "fixtures"
PICTURE = re.compile(r'<div class="figure-picture" role="img" aria-label="[^"]*">(.*?)</div>\n'
                     r'<p class="fallback-note">', re.DOTALL)


def fresh_caches(project: Project, tmp_path: Path) -> Caches:
    caches = Caches(project)
    caches.pictures.folder = tmp_path / "picture-cache"
    return caches


def picture_of(site: Path, page: str = "alpha/index.html") -> str:
    match = PICTURE.search((site / page).read_text(encoding="utf-8"))
    assert match, "no inline picture in the page"
    return match.group(1)


def mlp(params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    h = np.maximum(x @ params["w1"].T + params["b1"], 0)
    h = np.maximum(h @ params["w2"].T + params["b2"], 0)
    return h @ params["w3"].T + params["b3"]


def load_params(models: Path, name: str) -> dict[str, np.ndarray]:
    entry = json.loads((models / "manifest.json").read_text())["models"][name]["params"]
    flat = np.fromfile(models / entry["file"], dtype="<f4")
    return {item["name"]: flat[item["offset"]:item["offset"] + int(np.prod(item["shape"]))]
            .reshape(item["shape"]) for item in entry["layout"]}


def test_the_picture_draws_the_graphs_output(project, tmp_path):
    """The prediction curve's points are the fixture MLP's output on [-5, 5], mapped by the plot's
    scales (x: [-5, 5] -> [44, 468], y: [-5.5, 5.5] -> [262, 12]), to the 0.1 unit rounding."""
    build(project, tmp_path / "_site", fresh_caches(project, tmp_path))
    picture = picture_of(tmp_path / "_site")
    d = re.search(r'<path d="([^"]+)"[^>]*class="[^"]*\bprediction\b', picture).group(1)
    points = np.array([[float(v) for v in p.split(",")] for p in re.findall(r"[\d.\-]+,[\d.\-]+", d)])
    x = np.linspace(-5, 5, 200, dtype=np.float32).reshape(-1, 1)
    y = mlp(load_params(project.models, "maml"), x)[:, 0]
    np.testing.assert_allclose(points[:, 0], 44 + (x[:, 0] + 5) / 10 * 424, atol=0.051)
    np.testing.assert_allclose(points[:, 1], 262 - (y + 5.5) / 11 * 250, atol=0.051)
    assert "MAML model, before fine-tuning" in picture  # the key, as the page draws it
    # The fixture graph has no `target` output, and the module computes none of its own.
    assert 'class="target"' not in picture and "A sin(x" not in picture


def test_pictures_are_deterministic_and_cached(project, tmp_path):
    first = fresh_caches(project, tmp_path / "one")
    build(project, tmp_path / "a", first)
    assert first.pictures.node_runs == 1
    build(project, tmp_path / "b", first)  # warm: nothing changed, no Node
    assert first.pictures.node_runs == 1
    # A new process with the same disk cache starts no Node either; an empty cache draws anew,
    # and gets the same bytes.
    again = Caches(project)
    again.pictures.folder = first.pictures.folder
    build(project, tmp_path / "c", again)
    assert again.pictures.node_runs == 0
    other = fresh_caches(project, tmp_path / "two")
    build(project, tmp_path / "d", other)
    assert other.pictures.node_runs == 1
    assert picture_of(tmp_path / "a") == picture_of(tmp_path / "c") == picture_of(tmp_path / "d")


def test_new_params_draw_a_new_picture(project, tmp_path):
    caches = fresh_caches(project, tmp_path)
    build(project, tmp_path / "a", caches)
    registry = project.content / "figures.yaml"
    registry.write_text(registry.read_text().replace("amplitude: 2.0", "amplitude: 3.0"))
    build(project, tmp_path / "b", caches)
    # Redrawn for the new params (the fixture graph takes no amplitude, so it draws the same).
    assert caches.pictures.node_runs == 2


def _static_with(tmp_path: Path, module: str, source: str) -> Path:
    """A copy of static/ with one more figure module."""
    static = tmp_path / "static"
    shutil.copytree(Project.at().static, static, ignore=shutil.ignore_patterns("models"))
    # Declaring the fixture figure's params, as every module does (appended: lines stay put).
    declaration = "export const params = { graph: null, model: null, amplitude: 0, phase: 0 };\n"
    (static / "figures" / f"{module}.js").write_text(source + declaration)
    # Node resolves the figures' npm imports (d3) from the nearest node_modules above them.
    (tmp_path / "node_modules").symlink_to(Project.at().node_modules)
    return static


def _registry_with(project: Project, module: str) -> None:
    registry = project.content / "figures.yaml"
    registry.write_text(registry.read_text().replace("module: sinusoid-demo", f"module: {module}"))


def test_a_module_that_throws_names_its_file_line_and_column(project, tmp_path):
    static = _static_with(tmp_path, "broken", "export function mount() {}\n"
                          "export async function picture(element, params) {\n"
                          "  throw new Error(`no data set ${params.model}`);\n}\n")
    broken = Project.at(content=project.content, static=static, models=project.models)
    _registry_with(broken, "broken")
    out = tmp_path / "_site"
    out.mkdir()
    (out / "index.html").write_text("previous site")
    with pytest.raises(BuildError) as err:
        build(broken, out, fresh_caches(broken, tmp_path))
    assert err.value.file.name == "figures.yaml" and err.value.line == 1
    assert "no data set maml" in err.value.message
    assert re.search(r"static/figures/broken\.js:3:9\)", err.value.message), err.value.message
    assert (out / "index.html").read_text() == "previous site"


def test_a_module_without_a_picture_is_named(project, tmp_path):
    static = _static_with(tmp_path, "live-only", "export function mount() {}\n")
    broken = Project.at(content=project.content, static=static, models=project.models)
    _registry_with(broken, "live-only")
    with pytest.raises(BuildError) as err:
        build(broken, tmp_path / "_site", fresh_caches(broken, tmp_path))
    assert "exports no picture(element, params, runtime)" in err.value.message
    assert err.value.file.name == "figures.yaml"


def test_a_missing_module_stops_the_build_at_the_registry(project, tmp_path):
    _registry_with(project, "sinusoid-dmeo")
    with pytest.raises(BuildError) as err:
        build(project, tmp_path / "_site", fresh_caches(project, tmp_path))
    assert err.value.file.name == "figures.yaml" and err.value.line == 2
    assert "static/figures/sinusoid-dmeo.js" in err.value.message
    assert "sinusoid-demo" in err.value.message  # the modules that do exist


def test_only_the_edited_figure_code_redraws(project, tmp_path):
    """A picture's key covers its module and what it imports: an edit elsewhere draws nothing."""
    static = tmp_path / "static"
    shutil.copytree(Project.at().static, static, ignore=shutil.ignore_patterns("models"))
    (tmp_path / "node_modules").symlink_to(Project.at().node_modules)
    copy = Project.at(content=project.content, static=static, models=project.models)
    caches = fresh_caches(copy, tmp_path)
    build(copy, tmp_path / "a", caches)
    assert caches.pictures.node_runs == 1
    with (static / "figures/four-ways.js").open("a") as other_figure:  # not on the fixture's pages
        other_figure.write("\n// an edit to another figure\n")
    build(copy, tmp_path / "b", caches)
    assert caches.pictures.node_runs == 1
    imported = sorted(caches.pictures._modules.closure([static / "figures/sinusoid-demo.js"]))
    assert static / "figures/lib/plot.js" in imported
    lib = next(p for p in imported if p.parent.name == "lib" and p.name != "plot.js")
    with lib.open("a") as module:  # a module the fixture's figure imports
        module.write("\n// an edit to what the figure imports\n")
    build(copy, tmp_path / "c", caches)
    assert caches.pictures.node_runs == 2
