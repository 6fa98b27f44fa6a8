"""Site build benchmark: prints figures, asserts nothing (run it, read it, compare to the budget).

    .venv/bin/python tests/benchmarks/bench_build.py [--content DIR]

1. cold build: `article build` in a fresh Python process (imports, Node for KaTeX, esbuild, Node
   for the figures' static pictures, font subsets, compressed copies) on a copy of the project
   with no .cache/ at all, as on a fresh clone: once drawing the pictures one at a time
   (ARTICLE_PICTURE_WORKERS=1) and once on the pool of worker threads, side by side with their
   ratio; then again with the caches of that run (only what changed is redone). CPU seconds
   (the build and its subprocesses) are printed too: on a shared machine they move less than
   the wall clock. Last, with every cache but the pictures' (the pictures are most of the work),
   and the picture renderer alone on every figure, with nothing of the build beside it;
2. warm rebuild: in one process with the caches `serve` keeps, after editing one chapter of a
   temporary copy of the content (the real files are never touched);
3. page weight: gzip bytes of each page before figures load: the HTML, the stylesheets and
   scripts it links (with the chunks main.js imports statically), its images, and the KaTeX
   fonts its maths needs (woff2 is already compressed; counted as is).
Budgets: cold <= 2 s, rebuild <= 300 ms, text page <= 80 KB.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sitegen.pictures import NODE_FLAGS, SCRIPT
from sitegen.project import Project
from sitegen.site import Caches, build
from sitegen.syntax.figures import load_registry

# KaTeX class -> font file it pulls in (approximate; what a page's maths makes the browser load).
KATEX_FONTS = {
    'class="katex': "KaTeX_Main-Regular", "mathnormal": "KaTeX_Math-Italic",
    "mathbf": "KaTeX_Main-Bold", "boldsymbol": "KaTeX_Math-BoldItalic",
    "mathit": "KaTeX_Main-Italic", "mathcal": "KaTeX_Caligraphic-Regular",
    "amsrm": "KaTeX_AMS-Regular", "mathbb": "KaTeX_AMS-Regular", "mathsf": "KaTeX_SansSerif-Regular",
    "mathtt": "KaTeX_Typewriter-Regular", "mathscr": "KaTeX_Script-Regular",
    "mathfrak": "KaTeX_Fraktur-Regular", "small-op": "KaTeX_Size1-Regular",
    "large-op": "KaTeX_Size2-Regular", "delimsizing size1": "KaTeX_Size1-Regular",
    "delimsizing size2": "KaTeX_Size2-Regular", "delimsizing size3": "KaTeX_Size3-Regular",
    "delimsizing size4": "KaTeX_Size4-Regular",
}  # ("sizing reset-size6 size3" is a font-size class, not a font: match the delimiter forms)
LINKS = re.compile(r'<(?:link[^>]*rel="stylesheet"[^>]*href|script[^>]*src|img[^>]*src)="([^"]+)"')
STATIC_IMPORT = re.compile(rb'(?:import|from)\s*"(\./[^"]+\.js)"')


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 9, mtime=0))


def js_closure(path: Path) -> set[Path]:
    """A module and the chunks it imports statically (dynamic import() is loaded later)."""
    seen, todo = set(), [path]
    while todo:
        current = todo.pop()
        if current in seen or not current.is_file():
            continue
        seen.add(current)
        todo += [(current.parent / m.decode()).resolve()
                 for m in STATIC_IMPORT.findall(current.read_bytes())]
    return seen


def page_weight(out: Path, page: Path) -> tuple[int, dict[str, int]]:
    html = page.read_bytes()
    parts = {"html": gz(html)}
    files: set[Path] = set()
    for target in LINKS.findall(html.decode()):
        path = (page.parent / target).resolve()
        files |= js_closure(path) if path.suffix == ".js" else {path}
    text = html.decode()
    fonts = {name for marker, name in KATEX_FONTS.items() if marker in text} if "katex" in text else set()
    for name in fonts:
        files.add(out / "assets/katex/fonts" / f"{name}.woff2")
    for path in sorted(files):
        if path.is_file():
            size = path.stat().st_size if path.suffix == ".woff2" else gz(path.read_bytes())
            kind = {".css": "css", ".js": "js", ".woff2": "fonts"}.get(path.suffix, "images")
            parts[kind] = parts.get(kind, 0) + size
    return sum(parts.values()), parts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=None)
    args = parser.parse_args()
    project = Project.at(content=args.content)
    with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp:
        tmp_path = Path(tmp)
        tree = copy_project(project.root, tmp_path / "tree")
        out = tmp_path / "_site"
        command = [sys.executable, "-m", "sitegen.cli", "build", "--out", str(out)]
        if args.content:
            command += ["--content", str(args.content)]
        env = {key: value for key, value in os.environ.items() if key != "ARTICLE_PICTURE_CACHE"}
        env["PYTHONPATH"] = str(tree / "build")
        runs = {}
        for label, workers in (("pictures one at a time", "1"), ("pictures in parallel", "")):
            shutil.rmtree(tree / ".cache", ignore_errors=True)
            runs[label] = timed_build(command, tree, {**env, "ARTICLE_PICTURE_WORKERS": workers})
            if runs[label] is None:
                return 1
        (one, one_cpu), (pool, pool_cpu) = runs.values()
        print(f"cold build, no .cache/, pictures one at a time: {one * 1000:7.0f} ms  "
              f"({one_cpu:.1f} s CPU)")
        print(f"cold build, no .cache/, pictures in parallel:   {pool * 1000:7.0f} ms  "
              f"({pool_cpu:.1f} s CPU)  ratio {pool / one:.2f}   (budget 2000 ms)")
        warm = timed_build(command, tree, env)
        if warm is None:
            return 1
        print(f"fresh process, caches of the last build:        {warm[0] * 1000:7.0f} ms  "
              f"({warm[1]:.1f} s CPU)")
        shutil.rmtree(tree / ".cache" / "pictures")
        pictures = timed_build(command, tree, env)
        if pictures is None:
            return 1
        print(f"fresh process, empty picture cache only:        {pictures[0] * 1000:7.0f} ms  "
              f"({pictures[1]:.1f} s CPU)  ratio to no .cache/ {pictures[0] / pool:.2f}")
        alone = timed_pictures(project)
        print(f"the pictures alone (Node, every figure, pool):   {alone[0] * 1000:7.0f} ms  "
              f"({alone[1]:.1f} s CPU)  share of the last build {alone[0] / pictures[0]:.2f}")

        content = tmp_path / "content"
        shutil.copytree(project.content, content)
        copy = Project.at(content=content)
        caches = Caches(copy)
        build(copy, tmp_path / "warm", caches)
        chapter = content / "chapters" / f"{copy_first_ready(copy)}.md"
        timings = []
        for i in range(5):
            chapter.write_text(chapter.read_text() + f"\nAn edited sentence {i}.\n")
            started = time.perf_counter()
            build(copy, tmp_path / "warm", caches)
            timings.append(time.perf_counter() - started)
        timings.sort()
        print(f"rebuild after one chapter edit:                  {timings[len(timings) // 2] * 1000:7.0f} ms   "
              f"(median of 5, budget 300 ms; chapter {chapter.name})")

        print("page weight before figures (gzip), budget 80 KB for a text page:")
        for page in sorted(out.glob("*/index.html")) + [out / "index.html"]:
            total, parts = page_weight(out, page)
            detail = ", ".join(f"{k} {v / 1024:.1f}" for k, v in parts.items())
            print(f"  {str(page.relative_to(out)):34s} {total / 1024:6.1f} KB  ({detail})")
    return 0


def copy_project(root: Path, target: Path) -> Path:
    """The project's files (tracked, and new ones git does not ignore) without .cache/, with
    node_modules linked: a build there finds no cache of any kind, as on a fresh clone."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=root, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, listed):
        source = root / name.decode()
        if source.is_file():
            (target / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name.decode())
    (target / "node_modules").symlink_to(root / "node_modules")
    return target


def timed_build(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float] | None:
    """(wall seconds, CPU seconds of the build and its subprocesses), or None if it failed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        print(proc.stderr.strip())
        return None
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def timed_pictures(project: Project) -> tuple[float, float]:
    """(wall, CPU seconds) of the build's picture renderer drawing every figure of the registry
    by itself, with nothing else of the build beside it: what the pictures cost at least."""
    registry = load_registry(project.content / "figures.yaml", "figures.yaml", project.static / "figures")
    job = {"static": str(project.static), "models": str(project.models),
           "figures": [{"id": s.id, "module": s.module, "params": s.params} for s in registry.specs.values()]}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(["node", *NODE_FLAGS, str(SCRIPT)], input=json.dumps(job), capture_output=True,
                   text=True, check=True, cwd=project.root)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def copy_first_ready(project: Project) -> str:
    from sitegen.chapters import load_chapter
    from sitegen.config import load_article
    for slug in load_article(project).chapters:
        if not load_chapter(project.content, slug).in_preparation:
            return slug
    return load_article(project).chapters[0]


if __name__ == "__main__":
    sys.exit(main())
