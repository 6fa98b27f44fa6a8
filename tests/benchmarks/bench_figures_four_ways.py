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

import statistics

from bench_figures import Bench, Result, check, measurement

FIGURE = "four-ways"
TEST_HOOK = "f.closest('figure').querySelector('.figure-mount').figureTest"
REDRAW_TARGET_MS = 33

# ms from an arrow-key event on the theta handle to every arrow redrawn, alternating left and right.
KEY_EVENTS = f"""async ([f, count]) => {{
  const handle = f.querySelector('[role=slider].fig-handle');
  const times = [];
  for (let i = 0; i < count; i++) {{
    const key = i % 20 < 10 ? 'ArrowLeft' : 'ArrowRight';
    const t = performance.now();
    handle.dispatchEvent(new KeyboardEvent('keydown', {{key, bubbles: true}}));
    await {TEST_HOOK}.idle();
    f.querySelector('.fig-arrow-imaml line').getBoundingClientRect();
    times.push(performance.now() - t);
  }}
  return times;
}}"""

# ms from one mousemove of a d3-drag on the theta handle (a small circle round and round) to the
# redraw.
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
    f.querySelector('.fig-arrow-imaml line').getBoundingClientRect();
    times.push(performance.now() - t);
  }}
  mouse('mouseup', cx, cy, window);
  return times;
}}"""

# ms from one step of a slider (an input event) to the redraw, sweeping its range down and up.
SLIDER_EVENTS = f"""async ([f, label, rounds]) => {{
  const input = [...f.querySelectorAll('input[type=range]')].find((i) => i.getAttribute('aria-label') === label);
  const [low, high, step] = ['min', 'max', 'step'].map((k) => Number(input[k]));
  const values = [];
  for (let v = high; v >= low - 1e-9; v -= step) values.push(v);
  const sweep = [...values, ...values.slice().reverse()];
  const times = [];
  for (let r = 0; r < rounds; r++) {{
    for (const v of sweep) {{
      const t = performance.now();
      input.value = String(v);
      input.dispatchEvent(new Event('input', {{bubbles: true}}));
      await {TEST_HOOK}.idle();
      f.querySelector('.fig-arrow-maml line').getBoundingClientRect();
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


@measurement("four-ways")
def four_ways(bench: Bench) -> list[Result]:
    try:
        bench.page_of(FIGURE)
    except LookupError:
        return []  # a build from before this figure (the reference build)
    results = bench.time_to_interactive_results(FIGURE)
    page, figure = bench.open_figure(FIGURE)
    # Where mount's time goes: each graph's session ready, then the map, then the first frame (ms
    # from the start of mount; the sessions are created together, one after another in wasm).
    timings = page.evaluate(f"f => {TEST_HOOK}.inspect().timings", figure)
    for graph, ms in timings["sessionsMs"].items():
        results.append(Result(f"four-ways: {graph} session ready inside mount", ms, "ms", "(part of it)"))
    results.append(Result("four-ways: map drawn inside mount", timings["landscapeMs"], "ms", "(part of it)"))
    results.append(Result("four-ways: first frame drawn inside mount", timings["firstFrameMs"], "ms", "(part of it)"))
    results += _summary("four-ways: theta key event to four arrows redrawn", page.evaluate(KEY_EVENTS, [figure, 60]))
    results += _summary("four-ways: theta drag event to four arrows redrawn", page.evaluate(DRAG_EVENTS, [figure, 60]))
    results += _summary("four-ways: iMAML lambda step to its arrow redrawn",
                        page.evaluate(SLIDER_EVENTS, [figure, "iMAML: Proximal strength λ", 2]))
    results += _summary("four-ways: MAML k step to its arrow redrawn",
                        page.evaluate(SLIDER_EVENTS, [figure, "MAML: Inner steps k", 4]))
    page.close()
    return results
