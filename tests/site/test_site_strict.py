"""A stricter build: bad inputs that used to build without a word now stop it, located.

Each bad input must raise a BuildError with the file, the line and a hint, and leave the
previous site as it was: unclosed or unknown `:::` directives, unmatched dollars, TeX commands
outside maths, model files that differ from manifest.json, errors inside extended, imported or
included templates.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from pathlib import Path

import jinja2
import pytest

from sitegen.errors import BuildError
from sitegen.integrity import DigestCache, check_model_files, listed_files
from sitegen.syntax.manifest import Manifest
from sitegen.project import Project
from sitegen.templating import render_template
from site_checks import edit, fails_and_keeps_site

FIXTURE_MODELS = Path(__file__).parent / "fixtures" / "models"


@pytest.fixture
def good_site(built_site: Path) -> Path:
    """The fixture article, built once; each failing build below starts from a copy of it."""
    return built_site


# --- Markdown: directives, dollars, TeX -----------------------------------------------------

GAMMA_TEXT = "Plain text, no maths"  # the first words of gamma.md's only paragraph (line 8)


@pytest.mark.parametrize("inserted, line, words, hint", [
    ("::: results\n\n## Later\n\nThe rest of the chapter.\n\n", 8, "never closed", "`:::`"),
    ("::: listing trainers/sinusoid_mlp.py forward\nCaption.\n\n", 8, "never closed", "`:::`"),
    ("Before.\n\n::: resluts\n:::\n\n", 10, "unknown directive", "results"),
    ("The loss $L(\\theta) is small.\n\n", 8, "unmatched `$`", "\\$"),
    ("Words,\nthen $$x$$ in a paragraph.\n\n", 9, "`$$` inside a paragraph", "$$"),
    ("$$\nx = 1\n\n", 8, "never closed", "$$"),
    ("A step size \\alpha without dollars.\n\n", 8, "TeX command `\\alpha` outside maths",
     "$\\alpha$"),
])
def test_bad_markdown_stops_the_build_at_its_line(project, good_site, tmp_path, inserted, line,
                                                   words, hint):
    edit(project.content / "chapters/gamma.md", GAMMA_TEXT, inserted + GAMMA_TEXT)
    error = fails_and_keeps_site(project, good_site, tmp_path)
    assert words in error.message
    assert error.file.name == "gamma.md" and error.line == line
    assert hint in error.hint


def test_unclosed_directive_reports_its_opening_line(md):
    with pytest.raises(BuildError) as err:
        md("Intro.\n\n::: figure sinusoid-demo\nCaption.\n\n## Next section\n\nMore text.\n",
           line_offset=4)
    assert err.value.line == 7
    assert "`::: figure sinusoid-demo` is never closed" in err.value.message
    assert "add a line `:::`" in err.value.hint


def test_directive_closed_by_the_end_of_its_list_item_is_unclosed(md):
    with pytest.raises(BuildError, match="never closed"):
        md("- item\n\n  ::: results\n  text\n- next item\n")


def test_closed_directives_still_build(md):
    html, _ = md("::: figure sinusoid-demo\nCaption.\n:::\n\n::: results\n:::\n\nAfter.\n")
    assert "<p>After.</p>" in html


def test_lone_closing_colons_are_an_error(md):
    with pytest.raises(BuildError) as err:
        md("Text.\n\n:::\n", line_offset=1)
    assert err.value.line == 4 and "closes no directive" in err.value.message


@pytest.mark.parametrize("text", [
    "A dollar sign \\$ and \\$x stay text.\n",
    "Money: $5 and $6, or 7$.\n",
    "Code keeps `$x` and `\\alpha` and `$$` as they are.\n",
    "Raw HTML code too: <code>\\frac $</code>.\n",
    "```\n$ echo \\alpha\n```\n",
    "Maths $\\alpha + \\$ 1$ and display:\n\n$$\n\\frac{a}{b}\n$$\n",
    "An escaped backslash \\\\alpha is text on purpose.\n",
])
def test_dollars_and_backslashes_that_are_fine(md, text):
    html, _ = md(text)
    assert "leftover" not in html


def test_escaped_dollar_renders_as_a_dollar(md):
    html, _ = md("It costs \\$ten.\n")
    assert "<p>It costs $ten.</p>" in html


@pytest.mark.parametrize("text, line, words", [
    ("One.\nTwo $x $ three.\n", 2, "unmatched `$`"),
    ("| a | b |\n|---|---|\n| 1 | \\gamma |\n", 3, "`\\gamma`"),
    ("## About \\beta\n", 1, "`\\beta`"),
    ("See [the \\eta link](https://example.org).\n", 1, "`\\eta`"),
    ("Text[^n].\n\n[^n]: A note with $a stray dollar.\n", 3, "unmatched `$`"),
    ("::: figure sinusoid-demo\nCaption with \\theta.\n:::\n", 2, "`\\theta`"),
])
def test_stray_maths_is_found_everywhere_text_is(md, text, line, words):
    with pytest.raises(BuildError) as err:
        md(text, line_offset=10)
    assert words in err.value.message and err.value.line == 10 + line


# --- model files against manifest.json ------------------------------------------------------

@pytest.fixture
def models(tmp_path) -> Path:
    target = tmp_path / "models"
    shutil.copytree(FIXTURE_MODELS, target)
    return target


def _line_holding(file: Path, needle: str) -> int:
    return next(i for i, line in enumerate(file.read_text().splitlines(), 1) if needle in line)


@pytest.mark.parametrize("name", ["maml.params.bin", "sinusoid_predict.onnx"])
def test_changed_model_file_stops_the_build(project, good_site, tmp_path, models, name):
    manifest = json.loads((models / "manifest.json").read_text())
    entries = [*manifest["graphs"].values(), *(m["params"] for m in manifest["models"].values())]
    recorded = next(entry["sha256"] for entry in entries if entry["file"] == name)
    data = bytearray((models / name).read_bytes())
    data[-1] ^= 0xFF
    (models / name).write_bytes(bytes(data))
    error = fails_and_keeps_site(Project.at(content=project.content, models=models), good_site,
                                 tmp_path)
    assert name in error.message and "sha256" in error.message
    assert error.file.name == "manifest.json"
    assert error.line == _line_holding(models / "manifest.json", recorded)
    assert "article export" in error.hint


def test_missing_listed_file_stops_the_build(project, good_site, tmp_path, models):
    manifest_file = models / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["data"] = {"toys": {"file": "toys.json", "sha256": "0" * 64}}  # no figure uses it
    manifest_file.write_text(json.dumps(manifest, indent=1))
    error = fails_and_keeps_site(Project.at(content=project.content, models=models), good_site,
                                 tmp_path)
    assert "missing model file" in error.message and "toys.json" in error.message
    assert "data.toys" in error.message and error.line == _line_holding(manifest_file, "0" * 64)
    assert "article export" in error.hint


def test_every_listed_file_is_checked(models):
    manifest = json.loads((models / "manifest.json").read_text())
    manifest["data"] = {"toys": {"file": "toys.json", "sha256": "1" * 64}}
    (models / "manifest.json").write_text(json.dumps(manifest))
    keys = [f.key for f in listed_files(Manifest(models / "manifest.json"), str)]
    assert keys == ["graphs.sinusoid_predict", "models.maml.params", "data.toys"]


def test_digests_are_memoised_by_mtime_and_size(models):
    digests, manifest = DigestCache(), Manifest(models / "manifest.json")
    check_model_files(manifest, str, digests)
    assert digests.hashed == 2
    check_model_files(Manifest(models / "manifest.json"), str, digests)
    assert digests.hashed == 2  # a rebuild in `serve` reads no file again
    params = models / "maml.params.bin"
    stat = params.stat()
    params.write_bytes(params.read_bytes())  # same bytes, new mtime: hashed again, still valid
    os.utime(params, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    check_model_files(Manifest(models / "manifest.json"), str, digests)
    assert digests.hashed == 3


def test_checking_the_real_models_is_cheap():
    manifest = Manifest(Project.at().models / "manifest.json")
    if not manifest.exists:
        pytest.skip("static/models/ has no manifest yet")
    started = time.perf_counter()
    check_model_files(manifest, str, DigestCache())  # cold: every file hashed
    assert time.perf_counter() - started < 0.25  # well under 10 ms on an idle machine


def test_a_manifest_entry_without_a_digest_is_an_error(models):
    manifest = json.loads((models / "manifest.json").read_text())
    del manifest["graphs"]["sinusoid_predict"]["sha256"]
    (models / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BuildError, match="graphs.sinusoid_predict needs"):
        check_model_files(Manifest(models / "manifest.json"), str, DigestCache())


# --- templates: the error is where it is, not in the page's top-level template --------------

@pytest.fixture
def templates(tmp_path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "base.html").write_text(
        "<html>\n<title>{{ title }}</title>\n{% block main %}{% endblock %}\n</html>\n")
    (folder / "macros.html").write_text(
        "{% macro byline(who) -%}\n<p>By\n{{ who.name }}</p>\n{%- endmacro %}\n")
    (folder / "page.html").write_text(
        '{% extends "base.html" %}\n{% from "macros.html" import byline %}\n'
        "{% block main %}\n{{ byline(author) }}\n{% endblock %}\n")
    return folder


def _render(folder: Path, context: dict | None = None) -> str:
    jinja = jinja2.Environment(loader=jinja2.FileSystemLoader(folder),
                               undefined=jinja2.StrictUndefined)
    return render_template(jinja, "page.html",
                           context or {"title": "T", "author": {"name": "Ada"}})


def test_templates_render(templates):
    assert "<p>By\nAda</p>" in _render(templates)


@pytest.mark.parametrize("file, old, new, line, words", [
    ("base.html", "{{ title }}", "{{ title.upper.nothing }}", 2, "nothing"),
    ("macros.html", "{{ who.name }}", "{{ who.nickname }}", 3, "nickname"),
    ("base.html", "{% block main %}", "{% block main %}{% if %}", 3, "syntax"),
    ("macros.html", "<p>By", '<p>By {% include "missing.html" %}', 2, "missing.html is missing"),
    ("page.html", "{{ byline(author) }}", "{{ byline(author) + 1 }}", 4, "TypeError"),
])
def test_template_error_names_the_template_and_line_it_is_in(templates, file, old, new, line,
                                                              words):
    edit(templates / file, old, new)
    with pytest.raises(BuildError) as err:
        _render(templates)
    assert str(err.value.file) == f"templates/{file}" and err.value.line == line
    assert words in err.value.message and err.value.hint
    if file != "page.html":
        assert "while rendering page.html" in err.value.message


def test_template_error_in_the_real_base_template_stops_the_build(project, good_site, tmp_path):
    folder = tmp_path / "templates"
    shutil.copytree(project.templates, folder)
    base = folder / "base.html"
    lines = base.read_text().splitlines(keepends=True)
    title_line = next(i for i, text in enumerate(lines, 1) if "{{ page.full_title }}" in text)
    edit(base, "{{ page.full_title }}", "{{ page.no_such_field }}")
    broken = dataclasses.replace(project, templates=folder)
    error = fails_and_keeps_site(broken, good_site, tmp_path)
    assert str(error.file) == "templates/base.html" and error.line == title_line
    assert "no_such_field" in error.message and "while rendering" in error.message


def test_a_manifest_value_inside_maths_is_an_error(md):
    """KaTeX would typeset `{{manifest:...}}` as letters instead of the value."""
    with pytest.raises(BuildError) as err:
        md("Text.\n\nTrained with $k = {{manifest:models.maml.iterations}}$ steps.\n", line_offset=2)
    assert err.value.line == 5 and "outside the dollars" in err.value.hint
