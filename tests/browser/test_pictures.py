"""Every figure's static picture is its live first frame: the same marks, texts and positions.

The build draws each picture with the figure's own module in Node (build/sitegen/pictures.mjs).
Here a reader without the site's JavaScript (main.js answered with an empty script, so the page
keeps its pictures) and a reader with it (the figure mounted, before any input) look at the same
figure in the same browser: every visible mark of every SVG (tag, text, box relative to its SVG)
must agree within a pixel, the readouts must read the same, the loss maps' pixels must agree
within a small colour tolerance, and images outside SVG (the game's drawings) must be the same.
"""
from __future__ import annotations

import base64

import pytest

from .conftest import page_url_path
from .figure_harness import scroll_to

POSITION_TOLERANCE = 1.0  # CSS pixels
COLOUR_TOLERANCE = 8      # per channel, out of 255
VIEWPORT = {"width": 1100, "height": 900}

# Marks of each top-level SVG under `root` in document order: [tag, text, x, y, w, h] with the box
# relative to the SVG's own box, and the SVG's size. Hidden marks (focus rings) are left out.
MARKS = """root => [...root.querySelectorAll('svg')].filter((s) => !s.parentElement.closest('svg')).map((svg) => {
  const o = svg.getBoundingClientRect();
  const visible = (e) => { const cs = getComputedStyle(e); return cs.visibility !== 'hidden' && cs.display !== 'none'; };
  const marks = [...svg.querySelectorAll('path, line, circle, rect, text, image, polyline, polygon')]
    .filter((e) => !e.closest('mask, defs, title') && visible(e))
    .map((e) => { const b = e.getBoundingClientRect();
      return [e.tagName, e.tagName === 'text' ? e.textContent : '', b.x - o.x, b.y - o.y, b.width, b.height]; });
  return { width: o.width, height: o.height, marks };
})"""
EXACT_TEXT_UNIT = """root => root.querySelectorAll('svg[viewBox]').forEach((svg) => {
  if (svg.parentElement.closest('svg')) return;
  svg.style.setProperty('--fig-unit', (svg.viewBox.baseVal.width / svg.getBoundingClientRect().width).toFixed(4));
})"""
READOUTS = "root => [...root.querySelectorAll('.figure-readout')].map((e) => e.textContent)"
# Raster drawings outside SVG (the few-shot game's tiles): the same images, in the same order.
IMAGES = "root => [...root.querySelectorAll('img')].map((i) => i.getAttribute('src'))"
MAPS = """root => [...root.querySelectorAll('[data-layer="map"]')].map((g) => {
  const b = g.getBoundingClientRect(); return { x: b.x + scrollX, y: b.y + scrollY, width: b.width, height: b.height };
})"""
# Largest per-channel difference between two PNG screenshots (data URLs) of the same size.
PIXEL_DIFF = """async ([a, b]) => {
  const pixels = async (url) => {
    const image = new Image();  // (not fetch(): the site's CSP allows data: URLs for images only)
    image.src = url;
    await image.decode();
    const canvas = new OffscreenCanvas(image.width, image.height);
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0);
    return context.getImageData(0, 0, image.width, image.height).data;
  };
  const [pa, pb] = await Promise.all([pixels(a), pixels(b)]);
  if (pa.length !== pb.length) return 255;
  let worst = 0;
  for (let i = 0; i < pa.length; i++) worst = Math.max(worst, Math.abs(pa[i] - pb[i]));
  return worst;
}"""


def _figures(site_dir) -> list[tuple[str, str]]:
    found = []
    for page in sorted(site_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        for figure_id in sorted(set(_ids(text))):
            found.append((page_url_path(str(page.relative_to(site_dir))), figure_id))
    return found


def _ids(text: str) -> list[str]:
    import re
    return re.findall(r'<figure class="figure" id="fig-([a-z0-9-]+)"', text)


def _shot(page, box: dict) -> str:
    png = page.screenshot(clip=box, full_page=True, animations="disabled")
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _look(page, server, path: str, figure_id: str, live: bool) -> dict:
    page.goto(server.url(path))
    figure = page.locator(f"#fig-{figure_id}")
    scroll_to(figure)
    if live:
        page.wait_for_selector(f"#fig-{figure_id}[data-state=ready]", timeout=60_000)
        root = figure.locator(".figure-mount")
    else:
        root = figure.locator(".figure-fallback .figure-picture")
        assert root.is_visible(), "the static picture is not shown"
    page.evaluate("document.fonts.ready")
    # Text is sized per CSS px from the SVG's rendered width (static/js/figure-text.js); the page
    # without JavaScript only estimates that width. Size both alike, so that what is compared is
    # the drawing itself.
    root.evaluate(EXACT_TEXT_UNIT)
    return {"svgs": root.evaluate(MARKS), "readouts": root.evaluate(READOUTS), "images": root.evaluate(IMAGES),
            "maps": [_shot(page, box) for box in root.evaluate(MAPS)]}


@pytest.fixture(scope="module")
def figures(site_dir) -> list[tuple[str, str]]:
    found = _figures(site_dir)
    assert found, "no figure in the built site"
    return found


def test_every_picture_is_the_live_first_frame(new_page, server, site_dir, figures):
    without_js = new_page(viewport=VIEWPORT)
    # The site's JavaScript answers with nothing: the page stays as a reader without it sees it.
    without_js.route("**/assets/js/main.js", lambda route: route.fulfill(
        status=200, content_type="text/javascript", body="// no figures\n"))
    with_js = new_page(viewport=VIEWPORT)
    for path, figure_id in figures:
        static = _look(without_js, server, path, figure_id, live=False)
        live = _look(with_js, server, path, figure_id, live=True)
        where = f"{path}#fig-{figure_id}"
        assert static["readouts"] == live["readouts"], where
        assert static["images"] == live["images"], where
        assert len(static["svgs"]) == len(live["svgs"]) and (static["svgs"] or static["images"]), where
        for n, (a, b) in enumerate(zip(static["svgs"], live["svgs"])):
            assert abs(a["width"] - b["width"]) <= POSITION_TOLERANCE, (where, n)
            assert abs(a["height"] - b["height"]) <= POSITION_TOLERANCE, (where, n)
            assert [m[:2] for m in a["marks"]] == [m[:2] for m in b["marks"]], (where, n)
            for mark_a, mark_b in zip(a["marks"], b["marks"]):
                off = max(abs(p - q) for p, q in zip(mark_a[2:], mark_b[2:]))
                assert off <= POSITION_TOLERANCE, (where, n, mark_a, mark_b)
        assert len(static["maps"]) == len(live["maps"]), where
        for a, b in zip(static["maps"], live["maps"]):
            worst = with_js.evaluate(PIXEL_DIFF, [a, b])
            assert worst <= COLOUR_TOLERANCE, (where, worst)


def test_pictures_carry_no_script_and_no_foreign_reference(site_dir, figures):
    """A picture is inert markup: no script, no event handler, nothing loaded from elsewhere."""
    import re
    for page in sorted(site_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        for picture in re.findall(r'<div class="figure-picture".*?<p class="fallback-note">', text, re.S):
            assert "<script" not in picture and not re.search(r"\son[a-z]+=", picture), page
            for url in re.findall(r'(?:href|src)="([^"]+)"', picture):
                assert url.startswith("data:image/png;base64,"), (page, url[:60])
