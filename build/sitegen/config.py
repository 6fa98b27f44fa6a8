"""content/article.yaml: the article's metadata and chapter order, validated with line numbers."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import yamlfile
from .errors import BuildError
from .project import Project

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Author:
    name: str
    affiliation: str = ""
    url: str = ""


@dataclass(frozen=True)
class Article:
    title: str
    subtitle: str
    description: str
    date: str                       # ISO date, the only date that appears in the output
    authors: tuple[Author, ...]
    url: str                        # canonical base URL ending in "/", or "" (relative only)
    chapters: tuple[str, ...]
    chapter_lines: tuple[int, ...]  # line of each chapter slug in article.yaml, for errors
    macros: dict[str, str] = field(default_factory=dict)
    hero_caption: str = ""          # the caption of the index page's figure, plain text
    file: Path = Path("article.yaml")

    @property
    def year(self) -> str:
        return self.date[:4]

    @property
    def affiliations(self) -> list[str]:
        """Distinct affiliations in order of first appearance (for the byline's footnote marks)."""
        seen: list[str] = []
        for author in self.authors:
            if author.affiliation and author.affiliation not in seen:
                seen.append(author.affiliation)
        return seen


def _text(data: dict, key: str, file: Path, lines: yamlfile.Lines, required: bool = True) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise BuildError(f"article.yaml needs a `{key}`", file, yamlfile.line_of(lines, key),
                             f"add `{key}: ...` at the top level of {file.name}")
        return ""
    if not isinstance(value, (str, int, float)):
        raise BuildError(f"`{key}` must be text", file, yamlfile.line_of(lines, key))
    return str(value).strip()


def load_article(project: Project) -> Article:
    file = project.content / "article.yaml"
    data, lines = yamlfile.load(file, hint="create content/article.yaml (see README.md, \"For authors\")")
    if not isinstance(data, dict):
        raise BuildError("article.yaml must be a mapping of keys to values", file, 1)

    date = data.get("date")
    if isinstance(date, (dt.date, dt.datetime)):
        date = date.isoformat()[:10]
    if not isinstance(date, str) or not re.match(r"^\d{4}-\d{2}-\d{2}$", date):
        raise BuildError("`date` must be an ISO date such as 2025-01-31", file,
                         yamlfile.line_of(lines, "date"))

    raw_authors = data.get("authors")
    if not isinstance(raw_authors, list) or not raw_authors:
        raise BuildError("`authors` must be a list of {name, affiliation, url?}", file,
                         yamlfile.line_of(lines, "authors"))
    authors = []
    for i, item in enumerate(raw_authors):
        if not isinstance(item, dict) or not item.get("name"):
            raise BuildError("each author needs a `name`", file, yamlfile.line_of(lines, "authors", i))
        authors.append(Author(str(item["name"]), str(item.get("affiliation") or ""),
                              str(item.get("url") or "")))

    url = _text(data, "url", file, lines, required=False)
    if url and not url.endswith("/"):
        url += "/"

    slugs = data.get("chapters")
    if not isinstance(slugs, list) or not slugs:
        raise BuildError("`chapters` must be a list of chapter slugs", file,
                         yamlfile.line_of(lines, "chapters"))
    chapter_lines = []
    for i, slug in enumerate(slugs):
        line = yamlfile.line_of(lines, "chapters", i)
        if not isinstance(slug, str) or not SLUG.match(slug):
            raise BuildError(f"chapter slug {slug!r} is not a slug", file, line,
                             "use lower-case letters, digits and hyphens, e.g. how-maml-works")
        if slugs.index(slug) != i:
            raise BuildError(f"chapter {slug!r} is listed twice", file, line)
        if not (project.content / "chapters" / f"{slug}.md").is_file():
            raise BuildError(f"unknown chapter {slug!r}: content/chapters/{slug}.md does not exist",
                             file, line, f"create content/chapters/{slug}.md or remove the entry")
        chapter_lines.append(line or 0)

    macros = data.get("macros") or {}
    if not isinstance(macros, dict):
        raise BuildError("`macros` must map \\name to its expansion", file,
                         yamlfile.line_of(lines, "macros"))

    return Article(
        title=_text(data, "title", file, lines),
        subtitle=_text(data, "subtitle", file, lines, required=False),
        description=_text(data, "description", file, lines),
        date=date,
        authors=tuple(authors),
        url=url,
        chapters=tuple(slugs),
        chapter_lines=tuple(chapter_lines),
        macros={str(k): str(v) for k, v in sorted(macros.items())},
        hero_caption=_text(data, "hero_caption", file, lines, required=False),
        file=file,
    )
