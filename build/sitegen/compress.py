"""Precompressed copies of the site's files: `<file>.br` and `<file>.gz` beside `<file>`.

Hosts that serve precompressed files (nginx's gzip_static and brotli_static, Caddy's
`precompressed`, and `article serve`) send these as they are when a browser accepts them, so a
reader downloads onnxruntime-web's 14 MB of WebAssembly as under 3 MB. Only files of a text-like
or numeric type are tried (images and fonts are compressed already), only above MIN_BYTES, and a
copy is kept only where it saves at least MIN_SAVING of the file.

A cold build compresses everything once, so the levels are fast ones: on the built site, brotli's
quality 5 makes 3.5 MB of text 568 KB in 0.07 s where quality 11 makes it 497 KB in 3.9 s, and
on the 14.2 MB of WebAssembly quality 5 and gzip's level 5 take 0.36 s and 0.29 s for 2.83 MB
and 3.72 MB, where quality 6 and level 6 take 0.48 s and 0.49 s for 2.77 MB and 3.67 MB.
Compressed copies are cached by the content's digest in .cache/compressed/, so a warm build
compresses only what changed.
"""
from __future__ import annotations

import gzip
import hashlib
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import brotli

from .assets import link_or_copy

# Content codings in the order a server prefers them, with the suffix of their files.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
COMPRESSIBLE = {".html", ".css", ".js", ".mjs", ".json", ".svg", ".xml", ".txt", ".wasm",
                ".onnx", ".bin"}
MIN_BYTES = 1024          # below this, the saving is smaller than a request's headers
MIN_SAVING = 0.1          # a copy that saves less than a tenth is not worth a second file
LEVELS = {"br": 5, "gzip": 5}   # brotli's quality (0-11), gzip's level (1-9)
_BACKGROUND = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sitegen-compress")


def encode(coding: str, data: bytes) -> bytes:
    """`data` in the content coding `coding` ("br" or "gzip"), the same bytes every time."""
    if coding == "br":
        return brotli.compress(data, quality=LEVELS["br"])
    if coding == "gzip":
        return gzip.compress(data, LEVELS["gzip"], mtime=0)
    raise ValueError(f"unknown content coding {coding!r}")


def worth_trying(path: Path) -> bool:
    return path.suffix in COMPRESSIBLE and path.stat().st_size >= MIN_BYTES


@dataclass
class Precompressor:
    """Writes the compressed copies beside a built site's files, from a cache where it can."""
    folder: Path                                     # the on-disk cache, e.g. .cache/compressed
    _digests: dict[tuple, str] = field(default_factory=dict)  # file stamp -> content digest
    _background: Future | None = None
    encoded: int = 0                                 # copies compressed (not from the cache)

    def start(self, files: list[Path]) -> None:
        """Compress `files` into the cache in a background thread while the pages are made (zlib
        and brotli let go of the GIL): files the site will ship unchanged, such as the 14 MB of
        onnxruntime-web's WebAssembly, whose compression is most of a cold build's."""
        self.wait()
        self._background = _BACKGROUND.submit(self._fill, files)

    def wait(self) -> None:
        if self._background is not None:
            background, self._background = self._background, None
            background.result()

    def write_beside(self, site: Path) -> list[Path]:
        """Compress every file of `site` worth it; returns the copies written."""
        self.wait()
        written = []
        for path in sorted(site.rglob("*")):
            if path.is_file() and not path.name.endswith((".br", ".gz")) and worth_trying(path):
                for coding, suffix in ENCODINGS:
                    cached = self._cached(path, coding, suffix)
                    if cached is not None:
                        target = path.with_name(path.name + suffix)
                        target.unlink(missing_ok=True)  # a copy from an earlier run goes
                        link_or_copy(cached, target)
                        written.append(target)
        return written

    def _fill(self, files: list[Path]) -> None:
        for path in files:
            if path.is_file() and worth_trying(path):
                for coding, suffix in ENCODINGS:
                    self._cached(path, coding, suffix)

    def _cached(self, path: Path, coding: str, suffix: str) -> Path | None:
        """The cache's compressed copy of `path`, made if missing; None where it saves too little."""
        # Named by the level too: a copy made at another level is not this one.
        name = f"{self._digest(path)}-{LEVELS[coding]}{suffix}"
        cached = self.folder / name
        skipped = self.folder / f"{name}.skip"   # known not to save enough
        if skipped.exists():
            return None
        if not cached.exists():
            data = encode(coding, path.read_bytes())
            self.encoded += 1
            if len(data) > path.stat().st_size * (1 - MIN_SAVING):
                _write_atomically(skipped, b"")
                return None
            _write_atomically(cached, data)
        return cached

    def _digest(self, path: Path) -> str:
        """The content's digest, remembered by the file's stamp: vendored files are hard links
        whose stamp does not change between builds, so the 14 MB of WebAssembly is read once."""
        stat = path.stat()
        stamp = (stat.st_ino, stat.st_dev, stat.st_size, stat.st_mtime_ns)
        if stamp not in self._digests:
            self._digests[stamp] = hashlib.sha256(path.read_bytes()).hexdigest()[:32]
        return self._digests[stamp]


def _write_atomically(target: Path, data: bytes) -> None:
    """Never a half-written file in the cache, even with two builds at once."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
