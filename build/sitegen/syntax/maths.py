"""Build-time maths: KaTeX from node_modules, one Node process per build, cached.

Pages register every (tex, display) pair while they are parsed; `render_pending` then sends the
ones not yet in the cache to a single Node process. In `serve`, the cache lives across rebuilds,
so an edit re-renders only the formulas that changed (usually none, i.e. no Node start at all).
With a `cache_dir` (the build's .cache/katex/), it also lives across builds: a fresh `article
build` then starts no Node for maths either, which took a quarter to half a second of every build.
One file holds what one KaTeX (version and renderer script) made with one set of macros.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildError

SCRIPT = Path(__file__).with_name("katex_render.mjs")


@dataclass(frozen=True)
class MathUse:
    """Where a formula was written, to report KaTeX's error at the author's line."""
    tex: str
    display: bool
    file: Path
    line: int


class KatexRenderer:
    def __init__(self, node_modules: Path, macros: dict[str, str] | None = None,
                 cache_dir: Path | None = None) -> None:
        self.node_modules = node_modules
        self.macros = dict(macros or {})
        self.cache_dir = cache_dir
        self._cache: dict[tuple[str, bool], str] = {}
        self._pending: dict[tuple[str, bool], MathUse] = {}
        self._loaded_from: Path | None = None  # the disk file the memory cache was read from
        self.node_runs = 0  # how many Node processes were started (tests check caching)

    def set_macros(self, macros: dict[str, str]) -> None:
        """Called once per build, before any page is parsed."""
        # Formulas queued by an earlier build that failed before typesetting are not this
        # build's: rendering them would report their errors at files of that build.
        self._pending.clear()
        if macros != self.macros:  # macros change every formula's output
            self.macros = dict(macros)
            self._cache.clear()
            self._loaded_from = None
        file = self._disk_file()
        if file is not None and file != self._loaded_from:
            self._cache.update(_read_cache(file))
            self._loaded_from = file

    def _disk_file(self) -> Path | None:
        """The disk cache for this KaTeX and these macros (None without a cache_dir)."""
        if self.cache_dir is None:
            return None
        try:
            version = (self.node_modules / "katex/package.json").read_bytes()
        except OSError:
            return None  # no KaTeX installed: render_pending says so
        digest = hashlib.sha256(version + SCRIPT.read_bytes()
                                + json.dumps(self.macros, sort_keys=True).encode()).hexdigest()
        return self.cache_dir / f"{digest[:24]}.json"

    def request(self, use: MathUse) -> None:
        key = (use.tex, use.display)
        if key not in self._cache and key not in self._pending:
            self._pending[key] = use

    def render_pending(self) -> None:
        if not self._pending:
            return
        uses = list(self._pending.values())
        self._pending.clear()
        payload = json.dumps({"macros": self.macros,
                              "items": [{"tex": u.tex, "display": u.display} for u in uses]})
        self.node_runs += 1
        try:
            proc = subprocess.run(["node", str(SCRIPT), str(self.node_modules.parent)],
                                  input=payload, capture_output=True, text=True, check=False)
        except FileNotFoundError:
            raise BuildError("Node.js is not installed; the build renders maths with KaTeX in Node",
                             hint="install Node 20 and run `npm ci`") from None
        if proc.returncode != 0:
            raise BuildError(f"KaTeX could not run: {proc.stderr.strip()[-400:]}",
                             hint="run `npm ci` so that node_modules/katex exists")
        results = json.loads(proc.stdout)
        for use, result in zip(uses, results):
            if "error" in result:
                raise BuildError(f"bad LaTeX in ${use.tex}$: {result['error']}", use.file, use.line,
                                 "fix the formula; KaTeX supports most of LaTeX's maths mode "
                                 "(https://katex.org/docs/supported)")
            self._cache[(use.tex, use.display)] = result["html"]
        self._write_disk_cache()

    def _write_disk_cache(self) -> None:
        file = self._disk_file()
        if file is None:
            return
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(f"{file.name}.{os.getpid()}.tmp")
        entries = [[tex, display, html] for (tex, display), html in self._cache.items()]
        tmp.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
        tmp.replace(file)  # never a half-written cache
        self._loaded_from = file

    def html(self, tex: str, display: bool) -> str:
        return self._cache[(tex, display)]


def _read_cache(file: Path) -> dict[tuple[str, bool], str]:
    """A disk cache's formulas; an unreadable file is treated as empty (it is rewritten)."""
    try:
        entries = json.loads(file.read_text(encoding="utf-8"))
        return {(tex, bool(display)): html for tex, display, html in entries}
    except (OSError, ValueError, TypeError):
        return {}
