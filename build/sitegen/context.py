"""What a Markdown plugin can see while a page is parsed: the page's state and the site's inputs.

The markdown-it `env` dict carries one PageContext under "page". Plugins record what they find
(citations, equations, figures, headings, maths) in document order, and report errors through
`ctx.error(...)`, which turns a token's line into the author's file and line.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from .errors import BuildError

if TYPE_CHECKING:
    from .syntax.citations import Bibliography
    from .syntax.figures import FigureRegistry
    from .syntax.manifest import Manifest
    from .syntax.maths import KatexRenderer
    from .project import Project


@dataclass
class SiteInputs:
    """Read-only inputs shared by every page of one build."""
    project: "Project"
    bibliography: "Bibliography"
    figures: "FigureRegistry"
    manifest: "Manifest"
    katex: "KatexRenderer"
    highlight_cache: dict = field(default_factory=dict)
    figure_pictures: dict[str, str] = field(default_factory=dict)  # figure id -> static picture HTML


@dataclass
class TocEntry:
    level: int
    id: str
    inline: Any          # the heading's inline token; rendered once maths are typeset
    html: str = ""


@dataclass
class PageContext:
    file: Path
    line_offset: int          # 0-based line of the Markdown body within `file`
    site: SiteInputs
    root: str = "../"         # relative path from the page to the site root
    ids: set[str] = field(default_factory=set)
    toc: list[TocEntry] = field(default_factory=list)
    citations: dict[str, int] = field(default_factory=dict)   # key -> number, first use order
    equations: dict[str, int] = field(default_factory=dict)   # label -> number
    figures: dict[str, int] = field(default_factory=dict)     # figure id -> number
    figure_lines: dict[str, int] = field(default_factory=dict)
    listings: list[Any] = field(default_factory=list)         # sources to publish as pages
    # `@eq:chapter/name` tokens with their body line, resolved once every chapter is parsed
    cross_refs: list[tuple[Any, int | None]] = field(default_factory=list)
    links: list[Any] = field(default_factory=list)            # Markdown links and images (links.py)
    html_ids: set[str] = field(default_factory=set)           # ids written in raw HTML

    def line(self, body_line0: int | None) -> int | None:
        return None if body_line0 is None else self.line_offset + body_line0 + 1

    def error(self, message: str, body_line0: int | None, hint: str | None = None) -> BuildError:
        return BuildError(message, self.site.project.display(self.file), self.line(body_line0), hint)

    def unique_id(self, base: str) -> str:
        """Reserve an id on this page: `base`, else `base-2`, `base-3`, ..."""
        candidate, n = base, 1
        while candidate in self.ids:
            n += 1
            candidate = f"{base}-{n}"
        self.ids.add(candidate)
        return candidate


def page(env: dict) -> PageContext:
    return env["page"]


def pattern_rule(token_type: str, pattern: re.Pattern, meta: Callable[[re.Match], dict],
                 starts: Callable[[StateInline], bool]) -> Callable[[StateInline, bool], bool]:
    """A markdown-it inline rule for syntax a regular expression reads whole (a citation, a
    `{{...}}` value or claim, a cross-reference): where `starts(state)` holds at the cursor and
    `pattern` matches within the inline's bounds, one `token_type` token whose meta is
    meta(match) with the match's start and end (`pos`, `end`: iter_tokens finds its line from
    `pos`), and the cursor moves past it."""
    def rule(state: StateInline, silent: bool) -> bool:
        if not starts(state):
            return False
        match = pattern.match(state.src, state.pos)
        if not match or match.end() > state.posMax:
            return False
        if not silent:
            token = state.push(token_type, "", 0)
            token.meta = {**meta(match), "pos": state.pos, "end": match.end()}
        state.pos = match.end()
        return True
    return rule


def opens_with(text: str) -> Callable[[StateInline], bool]:
    """pattern_rule's `starts` for syntax that opens with `text`."""
    return lambda state: state.src.startswith(text, state.pos)


def iter_tokens(tokens: list[Token]) -> Iterator[tuple[Token, int | None]]:
    """Every token in document order with its 0-based body line (inline children included).

    Inline rules store `meta["pos"]` (offset in the inline source), which gives the line inside
    a multi-line paragraph.
    """
    for token in tokens:
        line = token.map[0] if token.map else None
        yield token, line
        if token.children:
            for child in token.children:
                child_line = line
                if line is not None and isinstance(child.meta, dict) and "pos" in child.meta:
                    child_line = line + token.content[:child.meta["pos"]].count("\n")
                yield child, child_line


def unwrap_single_paragraph(tokens: list[Token], open_idx: int) -> None:
    """Hide the <p> of a container whose body is one paragraph (a caption reads inline)."""
    depth, paragraphs, close_idx = 0, [], None
    for i in range(open_idx + 1, len(tokens)):
        token = tokens[i]
        if token.nesting == -1 and depth == 0:
            close_idx = i
            break
        if token.type == "paragraph_open" and depth == 0:
            paragraphs.append(i)
        depth += token.nesting
    if close_idx is not None and len(paragraphs) == 1:
        tokens[paragraphs[0]].hidden = True
        for i in range(paragraphs[0] + 1, close_idx):
            if tokens[i].type == "paragraph_close":
                tokens[i].hidden = True
                break
