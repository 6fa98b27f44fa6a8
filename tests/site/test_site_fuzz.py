"""Random Markdown, front matter and YAML thrown at the build: it ends in a site or a located
BuildError, never a traceback.

Each example writes a scratch copy of the fixture article (article.yaml, figures.yaml,
references.bib, three chapters) with one or two files broken: random text or pieces of the
article's syntax spliced in, or random text alone, sometimes not UTF-8; then builds it. The build must either succeed
or raise a BuildError that names a file, relative to the repository, never absolute. One set of
caches serves every example, as `article serve` keeps them between rebuilds, so an example costs
a warm build. The examples are derived from a fixed seed (`derandomize`), so CI is repeatable;
raise FUZZ_EXAMPLES and set FUZZ_RANDOM locally to look further.
"""
from __future__ import annotations

import functools
import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sitegen.errors import BuildError
from sitegen.project import Project
from sitegen.site import Caches, build

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))

# Pieces of the article's syntax, right and wrong, for the random text to be made of.
SNIPPETS = [
    "::: figure sinusoid-demo\n", "::: figure nope\n", ":::\n", "::: results\n", "::: listing trainers/sinusoid_mlp.py forward\n",
    "::: listing nope.py f\n", ":::: figure\n", "[^a]", "[^a]: A note.\n", "[^b]", "[^]", "[link](../alpha/)",
    "[x](#closing)", "[y](#nowhere)", "[z](../nope/)", "[w](../alpha/#objective)", "![i](images/x.png)",
    "![i](../models/manifest.json)", "[m](mailto:a@b.c)", "[h](https://example.org)", "[e]()", "[r][ref]\n\n[ref]: ../beta/\n",
    "$x$", "$", "$$", "$$\nx^2\n$$ {#eq:a}\n", "$$ x $$ {#eq:a}", "@eq:a", "@eq:alpha/objective", "@fig:sinusoid-demo",
    "@fig:nope", "[@finn2017]", "[@nope]", "[@finn2017; @nichol2018]", "\\alpha", "\\$", "$\\frac{1}{$",
    "{{manifest:models.maml.evaluation.K5.mean.1:.2f}}", "{{manifest:nope}}", "{{manifest:", "{{claim: 1 < 2}}",
    "{{claim: models.maml.evaluation.K5.mean.1 < 0}}", "{{claim: (}}", "## Heading\n", "# Title\n", "### Sub\n",
    "| a | b |\n|---|---|\n| 1 ± 2 | 2 |\n", "```python\nx = 1\n```\n", "```\n", "<div id=\"q\">", "</div>", "<code>\\alpha</code>",
    "- item\n", "> quote\n", "\n\n", "\n", "   ", "\t", "*", "_", "`", "[", "]", "(", ")", "{", "}", "#", "!", "<", ">",
    "|", "\\", "^", "~", ":", "---\n", "\u00e9", "\u2014", "\u0000", "\ufeff", "\r\n",
]
YAML_SNIPPETS = [
    ": ", "- ", "\n", "  ", "\t", "'", '"', "{", "}", "[", "]", ",", "#", "&a ", "*a", "<<: *a\n", "!!python/object:x ",
    "title: T\n", "title: T\n", "status: draft\n", "status: in-preparation\n", "chapters: [alpha]\n", "date: 2025-13-45\n",
    "date: 2025-03-14\n", "authors: []\n", "macros: {x: 1}\n", "module: sinusoid-demo\n", "params: {amplitud: 1}\n",
    "params: {amplitude: 1e-3}\n", "params: {on: 1}\n", "alt: \"\"\n", "models: [nope]\n", "graphs: [nope]\n", "1: 2\n",
    "? [a]\n: b\n", "hero_caption: x\n", "url: x\n", "---\n", "...\n", "%YAML 1.2\n", "\u00e9",
]


def fixture(name: str) -> str:
    return (FIXTURES / "content" / name).read_text(encoding="utf-8")


def mutated(original: str, pieces: list[str]) -> st.SearchStrategy[str | bytes]:
    """The original text spliced with random pieces at random places, or random text alone;
    now and then encoded in Latin-1 (not UTF-8 once it holds a non-ASCII character)."""
    noise = st.lists(st.one_of(st.sampled_from(pieces), st.text(max_size=8)), max_size=8).map("".join)

    @st.composite
    def spliced(draw) -> str:
        text = original
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(text)))
            cut = draw(st.integers(0, 12)) * draw(st.booleans())
            text = text[:at] + draw(noise) + text[at + cut:]
        return text

    latin1 = spliced().map(lambda s: s.encode("latin-1", "replace"))
    return st.one_of(spliced(), spliced(), spliced(), noise, latin1)


def front_and_body(name: str) -> st.SearchStrategy[bytes]:
    """A chapter whose front matter and body are mutated each on its own."""
    front, body = fixture(name).split("---\n", 2)[1:]
    return st.tuples(st.one_of(st.just(front), mutated(front, YAML_SNIPPETS)),
                     mutated(body, SNIPPETS)).map(lambda parts: _join_front_matter(*parts))


def _join_front_matter(front: str | bytes, body: str | bytes) -> bytes:
    as_bytes = [p if isinstance(p, bytes) else p.encode("utf-8") for p in (front, body)]
    return b"---\n" + as_bytes[0] + b"---\n" + as_bytes[1]


# How each file may go wrong; an example breaks one or two files and keeps the others, so that
# most examples get past the files read first to the errors of the one broken.
FILES = ("article.yaml", "figures.yaml", "references.bib", "chapters/alpha.md",
         "chapters/beta.md", "chapters/gamma.md")
BREAKAGES = {
    "article.yaml": mutated(fixture("article.yaml"), YAML_SNIPPETS),
    "figures.yaml": mutated(fixture("figures.yaml"), YAML_SNIPPETS),
    "references.bib": mutated(fixture("references.bib"), ["@", "{", "}", ",", "=", "\u00e9"]),
    **{name: st.one_of(mutated(fixture(name), SNIPPETS), front_and_body(name))
       for name in FILES if name.endswith(".md")},
}


@st.composite
def articles(draw) -> dict[str, str | bytes]:
    broken = draw(st.sets(st.sampled_from(FILES), min_size=1, max_size=2))
    return {name: draw(BREAKAGES[name]) if name in broken else fixture(name) for name in FILES}


@functools.cache
def shared_caches() -> Caches:
    return Caches(Project.at(content=FIXTURES / "content", models=FIXTURES / "models"))


@settings(max_examples=EXAMPLES, derandomize="FUZZ_RANDOM" not in os.environ, database=None, deadline=timedelta(seconds=30),
          suppress_health_check=[HealthCheck.too_slow])
@given(files=articles())
def test_the_build_ends_in_a_site_or_a_located_error(files):
    with tempfile.TemporaryDirectory(prefix="fuzz-") as scratch:
        content = Path(scratch) / "content"
        for name, text in files.items():
            path = content / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(text, encoding="utf-8")
        project = Project.at(content=content, models=FIXTURES / "models")
        out = Path(scratch) / "_site"
        try:
            build(project, out, shared_caches())
        except BuildError as error:
            event("stopped", f"{error.file}")
            assert error.file is not None, f"no file in: {error}"
            assert not error.file.is_absolute(), f"an absolute path in: {error}"
            assert scratch not in str(error), f"an absolute path in: {error}"
            assert not out.exists()
        else:
            event("stopped", "built")
            assert (out / "index.html").is_file()
        shutil.rmtree(out, ignore_errors=True)
