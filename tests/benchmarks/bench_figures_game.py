"""Benchmarks of the few-shot game in the Introduction, a bench_figures plug-in.

    .venv/bin/python tests/benchmarks/bench_figures.py --only game

Targets (issue 11): time to interactive <= 1 s with the runtime cached; from the reader's answer
to the model's answer on screen <= 300 ms at 20-way. The model starts adapting when a trial is
shown, so the answer time depends on how fast the reader answers: it is measured answering at
once (the worst case, the whole adaptation still to run) and after 2 s (a quick reader), and the
adaptation itself (omniglot_adapt then omniglot_predict) is printed beside them.

The reference build (an older commit) has no game; for it this plug-in reports nothing.
"""
from __future__ import annotations

import json
import statistics

from bench_figures import Bench, Result, check, measurement

GAME = "few-shot-game"

# Switch to `ways`, then for `count` trials: wait `delay` ms after the trial is shown, click the
# first candidate, and time the click to the model's answer on screen.
ANSWER_TIMES = """async ([f, ways, count, delay]) => {
  const figure = f.closest('figure');
  const phase = (want) => new Promise((resolve) => {
    const check = () => figure.dataset.gamePhase === want && resolve();
    new MutationObserver(check).observe(figure, {attributes: true, attributeFilter: ['data-game-phase']});
    check();
  });
  const radio = figure.querySelector(`input[type=radio][value="${ways}"]`);
  if (!radio.checked) { radio.click(); }
  const out = [];
  for (let i = 0; i < count; i++) {
    await phase('asking');
    await new Promise((r) => setTimeout(r, delay));
    const t = performance.now();
    figure.querySelector('.game-candidate').click();
    await phase('answered');
    figure.querySelector('.game-result').getBoundingClientRect();
    out.push({answer: performance.now() - t, adapt: JSON.parse(figure.dataset.gameModel).ms});
    figure.querySelector('.game-next').click();
  }
  return out;
}"""


def _has(bench: Bench, figure_id: str) -> bool:
    try:
        bench.page_of(figure_id)
    except LookupError:
        return False
    return True


@measurement("game")
def game(bench: Bench) -> list[Result]:
    if not _has(bench, GAME):
        return []  # a build from before the game (the reference)
    results = bench.time_to_interactive_results(GAME)
    page, mount = bench.open_figure(GAME)
    for ways in (5, 20):
        page.evaluate(ANSWER_TIMES, [mount, ways, 2, 0])  # warm-up: sessions created, code compiled
        at_once = page.evaluate(ANSWER_TIMES, [mount, ways, 8, 0])
        paced = page.evaluate(ANSWER_TIMES, [mount, ways, 4, 2000])
        limit = 300 if ways == 20 else 1000
        results.append(check(f"{GAME}: {ways}-way, answer to the model's answer, answered at once (median of 8)",
                             statistics.median(r["answer"] for r in at_once), "ms", limit))
        results.append(check(f"{GAME}: {ways}-way, answer to the model's answer, answered after 2 s (median of 4)",
                             statistics.median(r["answer"] for r in paced), "ms", limit))
        results.append(Result(f"{GAME}: {ways}-way, the adaptation and prediction themselves (median of 8)",
                              statistics.median(r["adapt"] for r in at_once), "ms", "(part of it)"))
    page.close()
    return results
