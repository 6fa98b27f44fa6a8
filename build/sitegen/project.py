"""Where the build reads from and writes to, in one object passed through the pipeline.

Tests point `content` at a temporary folder; everything else defaults to the repository layout.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# build/sitegen/project.py -> repository root (the package is installed editable).
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Project:
    root: Path
    content: Path
    templates: Path
    static: Path
    trainers: Path
    node_modules: Path
    models: Path

    @classmethod
    def at(cls, root: Path | None = None, content: Path | None = None,
           static: Path | None = None, models: Path | None = None) -> "Project":
        root = (root or REPO_ROOT).resolve()
        static = (static or root / "static").resolve()
        return cls(
            root=root,
            content=(content or root / "content").resolve(),
            templates=root / "templates",
            static=static,
            trainers=root / "trainers",
            node_modules=root / "node_modules",
            models=(models or static / "models").resolve(),
        )

    def display(self, path: Path) -> str:
        """A path as an author would type it: relative to the repository root when inside it;
        for a content folder elsewhere (`--content`), relative to that folder's parent
        (content/chapters/x.md), never absolute."""
        resolved = path.resolve()
        for base in (self.root, self.content.parent):
            if resolved.is_relative_to(base):
                return str(resolved.relative_to(base))
        return str(path)
