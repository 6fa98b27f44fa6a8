"""The prose of a rendered page, and how long a chapter reads: the words of its prose.

Counted on the HTML a chapter renders to (so a `{{manifest:...}}` value or a cross-reference counts
as what the reader sees), leaving out what is not read as prose: maths (KaTeX's markup), code
(`pre`, `code`), the drawings of figures (their SVG and static picture) and scripts. Captions,
footnotes and tables count. A word is a run of letters, digits, apostrophes and hyphens that
starts with a letter, so "first-order" and "MAML's" are one word each and "0.38" is none.
"""
from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

from .formulas import formula_spans

# Elements whose whole content is not prose.
SKIPPED_TAGS = {"pre", "code", "svg", "math", "script", "style", "template", "img"}
SKIPPED_CLASSES = {"katex", "katex-display", "figure-fallback", "figure-mount", "fallback-note"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
             "source", "track", "wbr"}
# Elements that end a block of text (the text of inline ones such as <em> joins its neighbours').
BLOCK_TAGS = {"address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl",
              "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
              "header", "hr", "li", "main", "nav", "ol", "p", "section", "table", "td", "th",
              "tr", "ul"}
WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")



class _Prose(HTMLParser):
    """Collects the text outside skipped elements, one string per block of text."""

    def __init__(self, skipped_classes: frozenset[str], inline_code: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.skipped_classes = SKIPPED_CLASSES | skipped_classes
        # Code inside <pre> goes with its block either way.
        self.skipped_tags = SKIPPED_TAGS - {"code"} if inline_code else SKIPPED_TAGS
        self.skipping: list[bool] = []  # one entry per open element: inside a skipped one?
        self.current: list[str] = []
        self.blocks: list[str] = []

    def end_block(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.blocks.append(text)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_TAGS:
            self.end_block()
        if tag in VOID_TAGS:
            return
        classes = set((dict(attrs).get("class") or "").split())
        inside = bool(self.skipping and self.skipping[-1])
        self.skipping.append(inside or tag in self.skipped_tags or bool(classes & self.skipped_classes))

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCK_TAGS:
            self.end_block()
        if tag not in VOID_TAGS and self.skipping:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not (self.skipping and self.skipping[-1]):
            self.current.append(data)


def prose_blocks(html: str, skipped_classes: frozenset[str] = frozenset(),
                 inline_code: bool = False) -> list[str]:
    """The prose of `html`, one string per paragraph, caption, list item, cell or heading,
    without maths, code and drawings, nor elements with one of `skipped_classes`; with
    `inline_code`, code within a sentence (`<code>` outside `<pre>`) counts as prose."""
    parser = _Prose(skipped_classes, inline_code)
    parser.feed(without_formulas(html))
    parser.close()
    parser.end_block()
    return parser.blocks


def without_formulas(html: str) -> str:
    """`html` with KaTeX's formulas cut out (a display formula's wrapper is left, empty). The
    parser would skip them anyway (class katex), but their tags are most of a chapter's
    (how-maml-works: 7,000 of 9,200), and it reads each one: cut out first, a build counts the
    chapters' words in 70 ms instead of 230. KaTeX writes no block element inside a formula, so
    cutting one out cannot join or split a block of text."""
    kept, position = [], 0
    for start, end in formula_spans(html):
        kept.append(html[position:start])
        position = end
    kept.append(html[position:])
    return "".join(kept)


@functools.lru_cache(maxsize=64)
def prose_words(html: str) -> int:
    """The number of prose words in a chapter's rendered body (see the module's docstring).

    Remembered by body: parsing a chapter with its inline pictures costs 20-40 ms, and a rebuild
    in `serve` after an edit recounts only the chapters whose body changed."""
    return sum(len(WORD.findall(block)) for block in prose_blocks(html))


def word_report(words: dict[str, int]) -> str:
    """One line per chapter (its words) and the total, as `article build` prints them."""
    width = max((len(name) for name in words), default=5)
    lines = [f"  {name:<{width}}  {count:>6,}" for name, count in words.items()]
    lines.append(f"  {'total':<{width}}  {sum(words.values()):>6,}")
    return "prose words (maths and code left out):\n" + "\n".join(lines)
