"""Footnotes (mdit-py-plugins' parser) rendered with the ids and classes of the HTML contract."""
from __future__ import annotations

from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin


def _number(token) -> int:
    return token.meta["id"] + 1


def _ref_id(token) -> str:
    sub = token.meta.get("subId", 0)
    return f"fnref-{_number(token)}" + (f"-{sub + 1}" if sub > 0 else "")


def _render_ref(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    n = _number(token)
    return (f'<sup class="footnote-ref"><a href="#fn-{n}" id="{_ref_id(token)}">{n}</a></sup>')


def _render_block_open(self, tokens, idx, options, env) -> str:
    return ('<section class="footnotes" aria-labelledby="footnotes-heading">\n'
            '<h2 id="footnotes-heading">Notes</h2>\n<ol>\n')


def _render_block_close(self, tokens, idx, options, env) -> str:
    return "</ol>\n</section>\n"


def _render_open(self, tokens, idx, options, env) -> str:
    return f'<li id="fn-{_number(tokens[idx])}">'


def _render_anchor(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    return (f' <a href="#{_ref_id(token)}" class="footnote-backref" '
            f'aria-label="Back to the text">\u21a9\ufe0e</a>')


def footnotes_plugin(md: MarkdownIt) -> None:
    md.use(footnote_plugin, inline=False)
    md.add_render_rule("footnote_ref", _render_ref)
    md.add_render_rule("footnote_block_open", _render_block_open)
    md.add_render_rule("footnote_block_close", _render_block_close)
    md.add_render_rule("footnote_open", _render_open)
    md.add_render_rule("footnote_anchor", _render_anchor)
