"""The site in Chromium, Firefox and WebKit (the engine of Safari): one smoke test, three engines.

In each engine, every page of the build is opened, and on each:
- nothing goes wrong: no console error, no uncaught exception, no failed request, no HTTP error,
  no Content-Security-Policy violation;
- every figure is scrolled into view and reaches data-state=ready;
- every figure with controls responds to one input: its drawing changes;
- the few-shot game scores an answer, and meta-train's counters move after Start.
The steps in the page are smoke_steps.js, the same script in every engine. A failure names the
engine, the page and the figure.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import WatchedServer
from .drivers import Engine, EngineError

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STEPS = Path(__file__).with_name("smoke_steps.js").read_text(encoding="utf-8")

# Figures that only show (a key, a demonstration): they are checked for mounting alone.
WITHOUT_INPUT = {"methods-key", "sinusoid-demo"}
# Figures with a check of their own instead of the generic input: the step in smoke_steps.js.
OWN_CHECK = {"few-shot-game": "game", "meta-train": "metaTrain"}

# Generous for the slowest engine (WebKit starts WebAssembly 2-3 times slower than Chromium and
# took 16 s to load meta-train's graphs); a passing run waits only as long as the engine needs.
READY_S = 90
RESPOND_S = 10
OWN_CHECK_S = 120
# Collected by the page's recorder (recorder.js); taken, so that each page reports its own.
TAKE_RECORDED = "(window.__smokeProblems ? window.__smokeProblems.splice(0) : ['the recorder did not run'])"


def step(engine: Engine, name: str, seconds: float, **options) -> dict | list:
    expression = f"({STEPS})({json.dumps(name)}, {json.dumps({'seconds': seconds, **options})})"
    return engine.evaluate(expression, timeout_s=seconds + 60)


def check_figure(engine: Engine, figure: dict) -> tuple[list[str], str]:
    """Problems with one mounted-or-not figure, and what was done to it."""
    index = figure["index"]
    ready = step(engine, "ready", READY_S, index=index)
    if ready["state"] != "ready":
        return [f"reached {ready['state']} instead of ready ({ready['why']})"], "mount"
    module = figure["module"]
    if module in WITHOUT_INPUT:
        return [], "ready"
    if module in OWN_CHECK:
        result = step(engine, OWN_CHECK[module], OWN_CHECK_S, index=index)
        if not (result.get("scored") or result.get("moved")):
            return [f"{OWN_CHECK[module]} check failed: {result}"], OWN_CHECK[module]
        return [], OWN_CHECK[module]
    result = step(engine, "respond", RESPOND_S * 4, index=index, perInput=RESPOND_S)
    if not result["tried"]:
        return ["has no control to give an input to (add its module to WITHOUT_INPUT if that is meant)"], "respond"
    if not result["changed"]:
        return [f"drawing did not change after {', '.join(result['tried'])}"], "respond"
    return [], result["tried"][-1]


@dataclass
class PageResult:
    problems: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)  # what was done, and how long it took
    figures: int = 0
    modules: set[str] = field(default_factory=set)  # the figure modules met


def smoke_page(engine: Engine, server: WatchedServer, path: str) -> PageResult:
    """Open one page and check it and each of its figures."""
    server.take_errors()
    where = f"{engine.name}: page /{path}"
    result = PageResult()
    recorded: list[str] = []
    try:
        opening = time.perf_counter()
        engine.open(server.url(path))
        result.log.append(f"/{path} opened in {time.perf_counter() - opening:.1f} s")
        for figure in step(engine, "figures", 60):
            started = time.perf_counter()
            found, done = check_figure(engine, figure)
            result.problems += [f"{where}: figure {figure['id']} ({figure['module']}): {p}" for p in found]
            result.log.append(f"  {figure['module']}: {done}, {time.perf_counter() - started:.1f} s")
            result.figures += 1
            result.modules.add(figure["module"])
        recorded = engine.evaluate(TAKE_RECORDED, timeout_s=30)
    except EngineError as error:
        result.problems.append(f"{where}: the engine failed: {error}")
    try:
        reported = engine.problems()
    except EngineError as error:
        reported = [f"the engine failed: {error}"]
    # The recorder and the engine may both report one console error: say it once.
    result.problems += [f"{where}: {p}" for p in dict.fromkeys(recorded + reported + server.take_errors())]
    return result


def test_every_page_and_figure_works(engine: Engine, site_pages: list[str], site_server: WatchedServer):
    started = time.perf_counter()
    results = [smoke_page(engine, site_server, path) for path in site_pages]
    problems = [problem for result in results for problem in result.problems]
    modules = set().union(*(result.modules for result in results))
    for module, what in OWN_CHECK.items():
        if module not in modules:
            problems.append(f"{engine.name}: no page holds {module}, so its {what} check never ran")
    figures = sum(result.figures for result in results)
    print(f"{engine.name} {engine.version}: {len(site_pages)} pages, {figures} figures in "
          f"{time.perf_counter() - started:.0f} s")
    print("\n".join(line for result in results for line in result.log))
    assert not problems, f"{len(problems)} problems in {engine.name}:\n  " + "\n  ".join(problems)
