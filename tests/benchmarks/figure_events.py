"""Reader input the figure benchmarks time, shared by the bench_figures plug-ins.

Each script is JavaScript for `page.evaluate(script, [mount, ...])`: it fires one kind of input at
a mounted figure, event after event, and returns how many ms each event took until the figure had
drawn its answer. `f` is the figure's mount (Bench.open_figure hands it over), whose test hook
`f.figureTest` resolves `idle()` once every computation the event asked for is drawn; then the
script reads the layout of `redrawn`, a selector inside the figure, so that the SVG's style and
layout update counts in the time too.

Inputs come one frame apart: before each one, the script waits until the browser has painted the
figure's answer to the last, as it does between two inputs of a reader (Chromium delivers mouse
moves once a frame, and a held key repeats about 30 times a second). Fired back to back instead,
each input's time would also hold the paint of the answer before it, whenever that paint fell
while the figure waited for its runtime's worker. `bench_figures.py --back-to-back` fires them so.
"""
from __future__ import annotations

import statistics

from bench_figures import Result, check

REDRAW_TARGET_MS = 33  # one frame at 30 frames a second


# How inputs are paced (see the module's docstring); bench_figures.py sets it from the command line.
PACING = {"frame_apart": True}
# Resolves once the next frame has been painted: a task queued from requestAnimationFrame runs
# after that frame's paint.
AFTER_NEXT_PAINT = "new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)))"


def _timer(redrawn: str) -> str:
    """JavaScript declaring `times` and `timed(fire)`: (one frame after the last input) fire one
    input, wait for the figure's idle(), read the layout of `redrawn` (so the style and layout
    update count), and push the ms taken."""
    pause = f"await {AFTER_NEXT_PAINT};" if PACING["frame_apart"] else ""
    return f"""const times = [];
  const timed = async (fire) => {{
    {pause}
    const t = performance.now();
    fire();
    await f.figureTest.idle();
    f.querySelector('{redrawn}').getBoundingClientRect();
    times.push(performance.now() - t);
  }};"""


def key_events(redrawn: str, first: str = "ArrowLeft", then: str = "ArrowRight") -> str:
    """`async ([f, count]) => ms[]`: arrow keys on the figure's first handle, ten `first`, ten
    `then`, and again."""
    return f"""async ([f, count]) => {{
  const handle = f.querySelector('[role=slider].fig-handle');
  {_timer(redrawn)}
  for (let i = 0; i < count; i++) {{
    const key = i % 20 < 10 ? '{first}' : '{then}';
    await timed(() => handle.dispatchEvent(new KeyboardEvent('keydown', {{key, bubbles: true}})));
  }}
  return times;
}}"""


def drag_events(redrawn: str) -> str:
    """`async ([f, count]) => ms[]`: one mousemove each of a d3-drag on the figure's first handle,
    round and round a 30 px circle; d3-drag takes mousedown on the handle, then mousemove and
    mouseup on the window."""
    return f"""async ([f, count]) => {{
  const handle = f.querySelector('[role=slider].fig-handle');
  const dot = handle.querySelector('circle:last-of-type').getBoundingClientRect();
  const [cx, cy] = [dot.x + dot.width / 2, dot.y + dot.height / 2];
  const mouse = (type, x, y, target) => target.dispatchEvent(new MouseEvent(type, {{
    clientX: x, clientY: y, bubbles: true, cancelable: true, view: window, button: 0, buttons: 1}}));
  mouse('mousedown', cx, cy, handle);
  {_timer(redrawn)}
  for (let i = 0; i < count; i++) {{
    const angle = (2 * Math.PI * i) / 24;
    await timed(() => mouse('mousemove', cx + 30 * Math.cos(angle), cy + 30 * Math.sin(angle), window));
  }}
  mouse('mouseup', cx, cy, window);
  return times;
}}"""


def slider_events(redrawn: str) -> str:
    """`async ([f, label, values, rounds]) => ms[]`: input events on the range input named `label`
    (by its <label> or its aria-label), through `values` and back, `rounds` times; with `values`
    null, through every step of its range from the top down."""
    return f"""async ([f, label, values, rounds]) => {{
  const input = [...f.querySelectorAll('input[type=range]')]
    .find((i) => i.labels?.[0]?.textContent === label || i.getAttribute('aria-label') === label);
  if (!values) {{
    const [low, high, step] = ['min', 'max', 'step'].map((k) => Number(input[k]));
    values = [];
    for (let v = high; v >= low - 1e-9; v -= step) values.push(v);
  }}
  {_timer(redrawn)}
  for (let r = 0; r < rounds; r++) {{
    for (const v of [...values, ...[...values].reverse()]) {{
      await timed(() => {{
        input.value = String(v);
        input.dispatchEvent(new Event('input', {{bubbles: true}}));
      }});
    }}
  }}
  return times;
}}"""


def click_events(redrawn: str) -> str:
    """`async ([f, selector, index, count]) => ms[]`: clicks on the `index`-th element matching
    `selector` in the figure (a switch: each click flips it)."""
    return f"""async ([f, selector, index, count]) => {{
  const target = f.querySelectorAll(selector)[index];
  {_timer(redrawn)}
  for (let i = 0; i < count; i++) await timed(() => target.click());
  return times;
}}"""


def change_events(redrawn: str) -> str:
    """`([f, selector, rounds]) => ms[]`: a change event on each control matching `selector`, in
    turn, `rounds` times: a select through each of its options, a radio checked, a checkbox
    flipped and flipped back. For figures that redraw within the event (no graph to wait for)."""
    return f"""([f, selector, rounds]) => {{
  const controls = [...f.querySelectorAll(selector)];
  const times = [];
  const timed = (control, set) => {{
    const t = performance.now();
    set();
    control.dispatchEvent(new Event('change', {{bubbles: true}}));
    f.querySelector('{redrawn}').getBoundingClientRect();
    times.push(performance.now() - t);
  }};
  for (let r = 0; r < rounds; r++) {{
    for (const control of controls) {{
      if (control.tagName === 'SELECT') {{
        for (const option of control.options) timed(control, () => {{ control.value = option.value; }});
      }} else if (control.type === 'radio') {{
        timed(control, () => {{ control.checked = true; }});
      }} else {{
        for (let flip = 0; flip < 2; flip++) timed(control, () => {{ control.checked = !control.checked; }});
      }}
    }}
  }}
  return times;
}}"""


def inspect(page, mount) -> dict:
    """The figure's own account of itself (figureTest.inspect()), e.g. where its mount's time went."""
    return page.evaluate("f => f.figureTest.inspect()", mount)


def idle(page, mount) -> None:
    """Wait until the figure has drawn everything asked of it (figureTest.idle())."""
    page.evaluate("f => f.figureTest.idle()", mount)


def times_to_interactive(bench, figure_ids) -> list[Result] | None:
    """Each figure's time to interactive (Bench.time_to_interactive_results), or None when the
    build lacks one of them (a reference build from before them)."""
    if not all(map(bench.has, figure_ids)):
        return None
    return [result for figure_id in figure_ids for result in bench.time_to_interactive_results(figure_id)]


def summary(name: str, times: list[float], limit: float = REDRAW_TARGET_MS) -> list[Result]:
    """The median and the 95th percentile of `times`, each against `limit`."""
    times = sorted(times)
    p95 = times[min(len(times) - 1, round(0.95 * len(times)))]
    return [check(f"{name} (median)", statistics.median(times), "ms", limit),
            check(f"{name} (95th percentile)", p95, "ms", limit)]
