"""Pygments: highlighted code as HTML with CSS classes.

The token colours live in static/css/site.css, taken from the site's palette (light and dark),
so code matches the figures and the text; Pygments contributes only the markup.

A highlighted block's `<pre>` scrolls sideways when a line is longer than the column, so
`scroll_region` makes it reachable by keyboard: focusable (tabindex="0") and a labelled region
that a screen reader can name ("Code listing: ...").
"""
from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from .context import page

CSS_CLASS = "highlight"
_PRE = re.compile(r"<pre(?=[\s>])")


def has_lexer(lang: str) -> bool:
    try:
        get_lexer_by_name(lang)
        return True
    except ClassNotFound:
        return False


def highlight_code(code: str, lang: str, cache: dict | None = None, **options) -> str:
    """`<div class="highlight"><pre><code>…</code></pre></div>`; memoised in `cache`."""
    key = (code, lang, tuple(sorted(options.items())))
    if cache is not None and key in cache:
        return cache[key]
    formatter = HtmlFormatter(cssclass=CSS_CLASS, wrapcode=True, **options)
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
