"""Every equation whole: display maths, code and tables fit their box on a desktop, on a phone
whatever still scrolls sideways shows that it does, and inline maths sits at the text's size.

A box is a display equation (`.katex-display`), a code block (`pre`) or a table's wrapper
(`.table-wrap`), each of which scrolls sideways when its content is wider. With overlay
scrollbars (phones, macOS) nothing shows that it does, so the end of an equation can simply be
missing for a reader. At 1280 px every box must fit. At 390 px a box may scroll, but then it must
carry the stylesheet's scroll shadows (site.css, "Boxes that scroll sideways"): gradients that
move with the content over a shadow fixed to the box, in a colour that stands out from the box's
background, in the light and the dark scheme.
"""
from __future__ import annotations

import re

import pytest

from .conftest import page_url_path

BOXES = ".katex-display, pre, .table-wrap"

# What each box is, how wide its content and its box are, its styles, and for an equation the
# start of its TeX (so a failure says which one). Boxes inside figures belong to the figures.
MEASURE = """(selector) => [...document.querySelectorAll(selector)]
  .filter((box) => !box.closest('.figure'))
  .map((box) => {
    const style = getComputedStyle(box);
    const tex = box.querySelector('annotation');
    return {
      kind: box.matches('.katex-display') ? 'equation'
        : box.matches('.table-wrap') ? 'table'
        : box.closest('.listing') ? 'listing' : 'code block',
      what: (tex ? tex.textContent : box.textContent).trim().replace(/\\s+/g, ' ').slice(0, 60),
      content: box.scrollWidth,
      box: box.clientWidth,
      overflowX: style.overflowX,
      image: style.backgroundImage,
      attachment: style.backgroundAttachment,
      color: style.backgroundColor,
    };
  })"""

_COLOR = re.compile(r"rgba?\(([^)]*)\)")


def _rgba(text: str) -> tuple[float, float, float, float]:
    parts = [float(p) for p in re.split(r"[,\s/]+", text.strip()) if p]
    return (*parts[:3], parts[3] if len(parts) > 3 else 1.0)


def _luminance(rgb: tuple[float, float, float]) -> float:
    def linear(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def cue_problem(box: dict) -> str | None:
    """Why `box` (a MEASURE entry) does not show that it scrolls, or None when it does."""
    if box["overflowX"] not in ("auto", "scroll"):
        return f"overflow-x is {box['overflowX']}: the end is cut off, not scrollable"
    if "local" not in box["attachment"] or "scroll" not in box["attachment"]:
        return f"no scroll shadows (background-attachment {box['attachment']!r})"
    radial = box["image"].split("radial-gradient(")[1:]
    if len(radial) < 2:
        return "no shadow at both edges (no radial gradients in its background)"
    background = _rgba(_COLOR.search(box["color"]).group(1))
    for gradient in radial:
        shadow = _rgba(_COLOR.search(gradient).group(1))
        alpha = shadow[3]
        seen = tuple(alpha * s + (1 - alpha) * b for s, b in zip(shadow[:3], background[:3]))
        if _contrast(seen, background[:3]) < 1.5:
            return f"its shadow {shadow} hardly shows on its background {background}"
    return None


def measure(page, server, path: str) -> list[dict]:
    page.goto(server.url(page_url_path(path)), wait_until="load")
    page.evaluate("document.fonts.ready")
    return page.evaluate(MEASURE, BOXES)


def describe(path: str, box: dict) -> str:
    return f"{path}: {box['kind']} {box['content']} px wide in a {box['box']} px box: {box['what']!r}"


@pytest.fixture
def article_pages(html_pages: list[str]) -> list[str]:
    """The chapters, the title page and the highlighted source files the listings link to."""
    return [p for p in html_pages if p.endswith("index.html") or p.startswith("source/")]


def test_every_box_fits_on_a_desktop(new_page, server, article_pages):
    page = new_page(viewport={"width": 1280, "height": 900})
    too_wide = [describe(path, box) for path in article_pages
                for box in measure(page, server, path) if box["content"] > box["box"] + 1]
    assert not too_wide, "wider than their box at 1280 px:\n  " + "\n  ".join(too_wide)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_what_scrolls_on_a_phone_shows_it(new_page, server, article_pages, scheme):
    page = new_page(viewport={"width": 390, "height": 844}, color_scheme=scheme,
                    is_mobile=True, has_touch=True)
    hidden, scrolling = [], 0
    for path in article_pages:
        for box in measure(page, server, path):
            if box["content"] <= box["box"] + 1:
                continue
            scrolling += 1
            problem = cue_problem(box)
            if problem:
                hidden.append(f"{describe(path, box)}: {problem}")
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1] + 1:
            hidden.append(f"{path}: the whole page scrolls sideways ({width[0]} px in {width[1]})")
    assert not hidden, f"at 390 px ({scheme}), {len(hidden)} of {scrolling} scrolling boxes:\n  " \
        + "\n  ".join(hidden)


@pytest.mark.parametrize("width", [1280, 390])
def test_inline_maths_at_the_text_size(new_page, server, width):
    """KaTeX's own 1.21em made inline maths 23 px in 19 px text; now within 0 to 6 % of it."""
    page = new_page(viewport={"width": width, "height": 900})
    page.goto(server.url("how-maml-works/"))
    ratios = page.evaluate("""() => [...document.querySelectorAll('.page > p .katex')]
        .map((k) => parseFloat(getComputedStyle(k).fontSize)
                    / parseFloat(getComputedStyle(k.closest('p')).fontSize))""")
    assert ratios and all(1.0 <= r <= 1.06 for r in ratios), sorted(set(ratios))


def test_a_shadow_must_show_on_its_box():
    """The cue check itself: a black shadow on a dark box, or none at all, is no cue."""
    box = {"overflowX": "auto", "attachment": "local, local, scroll, scroll",
           "color": "rgb(21, 23, 26)",
           "image": "linear-gradient(to right, rgb(21, 23, 26) 40%, rgba(0, 0, 0, 0)), "
                    "linear-gradient(to left, rgb(21, 23, 26) 40%, rgba(0, 0, 0, 0)), "
                    "radial-gradient(farthest-side at 0px 50%, {0}, rgba(0, 0, 0, 0)), "
                    "radial-gradient(farthest-side at 100% 50%, {0}, rgba(0, 0, 0, 0))"}
    light = dict(box, image=box["image"].format("rgba(255, 255, 255, 0.35)"))
    dark = dict(box, image=box["image"].format("rgba(0, 0, 0, 0.35)"))
    assert cue_problem(light) is None
    assert "hardly shows" in cue_problem(dark)
    assert "no scroll shadows" in cue_problem(dict(light, attachment="scroll"))
    assert "cut off" in cue_problem(dict(light, overflowX="hidden"))
