"""Sprite sheets of the held-out Omniglot characters, for the few-shot game.

Five 1-bit PNGs instead of 4,000 image files. Sheet s holds drawings 4s .. 4s + 3 of each of the
200 held-out characters (in the order of trainers.omniglot.tasks.split), tile t = 4 * character +
drawing - 4s at column t mod 40, row t div 40, 105 x 105 pixels each, ink black. A trial needs one
drawing of each of N characters and a second drawing of one of them, so the first sheet alone (114
KB) serves every trial; the game loads the others later, for variety.

The PNG is written by hand (zlib and the three chunks a greyscale image needs), so the bytes depend
on nothing but the data and zlib.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from trainers.omniglot import tasks as omniglot

DRAWINGS_PER_SHEET = 4
COLUMNS = 40


def png_1bit(ink: np.ndarray) -> bytes:
    """A 1-bit greyscale PNG of a (H, W) 0/1 array, ink (1) black on white."""
    height, width = ink.shape
    rows = np.packbits(1 - ink.astype(np.uint8), axis=1)  # PNG: 0 is black
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)  # filter type 0 on every row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def sheet(index: int) -> np.ndarray:
    """Sheet `index` as a 0/1 array (rows * 105, COLUMNS * 105)."""
    held_out = omniglot.split()[1]
    first = index * DRAWINGS_PER_SHEET
    tiles = omniglot.load_ink()[held_out, first : first + DRAWINGS_PER_SHEET]
    tiles = tiles.reshape(-1, omniglot.SIZE, omniglot.SIZE)
    rows = -(-len(tiles) // COLUMNS)
    padded = np.zeros((rows * COLUMNS, omniglot.SIZE, omniglot.SIZE), dtype=np.uint8)
    padded[: len(tiles)] = tiles
    grid = padded.reshape(rows, COLUMNS, omniglot.SIZE, omniglot.SIZE).transpose(0, 2, 1, 3)
    return grid.reshape(rows * omniglot.SIZE, COLUMNS * omniglot.SIZE)


def sheet_names() -> list[str]:
    count = omniglot.load_ink().shape[1] // DRAWINGS_PER_SHEET
    return [f"omniglot_sheet_{index}" for index in range(count)]


def write_sheet(out: Path, index: int) -> tuple[Path, dict]:
    """Write sheet `index` as <out>/omniglot-sheet-<index>.png; return it and its layout."""
    path = out / f"omniglot-sheet-{index}.png"
    path.write_bytes(png_1bit(sheet(index)))
    first = index * DRAWINGS_PER_SHEET
    layout = {
        "characters": omniglot.HELD_OUT,
        "drawings": list(range(first, first + DRAWINGS_PER_SHEET)),
        "columns": COLUMNS,
        "tile": omniglot.SIZE,
    }
    return path, layout
