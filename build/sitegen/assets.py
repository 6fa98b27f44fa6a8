"""Everything besides the pages: static files, bundled JS/CSS, vendored KaTeX and onnxruntime-web.

Output layout: assets/site.css, assets/katex/,
assets/js/main.js (+ chunks), assets/vendor/ort/, models/, and the rest of static/ at the root.
Large vendored files are hard-linked when the file system allows it (cheap rebuilds in `serve`).
KaTeX's fonts are the exception: they are cut down to the characters the written pages draw
(katexfonts decides which, fontsubset does the cutting), since whole fonts would make up most of
a maths page's weight.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuildError
from .fontsubset import SubsetJob, subset_fonts
from .katexfonts import UnpredictableFont, characters_by_face, parse_stylesheet, without_faces
from .project import Project

# static/ subfolders with their own treatment; everything else is copied as is.
BUNDLED = ("js", "css", "figures")
ORT_FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
JS_ENTRIES = ("main", "livereload")   # static/js/<name>.js -> assets/js/<name>.js
# Web Worker modules, each bundled as its own entry at a stable path, since a page creates its
# worker from that URL: static/js/<name>.js -> assets/js/<name>.js
WORKER_ENTRIES = ("meta-train-worker", "runtime-worker")


def link_or_copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


def copy_tree(src: Path, dest: Path, skip_top: tuple[str, ...] = ()) -> None:
    if not src.is_dir():
        return
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if rel.parts[0] in skip_top or not path.is_file() or path.name.startswith("."):
            continue
        link_or_copy(path, dest / rel)


def copy_static(project: Project, out: Path) -> None:
    """static/ minus the bundled folders to the site root; static/models to models/."""
    copy_tree(project.static, out, skip_top=BUNDLED + ("models",))
    copy_tree(project.models, out / "models")


def katex_css(project: Project) -> str:
    """KaTeX's stylesheet with only the woff2 sources (every browser we target reads woff2)."""
    css = (project.node_modules / "katex/dist/katex.min.css").read_text(encoding="utf-8")
    return re.sub(r",url\(fonts/[^)]+\.(?:woff|ttf)\) format\(\"(?:woff|truetype)\"\)", "", css)


def katex_fonts(project: Project, out: Path, css: str) -> str:
    """Write the KaTeX font subsets the pages in `out` need; return the stylesheet to ship.

    Call after every page is written. Faces no page draws lose their file and their @font-face
    rule together (a rule pointing at a missing file would be a 404 waiting to happen)."""
    dist = project.node_modules / "katex/dist"
    sheet = parse_stylesheet(css)
    pages = [p.read_text(encoding="utf-8") for p in sorted(out.rglob("*.html"))]
    try:
        used = characters_by_face(pages, sheet)
    except UnpredictableFont:  # a formula sets its own font: ship the fonts whole
        for face in sheet.faces:
            link_or_copy(dist / face.url, out / "assets/katex" / face.url)
        return css
    jobs = {face: SubsetJob(_subset_source(dist / face.url), "".join(sorted(used[face])))
            for face in sheet.faces if face in used}
    subsets = subset_fonts(list(jobs.values()), project.root / ".cache/fonts")
    for face, job in jobs.items():
        target = out / "assets/katex" / face.url
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(subsets[job])
    return without_faces(css, [face for face in sheet.faces if face not in used])


def _subset_source(woff2: Path) -> Path:
    """The .ttf next to a KaTeX .woff2: same glyphs, and ten times faster to read than woff2."""
    ttf = woff2.with_suffix(".ttf")
    return ttf if ttf.is_file() else woff2


def vendor(project: Project, out: Path) -> None:
    katex = project.node_modules / "katex/dist"
    ort = project.node_modules / "onnxruntime-web/dist"
    if not katex.is_dir() or not ort.is_dir():
        raise BuildError("node_modules lacks katex or onnxruntime-web", hint="run `npm ci`")
    (out / "assets/katex").mkdir(parents=True, exist_ok=True)
    css = katex_fonts(project, out, katex_css(project))
    (out / "assets/katex/katex.min.css").write_text(css, encoding="utf-8")
    for name in ORT_FILES:
        link_or_copy(ort / name, out / "assets/vendor/ort" / name)


@dataclass
class Bundler:
    """esbuild over static/js (+ the figure modules it imports) and static/css/site.css.

    Output is held in memory and reused while no input file changed, so `serve` rebuilds after a
    chapter edit start no esbuild at all.
    """
    project: Project
    _key: str | None = None
    _files: dict[str, bytes] = field(default_factory=dict)
    _proc: subprocess.Popen | None = None
    _tmp: str | None = None
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
