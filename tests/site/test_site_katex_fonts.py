"""KaTeX font subsetting: no glyph lost, no dangling @font-face, same bytes every build.

The coverage test builds the real content/ and reads KaTeX's output with the standard library's
HTML parser (independent of the scanner in sitegen.katexfonts), then checks every drawn character
against the cmaps of the subset fonts the site ships.
"""
from __future__ import annotations

import hashlib
import io
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from fontTools.ttLib import TTFont

from sitegen import fontsubset, katexfonts
from sitegen.assets import katex_css
from sitegen.errors import BuildError
from sitegen.fontsubset import SubsetJob, subset_fonts
from sitegen.katexfonts import characters_by_face, match_face, parse_stylesheet
from sitegen.project import Project
from sitegen.site import build

PENDING = ("static/models/", "manifest.json", "manifest has no", "unknown figure")
KATEX_FONTS = Project.at().node_modules / "katex/dist/fonts"


class _KatexText(HTMLParser):
    """Characters inside `.katex-html` (what is drawn; the MathML copy is not)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # open elements inside the current .katex-html, 0 = outside
        self.chars: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self.depth or "katex-html" in classes:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.chars |= set(data)


def _drawn(page: Path) -> set[str]:
    parser = _KatexText()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.chars


def _cmap(path: Path) -> set[str]:
    return {chr(code) for code in TTFont(path).getBestCmap()}


def _neutralised_copy(content: Path, target: Path) -> Path:
    """content/ with the inputs other teams still owe replaced (maths untouched): unknown figure
    ids borrow a registered figure, manifest values become a number."""
    shutil.copytree(content, target)
    registry_file = target / "figures.yaml"
    registry = yaml.safe_load(registry_file.read_text()) or {}
    chapters = list((target / "chapters").glob("*.md"))
    used = {m for f in chapters for m in re.findall(r"^::: figure (\S+)", f.read_text(), re.M)}
    if registry:
        spare = next(iter(registry.values()))
        registry.update({fid: spare for fid in used if fid not in registry})
        registry_file.write_text(yaml.safe_dump(registry))
    for chapter in chapters:
        chapter.write_text(re.sub(r"\{\{manifest:[^}]*\}\}", "0.5", chapter.read_text()))
    return target


@pytest.fixture(scope="module")
def real_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("katex-fonts") / "_site"
    try:
        build(Project.at(), out)
    except BuildError as exc:
        if not any(p in str(exc) for p in PENDING):
            raise
        content = _neutralised_copy(Project.at().content, out.parent / "content")
        try:
            build(Project.at(content=content), out)
        except BuildError as again:
            pytest.skip(f"content needs inputs not delivered yet: {again}")
    return out


def test_every_drawn_character_has_a_glyph_in_a_shipped_subset(real_site: Path):
    css = (real_site / "assets/katex/katex.min.css").read_text()
    shipped = [real_site / "assets/katex" / url for url in re.findall(r"url\(([^)]+)\)", css)]
    covered = set().union(*(_cmap(p) for p in shipped)) if shipped else set()
    whole = set().union(*(_cmap(p) for p in KATEX_FONTS.glob("*.ttf")))
    pages = sorted(real_site.rglob("*.html"))
    assert any(_drawn(p) for p in pages), "no maths in the real content?"
    for page in pages:
        # Characters no KaTeX font has (U+200B in struts) fall back to a system font, subset or not.
        missing = sorted((_drawn(page) & whole) - covered)
        assert not missing, f"{page.relative_to(real_site)}: no glyph for {missing}"


def test_faces_shipped_match_rules_and_shrink(real_site: Path):
    css = (real_site / "assets/katex/katex.min.css").read_text()
    named = set(re.findall(r"url\(fonts/([^)]+)\)", css))
    files = {p.name for p in (real_site / "assets/katex/fonts").glob("*")}
    assert named == files  # no rule without its file (404), no file without a rule
    assert "KaTeX_Fraktur-Regular.woff2" not in files  # the article has no \mathfrak
    for name in files:
        assert (real_site / "assets/katex/fonts" / name).stat().st_size < \
            (KATEX_FONTS / name).stat().st_size


def test_characters_go_to_the_face_katex_css_selects():
    sheet = parse_stylesheet(katex_css(Project.at()))
    html = ('<p>x</p><span class="katex"><span class="katex-mathml"><math><mi>Q</mi></math></span>'
            '<span class="katex-html" aria-hidden="true"><span class="base">'
            '<span class="mord mathnormal">x</span><span class="mord mathbb">E</span>'
            '<span class="mord">2&lt;</span><span class="mord mathbf">v</span>'
            '<span class="mop op-symbol large-op">∑</span>'
            '<span class="delimsizing mult"><span class="delim-size4"><span>⎛</span></span></span>'
            '</span></span></span>')
    by_file = {face.url.split("/")[-1]: "".join(sorted(chars))
               for face, chars in characters_by_face([html], sheet).items()}
    assert by_file == {"KaTeX_Math-Italic.woff2": "x", "KaTeX_AMS-Regular.woff2": "E",
                       "KaTeX_Main-Regular.woff2": "2<", "KaTeX_Main-Bold.woff2": "v",
                       "KaTeX_Size2-Regular.woff2": "∑", "KaTeX_Size4-Regular.woff2": "⎛"}


def test_what_each_formula_draws_is_kept_on_disk(real_site: Path, tmp_path: Path):
    """A fresh process (the memos emptied) finds every formula of the article in the disk memo,
    walks none, and gets the same characters; a damaged memo file is walked anew."""
    sheet = parse_stylesheet(katex_css(Project.at()))
    pages = [p.read_text(encoding="utf-8") for p in sorted(real_site.rglob("*.html"))]

    def fresh_process() -> None:
        for memo in (katexfonts._FORMULA_MEMO, katexfonts._PAGE_MEMO, katexfonts._MEMO_FILES_READ):
            memo.clear()

    fresh_process()
    walked = characters_by_face(pages, sheet, tmp_path)
    assert len(list(tmp_path.glob("formula-faces-*.json"))) == 1
    fresh_process()
    before = katexfonts._WALKED[0]
    assert characters_by_face(pages, sheet, tmp_path) == walked
    assert katexfonts._WALKED[0] == before, "formulas were walked again"
    for file in tmp_path.glob("formula-faces-*.json"):
        file.write_text("{damaged")
    fresh_process()
    assert characters_by_face(pages, sheet, tmp_path) == walked
    assert katexfonts._WALKED[0] > before


def test_font_matching_falls_back_like_css():
    sheet = parse_stylesheet(katex_css(Project.at()))
    math = [f for f in sheet.faces if f.family == "KaTeX_Math"]  # italic faces only
    assert match_face(math, 400, "normal").url.endswith("Math-Italic.woff2")
    assert match_face(math, 700, "italic").url.endswith("Math-BoldItalic.woff2")
    size1 = [f for f in sheet.faces if f.family == "KaTeX_Size1"]
    assert match_face(size1, 700, "italic").url.endswith("Size1-Regular.woff2")


def test_subsets_are_deterministic_and_cached(tmp_path: Path, monkeypatch):
    job = SubsetJob(KATEX_FONTS / "KaTeX_Main-Regular.ttf", "()+=abc")
    first = fontsubset._subset(job.source, job.chars)
    assert hashlib.sha256(first).digest() == \
        hashlib.sha256(fontsubset._subset(job.source, job.chars)).digest()
    assert {chr(c) for c in TTFont(io.BytesIO(first)).getBestCmap()} == set(job.chars)
    assert subset_fonts([job], tmp_path)[job] == first
    monkeypatch.setattr(fontsubset, "_subset", lambda *a: pytest.fail("cache missed"))
    assert subset_fonts([job], tmp_path)[job] == first
    other = SubsetJob(job.source, "()+=abcd")
    assert fontsubset.cache_key(other) != fontsubset.cache_key(job)
