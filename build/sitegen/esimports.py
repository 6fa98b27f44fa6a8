"""What an ES module imports from the project: the closure of its relative imports.

A figure's static picture depends on its own module and the modules that module imports, not on
every figure's code; the picture cache keys each picture by that closure, so an edit to one
figure redraws that figure alone. Only relative specifiers ("./lib/plot.js") are followed: bare
ones (d3, linkedom) are npm packages, pinned by package-lock.json. A specifier inside a comment
is followed too, which can only make a picture redraw more often, never less.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# `import x from "./a.js"`, `export * from "./a.js"`, `import "./a.js"`, `import("./a.js")`
RELATIVE_IMPORT = re.compile(r"""(?:\bfrom|\bimport)\s*\(?\s*["'](\.{1,2}/[^"']+)["']""")


@dataclass
class ModuleFiles:
    """Reads each file once per version (size and mtime): its relative imports and its digest."""
    _seen: dict[Path, tuple[tuple[int, int], list[Path], str]] = field(default_factory=dict)

    def _read(self, path: Path) -> tuple[list[Path], str]:
        stat = path.stat()
        stamp = (stat.st_size, stat.st_mtime_ns)
        known = self._seen.get(path)
        if known is None or known[0] != stamp:
            data = path.read_bytes()
            imports = [(path.parent / spec).resolve()
                       for spec in RELATIVE_IMPORT.findall(data.decode("utf-8", "replace"))]
            known = (stamp, imports, hashlib.sha256(data).hexdigest())
            self._seen[path] = known
        return known[1], known[2]

    def closure(self, entries: Iterable[Path]) -> list[Path]:
        """`entries` and every file they import, directly or not, that exists; sorted."""
        seen: set[Path] = set()
        todo = [Path(entry).resolve() for entry in entries]
        while todo:
            path = todo.pop()
            if path in seen or not path.is_file():
                continue
            seen.add(path)
            todo += self._read(path)[0]
        return sorted(seen)

    def digest(self, files: Iterable[Path], root: Path) -> str:
        """One digest over the files' names (relative to `root`) and contents."""
        total = hashlib.sha256()
        for path in files:
            name = path.relative_to(root) if path.is_relative_to(root) else path
            total.update(f"{name}\0{self._read(path)[1]}\n".encode())
        return total.hexdigest()
