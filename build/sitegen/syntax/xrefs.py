"""Cross-references: `@eq:name` and `@fig:name` on the same page, `@eq:chapter/name` and
`@fig:chapter/name` to another chapter.

A same-page reference is checked while its page is parsed and renders as the number, "(2)" or
"Figure 2". A reference to another chapter can only be checked once every chapter is parsed:
the page records it in `ctx.cross_refs`, and `link_chapters` (called by the build between
parsing and rendering) resolves it to "Equation (2) in <that chapter's title>", linked.
"""
from __future__ import annotations

import difflib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

from ..context import PageContext, iter_tokens, page, pattern_rule
from ..errors import BuildError

if TYPE_CHECKING:
    from ..chapters import Chapter

LABEL = r"[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*"
CHAPTER = r"[a-z0-9][a-z0-9-]*"  # a chapter slug, as in article.yaml
XREF = re.compile(rf"@(eq|fig):(?:({CHAPTER})/)?({LABEL})")
WORDS = {"eq": "Equation", "fig": "Figure"}


@dataclass(frozen=True)
class Target:
    """Where a reference to another chapter points, and what it reads."""
    href: str
    text: str


def _starts_xref(state: StateInline) -> bool:
    # An @ right after a letter or digit is part of an e-mail address or similar.
    return state.src.startswith("@", state.pos) and not (state.pos > 0 and state.src[state.pos - 1].isalnum())


_xref_rule = pattern_rule(
    "xref", XREF, lambda match: {"kind": match.group(1), "chapter": match.group(2), "name": match.group(3)},
    _starts_xref)


def _labels(ctx: PageContext, kind: str) -> dict[str, int]:
    return ctx.equations if kind == "eq" else ctx.figures


def _check_xrefs(state) -> None:
    ctx = page(state.env)
    for token, line in iter_tokens(state.tokens):
        if token.type != "xref":
            continue
        if token.meta["chapter"] is not None:
            ctx.cross_refs.append((token, line))  # checked by link_chapters
            continue
        kind, name = token.meta["kind"], token.meta["name"]
        known = _labels(ctx, kind)
        if name not in known:
            what = ("equation labelled `$$ {#eq:%s}`" if kind == "eq"
                    else "figure `::: figure %s`") % name
            raise ctx.error(f"unknown reference @{kind}:{name}", line,
                            f"this page has no {what}; labels: "
                            + (", ".join(sorted(known)) or "none")
                            + f"; another chapter's are written `@{kind}:<chapter>/<label>`")


# --- references across chapters --------------------------------------------------------------

def link_chapters(pages: Sequence[tuple["Chapter", PageContext]]) -> None:
    """Resolve every `@eq:chapter/name` and `@fig:chapter/name` of every page, or raise a
    BuildError at the reference with the labels that exist. Needs every page parsed."""
    by_slug = {chapter.slug: (chapter, ctx) for chapter, ctx in pages}
    for chapter, ctx in pages:
        for token, line in ctx.cross_refs:
            token.meta["target"] = _resolve(by_slug, chapter.slug, ctx, token.meta, line)


def _resolve(by_slug: dict[str, tuple["Chapter", PageContext]], here: str, ctx: PageContext,
             meta: dict, line: int | None) -> Target:
    kind, slug, name = meta["kind"], meta["chapter"], meta["name"]
    written = f"@{kind}:{slug}/{name}"
    if slug not in by_slug:
        close = difflib.get_close_matches(slug, list(by_slug), n=1)
        raise ctx.error(f"unknown chapter {slug!r} in {written}"
                        + (f" (did you mean {close[0]}?)" if close else ""), line,
                        "known labels: " + (_qualified_labels(by_slug, kind) or "none"))
    chapter, target_ctx = by_slug[slug]
    labels = _labels(target_ctx, kind)
    if name not in labels:
        raise ctx.error(f"unknown reference {written}: {chapter.title} has no such "
                        f"{WORDS[kind].lower()}", line,
                        f"labels in {slug}: " + (", ".join(sorted(labels)) or "none"))
    anchor = f"{kind}-{name}"
    if slug == here:  # qualified but on this page: read as a same-page reference
        local = f"({labels[name]})" if kind == "eq" else f"Figure {labels[name]}"
        return Target(f"#{anchor}", local)
    number = f"({labels[name]})" if kind == "eq" else str(labels[name])
    return Target(f"{ctx.root}{slug}/#{anchor}", f"{WORDS[kind]} {number} in {chapter.title}")


def _qualified_labels(by_slug: dict[str, tuple["Chapter", PageContext]], kind: str) -> str:
    return ", ".join(f"{slug}/{name}" for slug, (_, ctx) in by_slug.items()
                     for name in sorted(_labels(ctx, kind)))


# --- rendering ---------------------------------------------------------------------------------

def _render_xref(self, tokens, idx, options, env) -> str:
    ctx = page(env)
    meta = tokens[idx].meta
    kind, name = meta["kind"], meta["name"]
    if meta["chapter"] is not None:
        target = meta.get("target")
        if target is None:
            raise BuildError(f"@{kind}:{meta['chapter']}/{name} was never resolved",
                             hint="the build must call xrefs.link_chapters after parsing every "
                                  "chapter and before rendering")
        return (f'<a class="xref" href="{html.escape(target.href)}">'
                f'{html.escape(target.text)}</a>')
    if kind == "eq":
        return f'<a class="xref" href="#eq-{html.escape(name)}">({ctx.equations[name]})</a>'
    return f'<a class="xref" href="#fig-{html.escape(name)}">Figure {ctx.figures[name]}</a>'


def xrefs_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.before("link", "xref", _xref_rule)
    md.core.ruler.push("check_xrefs", _check_xrefs)
    md.add_render_rule("xref", _render_xref)
