"""Author mistakes that used to build without a word, or end in a traceback, now stop the build.

Each case breaks one input of the fixture article and expects a BuildError that names the file
as the author would type it (never an absolute path), the line, and leaves the previous site
untouched: a key written twice in YAML, a footnote without its other half, a params key the
figure module does not declare, a module that cannot be loaded, a file that is not UTF-8, and
links or images that lead nowhere.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from sitegen.errors import BuildError
from sitegen.figure_params import check_figure_params
from sitegen.syntax.figures import load_registry
from sitegen.project import Project
from sitegen.site import Caches, build
from site_checks import edit, fails_and_keeps_site
from trainers.yamlloader import DuplicateKeyError, load_yaml

FIXTURES = Path(__file__).parent / "fixtures"
REPO_STATIC = Project.at().static
GAMMA_TEXT = "Plain text, no maths"  # gamma.md's only paragraph, line 8


def fixture_text(name: str) -> str:
    return (FIXTURES / "content" / name).read_text(encoding="utf-8")


def assert_located(error: BuildError, file: str, line: int, tmp_path: Path) -> None:
    assert str(error.file) == file, str(error)
    assert error.line == line, str(error)
    assert str(tmp_path) not in str(error), "an absolute path in the message"
    assert error.hint


# --- YAML: a key written twice ----------------------------------------------------------------

FIGURE_ENTRY = """sinusoid-demo:
  module: sinusoid-demo
  params: {graph: sinusoid_predict, model: maml, amplitude: 2.0, phase: 0.5}
  alt: "The model's prediction on [-5, 5] next to a target sinusoid."
  graphs: [sinusoid_predict]
  models: [maml]
"""


@pytest.mark.parametrize("file, old, new, line", [
    ("figures.yaml", FIGURE_ENTRY, FIGURE_ENTRY + "\n" + FIGURE_ENTRY.replace("2.0", "4.0"), 8),
    ("figures.yaml", "amplitude: 2.0,", "amplitude: 2.0, amplitude: 3.0,", 3),
    ("article.yaml", 'subtitle: "', 'title: "Again"\nsubtitle: "', 2),
    ("chapters/gamma.md", 'description: "The last chapter."',
     'description: "The last chapter."\ntitle: "Gamma again"', 4),
])
def test_a_key_written_twice_stops_the_build_at_the_second(project, built_site, tmp_path, file,
                                                            old, new, line):
    edit(project.content / file, old, new)
    error = fails_and_keeps_site(project, built_site, tmp_path)
    assert "defined twice" in error.message and "first on line" in error.message
    assert_located(error, f"content/{file}", line, tmp_path)


def test_the_trainers_configs_refuse_a_key_written_twice():
    with pytest.raises(DuplicateKeyError) as err:
        load_yaml("method: maml\nouter_lr: 1e-3\nseed: 1\nouter_lr: 1e-4\n")
    assert err.value.problem_mark.line + 1 == 4 and err.value.first_mark.line + 1 == 2
    # A key that overrides one merged in with `<<` is not a repetition.
    assert load_yaml("base: &b {a: 1}\nc:\n  <<: *b\n  a: 2\n")["c"] == {"a": 2}


# --- footnotes --------------------------------------------------------------------------------

@pytest.mark.parametrize("inserted, line, words", [
    ("A claim[^missing] to check.\n\n", 8, "[^missing] has no definition"),
    ("A sentence.\n\n[^orphan]: A note nothing refers to.\n\n", 10, "[^orphan] is defined but never"),
    ("One[^twice].\n\n[^twice]: First.\n\n[^twice]: Second.\n\n", 12, "[^twice] is defined twice"),
])
def test_a_footnote_without_its_other_half_stops_the_build(project, built_site, tmp_path,
                                                            inserted, line, words):
    edit(project.content / "chapters/gamma.md", GAMMA_TEXT, inserted + GAMMA_TEXT)
    error = fails_and_keeps_site(project, built_site, tmp_path)
    assert words in error.message
    assert_located(error, "content/chapters/gamma.md", line, tmp_path)


# --- figure params against the module's declaration --------------------------------------------

FOUR_WAYS = """
four-ways:
  module: four-ways
  params:
    grid: 41
    maml: {enabled: true, stpes: 2}
  alt: "Four methods."
"""
HERO = """
hero:
  module: hero
  params: {dataset: comparison, setps: 30}
  alt: "The hero."
"""


@pytest.mark.parametrize("old, new, line, words", [
    ("amplitude: 2.0", "amplitud: 2.0", 3, "declares no param `amplitud`; did you mean `amplitude`?"),
    ("models: [maml]\n", "models: [maml]\n" + FOUR_WAYS, 12,
     "`maml` in static/figures/four-ways.js declares no param `stpes`; did you mean `steps`?"),
    ("models: [maml]\n", "models: [maml]\n" + HERO, 10, "declares no param `setps`"),
])
def test_a_params_key_the_module_does_not_declare_stops_the_build(project, built_site, tmp_path,
                                                                   old, new, line, words):
    edit(project.content / "figures.yaml", old, new)
    error = fails_and_keeps_site(project, built_site, tmp_path)
    assert words in error.message
    assert_located(error, "content/figures.yaml", line, tmp_path)


def test_every_real_figure_keeps_to_its_modules_params():
    real = Project.at()
    check_figure_params(load_registry(real.content / "figures.yaml", "content/figures.yaml",
                                      real.static / "figures"), real)


@pytest.fixture
def own_static(tmp_path: Path) -> Path:
    """A copy of static/ without models, whose figure modules a test may break; beside it, as
    in the repository, the npm packages and a package.json that makes .js files ES modules."""
    static = tmp_path / "static"
    shutil.copytree(REPO_STATIC, static, ignore=shutil.ignore_patterns("models"))
    (tmp_path / "node_modules").symlink_to(Project.at().node_modules)
    (tmp_path / "package.json").write_text('{"type": "module"}\n')
    return static


def line_and_column(text: str, marker: str) -> tuple[int, int]:
    at = text.index(marker)
    return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1


# (text to replace, its replacement, where in the new text the error must point, words)
@pytest.mark.parametrize("old, new, marker, words", [
    ("\nimport {", "\nconst broken = {a: 1,,};\nimport {", ",};", "SyntaxError: Unexpected token ','"),
    ('"./lib/plot.js"', '"./lib/plott.js"', "./lib/plott.js", "Cannot find module"),
    ('"./lib/palette.js"', '"./lib/palette.js";\nimport { nothing } from "./lib/palette.js"',
     "nothing", "does not provide an export named 'nothing'"),
])
def test_a_module_that_cannot_load_is_reported_at_its_line_and_column(
        project, own_static, built_site, tmp_path, old, new, marker, words):
    module = own_static / "figures/sinusoid-demo.js"
    edit(module, old, new)
    line, column = line_and_column(module.read_text(), marker)
    broken = Project.at(content=project.content, static=own_static, models=FIXTURES / "models")
    error = fails_and_keeps_site(broken, built_site, tmp_path)
    assert words in error.message and "figure sinusoid-demo (content/figures.yaml:1)" in error.message
    assert_located(error, "static/figures/sinusoid-demo.js", line, tmp_path)
    assert error.column == column
    assert str(error).startswith(f"static/figures/sinusoid-demo.js:{line}:{column}: ")


def test_a_syntax_error_in_an_imported_helper_is_found_there(project, own_static, built_site,
                                                              tmp_path):
    edit(own_static / "figures/lib/palette.js", "\n", "\nconst x = (;\n")
    broken = Project.at(content=project.content, static=own_static, models=FIXTURES / "models")
    error = fails_and_keeps_site(broken, built_site, tmp_path)
    assert_located(error, "static/figures/lib/palette.js", 2, tmp_path)


# --- files that are not UTF-8 -------------------------------------------------------------------

@pytest.mark.parametrize("file, old, line", [
    ("chapters/gamma.md", GAMMA_TEXT, 8),
    ("figures.yaml", "next to", 4),
    ("article.yaml", "Three short", 3),
    ("references.bib", "Model-Agnostic", 2),
])
def test_a_file_that_is_not_utf8_stops_the_build(project, built_site, tmp_path, file, old, line):
    path = project.content / file
    text = path.read_text()
    path.write_bytes(text.replace(old, "Caf\u00e9 " + old, 1).encode("latin-1"))
    error = fails_and_keeps_site(project, built_site, tmp_path)
    assert "not UTF-8" in error.message and "0xe9" in error.message
    assert "save the file as UTF-8" in error.hint
    assert_located(error, f"content/{file}", line, tmp_path)


def test_a_character_yaml_does_not_allow_is_located(project, built_site, tmp_path):
    edit(project.content / "chapters/gamma.md", 'description: "The', 'description: "\x1fThe')
    error = fails_and_keeps_site(project, built_site, tmp_path)
    assert "U+001F" in error.message
    assert_located(error, "content/chapters/gamma.md", 3, tmp_path)


def test_a_failed_build_leaves_no_formula_behind_for_the_next(project, tmp_path):
    """A formula queued by a build that stopped before typesetting is not the next build's:
    `article serve` keeps its caches across rebuilds."""
    caches = Caches(project)
    gamma = project.content / "chapters/gamma.md"
    good = gamma.read_text()
    gamma.write_text(good.replace(GAMMA_TEXT, "Bad maths $\\frac{1}{$ here.\n\n[x](../nope/)\n\n" + GAMMA_TEXT))
    with pytest.raises(BuildError, match="no chapter `nope`"):
        build(project, tmp_path / "_site", caches)
    gamma.write_text(good)
    build(project, tmp_path / "_site", caches)


# --- links and images that lead nowhere ----------------------------------------------------------

@pytest.mark.parametrize("inserted, words, hint", [
    ("See [the first](../alpah/).\n\n", "there is no chapter `alpah`; did you mean ../alpha/?",
     "../<slug>/"),
    ("See [details](../alpha/#detials).\n\n", "the page alpha has no anchor `#detials`; did you "
     "mean #details?", "#when-it-fails"),
    ("Here [below](#closnig).\n\n", "the page gamma has no anchor `#closnig`; did you mean "
     "#closing?", "lower case"),
    ("![A plot](images/nope.png)\n\n", "no file gamma/images/nope.png", "static/images/"),
    ("A [stray](../../elsewhere/).\n\n", "above the site's root", "../<slug>/"),
])
def test_a_link_or_image_that_leads_nowhere_stops_the_build(project, built_site, tmp_path,
                                                             inserted, words, hint):
    edit(project.content / "chapters/gamma.md", GAMMA_TEXT, inserted + GAMMA_TEXT)
    error = fails_and_keeps_site(project, built_site, tmp_path)
    assert words in error.message and hint in error.hint
    assert_located(error, "content/chapters/gamma.md", 8, tmp_path)


def test_links_that_work_build(project, own_static, tmp_path):
    listed = re.search(r"^::: listing (\S+)", fixture_text("chapters/alpha.md"), re.M).group(1)
    static = own_static
    (static / "images").mkdir()
    (static / "images/plot.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    edit(project.content / "chapters/gamma.md", GAMMA_TEXT,
         "[Alpha's details](../alpha/#details), [here](#closing), [home](../), "
         f"[the code](../source/{listed}.html), [a model](../models/manifest.json), "
         "[a site](https://example.org/#x), [mail](mailto:a@b.c).\n\n"
         "![A plot](../images/plot.svg)\n\n" + GAMMA_TEXT)
    build(Project.at(content=project.content, static=static, models=FIXTURES / "models"),
          tmp_path / "_site")
    assert (tmp_path / "_site/images/plot.svg").is_file()
