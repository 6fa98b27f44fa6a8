"""Pygments: highlighted code as HTML with CSS classes.

The token colours live in static/css/site.css, taken from the site's palette (light and dark),
so code matches the figures and the text; Pygments contributes only the markup.

Long lines wrap in display instead of scrolling: every source line is its own element, its
leading spaces apart from its text, so that the stylesheet can continue a wrapped line under the
line's own indentation plus a hanging indent (copying the code still gives the source unchanged).
A `<pre>` that still scrolls sideways (a word longer than a phone's column) is reachable by
keyboard: `scroll_region` makes it focusable (tabindex="0") and a labelled region that a screen
reader can name ("Code listing: ...").
"""
from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from ..context import page

CSS_CLASS = "highlight"
_PRE = re.compile(r"<pre(?=[\s>])")


def has_lexer(lang: str) -> bool:
    try:
        get_lexer_by_name(lang)
        return True
    except ClassNotFound:
        return False


# One formatted line: the line-number gutter of a source page (anchor and number), then the
# spans a multi-line token reopens, then the line's leading spaces.
_LINE_START = re.compile(r'^((?:<a [^>]*>(?:<span class="linenos">[^<]*</span>)?</a>)*)'
                         r'((?:<span class="[^"]*">)*)( *)')


def _split_line(line: str) -> str:
    """A formatted line as `<span class="line">`: gutter, indentation, then the wrapping text."""
    start = _LINE_START.match(line)
    gutter, opened, indent = start.groups()
    rest = line[start.end():]
    return (f'<span class="line">{gutter}<span class="line-indent">{indent}</span>'
            f'<span class="line-text">{opened}{rest}</span></span>')


class _LineFormatter(HtmlFormatter):
    """HtmlFormatter whose code lines are elements (see `_split_line`)."""

    def wrap(self, source):
        lines = ((kind, _split_line(piece) if kind == 1 else piece) for kind, piece in source)
        return super().wrap(lines)


def highlight_code(code: str, lang: str, cache: dict | None = None, **options) -> str:
    """`<div class="highlight"><pre><code>…</code></pre></div>`, one `<span class="line">` a
    source line; memoised in `cache`."""
    key = (code, lang, tuple(sorted(options.items())))
    if cache is not None and key in cache:
        return cache[key]
    formatter = _LineFormatter(cssclass=CSS_CLASS, wrapcode=True, **options)
    result = highlight(code, get_lexer_by_name(lang or "text"), formatter)
    if cache is not None:
        cache[key] = result
    return result


def scroll_region(block: str, label: str) -> str:
    """`block` (highlight_code's HTML) with its scrolling `<pre>` focusable and labelled."""
    attrs = f' tabindex="0" role="region" aria-label="{html.escape(label, quote=True)}"'
    result, found = _PRE.subn("<pre" + attrs, block, count=1)
    if not found:
        raise ValueError("highlighted code has no <pre>")
    return result


def unique_label(env: dict, label: str) -> str:
    """`label`, else `label (2)`, `label (3)`, ...: region labels must differ on one page."""
    used = env.setdefault("region_labels", set())
    candidate, n = label, 1
    while candidate in used:
        n += 1
        candidate = f"{label} ({n})"
    used.add(candidate)
    return candidate


# --- fenced code in Markdown ---------------------------------------------------------------

def _check_fences(state) -> None:
    ctx = page(state.env)
    for token in state.tokens:
        if token.type == "fence":
            lang = token.info.split()[0] if token.info.strip() else ""
            if lang and not has_lexer(lang):
                raise ctx.error(f"unknown code language {lang!r}", token.map[0] if token.map else None,
                                "use a Pygments lexer name (python, bash, json, text, ...)")


def _render_fence(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    lang = token.info.split()[0] if token.info.strip() else "text"
    code = highlight_code(token.content, lang, page(env).site.highlight_cache)
    label = "Code block" if lang == "text" else f"Code block: {lang}"
    code = scroll_region(code, unique_label(env, label))
    return f'<div class="code" data-lang="{html.escape(lang)}">{code}</div>\n'


def fences_plugin(md: MarkdownIt) -> None:
    md.core.ruler.push("check_fences", _check_fences)
    md.add_render_rule("fence", _render_fence)
