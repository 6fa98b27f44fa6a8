"""Benchmarks of the Reptile chapter's figures (reptile-interpolation, finetune-reptile), a
bench_figures plug-in.

    .venv/bin/python tests/benchmarks/bench_figures.py --only reptile

Targets: viewport to interactive <= 1 s with the runtime cached; one redraw per drag or
slider event <= 33 ms. A theta event (a drag step or an arrow key), an alpha or an epsilon change
runs line_reptile_interpolation once and redraws the arrows and the readouts (the figure's idle()
resolves once they are drawn); a k change or a switch only redraws from the stored result. Each
time ends with a layout read, so the SVG's style and layout update is part of it.

The reference build (an older commit) has neither figure: there, this plug-in measures nothing.
"""
from __future__ import annotations


from bench_figures import Bench, Result, measurement
from figure_events import click_events, drag_events, inspect, key_events, slider_events, summary

INTERPOLATION = "reptile-interpolation"
FIGURES = (INTERPOLATION, "finetune-reptile")


@measurement("reptile")
def reptile(bench: Bench) -> list[Result]:
    results = []
    for figure_id in FIGURES:
        if bench.has(figure_id):
            results += bench.time_to_interactive_results(figure_id)
    if not bench.has(INTERPOLATION):
        return results

    page, figure = bench.open_figure(INTERPOLATION)
    # Where the mount's time goes: graph sessions and data, the landscape run, the first step run.
    timings = inspect(page, figure)["timings"]
    for stage, what in (("load", "sessions and data loaded"), ("landscape", "line_landscape run"),
                        ("firstRun", "first line_reptile_interpolation run")):
        results.append(Result(f"{INTERPOLATION}: {what} inside mount", timings[stage], "ms", "(part of it)"))
    alphas = [round(0.05 * i, 2) for i in range(1, 31)]
    epsilons = [round(0.05 * i, 2) for i in range(1, 21)]
    update = "[data-arrow=update] line"
    results += summary(f"{INTERPOLATION}: theta drag event to arrows redrawn",
                       page.evaluate(drag_events(update), [figure, 80]))
    # theta starts near the left edge: the keys go right first.
    results += summary(f"{INTERPOLATION}: theta key event to arrows redrawn",
                       page.evaluate(key_events(update, first="ArrowRight", then="ArrowLeft"), [figure, 60]))
    results += summary(f"{INTERPOLATION}: alpha slider event to redraw",
                       page.evaluate(slider_events(update), [figure, "Inner step size α", alphas, 1]))
    results += summary(f"{INTERPOLATION}: k slider event to redraw",
                       page.evaluate(slider_events(update), [figure, "Inner steps k", [1, 2, 3, 4, 5], 6]))
    results += summary(f"{INTERPOLATION}: epsilon slider event to redraw",
                       page.evaluate(slider_events(update), [figure, "Interpolation rate ε", epsilons, 2]))
    # The second switch: the exact MAML direction.
    results += summary(f"{INTERPOLATION}: switch toggled to redraw",
                       page.evaluate(click_events("[data-arrow=maml] line"),
                                     [figure, "input[type=checkbox]", 1, 40]))
    page.close()
    return results
