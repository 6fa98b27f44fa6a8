"""The article speaks to readers: no build or test vocabulary in its prose or captions.

Words such as "manifest", "committed run" or "eager mode" name the machinery that makes the
article, not anything a reader sees. They are allowed where the machinery is the subject: code
blocks (`pre`) and the appendix on rebuilding the site and the footer, which every page carries.
Code within a sentence is read: "as `article cost` measured them" is build vocabulary in a
caption. The source pages (highlighted trainers' files) are code throughout and are not read.

The site is built once from the real content/ (or ARTICLE_SITE_DIR, an existing build).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from sitegen.errors import BuildError
from sitegen.project import Project
from sitegen.site import build
from sitegen.wordcount import prose_blocks

# Build and test words, each with the reader's wording it stands for.
BUILD_VOCABULARY = {
    r"\bmanifests?\b": "say what the number is, not the file it is stored in",
    r"\bcommitted\b": "\"our final run\", \"the final parameters\"",
    r"\barticle (?:build|serve|train|evaluate|export|cost|cosine)\b": "\"as we measured them\"",
    r"\beager(?: mode)?\b": "\"without compilation\"",
    r"\bexport(?:ed|s|ing)?\b": "say what the figure computes",
    r"\btest suite\b|\bthe tests\b|\bour tests\b|\btests? (?:check|checks|verify|verifies)\b":
        "say once, in the Introduction, how the figures are checked",
    r"\bunit tests?\b|\bpytest\b|\bplaywright\b": "say what was checked, not with which tool",
    r"\bcheckpoints?\b": "\"the parameters after n iterations\"",
    r"\bthe repository\b|\bthe repo\b": "the appendix says how to rebuild",
}
# The page furniture that is not prose: the appendix (how to rebuild), the footer (how the site
# is made), the bibliography (titles as published), the contents and the chapter menu.
SKIPPED = frozenset({"appendix", "site-footer", "bibliography", "toc", "site-nav", "skip-link"})


@pytest.fixture(scope="module")
def built_pages(tmp_path_factory) -> dict[str, str]:
    """Each chapter page and the title page of a build of the real content, by path."""
    given = os.environ.get("ARTICLE_SITE_DIR")
    if given:
        out = Path(given)
    else:
        out = tmp_path_factory.mktemp("reader") / "_site"
        try:
            build(Project.at(), out)
        except BuildError as exc:
            pytest.skip(f"the real content does not build yet: {exc}")
    return {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(out.rglob("index.html")) if "source" not in p.relative_to(out).parts}


def build_words_in(html: str) -> list[str]:
    """Each use of build vocabulary in the page's prose: the words, the fix, the sentence."""
    found = []
    for block in prose_blocks(html, SKIPPED, inline_code=True):
        for pattern, fix in BUILD_VOCABULARY.items():
            for match in re.finditer(pattern, block, flags=re.IGNORECASE):
                start = max(0, match.start() - 60)
                found.append(f"{match.group(0)!r} ({fix}): …{block[start:match.end() + 60]}…")
    return found


def test_no_build_vocabulary_in_prose_or_captions(built_pages):
    found = [f"{path}: {use}" for path, html in built_pages.items() for use in build_words_in(html)]
    assert not found, f"{len(found)} uses of build vocabulary:\n  " + "\n  ".join(found)


def test_code_blocks_and_the_appendix_may_name_the_machinery():
    html = ('<p>The figure runs in your browser.</p><pre><code>article build</code></pre>'
            '<section class="appendix"><p>From the repository: article build.</p></section>'
            '<footer class="site-footer"><p>Built with <code>article build</code>.</p></footer>')
    assert build_words_in(html) == []


def test_captions_and_code_in_a_sentence_are_read():
    assert len(build_words_in("<figcaption>A diamond marks the committed run.</figcaption>")) == 1
    assert len(build_words_in("<p>Times as <code>article cost</code> measured them.</p>")) == 1
