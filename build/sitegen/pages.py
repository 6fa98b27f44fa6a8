"""Page models handed to the templates: navigation, relative links, head metadata, BibTeX."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .config import Article

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")

# Why each directive: KaTeX's HTML positions glyphs with style="" attributes, so attributes need
# 'unsafe-inline'. CSP level 3 browsers read style-src-elem/-attr and so still refuse inline
# <style> elements; older ones fall back to style-src. Scripts: only our own files, plus
# 'wasm-unsafe-eval' for onnxruntime-web's WebAssembly. No inline script anywhere (the dev
# server's reload client is a file too).
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "style-src-elem 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
])


def date_text(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{int(day)} {MONTHS[int(month) - 1]} {year}"


@dataclass
class NavItem:
    slug: str
    title: str
    description: str
    href: str
    in_preparation: bool
    current: bool = False


@dataclass
class Page:
    kind: str                 # index | chapter | 404 | source
    path: str                 # output file relative to the site root, e.g. "reptile/index.html"
    title: str
    full_title: str
    description: str
    root: str                 # relative path to the site root: "./" or "../"...
    canonical: str = ""
    base: str = ""
    body: str = ""
    toc: str = ""
    bibliography: str = ""
    stylesheets: list[str] = field(default_factory=list)
    number: int = 0
    in_preparation: bool = False
    prev: NavItem | None = None
    next: NavItem | None = None

    @property
    def url_path(self) -> str:
        """The page's URL relative to the site root ("" for the title page, "slug/")."""
        return self.path[:-len("index.html")] if self.path.endswith("index.html") else self.path


def root_for(path: str) -> str:
    depth = path.count("/")
    return "../" * depth if depth else "./"


def navigation(article: Article, titles: dict[str, tuple[str, str, bool]], root: str,
               current: str | None) -> list[NavItem]:
    return [NavItem(slug, titles[slug][0], titles[slug][1], f"{root}{slug}/", titles[slug][2],
                    slug == current) for slug in article.chapters]


def _bibtex_name(name: str) -> str:
    # "First Last" is safe for BibTeX; anything longer (a team, "van" particles) is kept verbatim.
    return name if len(name.split()) <= 2 else "{" + name + "}"


def bibtex(article: Article) -> str:
    first = article.authors[0].name.split()[-1].lower()
    word = next((w for w in re.findall(r"[A-Za-z]+", article.title.lower())
                 if w not in {"a", "an", "the", "on", "of", "to"}), "article")
    fields = [("title", "{" + article.title + "}"),
              ("author", " and ".join(_bibtex_name(a.name) for a in article.authors)),
              ("year", article.year),
              ("month", MONTHS[int(article.date[5:7]) - 1][:3].lower())]
    if article.url:
        fields.append(("url", article.url))
    fields.append(("note", "Interactive article"))
    lines = [f"@misc{{{re.sub(r'[^a-z0-9]', '', first)}{article.year}{word},"]
    lines += [f"  {key} = {value if key == 'month' else '{' + value + '}'}," for key, value in fields]
    return "\n".join(lines).rstrip(",") + "\n}"
