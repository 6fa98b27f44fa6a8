"""Citations: `[@key; @key2]` in Markdown, numbered per page, formatted from references.bib.

The bibliography entry is rendered once with pybtex (unsrt style, HTML backend); the same HTML
fills the page's bibliography, which the front end also uses for the citation's hover card.
"""
from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from ..context import iter_tokens, opens_with, page, pattern_rule
from ..errors import BuildError
from ..textfiles import read_utf8

KEY = r"[A-Za-z0-9_][A-Za-z0-9_:.+-]*"
CITE = re.compile(r"\[\s*@(" + KEY + r")((?:\s*;\s*@" + KEY + r")*)\s*\]")
PROTECTED = re.compile(r'<span class="bibtex-protected">(.*?)</span>', re.S)
LATEX_URL = re.compile(r"\\url\{([^}]*)\}")


@dataclass(frozen=True)
class Reference:
    key: str
    html: str      # formatted entry (authors, title, venue, year, links)
    line: int      # where the entry starts in references.bib


class Bibliography:
    """references.bib, parsed and formatted once (cached by file mtime in `serve`)."""

    def __init__(self, file: Path, references: dict[str, Reference]) -> None:
        self.file = file
        self.references = references

    def __contains__(self, key: str) -> bool:
        return key in self.references

    def get(self, key: str) -> Reference:
        return self.references[key]

    def suggest(self, key: str) -> list[str]:
        return difflib.get_close_matches(key, list(self.references), n=3)


def _entry_lines(text: str) -> dict[str, int]:
    lines = {}
    for match in re.finditer(r"@\s*\w+\s*[{(]\s*([^,\s]+)\s*,", text):
        lines[match.group(1)] = text.count("\n", 0, match.start()) + 1
    return lines


def load_bibliography(file: Path, display: str | None = None) -> Bibliography:
    """Parse and format every entry; an entry pybtex cannot format is an error at its line."""
    from pybtex.database import parse_string  # imported here: only builds that cite need it
    from pybtex.plugin import find_plugin

    shown = display or str(file)
    if not file.exists():
        return Bibliography(file, {})
    text = read_utf8(file, shown)
    lines = _entry_lines(text)
    try:
        data = parse_string(LATEX_URL.sub(r"\1", text), "bibtex")
    except Exception as exc:  # pybtex raises several unrelated types for syntax errors
        raise BuildError(f"cannot parse references.bib: {exc}", shown, None,
                         "check braces and commas around the entry named in the message") from None
    style = find_plugin("pybtex.style.formatting", "unsrt")()
    backend = find_plugin("pybtex.backends", "html")()
    references = {}
    for key in sorted(data.entries):
        entry = data.entries[key]
        try:
            formatted = style.format_entry(key, entry)
        except Exception as exc:
            raise BuildError(f"cannot format reference {key!r}: {exc}", shown, lines.get(key),
                             "add the missing field (author, title, year, and a venue)") from None
        rendered = PROTECTED.sub(r"\1", formatted.text.render(backend)).replace("\n", " ")
        references[key] = Reference(key, rendered.strip(), lines.get(key, 0))
    return Bibliography(file, references)


# --- Markdown side -------------------------------------------------------------------------

def _cited_keys(match: re.Match) -> dict:
    return {"keys": re.findall(r"@(" + KEY + r")", match.group(0))}


_cite_rule = pattern_rule("cite", CITE, _cited_keys, opens_with("["))


def _number_citations(state) -> None:
    ctx = page(state.env)
    bib = ctx.site.bibliography
    for token, line in iter_tokens(state.tokens):
        if token.type != "cite":
            continue
        for key in token.meta["keys"]:
            if key not in bib:
                near = bib.suggest(key)
                hint = (f"did you mean {', '.join('@' + k for k in near)}? " if near else "") + \
                    "add the entry to content/references.bib or fix the key"
                raise ctx.error(f"unknown citation key @{key}", line, hint)
            ctx.citations.setdefault(key, len(ctx.citations) + 1)


def _render_cite(self, tokens, idx, options, env) -> str:
    ctx = page(env)
    return "".join(
        f'<a class="cite" href="#ref-{html.escape(key)}" data-cite="{html.escape(key)}">'
        f"[{ctx.citations[key]}]</a>"
        for key in tokens[idx].meta["keys"])


def citations_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.before("link", "cite", _cite_rule)
    md.core.ruler.push("number_citations", _number_citations)
    md.add_render_rule("cite", _render_cite)


def bibliography_html(citations: dict[str, int], bib: Bibliography) -> str:
    """The page's bibliography, in citation order; empty when the page cites nothing."""
    if not citations:
        return ""
    items = "\n".join(f'<li id="ref-{html.escape(key)}">{bib.get(key).html}</li>'
                      for key in sorted(citations, key=citations.get))
    return (f'<section class="bibliography" aria-labelledby="references-heading">\n'
            f'<h2 id="references-heading">References</h2>\n<ol>\n{items}\n</ol>\n</section>')
