"""Reading an author's text file: UTF-8, or a BuildError that says where it is not.

A file saved in another encoding (Latin-1, Windows-1252) used to end the build in a traceback
without the file's name. The error names the file, the line and column of the first byte that
is not UTF-8, and what to do. A byte-order mark is accepted and dropped: some editors write one.
"""
from __future__ import annotations

from pathlib import Path

from .errors import BuildError

SAVE_AS_UTF8 = "save the file as UTF-8 (in most editors: File > Save with encoding > UTF-8)"


def read_utf8(file: Path, shown: Path | str | None = None, missing_hint: str | None = None) -> str:
    """The text of `file`; BuildError (at `shown`, default `file`) when it is missing or not
    UTF-8."""
    shown = file if shown is None else shown
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise BuildError("file not found", shown, None, missing_hint) from None
    except IsADirectoryError:
        raise BuildError("expected a file, found a folder", shown) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise BuildError(f"the file is not UTF-8: byte 0x{data[exc.start]:02x} at offset "
                         f"{exc.start} cannot be read", shown, line, SAVE_AS_UTF8,
                         column) from None
