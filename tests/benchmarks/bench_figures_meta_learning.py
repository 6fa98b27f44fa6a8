"""Benchmarks of the figures of "Meta-learning, and why MAML is model-agnostic", a bench_figures plug-in.

    .venv/bin/python tests/benchmarks/bench_figures.py --only meta-learning

Targets (as for the other figures): viewport to interactive <= 1 s with the runtime cached; one
redraw per input event <= 33 ms. Neither figure runs a graph: "taxonomy" draws a diagram (an event
is a focus moving to the next method, marking its section), "omniglot-progress" draws reported
numbers (an event is a switch between 5-way and 20-way).

The reference build (an older commit) has neither figure; for it this plug-in reports nothing.
"""
from __future__ import annotations

from bench_figures import Bench, Result, measurement
from figure_events import change_events, summary, times_to_interactive

TAXONOMY, PROGRESS = "taxonomy", "omniglot-progress"

# ms from an arrow key on a method to the next method focused and its section marked; a layout
# read forces the style update into the measured time.
TAXONOMY_EVENTS = """([f, count]) => {
  const links = [...f.querySelectorAll('[role=link]')];
  links[0].focus();
  const times = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    document.activeElement.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowDown', bubbles: true}));
    document.querySelector('.taxonomy-target')?.getBoundingClientRect();
    times.push(performance.now() - t);
  }
  return times;
}"""


@measurement("meta-learning")
def meta_learning(bench: Bench) -> list[Result]:
    results = times_to_interactive(bench, (TAXONOMY, PROGRESS))
    if results is None:
        return []  # a build from before these figures (the reference)
    page, figure = bench.open_figure(TAXONOMY)
    results += summary(f"{TAXONOMY}: arrow key to next method marked", page.evaluate(TAXONOMY_EVENTS, [figure, 40]))
    page.close()
    page, figure = bench.open_figure(PROGRESS)
    results += summary(f"{PROGRESS}: 5-way / 20-way switch to redrawn", page.evaluate(change_events("svg"), [figure, "input[type=radio]", 10]))
    page.close()
    return results
