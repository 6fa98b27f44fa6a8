"""The Markdown parser: markdown-it-py (CommonMark + tables) with the article's plugins.

Parsing and rendering are separate steps because maths is typeset in one batch between them:
parse every page (collecting formulas, citations, labels and errors), run KaTeX once, render.
Plugin order matters: core rules that number things run before the ones that refer to them.

Each extension of the Markdown syntax is a module of this package; strict.py, registered last,
turns syntax that none of them consumed into an error with the author's line.
"""
from __future__ import annotations

import html

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..context import PageContext
from .citations import citations_plugin
from .claims import claims_plugin
from .equations import equations_plugin
from .figures import figures_plugin
from .footnotes import footnotes_plugin
from .headings import headings_plugin
from .highlight import fences_plugin, unique_label
from .links import links_plugin
from .listings import listings_plugin
from .manifest import manifest_plugin
from .strict import strict_syntax_plugin
from .xrefs import xrefs_plugin


def create_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(footnotes_plugin)
    md.use(headings_plugin)
    md.use(equations_plugin)     # numbers equations
    md.use(figures_plugin)       # numbers figures
    md.use(listings_plugin)
    md.use(manifest_plugin)
    md.use(claims_plugin)        # after the manifest's values: a failed claim quotes them
    md.use(citations_plugin)     # numbers citations in reading order (footnotes last)
    md.use(xrefs_plugin)         # refers to equation and figure numbers
    md.use(fences_plugin)
    md.use(links_plugin)         # collects links and images, checked once every page is parsed
    md.add_render_rule("table_open", _table_open)
    md.add_render_rule("table_close", _table_close)
    md.add_render_rule("td_open", _cell_open)
    md.use(strict_syntax_plugin)  # last: it wraps every directive the plugins above registered
    return md


def _table_open(self, tokens, idx, options, env) -> str:
    # Wide tables scroll sideways inside their wrapper, which the keyboard must be able to reach:
    # a focusable region with a label that is unique on the page (axe: scrollable regions).
    label = html.escape(unique_label(env, "Table"), quote=True)
    return (f'<div class="table-wrap" tabindex="0" role="region" aria-label="{label}">'
            + self.renderToken(tokens, idx, options, env))


def _table_close(self, tokens, idx, options, env) -> str:
    return self.renderToken(tokens, idx, options, env) + "</div>\n"


def _cell_open(self, tokens, idx, options, env) -> str:
    # A cell holding a value with its interval ("98.7 ± 0.4") must not break inside (site.css).
    content = tokens[idx + 1].content if idx + 1 < len(tokens) else ""
    if "\u00b1" in content:
        tokens[idx].attrJoin("class", "estimate")
    return self.renderToken(tokens, idx, options, env)


def parse(md: MarkdownIt, text: str, ctx: PageContext) -> tuple[list[Token], dict]:
    env = {"page": ctx}
    return md.parse(text, env), env


def render(md: MarkdownIt, tokens: list[Token], env: dict) -> str:
    ctx: PageContext = env["page"]
    for entry in ctx.toc:
        entry.html = md.renderer.render(entry.inline.children or [], md.options, env)
    return md.renderer.render(tokens, md.options, env)
