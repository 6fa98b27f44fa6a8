"""Benchmarks of the figure "sine-average" (How MAML works), a bench_figures plug-in.

    .venv/bin/python tests/benchmarks/bench_figures.py --only sine-average

Targets: viewport to interactive <= 1 s with the runtime cached; one input <= 33 ms.
An input is a press of "Sample more" (one sinusoid_tasks run for as many new tasks as are drawn
already, up to 512 at the last press, then the redraw) or of "Start over" (eight tasks again).

The reference build (an older commit) has no such figure; for it this plug-in reports nothing.
"""
from __future__ import annotations

from bench_figures import Bench, Result, check, measurement

FIGURE = "sine-average"

# ms from each button press to the figure redrawn, for every doubling from 8 to 1,024 tasks and
# the return to 8, `rounds` times; a layout read forces the SVG's update into the measured time.
PRESSES = """async ([f, rounds]) => {
  const [more, restart] = f.querySelectorAll('button');
  const times = {};
  const timed = async (name, button) => {
    const t = performance.now();
    button.click();
    await f.figureTest.idle();
    f.querySelector('svg').getBoundingClientRect();
    (times[name] ??= []).push(performance.now() - t);
  };
  for (let r = 0; r < rounds; r++) {
    while (!more.disabled) await timed(`sample more (to ${2 * f.figureTest.inspect().count} tasks)`, more);
    await timed('start over', restart);
  }
  return times;
}"""


@measurement("sine-average")
def sine_average(bench: Bench) -> list[Result]:
    if not bench.has(FIGURE):
        return []  # a build from before this figure (the reference)
    results = bench.time_to_interactive_results(FIGURE)
    page, figure = bench.open_figure(FIGURE)
    for name, times in page.evaluate(PRESSES, [figure, 5]).items():
        times = sorted(times)
        results.append(check(f"{FIGURE}: {name}, press to redrawn (median of {len(times)})",
                             times[len(times) // 2], "ms", 33))
    page.close()
    return results
