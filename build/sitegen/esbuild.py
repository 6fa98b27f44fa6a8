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
BUNDLES_KEPT = 3  # bundles kept in the disk cache (an edit of the code adds one)


@dataclass
class Bundler:
    """esbuild over static/js (+ the figure modules it imports) and static/css/site.css.

    Output is held in memory and reused while no input file changed, so `serve` rebuilds after a
    chapter edit start no esbuild at all. With a `cache_dir` (the build's .cache/bundle/), it is
    also kept on disk by the inputs' content, so a fresh build of unchanged code starts none
    either (esbuild costs a cold build about 0.18 s of CPU while the pictures are drawn).
    """
    project: Project
    cache_dir: Path | None = None
    _key: str | None = None                  # fingerprint of the inputs of the bundle in _files
    _files: dict[str, bytes] = field(default_factory=dict)
    _proc: subprocess.Popen | None = None    # esbuild, while it runs
    _tmp: str | None = None                  # its output folder
    _pending_key: str | None = None          # fingerprint of the inputs it is bundling
    _disk_key: str = ""                       # content key of the bundle being made
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
        self._disk_key = self._content_key(inputs, command)
        cached = self._from_disk(self._disk_key)
        if cached is not None:
            self._key, self._files = key, cached
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
                self._to_disk(tmp)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        for rel, data in self._files.items():
            target = out / "assets" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)

    def _content_key(self, inputs: list[Path], command: list[str]) -> str:
        """What the bundle is made of: the inputs' names and bytes, the npm lock (the packages
        imported) and esbuild's arguments with the output folder left out."""
        root = self.project.root
        digest = hashlib.sha256()
        for part in command:
            if not part.startswith("--outdir="):
                digest.update(part.replace(str(root), "").encode() + b"\0")
        lock = self.project.node_modules.parent / "package-lock.json"
        for path in [lock, *inputs] if lock.is_file() else inputs:
            name = path.relative_to(root) if path.is_relative_to(root) else path
            digest.update(str(name).encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()[:32]

    def _from_disk(self, key: str) -> dict[str, bytes] | None:
        folder = self.cache_dir / key if self.cache_dir else None
        if folder is None or not folder.is_dir():
            return None
        return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

    def _to_disk(self, built: Path) -> None:
        """Keep esbuild's output under its content key (the newest few bundles only)."""
        if self.cache_dir is None:
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        folder = self.cache_dir / self._disk_key
        if not folder.exists():
            staged = Path(tempfile.mkdtemp(prefix=".staged-", dir=self.cache_dir))
            shutil.copytree(built, staged, dirs_exist_ok=True)
            try:
                staged.rename(folder)  # never a half-written bundle under its key
            except OSError:  # another build stored the same bundle meanwhile
                shutil.rmtree(staged, ignore_errors=True)
        older = sorted((p for p in self.cache_dir.iterdir() if p.is_dir() and p != folder
                        and not p.name.startswith(".")), key=lambda p: p.stat().st_mtime)
        for stale in older[:-BUNDLES_KEPT + 1]:
            shutil.rmtree(stale, ignore_errors=True)

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
