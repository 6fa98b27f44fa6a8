"""`::: listing trainers/path.py name`: a function or class cut from the trainers' source.

The definition is found with `ast` (so it cannot drift from the code that trained the models),
highlighted with Pygments, and linked to a highlighted page of the whole file with line anchors.
"""
from __future__ import annotations

import ast
import html
import textwrap
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from mdit_py_plugins.container import container_plugin

from ..context import iter_tokens, page, unwrap_single_paragraph
from .highlight import highlight_code, scroll_region, unique_label

HINT = "write `::: listing trainers/<file>.py <function or Class or Class.method>`"


@dataclass(frozen=True)
class Listing:
    path: str          # relative to the repository root, e.g. trainers/sinusoid_mlp.py
    name: str
    code: str
    start: int         # 1-based first line (decorators included)
    end: int


def _definitions(tree: ast.AST):
    return {node.name: node for node in getattr(tree, "body", [])
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def extract(root: Path, rel_path: str, name: str) -> Listing:
    """Cut `name` (dotted for methods) out of `rel_path`; ValueError says what is wrong."""
    file = (root / rel_path).resolve()
    trainers = (root / "trainers").resolve()
    if trainers not in file.parents:
        raise ValueError(f"listings come from trainers/, not {rel_path}")
    if not file.is_file():
        raise ValueError(f"{rel_path} does not exist")
    source = file.read_text(encoding="utf-8")
    node: ast.AST = ast.parse(source, filename=str(file))
    for part in name.split("."):
        found = _definitions(node).get(part)
        if found is None:
            known = ", ".join(sorted(_definitions(node))) or "none"
            raise ValueError(f"{rel_path} defines no function or class {name!r} "
                             f"(top-level definitions: {known})")
        node = found
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    end = node.end_lineno or node.lineno
    lines = source.splitlines()[start - 1:end]
    return Listing(rel_path, name, textwrap.dedent("\n".join(lines)) + "\n", start, end)


def _validate(params: str, *args) -> bool:
    return params.strip().split(" ", 1)[0] == "listing"


def _resolve_listings(state) -> None:
    ctx = page(state.env)
    for token, line in iter_tokens(state.tokens):
        if token.type != "container_listing_open":
            continue
        words = token.info.split()
        if len(words) != 3:
            raise ctx.error("a listing names a file and a definition", line, HINT)
        try:
            listing = extract(ctx.site.project.root, words[1], words[2])
        except (ValueError, SyntaxError) as exc:
            raise ctx.error(str(exc), line, HINT) from None
        token.meta = {"listing": listing,
                      "id": ctx.unique_id("listing-" + listing.name.replace(".", "-").lower())}
        ctx.listings.append(listing)
    for i, token in enumerate(state.tokens):
        if token.type == "container_listing_open":
            unwrap_single_paragraph(state.tokens, i)


def source_href(root: str, path: str, line: int | None = None) -> str:
    return f"{root}source/{path}.html" + (f"#L-{line}" if line else "")


def _render(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    if token.nesting == -1:
        return "</figcaption>\n</figure>\n"
    ctx = page(env)
    listing: Listing = token.meta["listing"]
    code = highlight_code(listing.code, "python", ctx.site.highlight_cache)
    label = f"Code listing: {listing.name} from {listing.path}"
    code = scroll_region(code, unique_label(env, label))
    href = source_href(ctx.root, listing.path, listing.start)
    return (f'<figure class="listing" id="{token.meta["id"]}">\n'
            f'<div class="code" data-lang="python">{code}</div>\n'
            f'<figcaption><code>{html.escape(listing.name)}</code> from '
            f'<a class="listing-source" href="{html.escape(href)}">{html.escape(listing.path)}, '
            f'lines {listing.start}\u2013{listing.end}</a>. ')


def listings_plugin(md: MarkdownIt) -> None:
    container_plugin(md, "listing", validate=_validate, render=_render)
    md.core.ruler.push("resolve_listings", _resolve_listings)


def source_page_html(root: Path, rel_path: str, cache: dict | None = None) -> str:
    """The whole file, highlighted, each line anchored `L-<n>` for the listings' links."""
    code = (root / rel_path).read_text(encoding="utf-8")
    block = highlight_code(code, "python", cache, linenos="inline", lineanchors="L",
                           anchorlinenos=True)
    return scroll_region(block, f"Source file: {rel_path}")
