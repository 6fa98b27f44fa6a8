"""Benchmarks of the figure "One meta-update, four ways" (four-ways), a bench_figures plug-in.

    .venv/bin/python tests/benchmarks/bench_figures.py --only four-ways [--no-reference]

Targets: viewport to interactive <= 1 s with the runtime cached; one redraw per drag
event <= 33 ms. A theta event reruns all four methods' graphs (line_compare_maml, _fomaml,
_reptile, _imaml), one after the other, and redraws their arrows and readouts; it is timed from
its dispatch until the figure's idle() resolves, plus a layout read, which forces the SVG's style
and layout update into the measured time:
  - theta moved with an arrow key, and theta dragged by the mouse (one d3-drag mousemove each);
  - a setting that reruns one graph (iMAML's lambda, the costliest graph), and one that only
    picks another row of the last result (MAML's k).
The reference build (an older commit) has no such figure; there every line prints alone.
"""
from __future__ import annotations


from bench_figures import Bench, Result, measurement
from figure_events import drag_events, inspect, key_events, slider_events, summary

FIGURE = "four-ways"


@measurement("four-ways")
def four_ways(bench: Bench) -> list[Result]:
    if not bench.has(FIGURE):
        return []  # a build from before this figure (the reference build)
    results = bench.time_to_interactive_results(FIGURE)
    page, figure = bench.open_figure(FIGURE)
    # Where mount's time goes: each graph's session ready, then the map, then the first frame (ms
    # from the start of mount; the sessions are created together, one after another in wasm).
    timings = inspect(page, figure)["timings"]
    for graph, ms in timings["sessionsMs"].items():
        results.append(Result(f"four-ways: {graph} session ready inside mount", ms, "ms", "(part of it)"))
    results.append(Result("four-ways: map drawn inside mount", timings["landscapeMs"], "ms", "(part of it)"))
    results.append(Result("four-ways: first frame drawn inside mount", timings["firstFrameMs"], "ms", "(part of it)"))
    every_arrow = ".fig-arrow-imaml line"
    results += summary("four-ways: theta key event to four arrows redrawn",
                       page.evaluate(key_events(every_arrow), [figure, 60]))
    results += summary("four-ways: theta drag event to four arrows redrawn",
                       page.evaluate(drag_events(every_arrow), [figure, 60]))
    one_arrow = slider_events(".fig-arrow-maml line")
    results += summary("four-ways: iMAML lambda step to its arrow redrawn",
                       page.evaluate(one_arrow, [figure, "iMAML: Proximal strength λ", None, 2]))
    results += summary("four-ways: MAML k step to its arrow redrawn",
                       page.evaluate(one_arrow, [figure, "MAML: Inner steps k", None, 4]))
    page.close()
    return results
