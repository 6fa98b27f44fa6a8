"""Benchmarks of the First-order MAML chapter's figures (local-curvature, finetune-fomaml).

    .venv/bin/python tests/benchmarks/bench_figures.py --only fomaml [--no-reference]

Targets: viewport to interactive <= 1 s with the runtime cached; one redraw per drag or
slider event <= 33 ms. Each event is timed from its dispatch until the figure's idle() resolves
(the graphs have run and the marks are updated) plus a layout read, which forces the SVG's style
and layout update into the measured time:
  - x moved with an arrow key, and x dragged by the mouse (one d3-drag mousemove each): one
    quadratic_curvature run, the arrows, the matrices and the readout;
  - a curvature slider step: also quadratic_landscape on the 41 x 41 grid and the map repainted
    (its PNG mask encoded and its contours traced).
The reference build (an older commit) has no such figures; there every line prints alone.
"""
from __future__ import annotations


from bench_figures import Bench, Result, measurement
from figure_events import drag_events, key_events, slider_events, summary, times_to_interactive

FIGURES = ("local-curvature", "finetune-fomaml")
REDRAWN = ".fig-arrow-exact line"
# A curvature slider's sweep: 0.5 down to -0.5 in its steps of 0.02.
CURVATURES = [v / 100 for v in range(50, -51, -2)]


@measurement("fomaml")
def fomaml(bench: Bench) -> list[Result]:
    results = times_to_interactive(bench, FIGURES)
    if results is None:
        return []  # a build from before this chapter's figures (the reference build)

    page, figure = bench.open_figure("local-curvature")
    results += summary("local-curvature: x key event to redrawn", page.evaluate(key_events(REDRAWN), [figure, 60]))
    results += summary("local-curvature: x drag event to redrawn", page.evaluate(drag_events(REDRAWN), [figure, 60]))
    results += summary("local-curvature: curvature slider step to map redrawn",
                       page.evaluate(slider_events('[data-layer="map"] image'), [figure, "b (C₁₂ = C₂₁)", CURVATURES, 1]))
    page.close()
    return results
