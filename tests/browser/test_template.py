"""The template figure in the page: its slider reruns the graph, latest value only, and the status
line prints the error the graph returned (tests/site/test_site_template_figure.py checks that
number against Python's onnxruntime).

The template is not in the article: it is placed at the top of a short chapter of the fixture
article, built on the real models, so it mounts without scrolling.
"""
from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import build_site, serve

FIXTURE_CONTENT = Path(__file__).resolve().parents[1] / "site" / "fixtures" / "content"
FIGURE = "#fig-template"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def template_url(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("template")
    content = root / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    with (content / "figures.yaml").open("a", encoding="utf-8") as registry:
        registry.write("\ntemplate:\n  module: template\n"
                       f"  params: {json.dumps({'model': 'maml', 'amplitude': 3.0, 'phase': 0.5})}\n"
                       "  alt: \"The MAML model's prediction next to a target sinusoid.\"\n"
                       "  graphs: [sinusoid_curves]\n  models: [maml]\n")
    chapter = content / "chapters" / "gamma.md"
    _, front, body = chapter.read_text(encoding="utf-8").split("---\n", 2)
    chapter.write_text(f"---\n{front}---\n\n::: figure template\nThe template figure.\n:::\n\n{body}",
                       encoding="utf-8")
    with serve(build_site(root / "_site", content)) as server:
        yield server.url("gamma/")


def status_of(page) -> str:
    return page.locator(f"{FIGURE} .figure-mount .figure-status").inner_text()


def test_the_slider_reruns_the_graph_and_ends_on_its_last_value(page, template_url):
    page.goto(template_url)
    page.wait_for_selector(f"{FIGURE}[data-state=ready]", timeout=60_000)
    first = page.evaluate("() => document.querySelector('#fig-template .figure-mount').figureTest.inspect()")
    assert first["amplitude"] == 3.0
    assert status_of(page) == f"A = 3.0: mean squared error {first['mse']:.2f}"

    slider = page.locator(f"{FIGURE} .figure-mount input[type=range]")
    slider.focus()
    for _ in range(10):  # ten steps of 0.1, faster than the graph runs: only the last must count
        page.keyboard.press("ArrowRight")
    page.evaluate("() => document.querySelector('#fig-template .figure-mount').figureTest.idle()")
    last = page.evaluate("() => document.querySelector('#fig-template .figure-mount').figureTest.inspect()")
    assert last["amplitude"] == pytest.approx(4.0)
    assert last["mse"] > first["mse"]  # the MAML model's prediction stays small: a taller target is further off
    assert status_of(page) == f"A = 4.0: mean squared error {last['mse']:.2f}"
