"""Benchmarks of the loss-landscape figures (accumulated-loss, one-step), a bench_figures plug-in.

    .venv/bin/python tests/benchmarks/bench_figures.py --only landscapes

Targets: viewport to interactive <= 1 s with the runtime cached; one redraw for a k
change or for a theta drag event <= 33 ms. A k change repaints synchronously from the stored
graph output, so its time is the input handler's; a theta event includes the line_maml_step run
and the arrows' update (the figure's idle() resolves once they are drawn).
"""
from __future__ import annotations

from bench_figures import Bench, Result, measurement
from figure_events import idle, inspect, key_events, summary

FIGURES = ("accumulated-loss", "one-step")

# ms of each repaint as the slider sweeps k = 0..20 and back, `rounds` times. The map is an SVG
# image (its PNG encoded in the handler) since figures draw once; the reference build painted a
# canvas, and reading one pixel back makes it execute its queued drawing. A layout read makes the
# SVG's style and layout update part of the measured time.
M_REDRAWS = """async ([f, rounds]) => {
  await f.figureTest.idle(); // F_k for k > 0 arrives after the first frame
  const input = f.querySelector('input[type=range]');
  const canvas = [...f.querySelectorAll('canvas')].at(-1)?.getContext('2d');
  const image = [...f.querySelectorAll('[data-layer="map"] image')].at(-1);
  const times = [];
  for (let r = 0; r < rounds; r++) {
    for (const k of [...Array(21).keys(), ...[...Array(21).keys()].reverse()]) {
      const t = performance.now();
      input.value = String(k);
      input.dispatchEvent(new Event('input', {bubbles: true}));
      if (canvas) canvas.getImageData(0, 0, 1, 1);
      else image.getBoundingClientRect();
      times.push(performance.now() - t);
    }
  }
  if (f.figureTest.inspect().k !== 0) throw new Error('the slider did not reach k = 0');
  return times;
}"""


@measurement("landscapes")
def landscapes(bench: Bench) -> list[Result]:
    results = []
    for figure_id in FIGURES:
        results += bench.time_to_interactive_results(figure_id)

    page, figure = bench.open_figure("accumulated-loss")
    idle(page, figure)
    graph_ms = inspect(page, figure)["accumulatedMs"]
    results.append(Result("accumulated-loss: the line_accumulated run, after the first frame", graph_ms, "ms",
                          "(after it)"))
    idle(page, figure)
    mount_ms = inspect(page, figure)["mountMs"]
    results.append(Result("accumulated-loss: mount start to first frame", mount_ms["firstFrame"], "ms", "(part of it)"))
    results.append(Result("accumulated-loss: mount start to every k computed", mount_ms["rest"], "ms", "(after it)"))
    results += summary("accumulated-loss: redraw for a k change", page.evaluate(M_REDRAWS, [figure, 3]))
    page.close()

    page, figure = bench.open_figure("one-step")
    results += summary("one-step: theta key event to arrows redrawn", page.evaluate(key_events("line"), [figure, 60]))
    page.close()
    return results
