"""Every page in a real browser: loads cleanly from the root and from a sub-path, navigation,
maths, the Content-Security-Policy, small screens, dark mode and print."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .conftest import page_url_path
from .figure_harness import mount_every_figure

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]

# What a page loads, and where its links go, as written in its HTML.
ASSETS_JS = """() => [...document.querySelectorAll(
    'link[rel~=stylesheet], link[rel~=icon], link[rel~=modulepreload], link[rel~=preload],'
    + ' script[src], img[src]')].map(el => el.getAttribute('href') ?? el.getAttribute('src'))"""
LINKS_JS = "() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"


def _chapters() -> list[str]:
    article = yaml.safe_load((ROOT / "content" / "article.yaml").read_text(encoding="utf-8"))
    return list(article["chapters"])


def _slug(url: str) -> str:
    """The chapter slug of a chapter page URL such as http://host/maml/intro/ ."""
    return url.rstrip("/").rsplit("/", 1)[-1]


@pytest.mark.parametrize("sub_path", [True, False], ids=["sub-path", "root"])
def test_every_page_loads_cleanly(page, server, html_pages, sub_path):
    """No console error, failed or foreign request, or CSP violation (checked by the fixture);
    every reference is relative, a CSP meta tag is present, and every figure reaches a final state."""
    assert "index.html" in html_pages
    for path in html_pages:
        url = server.url(page_url_path(path), sub_path=sub_path)
        page.goto(url)
        assert page.title().strip(), f"{path}: empty <title>"
        csp = page.locator('meta[http-equiv="Content-Security-Policy"]')
        assert csp.count() == 1, f"{path}: no Content-Security-Policy meta tag"
        policy = csp.get_attribute("content")
        assert "default-src 'self'" in policy or "default-src 'none'" in policy, policy
        # Relative references are what make the site work from any sub-path. (A data: URL, as the
        # few-shot game's drawings are, is no reference: it requests nothing.)
        for ref in page.evaluate(ASSETS_JS):
            if ref.startswith("data:image/"):
                continue
            assert ":" not in ref.split("/")[0] and not ref.startswith("/"), f"{path} loads {ref}"
        for ref in page.evaluate(LINKS_JS):
            assert not ref.startswith("/"), f"{path} links to the server root: {ref}"
        mount_every_figure(page)
        failed = page.locator("figure[data-state=failed]")
        assert failed.count() == 0, f"{path}: figure failed: {failed.first.inner_text()[:200]}"
        assert page.evaluate("document.documentElement.dataset.root"), f"{path}: no data-root"
        if path != "404.html":
            assert page.evaluate("getComputedStyle(document.body).fontFamily") != "", path


def test_menu_opens_every_chapter_and_marks_the_current_one(page, server):
    chapters = _chapters()
    for index, slug in enumerate(chapters):
        page.goto(server.url(""))
        page.locator(".site-nav summary").click()
        entries = page.locator(".site-nav a")
        assert entries.count() == len(chapters), "the menu lists a different number of chapters"
        entries.nth(index).click()
        page.wait_for_url(lambda url, slug=slug: _slug(url) == slug)
        current = page.locator(".site-nav a[aria-current=page]")
        assert current.count() == 1, f"{slug}: no menu entry marked aria-current=page"
        assert _slug(current.evaluate("a => a.href")) == slug


def test_previous_and_next_walk_through_all_chapters(page, server):
    chapters = _chapters()
    page.goto(server.url(f"{chapters[0]}/"))
    assert page.locator('a[rel="prev"]').count() == 0 or _slug(
        page.locator('a[rel="prev"]').first.evaluate("a => a.href")
    ) not in chapters
    for slug in chapters[1:]:
        page.locator('a[rel="next"]').first.click()
        page.wait_for_url(lambda url, slug=slug: _slug(url) == slug)
    assert page.locator('a[rel="next"]').count() == 0
    for slug in reversed(chapters[:-1]):
        page.locator('a[rel="prev"]').first.click()
        page.wait_for_url(lambda url, slug=slug: _slug(url) == slug)


def test_maths_is_rendered_at_build_time(page, server, pages_with):
    maths_pages = pages_with('class="katex')
    assert maths_pages, "no page contains KaTeX output"
    for path in maths_pages:
        page.goto(server.url(page_url_path(path)))
        assert page.locator(".katex").count() > 0
        text = page.locator("main").inner_text()
        assert "$$" not in text and "\\frac" not in text, f"{path}: raw TeX left in the text"
        # KaTeX's own fonts come from the site (the fixture fails on foreign requests).
        for number in page.locator(".equation .eq-number").all():
            box, eq = number.bounding_box(), number.locator("xpath=..").bounding_box()
            assert box["x"] + box["width"] > eq["x"] + eq["width"] * 0.8, "equation number not on the right"


def test_skip_link_is_first_and_targets_main(page, server):
    page.goto(server.url(""))
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused and focused.startswith("#")
    assert page.locator(focused).count() == 1
    assert page.evaluate("document.activeElement.getBoundingClientRect().top >= 0")


@pytest.mark.parametrize("width", [320, 1440])
def test_no_horizontal_scrolling(new_page, server, html_pages, width):
    page = new_page(viewport={"width": width, "height": 800})
    for path in html_pages:
        page.goto(server.url(page_url_path(path)))
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"


def test_dark_mode_follows_the_system(new_page, server):
    colours = {}
    for scheme in ("light", "dark"):
        page = new_page(color_scheme=scheme)
        page.goto(server.url(""))
        colours[scheme] = page.evaluate(
            "[getComputedStyle(document.body).backgroundColor, "
            "getComputedStyle(document.documentElement).getPropertyValue('--fig-1').trim()]"
        )
    assert colours["light"][0] != colours["dark"][0], "background ignores prefers-color-scheme"
    assert colours["light"][1] and colours["light"][1] != colours["dark"][1], "figure palette ignores it"


def test_print_hides_navigation_and_shows_figure_pictures(page, server, pages_with):
    figure_pages = pages_with('class="figure-fallback"')
    page.goto(server.url(page_url_path(figure_pages[0] if figure_pages else "index.html")))
    page.emulate_media(media="print")
    for selector in (".site-nav", ".skip-link", ".pager", ".toc"):
        for element in page.locator(selector).all():
            assert not element.is_visible(), f"{selector} printed"
    for fallback in page.locator(".figure-fallback").all():
        assert fallback.is_visible(), "figure picture not printed"
    external = page.locator('main a[href^="http"]').first
    if external.count():
        after = external.evaluate("a => getComputedStyle(a, '::after').content")
        assert external.get_attribute("href") in after, "printed links do not show their URL"


def test_contents_sit_in_the_margin_on_wide_screens_and_above_the_text_on_narrow(new_page, server, pages_with):
    toc_pages = pages_with('class="toc"')
    assert toc_pages, "no page has a table of contents"
    url = server.url(page_url_path(toc_pages[0]))
    boxes = {}
    for width in (1440, 700):
        page = new_page(viewport={"width": width, "height": 900})
        page.goto(url)
        boxes[width] = (page.locator(".toc").bounding_box(), page.locator(".page > p").first.bounding_box())
    toc, text = boxes[1440]
    assert toc["x"] + toc["width"] <= text["x"], "wide screen: contents overlap the text column"
    toc, text = boxes[700]
    assert toc["y"] + toc["height"] <= text["y"] and toc["x"] >= text["x"] - 1, "narrow: contents not above"
