"""Font subsetting with fontTools, cached on disk so that only new character sets cost time.

A subset is a pure function of (font file, characters, fontTools version, options below), and the
cache key is exactly that; entries live in .cache/fonts/ as <key>.woff2 and are shared by every
build of the checkout (`build`, `serve`, tests). Output is byte-identical from run to run: the
source's `head.created/modified` are kept (no "now" timestamps), glyph order follows the font, and
brotli is deterministic. Misses are subset in a process pool when there are several, because each
face costs tens of milliseconds of pure Python (decode, prune, re-encode, woff2 transform).
"""
from __future__ import annotations

import functools
import hashlib
import io
import logging
import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

# Bump when the options in `_subset` change: old cache entries then stop matching.
RECIPE = "woff2-default-options-v1"
POOL_FROM = 3      # fewer misses than this are cheaper in-process than starting workers
MAX_WORKERS = 2


@dataclass(frozen=True)
class SubsetJob:
    source: Path  # a TrueType/woff/woff2 file fontTools can read
    chars: str    # the characters to keep, sorted (part of the cache key)


def _file_digest(path: Path, memo: dict[tuple[str, int, int], str] = {}) -> str:
    """sha256 of a file, memoised by (path, mtime, size) for `serve`'s repeated builds."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in memo:
        memo[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return memo[key]


@functools.cache
def _tool_versions() -> str:
    """Looked up once per process: importlib.metadata scans sys.path (milliseconds a call)."""
    return f"fonttools {version('fonttools')}, brotli {version('brotli')}"


def cache_key(job: SubsetJob) -> str:
    parts = [RECIPE, _tool_versions(), _file_digest(job.source), job.chars]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _subset(source: Path, chars: str) -> bytes:
    """The subset as woff2 bytes. Imports fontTools here: warm builds never pay for it."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    logging.getLogger("fontTools").setLevel(logging.ERROR)  # "timestamp seems very low" noise
    font = TTFont(source, recalcTimestamp=False)  # keep head.modified: no build-time clock
    options = subset.Options()
    options.flavor = "woff2"
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted({ord(c) for c in chars}))
    subsetter.subset(font)
    font.flavor = "woff2"
    buffer = io.BytesIO()
    font.save(buffer, reorderTables=False)
    return buffer.getvalue()


def _store(path: Path, data: bytes) -> None:
    """Write via a temporary file and a rename: concurrent builds never read half an entry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def subset_fonts(jobs: list[SubsetJob], cache_dir: Path) -> dict[SubsetJob, bytes]:
    """woff2 bytes for every job, from the cache or freshly subset (then cached)."""
    results: dict[SubsetJob, bytes] = {}
    misses: dict[SubsetJob, Path] = {}
    for job in jobs:
        entry = cache_dir / f"{cache_key(job)}.woff2"
        if entry.is_file():
            results[job] = entry.read_bytes()
        else:
            misses[job] = entry
    if len(misses) >= POOL_FROM and (os.cpu_count() or 1) > 1:
        # fork: workers start in milliseconds and import fontTools in parallel.
        context = multiprocessing.get_context("fork")
        workers = min(MAX_WORKERS, os.cpu_count() or 1, len(misses))
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            # Most glyphs first, so that the workers finish at about the same time.
            order = sorted(misses, key=lambda j: -len(j.chars))
            done = dict(zip(order, pool.map(_subset, [j.source for j in order],
                                             [j.chars for j in order])))
    else:
        done = {job: _subset(job.source, job.chars) for job in misses}
    for job, data in done.items():
        _store(misses[job], data)
        results[job] = data
    return results
