"""Figures in the browser: the demonstration graph computes what Python's onnxruntime computes,
and without JavaScript or WebAssembly the build-time picture stays, with its sentence."""
from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import yaml

from .conftest import Server, build_site, page_url_path, serve
from .figure_harness import scroll_to

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser

DEMO = 'data-module="sinusoid-demo"'
DEMO_FIGURE = 'figure[data-module="sinusoid-demo"]'


@dataclass
class Demo:
    server: Server
    site_dir: Path
    page: str  # URL path of the page holding the figure


@pytest.fixture(scope="module")
def demo(site_dir, server, pages_with, tmp_path_factory) -> Iterator[Demo]:
    """The demonstration figure on a built page: in the article if a chapter shows it, otherwise
    in a build of a copy of the content with the figure appended to the first chapter (the
    article need not show readers a demonstration; the test needs it)."""
    pages = pages_with(DEMO)
    if pages:
        yield Demo(server, site_dir, page_url_path(pages[0]))
        return
    content = tmp_path_factory.mktemp("demo") / "content"
    shutil.copytree(os.environ.get("ARTICLE_CONTENT_DIR") or ROOT / "content", content)
    article = yaml.safe_load((content / "article.yaml").read_text(encoding="utf-8"))
    first = article["chapters"][0]
    chapter = content / "chapters" / f"{first}.md"
    chapter.write_text(
        chapter.read_text(encoding="utf-8")
        + "\n\n::: figure sinusoid-demo\nThe demonstration figure, added by the browser tests.\n:::\n",
        encoding="utf-8",
    )
    built = build_site(content.parent / "_site", content)
    with serve(built) as demo_server:
        yield Demo(demo_server, built, f"{first}/")


def _python_prediction(site_dir: Path, graph: str, model: str, x: np.ndarray) -> dict[str, np.ndarray]:
    """Run the same graph on the same inputs with Python's onnxruntime."""
    import onnxruntime

    manifest = json.loads((site_dir / "models" / "manifest.json").read_text(encoding="utf-8"))
    params = manifest["models"][model]["params"]
    floats = np.fromfile(site_dir / "models" / params["file"], dtype="<f4")
    feeds = {
        entry["name"]: floats[entry["offset"] : entry["offset"] + int(np.prod(entry["shape"]))].reshape(
            entry["shape"]
        )
        for entry in params["layout"]
    }
    session = onnxruntime.InferenceSession(
        str(site_dir / "models" / manifest["graphs"][graph]["file"]), providers=["CPUExecutionProvider"]
    )
    # The graph's one input that is not a parameter is the query x (as the demo module feeds it).
    for graph_input in session.get_inputs():
        feeds.setdefault(graph_input.name, x.reshape(-1, 1))
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds)))


def test_demonstration_graph_matches_python_onnxruntime(page, demo):
    page.goto(demo.server.url(demo.page))
    figure = page.locator(DEMO_FIGURE).first
    scroll_to(figure)
    page.wait_for_selector(f"{DEMO_FIGURE}[data-state=ready]", timeout=30_000)
    assert not figure.locator(".figure-fallback").is_visible(), "fallback still shown after mount"
    assert figure.locator(".figure-mount > *").count() > 0, "figure drew nothing"
    data = figure.evaluate("f => ({...f.dataset})")
    x = np.array(json.loads(data["demoX"]), dtype=np.float32)
    browser_y = np.array(json.loads(data["demoY"]), dtype=np.float32)
    expected = _python_prediction(demo.site_dir, data["demoGraph"], data["demoModel"], x)
    python_y = expected[data["demoOutput"]].reshape(-1)
    assert browser_y.shape == python_y.shape
    np.testing.assert_allclose(browser_y, python_y, rtol=0, atol=1e-5)


def test_figures_load_only_near_the_viewport_and_the_runtime_once_the_page_is_idle(new_page, demo):
    """Text first: on a small screen scrolled to the top, a figure's module and models are not
    fetched until the reader approaches it; the shared runtime starts only after the page has
    loaded, when it is idle, so it is ready by the time the reader gets there."""
    page = new_page(viewport={"width": 400, "height": 300})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(demo.server.url(demo.page))
    page.wait_for_load_state("load")
    module = page.locator(DEMO_FIGURE).first.get_attribute("data-module")
    figure = page.locator(DEMO_FIGURE).first
    far = page.evaluate(
        f"document.querySelector('{DEMO_FIGURE}').getBoundingClientRect().top > 2 * window.innerHeight + 800"
    )
    if far:
        # The idle warm-up (in the runtime's worker, whose requests the page's timeline omits).
        page.wait_for_selector("html[data-runtime=ready]", state="attached", timeout=30_000)
        assert any(url.endswith(".wasm") for url in requested)
        assert not any(f"/chunks/{module}-" in url for url in requested)
        assert figure.get_attribute("data-state") is None
    scroll_to(figure)
    page.wait_for_selector(f"{DEMO_FIGURE}[data-state=ready]", timeout=30_000)
    assert any(f"/chunks/{module}-" in url for url in requested)
    assert any(url.endswith(".wasm") for url in requested)


def test_save_data_leaves_the_runtime_until_a_figure_needs_it(new_page, demo):
    page = new_page(viewport={"width": 400, "height": 300})
    page.add_init_script("Object.defineProperty(navigator, 'connection', {value: {saveData: true}})")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(demo.server.url(demo.page))
    page.wait_for_load_state("load")
    far = page.evaluate(
        f"document.querySelector('{DEMO_FIGURE}').getBoundingClientRect().top > 2 * window.innerHeight + 800"
    )
    if not far:
        pytest.skip("the demonstration figure is too near the top of its page for this check")
    page.wait_for_timeout(2500)  # past the warm-up's idle deadline of 2 s
    assert not any("/vendor/ort/" in url or url.endswith(".onnx") for url in requested)


def test_without_javascript_the_picture_shows(new_page, demo):
    page = new_page(java_script_enabled=False)
    page.goto(demo.server.url(demo.page))
    figure = page.locator(DEMO_FIGURE).first
    scroll_to(figure)
    picture = figure.locator(".figure-fallback .figure-picture svg[role=img]")  # the plot, not its key's swatches
    assert picture.is_visible()
    assert picture.bounding_box()["height"] > 100, "fallback picture missing"
    assert figure.locator(".figure-picture path.prediction").get_attribute("d"), "no prediction drawn"
    assert "JavaScript" in figure.locator(".fallback-note").inner_text()


def test_without_webassembly_the_picture_stays_with_its_reason(new_page, demo):
    page = new_page()
    page.add_init_script("delete globalThis.WebAssembly;")
    page.goto(demo.server.url(demo.page))
    figure = page.locator(DEMO_FIGURE).first
    scroll_to(figure)
    page.wait_for_selector(f"{DEMO_FIGURE}[data-state=failed]")
    assert figure.locator(".figure-fallback .figure-picture svg[role=img]").is_visible()
    note = figure.locator(".fallback-note").inner_text()
    assert "WebAssembly" in note and note.count(".") == 1, note
    assert figure.locator(".figure-mount > *").count() == 0
