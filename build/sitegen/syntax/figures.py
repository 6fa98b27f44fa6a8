"""`::: figure id`: numbered interactive figures from content/figures.yaml, with static pictures.

The registry names each figure's ES module (static/figures/<module>.js), its JSON params and the
models/graphs it needs. The build checks all of that before writing anything, so a typo, a
missing module or a missing model file fails the build with the author's line instead of a
broken figure. The module draws both the live figure and, at build time, its static picture
(pictures.py), which the figure's HTML carries inline.
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from mdit_py_plugins.container import container_plugin

from .. import yamlfile
from ..context import iter_tokens, page, unwrap_single_paragraph
from ..errors import BuildError
from .manifest import Manifest, ManifestError

ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MODULE = re.compile(r"^[a-z0-9][a-z0-9_-]*$", re.IGNORECASE)  # as MODULE_NAME in static/js/figures.js
REGISTRY_HINT = ("each entry is `<id>: {module: <name>, params: {...}, alt: \"...\", "
                 "models: [...], graphs: [...]}`")
KEYS = ("module", "params", "alt", "models", "graphs")
FALLBACK_NOTE = ("This figure is interactive; it needs JavaScript and WebAssembly. "
                 "The picture shows its initial state.")


@dataclass(frozen=True)
class FigureSpec:
    id: str
    module: str
    params: dict
    alt: str
    models: tuple[str, ...] = ()
    graphs: tuple[str, ...] = ()
    line: int = 0

    @property
    def params_json(self) -> str:
        return json.dumps(self.params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass
class FigureRegistry:
    file: Path
    specs: dict[str, FigureSpec] = field(default_factory=dict)
    lines: yamlfile.Lines = field(default_factory=dict)  # of every key, for errors
    display: str = "content/figures.yaml"

    def __contains__(self, figure_id: str) -> bool:
        return figure_id in self.specs


def load_registry(file: Path, display: str, figures_dir: Path) -> FigureRegistry:
    if not file.exists():
        return FigureRegistry(file)
    data, lines = yamlfile.load(file)
    data = data or {}
    if not isinstance(data, dict):
        raise BuildError("figures.yaml must map figure ids to their settings", display, 1,
                         REGISTRY_HINT)
    specs = {}
    for figure_id, entry in data.items():
        line = yamlfile.line_of(lines, figure_id)

        def fail(message: str, *key: str) -> BuildError:
            return BuildError(message, display, yamlfile.line_of(lines, figure_id, *key) or line,
                              REGISTRY_HINT)

        if not isinstance(figure_id, str) or not ID.match(figure_id):
            raise fail(f"figure id {figure_id!r} must be lower-case letters, digits, hyphens")
        if not isinstance(entry, dict):
            raise fail(f"figure {figure_id} needs a mapping of settings")
        unknown = sorted(set(map(str, entry)) - set(KEYS))
        if unknown:
            raise fail(f"figure {figure_id}: unknown setting `{unknown[0]}` (known: "
                       f"{', '.join(KEYS)}); the module draws the static picture itself",
                       unknown[0])
        for key in ("module", "alt"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise fail(f"figure {figure_id} needs `{key}` (text)", key)
        module = entry["module"].strip()
        if not MODULE.match(module) or not (figures_dir / f"{module}.js").is_file():
            known = sorted(p.stem for p in figures_dir.glob("*.js")) if figures_dir.is_dir() else []
            raise fail(f"figure {figure_id}: no module static/figures/{module}.js "
                       f"(modules there: {', '.join(known) or 'none'})", "module")
        params = entry.get("params") or {}
        if not isinstance(params, dict):
            raise fail(f"figure {figure_id}: `params` must be a mapping", "params")
        bad_key = _non_text_key(params)
        if bad_key is not None:
            # YAML reads on/off/yes/no/true/false (and numbers) as non-text keys; JSON needs text.
            raise fail(f"figure {figure_id}: the params key {bad_key!r} is not text (YAML reads "
                       f"bare on, off, yes, no, true, false and numbers as values): quote it, "
                       f"e.g. \"{str(bad_key).lower()}\"", "params")
        lists = {}
        for key in ("models", "graphs"):
            value = entry.get(key) or []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise fail(f"figure {figure_id}: `{key}` must be a list of names", key)
            lists[key] = tuple(value)
        specs[figure_id] = FigureSpec(figure_id, module, params, entry["alt"].strip(),
                                      lists["models"], lists["graphs"], line or 0)
    return FigureRegistry(file, specs, lines, display)


def required_files(spec: FigureSpec, manifest: Manifest) -> list[Path]:
    """The model files a figure needs, from the manifest; ManifestError names a missing one."""
    files = []
    for graph in spec.graphs:
        files.append(manifest.file.parent / manifest.lookup(f"graphs.{graph}.file"))
    for model in spec.models:
        files.append(manifest.file.parent / manifest.lookup(f"models.{model}.params.file"))
    for path in files:
        if not path.is_file():
            raise ManifestError(f"missing model file static/models/{path.name}")
    return files


def _non_text_key(value: object) -> object | None:
    """The first mapping key that is not a string, anywhere inside `value`, or None."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return key
            found = _non_text_key(item)
            if found is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            found = _non_text_key(item)
            if found is not None:
                return found
    return None


# --- Markdown side -------------------------------------------------------------------------

def _validate(params: str, *args) -> bool:
    return params.strip().split(" ", 1)[0] == "figure"


def _number_figures(state) -> None:
    ctx = page(state.env)
    registry = ctx.site.figures
    for token, line in iter_tokens(state.tokens):
        if token.type != "container_figure_open":
            continue
        words = token.info.split()
        if len(words) != 2:
            raise ctx.error("a figure directive names one figure id", line,
                            "write `::: figure <id>` with an id from content/figures.yaml")
        figure_id = words[1]
        if figure_id not in registry:
            raise ctx.error(f"unknown figure {figure_id!r}", line,
                            f"add `{figure_id}:` to content/figures.yaml or fix the id "
                            f"(known: {', '.join(sorted(registry.specs)) or 'none'})")
        if figure_id in ctx.figures:
            raise ctx.error(f"figure {figure_id!r} appears twice on this page", line)
        try:
            required_files(registry.specs[figure_id], ctx.site.manifest)
        except ManifestError as exc:
            raise ctx.error(f"figure {figure_id}: {exc}", line,
                            "run `article export` to write the models, or fix `models`/`graphs` "
                            "in content/figures.yaml") from None
        ctx.figures[figure_id] = len(ctx.figures) + 1
        ctx.figure_lines[figure_id] = ctx.line(line) or 0
        ctx.ids.add(f"fig-{figure_id}")
        token.meta = {"id": figure_id}
    for i, token in enumerate(state.tokens):
        if token.type == "container_figure_open":
            unwrap_single_paragraph(state.tokens, i)


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _single_quoted(value: str) -> str:
    """Escape for a single-quoted attribute (the contract writes data-params='{json}')."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;")


def figure_open_html(spec: FigureSpec, number: int | None, picture: str) -> str:
    """The figure up to its caption: the mount point for the module, and the static picture
    (the module's own first frame, drawn at build time) that stays until the module mounts.
    A figure without a number (the index page's hero) has no "Figure n." label."""
    return (f'<figure class="figure" id="fig-{spec.id}" data-figure="{spec.id}" '
            f'data-module="{_attr(spec.module)}" data-params=\'{_single_quoted(spec.params_json)}\'>\n'
            f'<div class="figure-mount"></div>\n'
            f'<div class="figure-fallback"><div class="figure-picture" role="img" '
            f'aria-label="{_attr(spec.alt)}">{picture}</div>\n'
            f'<p class="fallback-note">{FALLBACK_NOTE}</p></div>\n'
            '<figcaption>' + ('' if number is None else f'<span class="figure-label">Figure {number}.</span> '))


def _render(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    if token.nesting == -1:
        return "</figcaption>\n</figure>\n"
    ctx = page(env)
    figure_id = token.meta["id"]
    spec = ctx.site.figures.specs[figure_id]
    # The build draws every used figure's picture before rendering; a page rendered on its own
    # (tests of the Markdown layer) has none, and gets an empty picture.
    return figure_open_html(spec, ctx.figures[figure_id], ctx.site.figure_pictures.get(figure_id, ""))


def figures_plugin(md: MarkdownIt) -> None:
    container_plugin(md, "figure", validate=_validate, render=_render)
    md.core.ruler.push("number_figures", _number_figures)
