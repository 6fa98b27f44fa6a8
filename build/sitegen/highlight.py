"""Pygments: highlighted code as HTML with CSS classes.

The token colours live in static/css/site.css, taken from the site's palette (light and dark),
so code matches the figures and the text; Pygments contributes only the markup.
"""
from __future__ import annotations

import html

from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from .context import page

CSS_CLASS = "highlight"


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
    return f'<div class="code" data-lang="{html.escape(lang)}">{code}</div>\n'


def fences_plugin(md: MarkdownIt) -> None:
    md.core.ruler.push("check_fences", _check_fences)
    md.add_render_rule("fence", _render_fence)
