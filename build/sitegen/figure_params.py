"""Figures' params checked against what their modules declare.

Each figure module exports its params with their defaults (`export { DEFAULTS as params }`).
A key in content/figures.yaml that the module does not declare would be ignored in silence (the
figure would draw its default), so it stops the build at its line, with the closest declared
names. A default that is a non-empty mapping declares keys of its own (`maml: {steps, ...}` in
four-ways.js) and is checked the same way, one level down at a time; an empty mapping (`{}`)
takes any keys, for params that are free-form maps.

The declarations are read by figure_params.mjs, which imports the modules in Node; a module that
cannot be imported is reported at its own file, line and column. The result is cached by the
content of every figure module and shared script (.cache/figure-params/), so a build whose
JavaScript did not change starts no Node for this.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

from . import yamlfile
from .errors import BuildError
from .syntax.figures import FigureRegistry, FigureSpec
from .project import Project

SCRIPT = Path(__file__).with_name("figure_params.mjs")
# What a module's declaration can depend on: the figure modules, their helpers, the shared
# runtime they may import, and the script that reads them.
SOURCE_GLOBS = ("static/figures/**/*.js", "static/js/**/*.js")
ABSOLUTE_PATH = re.compile(r"(?:file://)?(/[^\s'\"]+)")  # in Node's messages, shown relative
DECLARE_HINT = "a module declares its params with their defaults: `export const params = {...}`"


def check_figure_params(registry: FigureRegistry, project: Project) -> None:
    """BuildError at the first figures.yaml params key that its module does not declare, or at
    the module's own line when it cannot be loaded."""
    if not registry.specs:
        return
    declarations = declared_params(project, sorted({s.module for s in registry.specs.values()}))
    for spec in registry.specs.values():
        declared = declarations.get(spec.module) or {}
        if "error" in declared:
            raise _load_error(project, registry, spec, declared)
        _check_keys(registry, spec, spec.params, declared.get("params"), ())


def declared_params(project: Project, modules: list[str]) -> dict[str, dict]:
    """{module: {"params": ...} or {"error", "file", "line", "column"}}, from the cache or Node."""
    # The folder itself counts too: the results name files by their absolute paths.
    digest = hashlib.sha256(f"{project.static}\0".encode() + SCRIPT.read_bytes())
    lock = project.root / "package-lock.json"  # the npm packages the modules import
    if lock.is_file():
        digest.update(lock.read_bytes())
    for pattern in SOURCE_GLOBS:
        for path in sorted(project.static.glob(pattern.removeprefix("static/"))):
            digest.update(f"{path.relative_to(project.static)}\0".encode())
            digest.update(path.read_bytes())
    digest.update(json.dumps(modules).encode())
    cache = project.root / ".cache" / "figure-params" / f"{digest.hexdigest()[:32]}.json"
    if cache.is_file():
        return json.loads(cache.read_text(encoding="utf-8"))
    job = json.dumps({"figures": str(project.static / "figures"), "modules": modules})
    try:
        done = subprocess.run(["node", str(SCRIPT)], input=job, capture_output=True, text=True,
                              cwd=project.root, timeout=120)
    except FileNotFoundError:
        raise BuildError("Node.js is not installed; the build reads figures' params in Node",
                         hint="install Node 20 and run `npm ci`") from None
    if done.returncode != 0:
        raise BuildError(f"reading the figures' params failed: {done.stderr.strip()[-600:]}",
                         project.display(SCRIPT))
    result = json.loads(done.stdout)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps(result), encoding="utf-8")
    tmp.replace(cache)  # never a half-written file in the cache
    return result


def _load_error(project: Project, registry: FigureRegistry, spec: FigureSpec,
                declared: dict) -> BuildError:
    message = ABSOLUTE_PATH.sub(lambda m: project.display(Path(m.group(1))), str(declared["error"]))
    return BuildError(f"figure {spec.id} ({registry.display}:{spec.line}): its module "
                      f"{spec.module}.js cannot be loaded: {message}",
                      Path(declared["file"]), declared.get("line"),
                      "fix the JavaScript at this line; the build imports every module that "
                      "content/figures.yaml names", declared.get("column"))


def _check_keys(registry: FigureRegistry, spec: FigureSpec, given: Any, declared: Any,
                path: tuple[str, ...]) -> None:
    if not isinstance(given, dict):
        return
    if declared is None and not path:
        declared = {}  # a module without a declaration takes no params
    if not isinstance(declared, dict) or (path and not declared):
        return  # a value, or a free-form mapping
    for key, value in given.items():
        if key not in declared:
            raise _unknown_key(registry, spec, path + (key,), sorted(declared))
        _check_keys(registry, spec, value, declared[key], path + (key,))


def _unknown_key(registry: FigureRegistry, spec: FigureSpec, path: tuple[str, ...],
                 known: list[str]) -> BuildError:
    key, where = path[-1], ".".join(path[:-1])
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
    guess = f"; did you mean {' or '.join(f'`{c}`' for c in close)}?" if close else ""
    owner = f"`{where}` in " if where else ""
    line = yamlfile.line_of(registry.lines, spec.id, "params", *path) or spec.line
    return BuildError(f"figure {spec.id}: {owner}static/figures/{spec.module}.js declares no "
                      f"param `{key}`{guess}", registry.display, line,
                      f"its params: {', '.join(known) or 'none'}; " + DECLARE_HINT)
