"""The Markdown pipeline piece by piece: headings, tables, footnotes, citations, maths, code."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from sitegen.errors import BuildError
from sitegen.syntax.headings import slugify


def test_slugify():
    assert slugify("The m-step objective") == "the-m-step-objective"
    assert slugify("Réptile: ½ step!") == "reptile-12-step"
    assert slugify("???") == "section"


def test_heading_ids_are_unique_and_feed_the_toc(md):
    html, ctx = md("## Intro\n\n## Intro\n\n### Deeper\n\n#### Not in TOC\n")
    assert re.findall(r'<h\d id="([^"]+)"', html) == ["intro", "intro-2", "deeper", "not-in-toc"]
    assert [(e.level, e.id, e.html) for e in ctx.toc] == [
        (2, "intro", "Intro"), (2, "intro-2", "Intro"), (3, "deeper", "Deeper")]


def test_heading_cannot_take_a_template_id(md):
    html, _ = md("## Main\n")
    assert 'id="main-2"' in html


def test_level_one_heading_is_an_error(md):
    with pytest.raises(BuildError, match="level-2"):
        md("# Title\n")


def test_tables(md):
    html, _ = md("| a | b |\n|---|--:|\n| 1 | 2 |\n")
    assert '<div class="table-wrap" tabindex="0" role="region" aria-label="Table"><table>' in html
    assert '<td style="text-align:right">2</td>' in html


def test_footnotes_follow_the_contract(md):
    html, _ = md("Text[^a] and again[^b] and[^a].\n\n[^a]: First.\n[^b]: Second.\n")
    assert '<sup class="footnote-ref"><a href="#fn-1" id="fnref-1">1</a></sup>' in html
    assert '<sup class="footnote-ref"><a href="#fn-2" id="fnref-2">2</a></sup>' in html
    assert 'id="fnref-1-2"' in html
    assert '<section class="footnotes"' in html and '<li id="fn-1">' in html
    assert html.index('<li id="fn-1">') < html.index('<li id="fn-2">')


def test_citations_numbered_by_first_use(md):
    html, ctx = md("First [@nichol2018], then [@finn2017; @nichol2018], then [@rajeswaran2019].\n")
    assert ctx.citations == {"nichol2018": 1, "finn2017": 2, "rajeswaran2019": 3}
    assert ('<a class="cite" href="#ref-finn2017" data-cite="finn2017">[2]</a>'
            '<a class="cite" href="#ref-nichol2018" data-cite="nichol2018">[1]</a>') in html


def test_bibliography_entry_is_formatted(md):
    from sitegen.syntax.citations import bibliography_html
    _, ctx = md("[@rajeswaran2019]\n")
    html = bibliography_html(ctx.citations, md.inputs.bibliography)
    assert '<section class="bibliography"' in html
    assert '<li id="ref-rajeswaran2019">Aravind Rajeswaran, Chelsea Finn' in html
    assert "<em>Advances in Neural Information Processing Systems</em>" in html and "2019" in html


def test_unknown_citation_key_names_file_line_and_suggestion(md):
    with pytest.raises(BuildError) as err:
        md("Line one.\nLine two cites [@fin2017].\n", line_offset=4)
    assert err.value.line == 6
    assert "@fin2017" in err.value.message and "@finn2017" in err.value.hint
    assert str(err.value.file).endswith("chapters/test.md")


def test_email_and_brackets_are_not_citations(md):
    html, ctx = md("Write to a@example.org or see [the link](http://x.org) [not @cite].\n")
    assert ctx.citations == {}
    assert 'class="cite"' not in html


def test_inline_and_display_maths_are_typeset(md):
    html, _ = md("Inline $x^2$ costs $5 and $6.\n\n$$\n\\frac{a}{b}\n$$\n")
    assert html.count('class="katex"') == 2
    assert "$5 and $6" in html  # digits after `$` are money, not maths
    assert re.search(r'<div class="equation"><span [^>]*class="katex-display"', html)
    assert "$$" not in html


def test_numbered_equations_and_references(md):
    text = "See @eq:second and @eq:first.\n\n$$ a $$ {#eq:first}\n\n$$\nb\n$$ {#eq:second}\n"
    html, ctx = md(text)
    assert ctx.equations == {"first": 1, "second": 2}
    assert '<a class="xref" href="#eq-second">(2)</a>' in html
    assert re.search(r'<div class="equation" id="eq-first">.*?<span class="eq-number">\(1\)</span></div>',
                     html, re.S)


def test_unknown_reference_is_an_error(md):
    with pytest.raises(BuildError, match="@eq:nowhere"):
        md("See @eq:nowhere.\n")
    with pytest.raises(BuildError, match="@fig:nowhere"):
        md("See @fig:nowhere.\n")


def test_bad_latex_names_file_line_and_katex_message(md):
    with pytest.raises(BuildError) as err:
        md("Fine.\n\nBroken $\\frac{a}{$ here.\n", line_offset=5)
    assert err.value.line == 8
    assert "KaTeX" in err.value.message or "Expected" in err.value.message
    assert "\\frac" in err.value.message


def test_unclosed_display_maths(md):
    with pytest.raises(BuildError, match="never closed"):
        md("$$\na = b\n\nText.\n")


def test_fenced_code_is_highlighted(md):
    html, _ = md("```python\nx = 1\n```\n")
    assert '<div class="code" data-lang="python"><div class="highlight">' in html
    assert '<span class="n">x</span>' in html


def test_unknown_code_language(md):
    with pytest.raises(BuildError, match="unknown code language"):
        md("```nosuchlang\nx\n```\n")


def test_maths_cache_avoids_node(md):
    md("Cached $q_1$.\n")
    runs = md.inputs.katex.node_runs
    md("Cached $q_1$ again.\n")
    assert md.inputs.katex.node_runs == runs


def test_code_token_colours_come_from_the_site_palette():
    """One source of token colours: site.css styles Pygments' classes in light and dark mode."""
    css = (Path(__file__).parents[2] / "static/css/site.css").read_text()
    assert ".highlight .k," in css and "var(--code-keyword)" in css
    assert css.count("--code-keyword:") == 2  # the light palette and the dark one
