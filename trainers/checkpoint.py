"""Saving and loading training state, atomically.

A checkpoint is written to a temporary file in the same folder and renamed over the old one, so
an interrupted write never leaves a truncated checkpoint: there is always a last good one.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from trainers.errors import UserError


def save_atomic(payload: dict[str, Any], path: Path) -> None:
    """torch.save to a temp file beside `path`, flushed to disk, then renamed onto `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path, what: str = "checkpoint") -> dict[str, Any]:
    """Load a file written by `save_atomic` (tensors and plain Python values only)."""
    if not path.is_file():
        raise UserError(f"no {what} at {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a corrupt or foreign file is the user's to fix
        raise UserError(f"cannot read the {what} {path}: {error}") from None
