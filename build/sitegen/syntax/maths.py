"""Build-time maths: KaTeX from node_modules, one Node process per build, cached in memory.

Pages register every (tex, display) pair while they are parsed; `render_pending` then sends the
ones not yet in the cache to a single Node process. In `serve`, the cache lives across rebuilds,
so an edit re-renders only the formulas that changed (usually none, i.e. no Node start at all).
"""
from __future__ import annotations

import json
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
    def __init__(self, node_modules: Path, macros: dict[str, str] | None = None) -> None:
        self.node_modules = node_modules
        self.macros = dict(macros or {})
        self._cache: dict[tuple[str, bool], str] = {}
        self._pending: dict[tuple[str, bool], MathUse] = {}
        self.node_runs = 0  # how many Node processes were started (tests check caching)

    def set_macros(self, macros: dict[str, str]) -> None:
        """Called once per build, before any page is parsed."""
        # Formulas queued by an earlier build that failed before typesetting are not this
        # build's: rendering them would report their errors at files of that build.
        self._pending.clear()
        if macros != self.macros:  # macros change every formula's output
            self.macros = dict(macros)
            self._cache.clear()

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

    def html(self, tex: str, display: bool) -> str:
        return self._cache[(tex, display)]
