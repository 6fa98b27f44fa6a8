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
