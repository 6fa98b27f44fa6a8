"""The one error type of the site build: what went wrong, where, and what to do about it.

Every bad input (front matter, chapter order, figure id, citation key, LaTeX, listing, model file)
raises a BuildError instead of a traceback, so an author sees `file:line: message` and a hint.
"""
from __future__ import annotations

from pathlib import Path


class BuildError(Exception):
    """A problem in the article's inputs, located at `file:line` when that is known."""

    def __init__(self, message: str, file: Path | str | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = Path(file) if file is not None else None
        self.line = line
        self.hint = hint

    @property
    def location(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line else str(self.file)

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text
