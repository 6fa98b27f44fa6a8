"""Maths in Markdown: inline `$...$`, display `$$ ... $$` paragraphs, numbered with `{#eq:name}`.

Parsing only records formulas (and asks the KaTeX renderer for them); the HTML is looked up at
render time, after one batched KaTeX run for the whole build.
"""
from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from mdit_py_plugins.dollarmath.index import math_inline_dollar

from ..context import iter_tokens, page
from .maths import MathUse

CLOSE = re.compile(r"\$\$\s*(?:\{#eq:([A-Za-z0-9_.:-]+)\})?\s*$")
STRAY_LABEL = re.compile(r"\{#eq:")


def _display_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """`$$` at the start of a block, closed by a line ending in `$$` or `$$ {#eq:name}`."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    first = state.src[state.bMarks[start] + state.tShift[start]:state.eMarks[start]]
    if not first.startswith("$$"):
        return False
    if silent:
        return True
    body_lines: list[str] = []
    rest = first[2:]
    line = start
    while True:
        match = CLOSE.search(rest)
        if match and (line > start or rest[:match.start()].strip()):
            body_lines.append(rest[:match.start()])
            label = match.group(1)
            break
        body_lines.append(rest)
        line += 1
        if line >= end or state.isEmpty(line):
            # A blank line ends a paragraph; LaTeX display maths never contains one.
            raise page(state.env).error("display maths opened with `$$` is never closed", start,
                                        "end the formula with a line ending in `$$` "
                                        "(or `$$ {#eq:name}` to number it)")
        rest = state.src[state.bMarks[line] + state.tShift[line]:state.eMarks[line]]
    tex = "\n".join(body_lines).strip()
    if STRAY_LABEL.search(tex):
        raise page(state.env).error("equation label is not on the closing `$$` line", start,
                                    "write the label right after the closing dollars: `$$ {#eq:name}`")
    token = state.push("math_display", "div", 0)
    token.content = tex
    token.info = label or ""
    token.map = [start, line + 1]
    token.block = True
    state.line = line + 1
    return True


def _collect_maths(state) -> None:
    """Number labelled equations in order and queue every formula for KaTeX."""
    ctx = page(state.env)
    katex = ctx.site.katex
    for token, line in iter_tokens(state.tokens):
        if token.type in ("math_display", "math_inline") and "{{manifest:" in token.content:
            # KaTeX would typeset the reference itself ("manifest:models..."), not the value.
            raise ctx.error("a {{manifest:...}} value inside maths is not substituted", line,
                            "write the value outside the dollars, e.g. "
                            "`$k$ = {{manifest:models.reptile.config.inner_steps}}`")
        if token.type == "math_display":
            if not token.content:
                raise ctx.error("empty display formula", line)
            if token.info:
                if token.info in ctx.equations:
                    raise ctx.error(f"equation label eq:{token.info} is used twice", line,
                                    "give each numbered equation its own name")
                ctx.equations[token.info] = len(ctx.equations) + 1
                ctx.ids.add(f"eq-{token.info}")
            katex.request(MathUse(token.content, True, ctx.file, ctx.line(line) or 0))
        elif token.type == "math_inline":
            katex.request(MathUse(token.content, False, ctx.file, ctx.line(line) or 0))


def _render_inline(self, tokens, idx, options, env) -> str:
    return page(env).site.katex.html(tokens[idx].content, False)


def _render_display(self, tokens, idx, options, env) -> str:
    ctx = page(env)
    token = tokens[idx]
    body = ctx.site.katex.html(token.content, True)
    # .katex-display scrolls sideways when the formula is wider than the column: make it
    # reachable by keyboard, as a region named after the equation (unique on the page).
    if token.info:
        name = f"Equation ({ctx.equations[token.info]})"
    else:
        env["unnumbered_equations"] = env.get("unnumbered_equations", 0) + 1
        name = f"Unnumbered equation {env['unnumbered_equations']}"
    body = body.replace('<span class="katex-display',
                        f'<span tabindex="0" role="region" aria-label="{name}" '
                        'class="katex-display', 1)
    if not token.info:
        return f'<div class="equation">{body}</div>\n'
    label = html.escape(token.info)
    number = ctx.equations[token.info]
    return (f'<div class="equation" id="eq-{label}">{body}'
            f'<span class="eq-number">({number})</span></div>\n')


def _inline_with_pos(rule):
    """Wrap dollarmath's inline rule so its tokens carry their source offset (for error lines)."""
    def wrapped(state, silent: bool) -> bool:
        start = state.pos
        found = rule(state, silent)
        if found and not silent and state.tokens and state.tokens[-1].type == "math_inline":
            state.tokens[-1].meta = {"pos": start}
        return found
    return wrapped


def equations_plugin(md: MarkdownIt) -> None:
    inline = math_inline_dollar(allow_space=False, allow_digits=False, allow_double=False)
    md.inline.ruler.before("escape", "math_inline", _inline_with_pos(inline))
    md.block.ruler.before("fence", "math_display", _display_rule,
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.core.ruler.push("collect_maths", _collect_maths)
    md.add_render_rule("math_inline", _render_inline)
    md.add_render_rule("math_display", _render_display)
