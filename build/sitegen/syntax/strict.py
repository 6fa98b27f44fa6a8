"""Strictness: source syntax that no plugin consumed is an error, not stray text.

A `:::` directive never closed or unknown, a `$` that opens no formula, `\\alpha` outside the
dollars would reach the page as stray text, so each stops the build with the author's line.
create_parser() registers this plugin last: it wraps every directive the others registered.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterator

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from ..context import PageContext, page

LEFTOVER = "leftover_syntax"   # token type of a `$`, `$$` or `\\word` that opened nothing
TEX_WORD = re.compile(r"\\[A-Za-z]+")
DIRECTIVE_LINE = re.compile(r"^[ \t]*(:{3,})[ \t]*(\S*)")
CODE_TAGS = re.compile(r"<(/?)(code|pre|kbd|samp)\b", re.I)
DIRECTIVE_HINT = "a directive opens with `::: <name> ...` and ends at the next line `:::`"


def strict_syntax_plugin(md: MarkdownIt) -> None:
    for rule in md.block.ruler.__rules__:
        if rule.name.startswith("container_"):
            md.block.ruler.at(rule.name, _closed_or_error(rule.fn), {"alt": rule.alt})
    # `$`: after math_inline, so only a dollar that opened no formula gets here. `\\word`:
    # before escape, which would otherwise keep the backslash as text.
    md.inline.ruler.after("math_inline", "stray_dollar", _stray_dollar_rule)
    md.inline.ruler.before("escape", "tex_outside_maths", _tex_word_rule)
    md.core.ruler.after("inline", "reject_leftover_syntax", _reject_leftover_syntax)
    md.add_render_rule(LEFTOVER, _render_leftover)  # only inside raw HTML code, kept as text


def _closed_or_error(container_rule):
    """Wrap mdit_py_plugins' container rule, which silently closes a directive at the end of
    the document (or of its parent): the rest of the chapter would become its caption."""
    def rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        first_new = len(state.tokens)
        found = container_rule(state, start, end, silent)
        if found and not silent:
            opening = state.tokens[first_new]
            # The rule sets state.line past the closing `:::` only when it found one.
            if state.line <= opening.map[1]:
                directive = f"{opening.markup} {opening.info.strip()}".strip()
                raise page(state.env).error(
                    f"the directive `{directive}` is never closed", start,
                    f"add a line `{opening.markup}` where its content ends; " + DIRECTIVE_HINT)
        return found
    return rule


def _push_leftover(state: StateInline, text: str, silent: bool) -> bool:
    if not silent:
        token = state.push(LEFTOVER, "", 0)
        token.content = text
        token.meta = {"pos": state.pos}
    state.pos += len(text)
    return True


def _stray_dollar_rule(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "$":
        return False
    before = state.src[state.pos - 1] if state.pos > 0 else ""
    after = state.src[state.pos + 1] if state.pos + 1 < state.posMax else ""
    if before.isdigit() or after.isdigit():
        return False  # money: "$5", "5$"
    return _push_leftover(state, "$$" if after == "$" else "$", silent)


def _tex_word_rule(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "\\":
        return False
    match = TEX_WORD.match(state.src, state.pos, state.posMax)
    return bool(match) and _push_leftover(state, match.group(0), silent)


def _render_leftover(self, tokens, idx, options, env) -> str:
    return html.escape(tokens[idx].content, quote=False)


def _reject_leftover_syntax(state) -> None:
    ctx = page(state.env)
    known = sorted(rule.name.removeprefix("container_") for rule in state.md.block.ruler.__rules__
                   if rule.name.startswith("container_"))
    line = 0
    for i, token in enumerate(state.tokens):
        line = token.map[0] if token.map else line  # table cells may carry no map
        if token.type != "inline":
            continue
        if i > 0 and state.tokens[i - 1].type == "paragraph_open":
            _reject_unknown_directive(ctx, token, line, known)
        for leftover, offset in _leftovers(token):
            raise _leftover_error(ctx, leftover.content, line + offset)


def _reject_unknown_directive(ctx: PageContext, inline: Token, first_line: int,
                              known: list[str]) -> None:
    """A `:::` line that ended up in a paragraph: no directive rule accepted it."""
    for offset, text in enumerate(inline.content.split("\n")):
        match = DIRECTIVE_LINE.match(text)
        if not match:
            continue
        if not match.group(2):
            raise ctx.error(f"`{match.group(1)}` closes no directive", first_line + offset,
                            "remove the line, or check the directive above it; " + DIRECTIVE_HINT)
        raise ctx.error(f"unknown directive `{text.strip()}`", first_line + offset,
                        f"the directives are: {', '.join(known)}; " + DIRECTIVE_HINT)


def _leftovers(inline: Token) -> Iterator[tuple[Token, int]]:
    """Leftover tokens of one inline token with their line offset in it, outside raw HTML code
    (`<code>\\alpha</code>` is code, not forgotten maths)."""
    code_depth = 0
    for child, nested in _descendants(inline.children or []):
        if child.type == "html_inline":
            for closing, _ in CODE_TAGS.findall(child.content):
                code_depth = max(0, code_depth + (-1 if closing else 1))
        elif child.type == LEFTOVER and code_depth == 0:
            # A nested token (an image's alt text) counts its position in the alt text.
            pos = 0 if nested else child.meta["pos"]
            yield child, inline.content[:pos].count("\n")


def _descendants(tokens: list[Token], nested: bool = False) -> Iterator[tuple[Token, bool]]:
    for token in tokens:
        yield token, nested
        if token.children:
            yield from _descendants(token.children, True)


def _leftover_error(ctx: PageContext, text: str, line: int):
    if text == "$":
        return ctx.error("unmatched `$`: this dollar opens no formula", line,
                         "close the formula with a second `$`, with no space just inside the "
                         "dollars (`$x$`, not `$ x $`); write `\\$` for a dollar sign")
    if text == "$$":
        return ctx.error("`$$` inside a paragraph", line,
                         "display maths is a paragraph of its own: a line starting with `$$`, "
                         "the formula, a line ending with `$$`; inline maths takes one `$`")
    return ctx.error(f"TeX command `{text}` outside maths", line,
                     f"put the formula between dollars (`${text}$`), or in backticks if it is code")
