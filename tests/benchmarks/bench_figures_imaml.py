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

import statistics

from bench_figures import Bench, Result, check, measurement

FIGURES = ("imaml-regularised", "imaml-implicit-gradient")
TEST_HOOK = "f.closest('figure').querySelector('.figure-mount').figureTest"

# ms from one event to the figure redrawn for it; `kind` is "key", "drag" or "lambda".
EVENTS = f"""async ([f, kind, count]) => {{
  const hook = {TEST_HOOK};
  const handle = f.querySelector('[role=slider].fig-handle');
  const lambda = [...f.querySelectorAll('input[type=range]')][0];
  const settle = async () => {{ await hook.idle(); f.querySelector('svg').getBoundingClientRect(); }};
  const times = [];
  let start = null;
  if (kind === 'drag') {{
    const box = handle.querySelector('circle:last-of-type').getBoundingClientRect();
    start = [box.x + box.width / 2, box.y + box.height / 2];
    handle.dispatchEvent(new MouseEvent('mousedown', {{bubbles: true, clientX: start[0], clientY: start[1], view: window, button: 0}}));
  }}
  for (let i = 0; i < count; i++) {{
    const t = performance.now();
    if (kind === 'key') {{
      const key = i % 20 < 10 ? 'ArrowLeft' : 'ArrowRight';
      handle.dispatchEvent(new KeyboardEvent('keydown', {{key, bubbles: true}}));
    }} else if (kind === 'drag') {{
      const dx = 40 * Math.sin(i / 6), dy = 30 * Math.sin(i / 9);
      window.dispatchEvent(new MouseEvent('mousemove', {{bubbles: true, clientX: start[0] + dx, clientY: start[1] + dy, view: window}}));
    }} else {{
      const lo = Number(lambda.min), hi = Number(lambda.max), span = hi - lo;
      const k = i % (2 * span);
      lambda.value = String(lo + (k < span ? k : 2 * span - k));
      lambda.dispatchEvent(new Event('input', {{bubbles: true}}));
    }}
    await settle();
    times.push(performance.now() - t);
  }}
  if (kind === 'drag') window.dispatchEvent(new MouseEvent('mouseup', {{bubbles: true, view: window}}));
  return times;
}}"""


def _summary(name: str, times: list[float], limit: float) -> list[Result]:
    times = sorted(times)
    p95 = times[min(len(times) - 1, round(0.95 * len(times)))]
    return [check(f"{name} (median)", statistics.median(times), "ms", limit),
            check(f"{name} (95th percentile)", p95, "ms", limit)]


def _events(bench: Bench, figure_id: str, switch: bool = False) -> list[Result]:
    page, figure = bench.open_figure(figure_id)
    label = figure_id
    if switch:
        page.get_by_label("Show the exact implicit gradient (direct 2 × 2 solve)").check()
        page.evaluate(f"f => {TEST_HOOK}.idle()", figure)
        label += " with the exact gradient"
    results = []
    for kind, what in (("drag", "theta drag event"), ("key", "theta key event"), ("lambda", "lambda event")):
        times = page.evaluate(EVENTS, [figure, kind, 60])
        results += _summary(f"{label}: {what} to redrawn", times, 33)
    # Where the last redraw's time went (graph runs and drawing), as the figure measured it.
    for part, ms in page.evaluate(f"f => {TEST_HOOK}.inspect().timings", figure).items():
        results.append(Result(f"{label}: last redraw, {part}", ms, "ms", "(part of it)"))
    page.close()
    return results


@measurement("imaml")
def imaml(bench: Bench) -> list[Result]:
    try:
        for figure_id in FIGURES:
            bench.page_of(figure_id)
    except LookupError:
        return []  # an older build, before the iMAML chapter had figures
    results = []
    for figure_id in FIGURES:
        results += bench.time_to_interactive_results(figure_id)
    results += _events(bench, "imaml-regularised")
    results += _events(bench, "imaml-implicit-gradient")
    results += _events(bench, "imaml-implicit-gradient", switch=True)
    return results
