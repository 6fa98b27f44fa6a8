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

import statistics

from bench_figures import Bench, Result, check, measurement

JACOBIAN, COST = "jacobian-product", "meta-gradient-cost"
# open_figure() hands over the figure's mount: find the test hook from it either way.
TEST_HOOK = "f.closest('figure').querySelector('.figure-mount').figureTest"

# ms from an arrow-key event on the theta handle to the figure drawn for the new theta; a layout
# read forces the SVG's style and layout update into the measured time.
THETA_EVENTS = f"""async ([f, count]) => {{
  const handle = f.querySelector('[role=slider].fig-handle');
  const times = [];
  for (let i = 0; i < count; i++) {{
    const key = i % 20 < 10 ? 'ArrowLeft' : 'ArrowRight';
    const t = performance.now();
    handle.dispatchEvent(new KeyboardEvent('keydown', {{key, bubbles: true}}));
    await {TEST_HOOK}.idle();
    f.querySelector('[data-arrow] line').getBoundingClientRect();
    times.push(performance.now() - t);
  }}
  return times;
}}"""

# ms from an input event on the slider with accessible label `label` (values swept up and down)
# to the figure drawn for it.
SLIDER_EVENTS = f"""async ([f, label, values, rounds]) => {{
  const input = [...f.querySelectorAll('input[type=range]')].find((i) => i.labels[0].textContent === label);
  const times = [];
  for (let r = 0; r < rounds; r++) {{
    for (const v of [...values, ...[...values].reverse()]) {{
      const t = performance.now();
      input.value = String(v);
      input.dispatchEvent(new Event('input', {{bubbles: true}}));
      await {TEST_HOOK}.idle();
      f.querySelector('[data-arrow] line').getBoundingClientRect();
      times.push(performance.now() - t);
    }}
  }}
  return times;
}}"""

# ms of a quantity switch or a method checkbox of the cost figure, each change and its redraw.
COST_EVENTS = """([f, rounds]) => {
  const select = f.querySelector('select');
  const boxes = [...f.querySelectorAll('input[type=checkbox]')];
  const times = [];
  const timed = (change) => {
    const t = performance.now();
    change();
    f.querySelector('svg').getBoundingClientRect();
    times.push(performance.now() - t);
  };
  for (let r = 0; r < rounds; r++) {
    for (const value of ['tensors', 'rss', 'time']) {
      timed(() => { select.value = value; select.dispatchEvent(new Event('change', {bubbles: true})); });
    }
    for (const box of boxes) {
      for (let flip = 0; flip < 2; flip++) {
        timed(() => { box.checked = !box.checked; box.dispatchEvent(new Event('change', {bubbles: true})); });
      }
    }
  }
  return times;
}"""


def _summary(name: str, times: list[float], limit: float) -> list[Result]:
    times = sorted(times)
    p95 = times[min(len(times) - 1, round(0.95 * len(times)))]
    return [check(f"{name} (median)", statistics.median(times), "ms", limit),
            check(f"{name} (95th percentile)", p95, "ms", limit)]



@measurement("cost")
def cost(bench: Bench) -> list[Result]:
    if not (bench.has(JACOBIAN) and bench.has(COST)):
        return []  # a build from before these figures (the reference)
    results = []
    for figure_id in (JACOBIAN, COST):
        results += bench.time_to_interactive_results(figure_id)

    page, figure = bench.open_figure(JACOBIAN)
    parts = page.evaluate(f"f => {TEST_HOOK}.inspect().mountMs", figure)
    for part, what in (("load", "data, runtime and sessions"), ("landscape", "the line_landscape run"),
                       ("firstRun", "the first line_jacobian_product run and drawing")):
        results.append(Result(f"{JACOBIAN}: inside mount, {what}", parts[part], "ms", "(part of it)"))
    results += _summary(f"{JACOBIAN}: theta key event to redrawn", page.evaluate(THETA_EVENTS, [figure, 60]), 33)
    alphas = [round(0.05 * i, 2) for i in range(1, 41)]
    results += _summary(f"{JACOBIAN}: alpha slider event to redrawn",
                        page.evaluate(SLIDER_EVENTS, [figure, "Inner step size α", alphas, 1]), 33)
    results += _summary(f"{JACOBIAN}: k slider event to redrawn",
                        page.evaluate(SLIDER_EVENTS, [figure, "Inner steps k", [1, 2, 3, 4, 5], 6]), 33)
    page.close()

    page, figure = bench.open_figure(COST)
    results += _summary(f"{COST}: quantity or method switch to redrawn", page.evaluate(COST_EVENTS, [figure, 5]), 33)
    page.close()
    return results
