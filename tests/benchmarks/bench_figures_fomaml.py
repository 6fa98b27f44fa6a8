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

import statistics

from bench_figures import Bench, Result, check, measurement

FIGURES = ("local-curvature", "finetune-fomaml")
TEST_HOOK = "f.closest('figure').querySelector('.figure-mount').figureTest"
REDRAW_TARGET_MS = 33

# ms from an arrow-key event on the x handle to everything redrawn, alternating left and right.
KEY_EVENTS = f"""async ([f, count]) => {{
  const handle = f.querySelector('[role=slider].fig-handle');
  const times = [];
  for (let i = 0; i < count; i++) {{
    const key = i % 20 < 10 ? 'ArrowLeft' : 'ArrowRight';
    const t = performance.now();
    handle.dispatchEvent(new KeyboardEvent('keydown', {{key, bubbles: true}}));
    await {TEST_HOOK}.idle();
    f.querySelector('.fig-arrow-exact line').getBoundingClientRect();
    times.push(performance.now() - t);
  }}
  return times;
}}"""

# ms from one mousemove of a d3-drag on the x handle (a small circle back and forth) to the redraw.
DRAG_EVENTS = f"""async ([f, count]) => {{
  const handle = f.querySelector('[role=slider].fig-handle');
  const dot = handle.querySelectorAll('circle')[2].getBoundingClientRect();
  const [cx, cy] = [dot.x + dot.width / 2, dot.y + dot.height / 2];
  const mouse = (type, x, y, target) => target.dispatchEvent(new MouseEvent(type, {{
    clientX: x, clientY: y, bubbles: true, cancelable: true, view: window, button: 0, buttons: 1}}));
  mouse('mousedown', cx, cy, handle);
  const times = [];
  for (let i = 0; i < count; i++) {{
    const angle = (2 * Math.PI * i) / 24;
    const t = performance.now();
    mouse('mousemove', cx + 30 * Math.cos(angle), cy + 30 * Math.sin(angle), window);
    await {TEST_HOOK}.idle();
    f.querySelector('.fig-arrow-exact line').getBoundingClientRect();
    times.push(performance.now() - t);
  }}
  mouse('mouseup', cx, cy, window);
  return times;
}}"""

# ms from one step of a curvature slider (an input event) to the map and the arrows redrawn,
# sweeping the slider down and up its whole range.
SLIDER_EVENTS = f"""async ([f, name, rounds]) => {{
  const input = [...f.querySelectorAll('input[type=range]')].find((i) => i.labels[0].textContent === name);
  const image = f.querySelector('[data-layer="map"] image');
  const values = [];
  for (let v = 50; v >= -50; v -= 2) values.push(v / 100);
  const sweep = [...values, ...values.slice().reverse()];
  const times = [];
  for (let r = 0; r < rounds; r++) {{
    for (const v of sweep) {{
      const t = performance.now();
      input.value = String(v);
      input.dispatchEvent(new Event('input', {{bubbles: true}}));
      await {TEST_HOOK}.idle();
      image.getBoundingClientRect();
      times.push(performance.now() - t);
    }}
  }}
  return times;
}}"""


def _summary(name: str, times: list[float]) -> list[Result]:
    times = sorted(times)
    p95 = times[min(len(times) - 1, round(0.95 * len(times)))]
    return [check(f"{name} (median)", statistics.median(times), "ms", REDRAW_TARGET_MS),
            check(f"{name} (95th percentile)", p95, "ms", REDRAW_TARGET_MS)]


@measurement("fomaml")
def fomaml(bench: Bench) -> list[Result]:
    try:
        for figure_id in FIGURES:
            bench.page_of(figure_id)
    except LookupError:
        return []  # a build from before this chapter's figures (the reference build)
    results = []
    for figure_id in FIGURES:
        results += bench.time_to_interactive_results(figure_id)

    page, figure = bench.open_figure("local-curvature")
    results += _summary("local-curvature: x key event to redrawn", page.evaluate(KEY_EVENTS, [figure, 60]))
    results += _summary("local-curvature: x drag event to redrawn", page.evaluate(DRAG_EVENTS, [figure, 60]))
    results += _summary("local-curvature: curvature slider step to map redrawn",
                        page.evaluate(SLIDER_EVENTS, [figure, "b (C₁₂ = C₂₁)", 1]))
    page.close()
    return results
