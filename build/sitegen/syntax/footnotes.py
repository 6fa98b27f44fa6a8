"""Footnotes (mdit-py-plugins' parser) rendered with the ids and classes of the HTML contract.

The parser alone is lenient: a reference `[^name]` with no definition stays on the page as that
text, and a definition nothing refers to is dropped with its note. Both are an author's slip, so
both stop the build, at the reference's or the definition's line.
"""
from __future__ import annotations

from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from ..context import page


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


def _check_footnotes(state) -> None:
    """Every reference has a definition and every definition a reference (runs before the
    plugin's footnote_tail drops unreferenced definitions)."""
    ctx = page(state.env)
    defined: dict[str, int] = {}
    for token in state.tokens:
        if token.type == "footnote_reference_open":
            label, line = token.meta["label"], token.map[0] if token.map else None
            if label in defined:
                raise ctx.error(f"the footnote [^{label}] is defined twice (first on line "
                                f"{ctx.line(defined[label])})", line,
                                "keep one definition, or give the second another name")
            defined[label] = line
    referenced: set[str] = set()
    line = 0
    for token in state.tokens:
        line = token.map[0] if token.map else line
        if token.type != "inline":
            continue
        for child in token.children or []:
            if child.type != "footnote_ref":
                continue
            label = child.meta["label"]
            if label not in defined:
                at = token.content.find(f"[^{label}]")
                known = ", ".join(f"[^{name}]" for name in sorted(defined)) or "none on this page"
                raise ctx.error(f"the footnote reference [^{label}] has no definition",
                                line + token.content[:max(at, 0)].count("\n"),
                                f"add a line `[^{label}]: the note's text` below the paragraph "
                                f"(defined: {known})")
            referenced.add(label)
    for label, def_line in defined.items():
        if label not in referenced:
            raise ctx.error(f"the footnote [^{label}] is defined but never referenced", def_line,
                            f"refer to it with `[^{label}]` in the text, or remove it")


def footnotes_plugin(md: MarkdownIt) -> None:
    # always_match_refs: a reference to an undefined note becomes a token, which the check
    # reports, instead of plain text that would reach the page.
    md.use(footnote_plugin, inline=False, always_match_refs=True)
    md.core.ruler.before("footnote_tail", "check_footnotes", _check_footnotes)
    md.add_render_rule("footnote_ref", _render_ref)
    md.add_render_rule("footnote_block_open", _render_block_open)
    md.add_render_rule("footnote_block_close", _render_block_close)
    md.add_render_rule("footnote_open", _render_open)
    md.add_render_rule("footnote_anchor", _render_anchor)
