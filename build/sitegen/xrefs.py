"""Cross-references `@eq:name` and `@fig:name`: links to numbered equations and figures."""
from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

from .context import iter_tokens, page

XREF = re.compile(r"@(eq|fig):([A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*)")


def _xref_rule(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "@":
        return False
    if state.pos > 0 and state.src[state.pos - 1].isalnum():
        return False  # part of an e-mail address or similar
    match = XREF.match(state.src, state.pos)
    if not match or match.end() > state.posMax:
        return False
    if not silent:
        token = state.push("xref", "", 0)
        token.meta = {"kind": match.group(1), "name": match.group(2), "pos": state.pos}
    state.pos = match.end()
    return True


def _check_xrefs(state) -> None:
    ctx = page(state.env)
    for token, line in iter_tokens(state.tokens):
        if token.type != "xref":
            continue
        kind, name = token.meta["kind"], token.meta["name"]
        known = ctx.equations if kind == "eq" else ctx.figures
        if name not in known:
            what = ("equation labelled `$$ {#eq:%s}`" if kind == "eq"
                    else "figure `::: figure %s`") % name
            raise ctx.error(f"unknown reference @{kind}:{name}", line,
                            f"this page has no {what}; labels: "
                            + (", ".join(sorted(known)) or "none"))


def _render_xref(self, tokens, idx, options, env) -> str:
    ctx = page(env)
    kind, name = tokens[idx].meta["kind"], tokens[idx].meta["name"]
    if kind == "eq":
        return f'<a class="xref" href="#eq-{html.escape(name)}">({ctx.equations[name]})</a>'
    return f'<a class="xref" href="#fig-{html.escape(name)}">Figure {ctx.figures[name]}</a>'


def xrefs_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.before("link", "xref", _xref_rule)
    md.core.ruler.push("check_xrefs", _check_xrefs)
    md.add_render_rule("xref", _render_xref)
