"""The bundle: esbuild over static/js (and the figure modules it imports) and static/css/site.css.

Output: assets/js/<entry>.js (+ chunks), the Web Workers' entries at stable paths, and
assets/site.css. esbuild runs in the background while the pages are parsed.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuildError
from .project import Project

# static/ subfolders that go through esbuild (the rest of static/ is copied as it is).
BUNDLED = ("js", "css", "figures")
JS_ENTRIES = ("main", "livereload")   # static/js/<name>.js -> assets/js/<name>.js
# Web Worker modules, each bundled as its own entry at a stable path, since a page creates its
# worker from that URL: static/js/<name>.js -> assets/js/<name>.js
WORKER_ENTRIES = ("meta-train-worker", "runtime-worker")


@dataclass
class Bundler:
    """esbuild over static/js (+ the figure modules it imports) and static/css/site.css.

    Output is held in memory and reused while no input file changed, so `serve` rebuilds after a
    chapter edit start no esbuild at all.
    """
    project: Project
    _key: str | None = None                  # fingerprint of the inputs of the bundle in _files
    _files: dict[str, bytes] = field(default_factory=dict)
    _proc: subprocess.Popen | None = None    # esbuild, while it runs
    _tmp: str | None = None                  # its output folder
    _pending_key: str | None = None          # fingerprint of the inputs it is bundling
    runs: int = 0

    def _inputs(self) -> list[Path]:
        files = []
        for folder in BUNDLED:
            base = self.project.static / folder
            if base.is_dir():
                files += [p for p in sorted(base.rglob("*")) if p.is_file()]
        return files

    def _fingerprint(self, inputs: list[Path]) -> str:
        digest = hashlib.sha256()
        for path in inputs:
            stat = path.stat()
            digest.update(f"{path}\0{stat.st_mtime_ns}\0{stat.st_size}\n".encode())
        return digest.hexdigest()

    def _command(self, outdir: str) -> list[str] | None:
        static = self.project.static
        names = JS_ENTRIES + WORKER_ENTRIES
        entries = [f"js/{name}={static / 'js' / (name + '.js')}" for name in names
                   if (static / "js" / f"{name}.js").is_file()]
        if (static / "css/site.css").is_file():
            entries.append(f"site={static / 'css/site.css'}")
        if not entries:
            return None
        esbuild = self.project.node_modules / ".bin/esbuild"
        if not esbuild.exists():
            raise BuildError("esbuild is missing from node_modules", hint="run `npm ci`")
        return [str(esbuild), *entries, "--bundle", "--splitting", "--format=esm", "--minify",
                "--target=es2020", f"--outdir={outdir}", "--chunk-names=js/chunks/[name]-[hash]",
                "--asset-names=media/[name]-[hash]", "--loader:.woff2=file",
                "--loader:.svg=file", "--loader:.png=file", "--legal-comments=none",
                "--log-level=error", "--charset=utf8"]

    def start(self) -> None:
        """Launch esbuild in the background if the inputs changed (it runs while pages render)."""
        inputs = self._inputs()
        key = self._fingerprint(inputs)
        if key == self._key:
            return
        self._key, self._files = None, {}
        self._tmp = tempfile.mkdtemp(prefix="sitegen-esbuild-")
        command = self._command(self._tmp)
        if command is None:
            self._key = key
            shutil.rmtree(self._tmp, ignore_errors=True)
            return
        self.runs += 1
        self._proc = subprocess.Popen(command, cwd=self.project.root, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
        self._pending_key = key

    def finish(self, out: Path) -> None:
        """Wait for esbuild (if it ran) and write the bundle into `out/assets`."""
        if self._proc is not None:
            proc, self._proc = self._proc, None
            _, stderr = proc.communicate()
            tmp = Path(self._tmp or "")
            try:
                if proc.returncode != 0:
                    message = stderr.strip()
                    raise BuildError(f"esbuild failed:\n{message}", self._error_file(message),
                                     self._error_line(message), "fix the JavaScript or CSS above")
                self._files = {str(p.relative_to(tmp)): p.read_bytes()
                               for p in sorted(tmp.rglob("*")) if p.is_file()}
                self._key = self._pending_key
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        for rel, data in self._files.items():
            target = out / "assets" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)

    def cancel(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.communicate()
            self._proc = None
            shutil.rmtree(self._tmp or "", ignore_errors=True)

    @staticmethod
    def _error_file(message: str) -> str | None:
        match = re.search(r"(\S+\.(?:js|mjs|css)):(\d+):", message)
        return match.group(1) if match else None

    @staticmethod
    def _error_line(message: str) -> int | None:
        match = re.search(r"\S+\.(?:js|mjs|css):(\d+):", message)
        return int(match.group(1)) if match else None

    def has(self, rel: str) -> bool:
        return rel in self._files
