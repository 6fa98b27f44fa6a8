"""Claims that check themselves: `{{claim: A < B}}` beside a sentence that compares results.

A claim that holds renders to nothing and is counted; one that does not stops the build with the
file, the line, the sentence and every value; a claim the grammar cannot read stops it at its
line; and every claim of the real chapters holds for the committed models.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from sitegen import site as site_module
from sitegen.syntax.citations import load_bibliography
from sitegen.syntax.claims import ClaimSyntaxError, checked_claims, evaluate, parse_condition
from sitegen.cli import main
from sitegen.config import load_article
from sitegen.context import PageContext, SiteInputs
from sitegen.chapters import load_chapter
from sitegen.errors import BuildError
from sitegen.syntax.figures import load_registry
from sitegen.syntax.manifest import Manifest
from sitegen.syntax import create_parser, parse
from sitegen.syntax.maths import KatexRenderer
from sitegen.project import Project
from sitegen.serve import DevServer
from sitegen.site import TEMPLATE_IDS, BuildResult, build

# The strict build's helpers: edit a copied chapter; build over a copy of a good site and
# check it is left as it was.
from test_site_strict import edit, fails_and_keeps_site

ONE_STEP = "models.maml.evaluation.K5.mean.1"    # 1.5 in the fixture manifest
TEN_STEPS = "models.maml.evaluation.K5.mean.10"  # 0.2727...
SENTENCE = "The MAML model's error after one step is {{manifest:models.maml.evaluation.K5.mean.1:.2f}}."


# --- the grammar -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fixture_manifest() -> Manifest:
    return Manifest(Path(__file__).parent / "fixtures" / "models" / "manifest.json")


@pytest.mark.parametrize("condition, holds", [
    (f"{TEN_STEPS} < {ONE_STEP}", True),
    (f"{TEN_STEPS} > {ONE_STEP}", False),
    (f"{TEN_STEPS} <= 0.2 * {ONE_STEP}", True),               # "five times lower"
    (f"{TEN_STEPS} < 0.1 * {ONE_STEP}", False),
    (f"abs({ONE_STEP} - 1.49) <= 0.01 * {ONE_STEP}", True),   # "within 1 %"
    (f"{ONE_STEP} - {TEN_STEPS} >= 1.2", True),
    (f"0 < {TEN_STEPS} < {ONE_STEP} < 2", True),               # a chain, as in maths
    (f"0 < {TEN_STEPS} < {ONE_STEP} < 1", False),
    (f"{TEN_STEPS} < {ONE_STEP} and {ONE_STEP} / 2 > 1", False),
    ("-(1 + 1) < -1.5e0", True),
    (f"{ONE_STEP} == 1.5 and models.maml.iterations == 10", True),
])
def test_conditions_are_evaluated_against_the_manifest(fixture_manifest, condition, holds):
    assert evaluate(parse_condition(condition), fixture_manifest).holds is holds


@pytest.mark.parametrize("condition, says", [
    ("", "empty"),
    (f"{ONE_STEP}", "expected a comparison"),
    (f"{ONE_STEP} < ", "ends too early"),
    (f"{ONE_STEP} = 1.5", "cannot read '="),
    (f"{ONE_STEP} < (1 + 2", "expected `)`"),
    ("__import__('os') < 1", "cannot read"),   # no Python: names are manifest paths only
    (f"{ONE_STEP} < 1 and", "ends too early"),
])
def test_malformed_conditions_say_what_is_wrong(condition, says):
    with pytest.raises(ClaimSyntaxError, match=None) as err:
        parse_condition(condition)
    assert says in str(err.value)


# --- in a build --------------------------------------------------------------------------------

def test_a_claim_that_holds_builds_renders_to_nothing_and_is_counted(project, tmp_path):
    chapter = project.content / "chapters/alpha.md"
    edit(chapter, SENTENCE, SENTENCE.removesuffix(".") + f", lower than before.{{{{claim: {TEN_STEPS} < {ONE_STEP}}}}}")
    result = build(project, tmp_path / "_site")
    assert result.claims == 1
    html = (tmp_path / "_site/alpha/index.html").read_text(encoding="utf-8")
    assert "lower than before.</p>" in html and "claim" not in html.split("lower than before.")[1][:20]


def test_a_claim_that_fails_stops_the_build_naming_file_line_sentence_and_values(
        project, built_site, tmp_path):
    chapter = project.content / "chapters/alpha.md"
    claim = f"{{{{claim: {ONE_STEP} < 0.5 * {TEN_STEPS}}}}}"
    edit(chapter, SENTENCE, "First sentence. " + SENTENCE.removesuffix(".")
         + f",\nfar better than ten steps.{claim} Next sentence.")
    line = chapter.read_text().splitlines().index("far better than ten steps." + claim + " Next sentence.") + 1
    err = fails_and_keeps_site(project, built_site, tmp_path)
    text = str(err)
    assert str(err.file).endswith("chapters/alpha.md") and err.line == line
    assert f"alpha.md:{line}:" in text
    # The sentence as the reader sees it (the printed value, not its marker), and only it.
    assert "sentence: The MAML model's error after one step is 1.50, far better than ten steps." in text
    assert "First sentence" not in text and "Next sentence" not in text
    assert f"{ONE_STEP} = 1.5" in text and f"{TEN_STEPS} = 0.272727" in text
    assert "1.5 < 0.136364 is false" in text
    assert "rewrite the sentence" in (err.hint or "")


def test_a_claim_inside_a_sentence_quotes_that_sentence(project, built_site, tmp_path):
    chapter = project.content / "chapters/alpha.md"
    edit(chapter, SENTENCE, f"Before. The error falls{{{{claim: {ONE_STEP} < {TEN_STEPS}}}}} with steps. After.")
    err = fails_and_keeps_site(project, built_site, tmp_path)
    assert "sentence: The error falls with steps." in str(err)


@pytest.mark.parametrize("claim, says", [
    (f"{ONE_STEP} <", "the claim ends too early"),
    ("models.maml.evaluation.K5.men.1 < 2", "manifest has no 'men'"),
    ("models.maml.evaluation.K5 < 2", "is not a number"),
])
def test_a_malformed_claim_stops_the_build_at_its_line(project, built_site, tmp_path, claim, says):
    chapter = project.content / "chapters/alpha.md"
    edit(chapter, SENTENCE, "A sentence.\nIt says so.{{claim: " + claim + "}}")
    line = chapter.read_text().splitlines().index("It says so.{{claim: " + claim + "}}") + 1
    err = fails_and_keeps_site(project, built_site, tmp_path)
    assert str(err.file).endswith("chapters/alpha.md") and err.line == line
    assert says in err.message


@pytest.mark.parametrize("text, line", [
    ("Text.[^n]\n\n[^n]: A note: one step beats ten.{{claim: " + ONE_STEP + " < " + TEN_STEPS + "}}\n", 3),
    ("| a | b |\n|---|---|\n| one step beats ten{{claim: " + ONE_STEP + " < " + TEN_STEPS + "}} | y |\n", 3),
    ("::: figure sinusoid-demo\nA caption: one step beats ten.{{claim: " + ONE_STEP + " < " + TEN_STEPS + "}}\n:::\n", 2),
])
def test_claims_are_checked_in_footnotes_tables_and_captions(md, text, line):
    with pytest.raises(BuildError) as err:
        md(text)
    assert err.value.line == line and "one step beats ten" in str(err.value)


def test_a_claim_in_code_is_text(md):
    html, _ = md("Write `{{claim: 2 < 1}}` after the sentence.\n")
    assert "<code>{{claim: 2 &lt; 1}}</code>" in html


def test_serve_shows_a_failed_claim_like_any_build_error(project, tmp_path):
    """The development server keeps the last good site and sends the message to the page."""
    dev = DevServer(project, tmp_path / "_site", port=0, log=lambda message: None)
    try:
        assert dev.rebuild() and dev.state.error is None
        edit(project.content / "chapters/alpha.md", SENTENCE,
             f"One step beats ten.{{{{claim: {ONE_STEP} < {TEN_STEPS}}}}}")
        assert not dev.rebuild()
        assert "sentence: One step beats ten." in dev.state.error
        assert f"{ONE_STEP} = 1.5" in dev.state.error
        assert (tmp_path / "_site/alpha/index.html").is_file()
    finally:
        dev.stop()


def test_build_prints_how_many_claims_it_checked(monkeypatch, tmp_path, capsys):
    def fake_build(project, out, base_url=None):
        return BuildResult(out, ["index.html"], 0.1, {"alpha": 10}, claims=7)
    monkeypatch.setattr(site_module, "build", fake_build)
    assert main(["build", "--out", str(tmp_path / "_site")]) == 0
    assert "claims checked against the models' manifest: 7" in capsys.readouterr().out


# --- the real chapters -------------------------------------------------------------------------

def test_every_claim_in_the_chapters_holds_for_the_committed_models():
    """Parsing checks the claims, so parsing every chapter against the real manifest is enough
    (no pictures, no maths typeset): a claim that fails raises BuildError here."""
    project = Project.at()
    figures_file = project.content / "figures.yaml"
    inputs = SiteInputs(project=project,
                        bibliography=load_bibliography(project.content / "references.bib"),
                        figures=load_registry(figures_file, "figures.yaml", project.static / "figures"),
                        manifest=Manifest(project.models / "manifest.json"),
                        katex=KatexRenderer(project.node_modules))
    md = create_parser()
    counts = {}
    for slug in load_article(project).chapters:
        chapter = load_chapter(project.content, slug)
        ctx = PageContext(file=chapter.file, line_offset=chapter.body_line, site=inputs,
                          ids=set(TEMPLATE_IDS))
        try:
            _, env = parse(md, chapter.body, ctx)
        except BuildError as exc:
            pytest.fail(f"a claim or the chapter does not hold:\n{exc}")
        counts[slug] = checked_claims(env)
    # The chapters that discuss results carry their comparisons.
    for slug in ("comparison", "reptile", "imaml", "first-order-maml", "meta-gradient-cost"):
        assert counts[slug] >= 1, counts
    assert sum(counts.values()) >= 20, counts
