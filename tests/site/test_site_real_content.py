"""A build of the real content/, whatever it holds today (it grows as chapters are written)."""
from __future__ import annotations

import re

import pytest

from sitegen.config import load_article
from sitegen.errors import BuildError
from sitegen.project import Project
from sitegen.site import build

# Inputs other people deliver later (models from `article export`, figures from their issues):
# while they are missing, the build rightly fails, and this test says so instead of failing.
PENDING = ("static/models/", "manifest.json does not exist", "unknown figure")


@pytest.fixture(scope="module")
def real_site(tmp_path_factory):
    project = Project.at()
    out = tmp_path_factory.mktemp("real") / "_site"
    try:
        build(project, out)
    except BuildError as exc:
        if any(p in str(exc) for p in PENDING):
            pytest.skip(f"content needs inputs not delivered yet: {exc}")
        raise
    return project, out


def test_every_chapter_page_exists(real_site):
    project, out = real_site
    for slug in load_article(project).chapters:
        assert (out / slug / "index.html").is_file()
    assert (out / "index.html").is_file() and (out / "404.html").is_file()


def test_maths_rendered_citations_resolved_links_relative(real_site):
    project, out = real_site
    for page in out.rglob("*.html"):
        html = page.read_text()
        body = re.sub(r"<annotation[^>]*>.*?</annotation>", "", html, flags=re.S)
        body = re.sub(r"<pre.*?</pre>", "", body, flags=re.S)
        assert "$$" not in body, page
        assert "[@" not in body, page
        assert "{{manifest:" not in body, page
        for target in re.findall(r'(?:href|src)="([^"]+)"', html):
            if page.name != "404.html":
                assert not target.startswith("/"), f"{page}: {target}"


def test_index_opens_with_the_hero_and_every_page_previews_its_picture(real_site):
    """The hero figure is on the index page, and its picture, rasterised at build time, is every
    page's Open Graph and Twitter card image (1200 x 630, a real PNG)."""
    project, out = real_site
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'id="fig-hero"' in index and 'data-module="hero"' in index
    assert "<svg" in index.split('id="fig-hero"')[1].split("</figure>")[0], "the hero has no static picture"
    png = (out / "assets/social.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == 1200 and int.from_bytes(png[20:24], "big") == 630
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if page.name == "404.html" or "og:title" not in text:
            continue
        image = re.search(r'<meta property="og:image" content="([^"]+)"', text)
        assert image, f"{page} has no og:image"
        assert (page.parent / image.group(1)).resolve() == (out / "assets/social.png").resolve(), page
        assert '<meta name="twitter:card" content="summary_large_image">' in text, page


def test_social_image_colours_come_from_the_light_palette():
    from sitegen.social import light_colours, outermost_svg
    colours = light_colours(":root {\n  --bg: #fdfdfb;\n  --fig-bg: var(--bg);\n  --m: #0b6bb0;\n}\n")
    assert colours == {"--bg": "#fdfdfb", "--fig-bg": "#fdfdfb", "--m": "#0b6bb0"}
    html = '<div><svg viewBox="0 0 1 1"><svg x="0"></svg><path/></svg><svg></svg></div>'
    assert outermost_svg(html) == '<svg viewBox="0 0 1 1"><svg x="0"></svg><path/></svg>'
