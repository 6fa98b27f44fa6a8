"""The social preview image: the index page's figure, rasterised for link previews.

Open Graph and Twitter cards show one image per page; ours is the hero figure's static picture
(the same SVG the index page inlines, drawn by the figure's own module), rasterised by resvg in
Node (social.mjs) at 1200 x 630 on the light scheme's page colour. Link previews run no CSS, so
the palette's custom properties are resolved here from the stylesheet's light values. The PNG is
cached in .cache/social/ by everything it depends on, so only a changed picture costs a render.
"""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

from .errors import BuildError
from .project import Project

SCRIPT = Path(__file__).with_name("social.mjs")
FILE = "assets/social.png"
SIZE = (1200, 630)
CUSTOM_PROPERTY = re.compile(r"(--[a-z0-9-]+)\s*:\s*([^;]+);")


def outermost_svg(html: str) -> str | None:
    """The first <svg>…</svg> of `html` with everything nested in it, or None."""
    start = html.find("<svg")
    if start < 0:
        return None
    depth = 0
    for tag in re.finditer(r"<(/?)svg\b[^>]*>", html[start:]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return html[start:start + tag.end()]
    return None


def light_colours(css: str) -> dict[str, str]:
    """The :root custom properties of the stylesheet's light scheme, var() chains resolved."""
    block = css[css.index(":root {"):css.index("}", css.index(":root {"))]
    values = {name: value.strip() for name, value in CUSTOM_PROPERTY.findall(block)}

    def resolve(value: str, seen: frozenset[str] = frozenset()) -> str:
        match = re.fullmatch(r"var\((--[a-z0-9-]+)\)", value)
        if not match or match.group(1) in seen or match.group(1) not in values:
            return value
        return resolve(values[match.group(1)], seen | {match.group(1)})

    return {name: resolve(value) for name, value in values.items() if value.startswith(("#", "var("))}


def write_social_image(project: Project, hero_picture: str | None, out: Path,
                       cache: Path | None = None) -> bool:
    """Write FILE under `out` from the hero's picture; False (and nothing written) without one."""
    svg = outermost_svg(hero_picture or "")
    if svg is None:
        return False
    colours = light_colours((project.static / "css/site.css").read_text(encoding="utf-8"))
    job = {"svg": svg, "colours": colours, "width": SIZE[0], "height": SIZE[1],
           "background": colours.get("--bg", "#ffffff"), "text": colours.get("--fg", "#000000")}
    key_source = json.dumps(job, sort_keys=True) + SCRIPT.read_text(encoding="utf-8")
    lock = project.root / "package-lock.json"
    if lock.is_file():
        key_source += lock.read_text(encoding="utf-8")
    key = hashlib.sha256(key_source.encode()).hexdigest()[:20]
    cache = cache or project.root / ".cache/social"
    cached = cache / f"{key}.png"
    target = out / FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    if cached.is_file():
        target.write_bytes(cached.read_bytes())
        return True
    result = subprocess.run(["node", str(SCRIPT)], input=json.dumps(job).encode(), capture_output=True,
                            cwd=project.root, timeout=120)
    if result.returncode != 0 or not result.stdout.startswith(b"\x89PNG"):
        raise BuildError("could not draw the social preview image from the hero figure: "
                         + result.stderr.decode(errors="replace").strip()[-400:],
                         hint="run `npm ci` so that @resvg/resvg-js is installed")
    cache.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(result.stdout)
    target.write_bytes(result.stdout)
    return True
