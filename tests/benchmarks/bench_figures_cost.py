"""Benchmarks of the figures of "Preliminaries: the cost of the meta-gradient", a bench_figures plug-in.

    .venv/bin/python tests/benchmarks/bench_figures.py --only cost

Targets: viewport to interactive <= 1 s with the runtime cached; one redraw per drag or
slider event <= 33 ms. For "jacobian-product", a theta key event and an alpha slider event each
include one line_jacobian_product run and the redraw (the figure's idle() resolves once drawn);
a k slider event only repaints from the stored result. For "meta-gradient-cost" (no graph: it
draws stored measurements), a redraw is a quantity switch or a method checkbox.

The reference build (an older commit) has neither figure; for it this plug-in reports nothing.
"""
from __future__ import annotations


from bench_figures import Bench, Result, measurement
from figure_events import change_events, inspect, key_events, slider_events, summary, times_to_interactive

JACOBIAN, COST = "jacobian-product", "meta-gradient-cost"


@measurement("cost")
def cost(bench: Bench) -> list[Result]:
    results = times_to_interactive(bench, (JACOBIAN, COST))
    if results is None:
        return []  # a build from before these figures (the reference)

    page, figure = bench.open_figure(JACOBIAN)
    parts = inspect(page, figure)["mountMs"]
    for part, what in (("load", "data, runtime and sessions"), ("landscape", "the line_landscape run"),
                       ("firstRun", "the first line_jacobian_product run and drawing")):
        results.append(Result(f"{JACOBIAN}: inside mount, {what}", parts[part], "ms", "(part of it)"))
    redrawn = "[data-arrow] line"
    results += summary(f"{JACOBIAN}: theta key event to redrawn", page.evaluate(key_events(redrawn), [figure, 60]))
    alphas = [round(0.05 * i, 2) for i in range(1, 41)]
    results += summary(f"{JACOBIAN}: alpha slider event to redrawn",
                       page.evaluate(slider_events(redrawn), [figure, "Inner step size α", alphas, 1]))
    results += summary(f"{JACOBIAN}: k slider event to redrawn",
                       page.evaluate(slider_events(redrawn), [figure, "Inner steps k", [1, 2, 3, 4, 5], 6]))
    page.close()

    page, figure = bench.open_figure(COST)
    results += summary(f"{COST}: quantity or method switch to redrawn",
                       page.evaluate(change_events("svg"), [figure, "select, input[type=checkbox]", 5]))
    page.close()
    return results
