"""Fixtures for the site builder's tests: a copy of the fixture article, a Markdown renderer.

Builds run on tests/site/fixtures/content (a three-chapter article using every feature) and
tests/site/fixtures/models (a tiny graph with the prediction graph's interface), copied into a
temporary folder when a test needs to break something.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sitegen.context import PageContext, SiteInputs
from sitegen.syntax.figures import load_registry
from sitegen.syntax.manifest import Manifest
from sitegen.syntax import create_parser, parse, render
from sitegen.syntax.maths import KatexRenderer
from sitegen.project import Project
from sitegen.site import TEMPLATE_IDS, Caches
from sitegen.syntax.citations import load_bibliography

FIXTURES = Path(__file__).parent / "fixtures"
CONTENT = FIXTURES / "content"
MODELS = FIXTURES / "models"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A writable copy of the fixture content."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


@pytest.fixture
def project(content: Path) -> Project:
    return Project.at(content=content, models=MODELS)


@pytest.fixture(scope="session")
def fixture_project() -> Project:
    return Project.at(content=CONTENT, models=MODELS)


@pytest.fixture(scope="session")
def built_site(fixture_project: Project, tmp_path_factory) -> Path:
    """The fixture article built once for the read-only assertions."""
    from sitegen.site import build
    out = tmp_path_factory.mktemp("built") / "_site"
    build(fixture_project, out)
    return out


@pytest.fixture(scope="session")
def katex() -> KatexRenderer:
    """One renderer for all Markdown tests, so each formula costs Node only once."""
    return KatexRenderer(Project.at().node_modules)


class Renderer:
    """Parse and render one Markdown page against the fixture inputs."""

    def __init__(self, project: Project, katex: KatexRenderer) -> None:
        self.project = project
        self.md = create_parser()
        self.inputs = SiteInputs(
            project=project,
            bibliography=load_bibliography(project.content / "references.bib"),
            figures=load_registry(project.content / "figures.yaml", "figures.yaml",
                                  project.static / "figures"),
            manifest=Manifest(project.models / "manifest.json"),
            katex=katex)

    def __call__(self, text: str, line_offset: int = 0) -> tuple[str, PageContext]:
        ctx = PageContext(file=self.project.content / "chapters/test.md", line_offset=line_offset,
                          site=self.inputs, ids=set(TEMPLATE_IDS))
        tokens, env = parse(self.md, text, ctx)
        self.inputs.katex.render_pending()
        return render(self.md, tokens, env), ctx


@pytest.fixture
def md(fixture_project: Project, katex: KatexRenderer) -> Renderer:
    return Renderer(fixture_project, katex)


@pytest.fixture
def caches(project: Project) -> Caches:
    return Caches(project)
