"""How long a chapter reads: the words of its prose in the rendered page.

Counted on the HTML a chapter renders to (so a `{{manifest:...}}` value or a cross-reference counts
as what the reader sees), leaving out what is not read as prose: maths (KaTeX's markup), code
(`pre`, `code`), the drawings of figures (their SVG and static picture) and scripts. Captions,
footnotes and tables count. A word is a run of letters, digits, apostrophes and hyphens that
starts with a letter, so "first-order" and "MAML's" are one word each and "0.38" is none.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements whose whole content is not prose.
SKIPPED_TAGS = {"pre", "code", "svg", "math", "script", "style", "template", "img"}
SKIPPED_CLASSES = {"katex", "katex-display", "figure-fallback", "figure-mount", "fallback-note"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
             "source", "track", "wbr"}
# Elements that end a word (the text of inline ones such as <em> joins its neighbours').
BLOCK_TAGS = {"address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl",
              "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
              "header", "hr", "li", "main", "nav", "ol", "p", "section", "table", "td", "th",
              "tr", "ul"}
WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")


class _ProseText(HTMLParser):
    """Collects the text outside skipped elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping: list[bool] = []  # one entry per open element: inside a skipped one?
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_TAGS:
            self.parts.append(" ")
        if tag in VOID_TAGS:
            return
        classes = set((dict(attrs).get("class") or "").split())
        inside = bool(self.skipping and self.skipping[-1])
        self.skipping.append(inside or tag in SKIPPED_TAGS or bool(classes & SKIPPED_CLASSES))

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCK_TAGS:
            self.parts.append(" ")
        if tag not in VOID_TAGS and self.skipping:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not (self.skipping and self.skipping[-1]):
            self.parts.append(data)


def prose_words(html: str) -> int:
    """The number of prose words in a chapter's rendered body (see the module's docstring)."""
    parser = _ProseText()
    parser.feed(html)
    parser.close()
    return len(WORD.findall("".join(parser.parts)))


def word_report(words: dict[str, int]) -> str:
    """One line per chapter (its words) and the total, as `article build` prints them."""
    width = max((len(name) for name in words), default=5)
    lines = [f"  {name:<{width}}  {count:>6,}" for name, count in words.items()]
    lines.append(f"  {'total':<{width}}  {sum(words.values()):>6,}")
    return "prose words (maths and code left out):\n" + "\n".join(lines)
