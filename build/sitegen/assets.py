"""Everything besides the pages and the bundle (esbuild.py): static files, vendored KaTeX and
onnxruntime-web.

Output layout: assets/katex/, assets/vendor/ort/, models/, and the rest of static/ at the root
(static/js, static/css and static/figures are esbuild's: assets/site.css, assets/js/).
Large vendored files are hard-linked when the file system allows it (cheap rebuilds in `serve`).
KaTeX's fonts are the exception: they are cut down to the characters the written pages draw
(katexfonts decides which, fontsubset does the cutting), since whole fonts would make up most of
a maths page's weight.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from .errors import BuildError
from .esbuild import BUNDLED
from .fontsubset import SubsetJob, subset_fonts
from .katexfonts import UnpredictableFont, characters_by_face, parse_stylesheet, without_faces
from .project import Project

ORT_FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")


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
        used = characters_by_face(pages, sheet, project.root / ".cache/fonts")
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


def shipped_unchanged(project: Project) -> list[Path]:
    """Files the site ships byte for byte, known before any page is made: onnxruntime-web's and
    the models (the build can compress them early)."""
    ort = project.node_modules / "onnxruntime-web/dist"
    models = sorted(p for p in project.models.rglob("*") if p.is_file()) if project.models.is_dir() else []
    return [ort / name for name in ORT_FILES] + models


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
