"""article.yaml and chapter front matter: valid input loads, bad input names file and line."""
from __future__ import annotations

import pytest

from sitegen.chapters import load_chapter, parse_chapter
from sitegen.config import load_article
from sitegen.errors import BuildError


def test_article_loads(project):
    article = load_article(project)
    assert article.chapters == ("alpha", "beta", "gamma")
    assert article.date == "2025-03-14"
    assert [a.name for a in article.authors] == ["Ada Lovelace", "Alan Turing"]
    assert article.url == ""


def test_unknown_chapter_in_order_names_its_line(project):
    path = project.content / "article.yaml"
    path.write_text(path.read_text().replace("  - gamma", "  - gamma\n  - delta"))
    with pytest.raises(BuildError) as err:
        load_article(project)
    assert err.value.file.name == "article.yaml"
    assert err.value.line == 16
    assert "delta" in err.value.message and "chapters/delta.md" in err.value.hint


def test_article_missing_title(project):
    path = project.content / "article.yaml"
    path.write_text(path.read_text().replace('title: "Fixture Article"\n', ""))
    with pytest.raises(BuildError, match="title"):
        load_article(project)


def test_chapter_front_matter(project):
    chapter = load_chapter(project.content, "beta")
    assert chapter.title == "Beta: planned"
    assert chapter.in_preparation
    assert chapter.body_line == 5
    assert load_chapter(project.content, "gamma").status == "ready"


@pytest.mark.parametrize("text, line, words", [
    ("no front matter\n", 1, "missing front matter"),
    ("---\ntitle: x\n", 1, "never closed"),
    ("---\ntitle: [unclosed\ndescription: d\n---\nbody\n", 3, "invalid YAML"),
    ("---\ndescription: d\n---\n", 2, "title"),
    ("---\ntitle: t\ndescription: d\nstatus: done\n---\n", 4, "unknown status"),
])
def test_broken_front_matter(tmp_path, text, line, words):
    with pytest.raises(BuildError) as err:
        parse_chapter("x", text, tmp_path / "x.md")
    assert err.value.line == line
    assert words in err.value.message
    assert err.value.hint


def test_site_yaml_reads_scientific_notation_as_the_trainers_configs_do(tmp_path):
    """One YAML loader for the project: `1e-3` in a figure's params is a number, as in a training
    config; quoted, it stays text."""
    from sitegen import yamlfile
    from trainers.config import parse_override

    data, lines = yamlfile.parse("fig:\n  params: {step: 1e-3, big: 2.5E4, text: \"1e-3\"}\n", tmp_path / "figures.yaml")
    assert data["fig"]["params"] == {"step": 0.001, "big": 25000.0, "text": "1e-3"}
    assert lines[("fig", "params")] == 2
    assert parse_override("outer_lr=1e-3") == ("outer_lr", 0.001)
