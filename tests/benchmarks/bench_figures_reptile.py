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

import statistics

from bench_figures import Bench, Result, check, measurement

INTERPOLATION = "reptile-interpolation"
FIGURES = (INTERPOLATION, "finetune-reptile")
# open_figure() hands over the figure's mount: its test hook is on it.
HOOK = "f.closest('figure').querySelector('.figure-mount').figureTest"
LIMIT_MS = 33

# ms from one pointer move of a drag on the theta handle to the arrows drawn for the new theta.
# d3-drag follows mousedown on the handle with mousemove and mouseup on the window.
DRAG_EVENTS = f"""async ([f, count]) => {{
  const handle = f.querySelector('[role=slider].fig-handle');
  const dot = handle.querySelectorAll('circle')[2].getBoundingClientRect();
  const at = (x, y) => ({{clientX: x, clientY: y, bubbles: true, cancelable: true, view: window, button: 0}});
  let x = dot.x + dot.width / 2, y = dot.y + dot.height / 2;
  handle.dispatchEvent(new MouseEvent('mousedown', at(x, y)));
  const times = [];
  for (let i = 0; i < count; i++) {{
    x += i % 40 < 20 ? 3 : -3;
    y += i % 40 < 20 ? 2 : -2;
    const t = performance.now();
    window.dispatchEvent(new MouseEvent('mousemove', at(x, y)));
    await {HOOK}.idle();
    f.querySelector('[data-arrow=update] line').getBoundingClientRect();
    times.push(performance.now() - t);
  }}
  window.dispatchEvent(new MouseEvent('mouseup', at(x, y)));
  return times;
}}"""

# ms from an arrow-key event on the theta handle to the arrows drawn for the new theta.
KEY_EVENTS = f"""async ([f, count]) => {{
  const handle = f.querySelector('[role=slider].fig-handle');
  const times = [];
  for (let i = 0; i < count; i++) {{
    const key = i % 20 < 10 ? 'ArrowRight' : 'ArrowLeft';
    const t = performance.now();
    handle.dispatchEvent(new KeyboardEvent('keydown', {{key, bubbles: true}}));
    await {HOOK}.idle();
    f.querySelector('[data-arrow=update] line').getBoundingClientRect();
    times.push(performance.now() - t);
  }}
  return times;
}}"""

# ms from an input event on the slider labelled `label` to the redraw, sweeping the slider up and
# down through `values` (found by its label, so the order of the sliders does not matter).
SLIDER_EVENTS = f"""async ([f, label, values, rounds]) => {{
  const input = [...f.querySelectorAll('input[type=range]')].find((i) => i.labels?.[0]?.textContent === label);
  const times = [];
  for (let r = 0; r < rounds; r++) {{
    for (const v of [...values, ...[...values].reverse()]) {{
      const t = performance.now();
      input.value = String(v);
      input.dispatchEvent(new Event('input', {{bubbles: true}}));
      await {HOOK}.idle();
      f.querySelector('[data-arrow=update] line').getBoundingClientRect();
      times.push(performance.now() - t);
    }}
  }}
  return times;
}}"""

# ms from a click on switch `index` (0 first-order, 1 exact) to the redraw.
SWITCH_EVENTS = f"""async ([f, index, count]) => {{
  const input = f.querySelectorAll('input[type=checkbox]')[index];
  const times = [];
  for (let i = 0; i < count; i++) {{
    const t = performance.now();
    input.click();
    await {HOOK}.idle();
    f.querySelector('[data-arrow=maml] line').getBoundingClientRect();
    times.push(performance.now() - t);
  }}
  return times;
}}"""


def _summary(name: str, times: list[float]) -> list[Result]:
    times = sorted(times)
    p95 = times[min(len(times) - 1, round(0.95 * len(times)))]
    return [check(f"{name} (median)", statistics.median(times), "ms", LIMIT_MS),
            check(f"{name} (95th percentile)", p95, "ms", LIMIT_MS)]



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
    timings = page.evaluate(f"f => {HOOK}.inspect().timings", figure)
    for stage, what in (("load", "sessions and data loaded"), ("landscape", "line_landscape run"),
                        ("firstRun", "first line_reptile_interpolation run")):
        results.append(Result(f"{INTERPOLATION}: {what} inside mount", timings[stage], "ms", "(part of it)"))
    alphas = [round(0.05 * i, 2) for i in range(1, 31)]
    epsilons = [round(0.05 * i, 2) for i in range(1, 21)]
    results += _summary(f"{INTERPOLATION}: theta drag event to arrows redrawn",
                        page.evaluate(DRAG_EVENTS, [figure, 80]))
    results += _summary(f"{INTERPOLATION}: theta key event to arrows redrawn",
                        page.evaluate(KEY_EVENTS, [figure, 60]))
    results += _summary(f"{INTERPOLATION}: alpha slider event to redraw",
                        page.evaluate(SLIDER_EVENTS, [figure, "Inner step size α", alphas, 1]))
    results += _summary(f"{INTERPOLATION}: k slider event to redraw",
                        page.evaluate(SLIDER_EVENTS, [figure, "Inner steps k", [1, 2, 3, 4, 5], 6]))
    results += _summary(f"{INTERPOLATION}: epsilon slider event to redraw",
                        page.evaluate(SLIDER_EVENTS, [figure, "Interpolation rate ε", epsilons, 2]))
    results += _summary(f"{INTERPOLATION}: switch toggled to redraw",
                        page.evaluate(SWITCH_EVENTS, [figure, 1, 40]))
    page.close()
    return results
