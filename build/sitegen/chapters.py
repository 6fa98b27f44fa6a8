"""One chapter file: YAML front matter between `---` lines, then the Markdown body.

The body keeps its offset in the file so that every later error can report the real line.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import yamlfile
from .errors import BuildError
from .textfiles import read_utf8

STATUSES = ("ready", "in-preparation")
FRONT_MATTER_HINT = ("a chapter starts with a line `---`, then `title:`, `description:` and "
                     "`status: ready|in-preparation`, then a closing `---` line")


@dataclass(frozen=True)
class Chapter:
    slug: str
    title: str
    description: str
    status: str
    body: str
    body_line: int        # 0-based line in the file where the body starts
    file: Path

    @property
    def in_preparation(self) -> bool:
        return self.status == "in-preparation"


def split_front_matter(text: str, file: Path) -> tuple[str, str, int]:
    """Return (front matter, body, 0-based line of the body)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise BuildError("missing front matter", file, 1, FRONT_MATTER_HINT)
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "".join(lines[1:i]), "".join(lines[i + 1:]), i + 1
    raise BuildError("front matter is never closed", file, 1,
                     "add a line `---` after the last front-matter key")


def parse_chapter(slug: str, text: str, file: Path) -> Chapter:
    front, body, body_line = split_front_matter(text, file)
    data, lines = yamlfile.parse(front, file, base_line=1, hint=FRONT_MATTER_HINT)
    if not isinstance(data, dict):
        raise BuildError("front matter must be a mapping (key: value lines)", file, 2,
                         FRONT_MATTER_HINT)
    for key in ("title", "description"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise BuildError(f"front matter needs a `{key}` (text)", file,
                             yamlfile.line_of(lines, key) or 2, FRONT_MATTER_HINT)
    status = data.get("status", "ready")
    if status not in STATUSES:
        raise BuildError(f"unknown status {status!r}", file, yamlfile.line_of(lines, "status"),
                         "use `status: ready` or `status: in-preparation`")
    return Chapter(slug=slug, title=data["title"].strip(), description=data["description"].strip(),
                   status=status, body=body, body_line=body_line, file=file)


def load_chapter(content: Path, slug: str) -> Chapter:
    file = content / "chapters" / f"{slug}.md"
    return parse_chapter(slug, read_utf8(file), file)
