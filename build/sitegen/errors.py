"""The one error type of the site build: what went wrong, where, and what to do about it.

Every bad input (front matter, chapter order, figure id, citation key, LaTeX, listing, model file)
raises a BuildError instead of a traceback, so an author sees `file:line: message` and a hint.
The file is shown as the author would type it, relative to the repository
(`content/chapters/reptile.md:42`): the build passes every error through `shown_with` once.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


class BuildError(Exception):
    """A problem in the article's inputs, located at `file:line[:column]` when that is known."""

    def __init__(self, message: str, file: Path | str | None = None, line: int | None = None,
                 hint: str | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = Path(file) if file is not None else None
        self.line = line
        self.column = column
        self.hint = hint

    @property
    def location(self) -> str:
        if self.file is None:
            return ""
        if not self.line:
            return str(self.file)
        return f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")

    def shown_with(self, display: Callable[[Path], str]) -> "BuildError":
        """The same error with its file as `display` writes it (repository-relative)."""
        if self.file is not None and self.file.is_absolute():
            self.file = Path(display(self.file))
        return self

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text
