"""References across chapters: `@eq:chapter/label` and `@fig:chapter/label`.

The fixture's alpha chapter numbers `eq:objective` (1) and shows figure `sinusoid-demo` (1);
gamma refers to them.
"""
from __future__ import annotations

import re

import pytest

from sitegen.errors import BuildError
from site_checks import tree_digest
from sitegen.site import build

GAMMA_TEXT = "Plain text, no maths"  # gamma.md's only paragraph, on line 8
ALPHA_TITLE = "Alpha: every feature"



def add_to_gamma(project, text: str) -> None:
    chapter = project.content / "chapters/gamma.md"
    chapter.write_text(chapter.read_text().replace(GAMMA_TEXT, text + GAMMA_TEXT, 1))


def test_reference_to_another_chapter_names_it_and_links_there(project, tmp_path):
    add_to_gamma(project, "As @eq:alpha/objective states and @fig:alpha/sinusoid-demo shows.\n\n")
    out = tmp_path / "_site"
    build(project, out)
    gamma = (out / "gamma/index.html").read_text()
    assert (f'<a class="xref" href="../alpha/#eq-objective">Equation (1) in {ALPHA_TITLE}</a>'
            in gamma)
    assert (f'<a class="xref" href="../alpha/#fig-sinusoid-demo">Figure 1 in {ALPHA_TITLE}</a>'
            in gamma)
    alpha = (out / "alpha/index.html").read_text()
    assert 'id="eq-objective"' in alpha and 'id="fig-sinusoid-demo"' in alpha


def test_same_page_references_are_unchanged(built_site):
    alpha = (built_site / "alpha/index.html").read_text()
    assert '<a class="xref" href="#eq-objective">(1)</a>' in alpha
    assert '<a class="xref" href="#fig-sinusoid-demo">Figure 1</a>' in alpha


def test_a_reference_naming_its_own_chapter_reads_as_a_same_page_one(project, tmp_path):
    chapter = project.content / "chapters/alpha.md"
    chapter.write_text(chapter.read_text().replace("As @eq:objective shows",
                                                   "As @eq:alpha/objective shows", 1))
    out = tmp_path / "_site"
    build(project, out)
    assert '<a class="xref" href="#eq-objective">(1)</a>' in (out / "alpha/index.html").read_text()


def test_reference_from_a_heading_and_a_footnote(project, tmp_path):
    add_to_gamma(project, "### After @eq:alpha/objective\n\nA note[^n].\n\n"
                          "[^n]: Compare @fig:alpha/sinusoid-demo.\n\n")
    out = tmp_path / "_site"
    build(project, out)
    gamma = (out / "gamma/index.html").read_text()
    links = re.findall(r'href="\.\./alpha/#eq-objective">Equation \(1\) in', gamma)
    assert len(links) == 2  # the heading and its entry in the contents
    assert 'href="../alpha/#fig-sinusoid-demo">Figure 1 in' in gamma


@pytest.mark.parametrize("reference, words, hint", [
    ("@eq:delta/objective", "unknown chapter 'delta'", "alpha/objective"),
    ("@eq:alpha/nowhere", "unknown reference @eq:alpha/nowhere", "labels in alpha: objective"),
    ("@fig:alpha/nowhere", "unknown reference @fig:alpha/nowhere", "sinusoid-demo"),
    ("@fig:beta/sinusoid-demo", "unknown reference @fig:beta/sinusoid-demo",
     "labels in beta: none"),
])
def test_unknown_target_stops_the_build_with_the_known_labels(project, tmp_path, reference,
                                                              words, hint):
    out = tmp_path / "_site"
    build(project, out)
    before = tree_digest(out)
    add_to_gamma(project, f"First line,\nthen see {reference}.\n\n")
    with pytest.raises(BuildError) as err:
        build(project, out)
    assert words in err.value.message
    assert err.value.file.name == "gamma.md" and err.value.line == 9
    assert hint in err.value.hint
    assert tree_digest(out) == before


def test_unknown_same_page_label_says_how_to_reach_another_chapter(md):
    with pytest.raises(BuildError) as err:
        md("See @eq:objective.\n")
    assert "@eq:<chapter>/<label>" in err.value.hint


def test_a_slash_after_a_reference_is_still_text(md):
    html, _ = md("$$ a $$ {#eq:one}\n\n$$ b $$ {#eq:two}\n\nSee @eq:one/@eq:two.\n")
    assert '<a class="xref" href="#eq-one">(1)</a>/<a class="xref" href="#eq-two">(2)</a>' in html
