"""Where KaTeX's formulas are in a page's HTML.

KaTeX opens every formula, inline or display, with the same span, and writes only spans and
MathML inside it, so a formula ends where the spans opened since its first one are all closed.
The word count cuts formulas out by this, and the font subsetter reads each one once.
"""
from __future__ import annotations

import re
from typing import Iterator

KATEX_ROOT = '<span class="katex">'  # how KaTeX opens every formula, inline or display
_SPAN_TAG = re.compile(r"<span\b|</span>")


def formula_spans(html: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each formula in `html`, in order; an unclosed one runs to the end."""
    start = html.find(KATEX_ROOT)
    while start != -1:
        depth, end = 0, len(html)
        for tag in _SPAN_TAG.finditer(html, start):
            depth += 1 if tag.group() == "<span" else -1
            if depth == 0:
                end = tag.end()
                break
        yield start, end
        start = html.find(KATEX_ROOT, end)
