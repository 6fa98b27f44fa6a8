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
# The cost plug-in's helpers: a median and 95th-percentile pair of results, and "is the figure in
# this build" (importing it again registers the same "cost" measurement again, harmlessly).
from bench_figures_cost import _summary

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

# ms of a 5-way / 20-way switch and its redraw.
PROGRESS_EVENTS = """([f, rounds]) => {
  const radios = [...f.querySelectorAll('input[type=radio]')];
  const times = [];
  for (let r = 0; r < rounds; r++) {
    for (const radio of radios) {
      const t = performance.now();
      radio.checked = true;
      radio.dispatchEvent(new Event('change', {bubbles: true}));
      f.querySelector('svg').getBoundingClientRect();
      times.push(performance.now() - t);
    }
  }
  return times;
}"""


@measurement("meta-learning")
def meta_learning(bench: Bench) -> list[Result]:
    if not (bench.has(TAXONOMY) and bench.has(PROGRESS)):
        return []  # a build from before these figures (the reference)
    results = []
    for figure_id in (TAXONOMY, PROGRESS):
        results += bench.time_to_interactive_results(figure_id)
    page, figure = bench.open_figure(TAXONOMY)
    results += _summary(f"{TAXONOMY}: arrow key to next method marked", page.evaluate(TAXONOMY_EVENTS, [figure, 40]), 33)
    page.close()
    page, figure = bench.open_figure(PROGRESS)
    results += _summary(f"{PROGRESS}: 5-way / 20-way switch to redrawn", page.evaluate(PROGRESS_EVENTS, [figure, 10]), 33)
    page.close()
    return results
