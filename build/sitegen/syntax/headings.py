"""Heading ids (stable slugs, de-duplicated per page) and the page's table of contents."""
from __future__ import annotations

import re
import unicodedata

from markdown_it import MarkdownIt

from ..context import TocEntry, page

TOC_LEVELS = (2, 3)


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens; stable as long as the heading text is."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "section"


def _plain_text(inline) -> str:
    return "".join(child.content for child in inline.children or []
                   if child.type in ("text", "code_inline", "math_inline"))


def _heading_ids(state) -> None:
    ctx = page(state.env)
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[i + 1]
        level = int(token.tag[1])
        if level == 1:
            raise ctx.error("chapters start at level-2 headings (`##`)", token.map[0],
                            "the chapter title comes from the front matter; use `##` here")
        explicit = token.attrGet("id")
        ident = ctx.unique_id(str(explicit) if explicit else slugify(_plain_text(inline)))
        token.attrSet("id", ident)
        if level in TOC_LEVELS:
            ctx.toc.append(TocEntry(level, ident, inline))


def headings_plugin(md: MarkdownIt) -> None:
    md.core.ruler.push("heading_ids", _heading_ids)


def toc_html(toc: list[TocEntry]) -> str:
    """Nested <ol> of the page's h2/h3 headings."""
    if not toc:
        return ""
    parts, open_sub = ["<ol>"], False
    for i, entry in enumerate(toc):
        link = f'<a href="#{entry.id}">{entry.html}</a>'
        if entry.level == 3 and not open_sub and i > 0:
            parts[-1] = parts[-1].removesuffix("</li>") + "<ol>"
            open_sub = True
        elif entry.level == 2 and open_sub:
            parts.append("</ol></li>")
            open_sub = False
        parts.append(f"<li>{link}</li>")
    if open_sub:
        parts.append("</ol></li>")
    parts.append("</ol>")
    return "\n".join(parts)
