"""Figures' static pictures, drawn at build time by the figures' own ES modules in Node.

A reader without JavaScript (or WebAssembly) sees each figure's first frame: pictures.mjs runs
the module's `picture(element, params, runtime)` on the same exported graphs and models as the
page, under a server-side DOM, and the build inlines the HTML it returns. Python draws nothing.

Pictures are cached by a key over everything that can change them: the figure's module with the
modules it imports (esimports.py) and its params, the shared runtime code, the npm dependencies,
and the models' manifest (which holds every model file's sha256; the integrity check holds the
files to it), so an edit to one figure's code redraws that figure alone. The cache is kept in
memory for `serve` and in .cache/pictures/ across builds, so only a changed figure starts Node at
all. Node runs in the background while the chapters are parsed, as esbuild does, and draws the
pictures on a few worker threads side by side (pictures.mjs).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
import typing
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuildError
from .esimports import ModuleFiles
from .syntax.figures import FigureRegistry, FigureSpec
from .project import Project

SCRIPT = Path(__file__).with_name("pictures.mjs")
# What a picture depends on besides its params and its module's own import closure: the runtime
# and plot helpers every picture goes through (with what they import), the data files figures read
# by path besides the manifest's models (toys.json, the recorded meta-training run: a re-recorded
# run must redraw the picture that shows it), this renderer and the pinned npm packages (d3,
# linkedom, fast-png, onnxruntime-web).
SHARED_MODULES = ("js/runtime-core.js", "figures/lib/plot.js")   # under static/
CODE_FILES = ("build/sitegen/pictures.mjs", "build/sitegen/picture_worker.mjs", "package-lock.json")
# Liftoff, V8's baseline WebAssembly compiler, alone, and lazily: V8 compiles only the functions
# the graphs call, and never recompiles hot ones with its optimising compiler, which cost more
# than it saved on a few runs of each graph (measured: 6.6 s -> 3.4 s of CPU for the article's
# pictures, the same pictures to the byte: WebAssembly's arithmetic is exact in either compiler).
NODE_FLAGS = ("--liftoff-only", "--wasm-lazy-compilation")
FIGURE_LINE = re.compile(r"^\s*:::+\s*figure\s+(\S+)", re.MULTILINE)


def figures_named_in(texts: list[str]) -> list[str]:
    """Figure ids a chapter's `::: figure <id>` lines name (a quick scan before parsing, to start
    Node early; the parser still checks every directive)."""
    return sorted({match for text in texts for match in FIGURE_LINE.findall(text)})


@dataclass
class _Job:
    process: subprocess.Popen
    stderr: typing.IO[str]  # a file, so a chatty Node can never block on a pipe
    specs: list[FigureSpec]
    keys: dict[str, str]


@dataclass
class PictureCache:
    """Pictures by cache key, in memory and on disk; one Node job in flight at a time."""
    project: Project
    folder: Path | None = None              # on-disk cache; default .cache/pictures/
    memory: dict[str, str] = field(default_factory=dict)
    _modules: ModuleFiles = field(default_factory=ModuleFiles)
    _job: _Job | None = None
    node_runs: int = 0                      # Node processes started (tests check caching)

    def __post_init__(self) -> None:
        # ARTICLE_PICTURE_CACHE moves the on-disk cache (the build benchmark times a cold build
        # with an empty one without touching the project's).
        default = os.environ.get("ARTICLE_PICTURE_CACHE") or self.project.root / ".cache" / "pictures"
        self.folder = Path(self.folder or default)

    def _shared_digest(self) -> str:
        static, root = self.project.static, self.project.root
        files = (self._modules.closure(static / name for name in SHARED_MODULES)
                 + sorted(self.project.models.glob("*.json"))
                 + [root / name for name in CODE_FILES if (root / name).is_file()])
        return self._modules.digest(files, root)

    def key(self, spec: FigureSpec, manifest_digest: str, shared_digest: str | None = None) -> str:
        """The picture's cache key: its module's closure, its params, the shared code and data."""
        module = self._modules.closure([self.project.static / "figures" / f"{spec.module}.js"])
        text = "\0".join([spec.module, spec.params_json, self._modules.digest(module, self.project.root),
                          shared_digest or self._shared_digest(), manifest_digest])
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def lookup(self, key: str) -> str | None:
        if key not in self.memory:
            file = self.folder / f"{key}.html"
            if file.is_file():
                self.memory[key] = file.read_text(encoding="utf-8")
        return self.memory.get(key)

    def store(self, key: str, html: str) -> None:
        self.memory[key] = html
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f"{key}.tmp"
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(self.folder / f"{key}.html")  # never a half-written picture in the cache

    # ---- rendering ------------------------------------------------------------------------

    def start(self, registry: FigureRegistry, figure_ids: list[str]) -> None:
        """Start Node on the pictures of `figure_ids` that no cache holds (returns at once)."""
        self.cancel()
        manifest_digest = _file_digest(self.project.models / "manifest.json")
        specs = [registry.specs[i] for i in figure_ids if i in registry.specs]
        shared = self._shared_digest()
        keys = {spec.id: self.key(spec, manifest_digest, shared) for spec in specs}
        missing = [spec for spec in specs if self.lookup(keys[spec.id]) is None]
        if not missing:
            return
        job = {"static": str(self.project.static), "models": str(self.project.models),
               "figures": [{"id": s.id, "module": s.module, "params": s.params} for s in missing]}
        stderr = tempfile.TemporaryFile(mode="w+")
        try:
            process = subprocess.Popen(["node", *NODE_FLAGS, str(SCRIPT)],
                                       cwd=self.project.root,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=stderr, text=True)
        except FileNotFoundError:
            stderr.close()
            raise BuildError("Node.js is not installed; the build draws figures' pictures in Node",
                             hint="install Node 20 and run `npm ci`") from None
        self.node_runs += 1
        # The job is small (ids and params): writing it cannot fill the pipe and block.
        process.stdin.write(json.dumps(job))
        process.stdin.close()
        self._job = _Job(process, stderr, missing, keys)

    def pictures(self, registry: FigureRegistry, figure_ids: list[str]) -> dict[str, str]:
        """Every picture of `figure_ids` (waiting for Node if it is drawing some); BuildError names
        the figure, its registry line and the module's own file and line when one fails."""
        job, self._job = self._job, None
        if job is not None:
            self._collect(job, registry)
        manifest_digest = _file_digest(self.project.models / "manifest.json")
        out, late = {}, []
        shared = self._shared_digest()
        for figure_id in figure_ids:
            spec = registry.specs[figure_id]
            html = self.lookup(self.key(spec, manifest_digest, shared))
            if html is None:
                late.append(figure_id)
            else:
                out[figure_id] = html
        if late:  # named in a way the quick scan missed: draw them now
            self.start(registry, late)
            return {**out, **self.pictures(registry, late)}
        return out

    def _collect(self, job: _Job, registry: FigureRegistry) -> None:
        stdout = job.process.stdout.read()
        job.process.wait()
        job.stderr.seek(0)
        stderr = job.stderr.read()
        job.stderr.close()
        if job.process.returncode != 0:
            raise BuildError(f"the figure renderer (Node) failed: {stderr.strip()[-600:]}",
                             "build/sitegen/pictures.mjs",
                             hint="run `npm ci` so that linkedom, d3 and onnxruntime-web exist")
        for result in json.loads(stdout):
            spec = registry.specs[result["id"]]
            if "error" in result:
                raise _figure_error(self.project, registry, spec, result)
            self.store(job.keys[spec.id], result["html"])

    def cancel(self) -> None:
        if self._job is not None:
            self._job.process.kill()
            self._job.process.wait()
            self._job.process.stdout.close()
            self._job.stderr.close()
            self._job = None


def _figure_error(project: Project, registry: FigureRegistry, spec: FigureSpec,
                  result: dict) -> BuildError:
    where = result.get("where") or {}
    column = f":{where['column']}" if where.get("column") else ""
    in_module = (f" (at {project.display(Path(where['file']))}:{where['line']}{column})"
                 if where.get("file") else "")
    return BuildError(f"figure {spec.id}: its module {spec.module}.js could not draw the static "
                      f"picture: {result['error']}{in_module}",
                      project.display(registry.file), spec.line or None,
                      "fix the figure's params here or its module in static/figures/; the "
                      "picture is the module's picture(element, params, runtime)")


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "none"
