"""Links and images that lead nowhere stop the build, at their line.

A chapter is published at `<slug>/index.html`. Its Markdown links and images are resolved as a
browser would resolve them from there, then looked up in what the build will write: the index
page, the chapters (and, after `#`, the ids on that page), the source pages of the listings, the
files copied from static/ and static/models/. Links to other sites are not followed; the
generated assets/ folder is not checked.

Links are collected while each page is parsed (`links_plugin`) and checked once every page is,
since a link may point at an anchor on a page parsed later (`check_links`).
"""
from __future__ import annotations

import difflib
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt

from ..esbuild import BUNDLED
from ..chapters import Chapter
from ..context import PageContext, page

# Files the build writes at the site root besides the pages.
GENERATED = {"404.html", "sitemap.xml", "robots.txt"}
HTML_ID = re.compile(r"""\bid\s*=\s*["']([^"']+)["']""")
IMAGE_HINT = ("images and other files go under static/ (e.g. static/images/plot.png), which the "
              "build copies to the site root: from a chapter, write ../images/plot.png")


@dataclass(frozen=True)
class Link:
    href: str
    body_line: int | None  # 0-based line in the page's Markdown body
    image: bool


def _collect_links(state) -> None:
    ctx = page(state.env)
    line = 0
    for token in state.tokens:
        line = token.map[0] if token.map else line
        if token.type in ("html_block", "html_inline"):
            ctx.html_ids.update(HTML_ID.findall(token.content))
        if token.type != "inline":
            continue
        for child in token.children or []:
            if child.type == "html_inline":
                ctx.html_ids.update(HTML_ID.findall(child.content))
            target = child.attrGet("href") if child.type == "link_open" else (
                child.attrGet("src") if child.type == "image" else None)
            if target is None:
                continue
            at = token.content.find(str(target))
            ctx.links.append(Link(str(target), line + token.content[:max(at, 0)].count("\n"),
                                  child.type == "image"))


def links_plugin(md: MarkdownIt) -> None:
    md.core.ruler.push("collect_links", _collect_links)


def check_links(pages: list[tuple[Chapter, PageContext]]) -> None:
    """BuildError at the first link or image of any page whose target the build will not write."""
    ids = {chapter.slug: ctx.ids | ctx.html_ids for chapter, ctx in pages}
    sources = {f"source/{listing.path}.html" for _, ctx in pages for listing in ctx.listings}
    for chapter, ctx in pages:
        for link in ctx.links:
            problem = _problem(link, chapter.slug, ctx, ids, sources)
            if problem is not None:
                what = "image" if link.image else "link"
                raise ctx.error(f"the {what} `{link.href}` leads nowhere: {problem[0]}",
                                link.body_line, problem[1])


def _problem(link: Link, slug: str, ctx: PageContext, ids: dict[str, set[str]],
             sources: set[str]) -> tuple[str, str] | None:
    """(what is wrong, what to do), or None for a link that works."""
    parts = urlsplit(link.href)
    if parts.scheme or parts.netloc:
        return None  # another site, mailto:, data:
    if not parts.path:
        return _anchor_problem(slug, unquote(parts.fragment), ids) if parts.fragment else None
    base = "" if parts.path.startswith("/") else f"{slug}/"
    path = posixpath.normpath(base + unquote(parts.path).lstrip("/"))
    if path == ".." or path.startswith("../"):
        return ("it points above the site's root",
                "from a chapter, ../<slug>/ is another chapter and ../ the title page")
    path = "" if path == "." else path
    top = path.split("/", 1)[0]
    if path in ("", "index.html") or path in GENERATED or top == "assets":
        return None
    if top in ids and path in (top, f"{top}/index.html"):
        return _anchor_problem(top, unquote(parts.fragment), ids) if parts.fragment else None
    if path in sources:
        return None
    site = ctx.site.project
    if top == "models":
        found = (site.models / path.removeprefix("models/")).is_file()
    else:
        found = top not in BUNDLED and (site.static / path).is_file()
    if found:
        return None
    if link.image or "." in posixpath.basename(path):
        return (f"no file {path} in the site (looked for static/{path})", IMAGE_HINT)
    close = difflib.get_close_matches(top, sorted(ids), n=1, cutoff=0.6)
    guess = f"; did you mean ../{close[0]}/?" if close else ""
    return (f"there is no chapter `{top}`{guess}",
            f"a chapter is linked as ../<slug>/; the chapters: {', '.join(ids)}")


def _anchor_problem(slug: str, anchor: str, ids: dict[str, set[str]]) -> tuple[str, str] | None:
    if anchor in ids[slug]:
        return None
    close = difflib.get_close_matches(anchor, sorted(ids[slug]), n=1, cutoff=0.6)
    guess = f"; did you mean #{close[0]}?" if close else ""
    return (f"the page {slug} has no anchor `#{anchor}`{guess}",
            "a heading's anchor is its text in lower case with hyphens (## When it fails -> "
            "#when-it-fails); an equation's is #eq-<name>, a figure's #fig-<id>")
