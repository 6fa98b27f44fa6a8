"""The template figure (static/figures/template.js), the module a new figure starts from.

It is not in the article, so it is registered here in a copy of the fixture article, on the real
models (it reads the `sinusoid_curves` graph, which the fixture models do not have). Its static
picture must be built by its own module, draw what the graph computes (the MSE it prints equals
Python onnxruntime's), and leave out the controls the page adds.
"""
from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from sitegen.project import Project
from sitegen.site import Caches, build

FIXTURES = Path(__file__).parent / "fixtures"
PARAMS = {"model": "maml", "amplitude": 2.5, "phase": 1.0}


@pytest.fixture(scope="module")
def template_site(tmp_path_factory) -> tuple[Project, Path]:
    root = tmp_path_factory.mktemp("template")
    content = root / "content"
    shutil.copytree(FIXTURES / "content", content)
    with (content / "figures.yaml").open("a", encoding="utf-8") as registry:
        registry.write(
            "\ntemplate:\n  module: template\n"
            f"  params: {json.dumps(PARAMS)}\n"
            "  alt: \"The MAML model's prediction next to a target sinusoid, with their error.\"\n"
            "  graphs: [sinusoid_curves]\n  models: [maml]\n")
    chapter = content / "chapters" / "gamma.md"
    chapter.write_text(chapter.read_text(encoding="utf-8")
                       + "\n\n::: figure template\nThe template figure.\n:::\n", encoding="utf-8")
    project = Project.at(content=content)  # the real static/models
    caches = Caches(project)
    caches.pictures.folder = root / "picture-cache"
    build(project, root / "_site", caches)
    return project, root / "_site"


def template_picture(site: Path) -> str:
    page = (site / "gamma" / "index.html").read_text(encoding="utf-8")
    figure = page.split('id="fig-template"')[1].split("</figure>")[0]
    assert 'data-module="template"' in page
    return figure


def test_the_picture_is_the_first_frame_without_controls(template_site):
    _, site = template_site
    figure = template_picture(site)
    assert figure.count('class="fig-key"') == 1
    assert re.search(r'<path d="[^"]+"[^>]*class="[^"]*\btarget\b', figure)
    assert re.search(r'<path d="[^"]+"[^>]*class="[^"]*\bprediction\b', figure)
    assert 'type="range"' not in figure, "the picture has no slider"
    assert 'role="status"' not in figure, "the picture's status line is plain text"


def test_the_printed_error_is_the_graphs(template_site):
    onnxruntime = pytest.importorskip("onnxruntime")
    project, site = template_site
    figure = html.unescape(template_picture(site))
    printed = re.search(r"A = 2\.5: mean squared error (\d+\.\d\d)", figure)
    assert printed, "the status line is missing"
    manifest = json.loads((project.models / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["models"]["maml"]["params"]
    flat = np.fromfile(project.models / entry["file"], dtype="<f4")
    feeds = {item["name"]: flat[item["offset"]:item["offset"] + int(np.prod(item["shape"]))]
             .reshape(item["shape"]) for item in entry["layout"]}
    feeds["x"] = np.linspace(-5, 5, 200, dtype=np.float32).reshape(-1, 1)
    feeds["amplitude"] = np.array(PARAMS["amplitude"], dtype=np.float32)
    feeds["phase"] = np.array(PARAMS["phase"], dtype=np.float32)
    session = onnxruntime.InferenceSession(
        str(project.models / manifest["graphs"]["sinusoid_curves"]["file"]),
        providers=["CPUExecutionProvider"])
    mse = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))["mse"]
    assert printed.group(1) == f"{float(mse):.2f}"


def test_the_appendix_says_the_pictures_are_drawn_in_node(built_site):
    """How to rebuild: the static pictures come from the figures' own modules run in Node."""
    page = (built_site / "alpha" / "index.html").read_text(encoding="utf-8")
    appendix = page.split('id="how-to-rebuild"')[1].split("</section>")[0]
    assert "in Node" in appendix and "Python" not in appendix
