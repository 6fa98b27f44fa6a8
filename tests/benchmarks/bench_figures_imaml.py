"""Benchmarks of the iMAML figures (imaml-regularised, imaml-implicit-gradient), a bench_figures plug-in.

    .venv/bin/python tests/benchmarks/bench_figures.py --only imaml --no-reference

Targets: viewport to interactive <= 1 s; one redraw per theta drag event or lambda
event <= 33 ms. A redraw is everything one event causes: the graph runs (regularised maps and
inner solver; or inner solver, CG and, with the switch on, the direct solve), the maps or arrows
redrawn, and the layout that follows; the figure's idle() resolves once they are drawn. Drag
events are synthetic mouse moves through d3-drag, as a mouse sends them; key events move theta by
one step. A build without these figures (the reference of an older commit) measures nothing.
"""
from __future__ import annotations

from bench_figures import Bench, Result, measurement
from figure_events import drag_events, idle, inspect, key_events, slider_events, summary, times_to_interactive

FIGURES = ("imaml-regularised", "imaml-implicit-gradient")
LAMBDA = "Proximal strength λ (log scale)"


def _events(bench: Bench, figure_id: str, switch: bool = False) -> list[Result]:
    page, figure = bench.open_figure(figure_id)
    label = figure_id
    if switch:
        page.get_by_label("Show the exact implicit gradient (direct 2 × 2 solve)").check()
        idle(page, figure)
        label += " with the exact gradient"
    results = summary(f"{label}: theta drag event to redrawn", page.evaluate(drag_events("svg"), [figure, 60]))
    results += summary(f"{label}: theta key event to redrawn", page.evaluate(key_events("svg"), [figure, 60]))
    results += summary(f"{label}: lambda event to redrawn", page.evaluate(slider_events("svg"), [figure, LAMBDA, None, 1]))
    # Where the last redraw's time went (graph runs and drawing), as the figure measured it.
    for part, ms in inspect(page, figure)["timings"].items():
        results.append(Result(f"{label}: last redraw, {part}", ms, "ms", "(part of it)"))
    page.close()
    return results


@measurement("imaml")
def imaml(bench: Bench) -> list[Result]:
    results = times_to_interactive(bench, FIGURES)
    if results is None:
        return []  # an older build, before the iMAML chapter had figures
    results += _events(bench, "imaml-regularised")
    results += _events(bench, "imaml-implicit-gradient")
    results += _events(bench, "imaml-implicit-gradient", switch=True)
    return results
