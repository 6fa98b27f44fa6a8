"""Benchmarks of the loss-landscape figures (accumulated-loss, one-step), a bench_figures plug-in.

    .venv/bin/python tests/benchmarks/bench_figures.py --only landscapes

Targets: viewport to interactive <= 1 s with the runtime cached; one redraw for a k
change or for a theta drag event <= 33 ms. A k change repaints synchronously from the stored
graph output, so its time is the input handler's; a theta event includes the line_maml_step run
and the arrows' update (the figure's idle() resolves once they are drawn).
"""
from __future__ import annotations

import statistics

from bench_figures import Bench, Result, check, measurement

FIGURES = ("accumulated-loss", "one-step")
# open_figure() hands over the figure's mount (or the figure): find the mount either way.
TEST_HOOK = "f.closest('figure').querySelector('.figure-mount').figureTest"

# ms of each repaint as the slider sweeps k = 0..20 and back, `rounds` times. The map is an SVG
# image (its PNG encoded in the handler) since figures draw once; the reference build painted a
# canvas, and reading one pixel back makes it execute its queued drawing. A layout read makes the
# SVG's style and layout update part of the measured time.
M_REDRAWS = f"""async ([f, rounds]) => {{
  await {TEST_HOOK}.idle(); // F_k for k > 0 arrives after the first frame
  const input = f.querySelector('input[type=range]');
  const canvas = [...f.querySelectorAll('canvas')].at(-1)?.getContext('2d');
  const image = [...f.querySelectorAll('[data-layer="map"] image')].at(-1);
  const times = [];
  for (let r = 0; r < rounds; r++) {{
    for (const k of [...Array(21).keys(), ...[...Array(21).keys()].reverse()]) {{
      const t = performance.now();
      input.value = String(k);
      input.dispatchEvent(new Event('input', {{bubbles: true}}));
      if (canvas) canvas.getImageData(0, 0, 1, 1);
      else image.getBoundingClientRect();
      times.push(performance.now() - t);
    }}
  }}
  if ({TEST_HOOK}.inspect().k !== 0) throw new Error('the slider did not reach k = 0');
  return times;
}}"""

# ms from an arrow-key event on the theta handle to the arrows drawn for the new theta (a layout
# read forces the SVG's style and layout update into the measured time).
THETA_EVENTS = f"""async ([f, count]) => {{
  const handle = f.querySelector('[role=slider].fig-handle');
  const times = [];
  for (let i = 0; i < count; i++) {{
    const key = i % 20 < 10 ? 'ArrowLeft' : 'ArrowRight';
    const t = performance.now();
    handle.dispatchEvent(new KeyboardEvent('keydown', {{key, bubbles: true}}));
    await {TEST_HOOK}.idle();
    f.querySelector('line').getBoundingClientRect();
    times.push(performance.now() - t);
  }}
  return times;
}}"""


def _summary(name: str, times: list[float], limit: float) -> list[Result]:
    times = sorted(times)
    p95 = times[min(len(times) - 1, round(0.95 * len(times)))]
    return [check(f"{name} (median)", statistics.median(times), "ms", limit),
            check(f"{name} (95th percentile)", p95, "ms", limit)]


@measurement("landscapes")
def landscapes(bench: Bench) -> list[Result]:
    results = []
    for figure_id in FIGURES:
        results += bench.time_to_interactive_results(figure_id)

    page, figure = bench.open_figure("accumulated-loss")
    page.evaluate(f"f => {TEST_HOOK}.idle()", figure)
    graph_ms = page.evaluate(f"f => {TEST_HOOK}.inspect().accumulatedMs", figure)
    results.append(Result("accumulated-loss: the line_accumulated run, after the first frame", graph_ms, "ms",
                          "(after it)"))
    page.evaluate(f"f => {TEST_HOOK}.idle()", figure)
    mount_ms = page.evaluate(f"f => {TEST_HOOK}.inspect().mountMs", figure)
    results.append(Result("accumulated-loss: mount start to first frame", mount_ms["firstFrame"], "ms", "(part of it)"))
    results.append(Result("accumulated-loss: mount start to every k computed", mount_ms["rest"], "ms", "(after it)"))
    results += _summary("accumulated-loss: redraw for a k change",
                        page.evaluate(M_REDRAWS, [figure, 3]), 33)
    page.close()

    page, figure = bench.open_figure("one-step")
    results += _summary("one-step: theta key event to arrows redrawn",
                        page.evaluate(THETA_EVENTS, [figure, 60]), 33)
    page.close()
    return results
