"""Every file static/models/manifest.json lists has the sha256 the manifest records.

A graph or parameter file edited, half-copied or re-exported without its manifest would make the
figures compute other numbers than the text quotes, or fail in whichever renderer reads it first.
The build checks all of them up front. Digests are memoised by (path, mtime_ns, size), so a
rebuild in `serve` hashes only files that changed (the cold build hashes well under 1 MB).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError
from .syntax.manifest import Manifest, ManifestError

EXPORT_HINT = ("run `article export` so that the files and manifest.json agree again "
               "(or restore the committed files from git)")
CHUNK = 1 << 20


@dataclass(frozen=True)
class ListedFile:
    key: str        # where the manifest lists it, e.g. "graphs.line_landscape"
    path: Path
    sha256: str


class DigestCache:
    """sha256 of files, kept while a file's (mtime_ns, size) stays the same."""

    def __init__(self) -> None:
        self._digests: dict[Path, tuple[int, int, str]] = {}
        self.hashed = 0  # files actually read (tests check the memo)

    def sha256(self, path: Path) -> str:
        stat = path.stat()
        known = self._digests.get(path)
        if known and known[:2] == (stat.st_mtime_ns, stat.st_size):
            return known[2]
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
        self.hashed += 1
        self._digests[path] = (stat.st_mtime_ns, stat.st_size, digest.hexdigest())
        return digest.hexdigest()


# One per process: `serve` rebuilds in the same process, a cold `build` starts empty.
DIGESTS = DigestCache()


def check_model_files(manifest: Manifest, display: Callable[[Path], str],
                      digests: DigestCache = DIGESTS) -> None:
    """Raise a BuildError, located at the file's entry in manifest.json, for the first listed
    file that is missing or whose sha256 differs.

    Without a manifest there is nothing to check against; pages that quote it or figures that
    need models report that themselves."""
    if not manifest.exists:
        return
    for listed in listed_files(manifest, display):
        if not listed.path.is_file():
            raise _entry_error(manifest, display, listed,
                               f"missing model file {display(listed.path)} "
                               f"(manifest.json lists it as {listed.key})")
        actual = digests.sha256(listed.path)
        if actual != listed.sha256.lower():
            raise _entry_error(manifest, display, listed,
                               f"{display(listed.path)} has sha256 {actual[:12]}…, but "
                               f"{listed.key} records {listed.sha256[:12]}…: the file and "
                               "manifest.json disagree")


def _entry_error(manifest: Manifest, display: Callable[[Path], str], listed: ListedFile,
                 message: str) -> BuildError:
    return BuildError(message, display(manifest.file), _line_of(manifest.file, listed.sha256),
                      EXPORT_HINT)


def listed_files(manifest: Manifest, display: Callable[[Path], str]) -> list[ListedFile]:
    """Every (file, sha256) pair of graphs, models' params and data, in manifest order."""
    try:
        data = manifest.data
    except ManifestError as exc:
        raise BuildError(str(exc), display(manifest.file), hint=EXPORT_HINT) from None
    if not isinstance(data, dict):
        raise BuildError("manifest.json must be a JSON object", display(manifest.file),
                         hint=EXPORT_HINT)
    return [_listed(manifest, display, key, entry) for key, entry in _entries(data)]


def _entries(data: dict) -> Iterator[tuple[str, object]]:
    for name, graph in (data.get("graphs") or {}).items():
        yield f"graphs.{name}", graph
    for name, model in (data.get("models") or {}).items():
        yield f"models.{name}.params", model.get("params") if isinstance(model, dict) else None
    for name, item in (data.get("data") or {}).items():
        yield f"data.{name}", item


def _listed(manifest: Manifest, display: Callable[[Path], str], key: str,
            entry: object) -> ListedFile:
    fields = entry if isinstance(entry, dict) else {}
    file, sha256 = fields.get("file"), fields.get("sha256")
    if not isinstance(file, str) or not isinstance(sha256, str) or len(sha256) != 64:
        raise BuildError(f"manifest.json: {key} needs `file` and a 64-digit `sha256`",
                         display(manifest.file), hint=EXPORT_HINT)
    return ListedFile(key, manifest.file.parent / file, sha256)


def _line_of(file: Path, needle: str) -> int | None:
    """1-based line of `needle` in `file` (read only once a check has failed)."""
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    return None
