"""The Markdown parser: markdown-it-py (CommonMark + tables) with the article's plugins.

Parsing and rendering are separate steps because maths is typeset in one batch between them:
parse every page (collecting formulas, citations, labels and errors), run KaTeX once, render.
Plugin order matters: core rules that number things run before the ones that refer to them.
"""
from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .citations import citations_plugin
from .context import PageContext
from .equations import equations_plugin
from .figures import figures_plugin
from .footnotes import footnotes_plugin
from .headings import headings_plugin
from .highlight import fences_plugin
from .listings import listings_plugin
from .manifest import manifest_plugin
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
    md.use(citations_plugin)     # numbers citations in reading order (footnotes last)
    md.use(xrefs_plugin)         # refers to equation and figure numbers
    md.use(fences_plugin)
    md.add_render_rule("table_open", _table_open)
    md.add_render_rule("table_close", _table_close)
    return md


def _table_open(self, tokens, idx, options, env) -> str:
    # Wide tables scroll sideways inside their wrapper instead of widening the page.
    return '<div class="table-wrap">' + self.renderToken(tokens, idx, options, env)


def _table_close(self, tokens, idx, options, env) -> str:
    return self.renderToken(tokens, idx, options, env) + "</div>\n"


def parse(md: MarkdownIt, text: str, ctx: PageContext) -> tuple[list[Token], dict]:
    env = {"page": ctx}
    return md.parse(text, env), env


def render(md: MarkdownIt, tokens: list[Token], env: dict) -> str:
    ctx: PageContext = env["page"]
    for entry in ctx.toc:
        entry.html = md.renderer.render(entry.inline.children or [], md.options, env)
    return md.renderer.render(tokens, md.options, env)
