"""Benchmarks of the few-shot game in the Introduction, a bench_figures plug-in.

    .venv/bin/python tests/benchmarks/bench_figures.py --only game

Targets: time to interactive <= 1 s with the runtime cached; from the reader's answer
to the model's answer on screen <= 300 ms at 20-way.

The game sits near the top of the Introduction, so it starts loading with the page, before any
scroll: its time to interactive is measured from the moment the lazy loader starts it (its
data-state becomes "loading") to "ready", on a fresh page with a warm HTTP cache
(Bench.loader_to_ready), not by the shared scroll-to-ready measurement. The model starts adapting when a trial is shown, and the
adaptation (omniglot_adapt then omniglot_predict) holds the page's one thread while it runs, so a
click is handled after it at the latest: the answer time is measured clicking as soon as the page
takes input, and after 2 s (a quick reader), and the adaptation itself is printed beside them
(the most a reader who answers at once can wait).

The reference build (an older commit) has no game; for it this plug-in reports nothing.
"""
from __future__ import annotations

import statistics

from bench_figures import Bench, Result, check, measurement

GAME = "few-shot-game"

# Switch to `ways`, then for `count` trials: wait `delay` ms after the trial is shown, click the
# first candidate, and time the click to the model's answer on screen. A trial is shown at once
# (by the switch, or by "next"); the game's idle() resolves once the model's answer is drawn.
ANSWER_TIMES = """async ([f, ways, count, delay]) => {
  const radio = f.querySelector(`input[type=radio][value="${ways}"]`);
  if (!radio.checked) { radio.click(); }
  const out = [];
  for (let i = 0; i < count; i++) {
    await new Promise((r) => setTimeout(r, delay));
    const t = performance.now();
    f.querySelector('.game-candidate').click();
    await f.figureTest.idle();
    f.querySelector('.game-result').getBoundingClientRect();
    out.push({answer: performance.now() - t, adapt: f.figureTest.inspect().model.ms});
    f.querySelector('.game-next').click();
  }
  return out;
}"""


@measurement("game")
def game(bench: Bench) -> list[Result]:
    if not bench.has(GAME):
        return []  # a build from before the game (the reference)
    results = [check(f"{GAME}: loader start to interactive, warm cache (median of 5)",
                     statistics.median(bench.loader_to_ready(GAME)), "ms", 1000)]
    page, mount = bench.open_figure(GAME)
    for ways in (5, 20):
        page.evaluate(ANSWER_TIMES, [mount, ways, 2, 0])  # warm-up: sessions created, code compiled
        at_once = page.evaluate(ANSWER_TIMES, [mount, ways, 8, 0])
        paced = page.evaluate(ANSWER_TIMES, [mount, ways, 4, 2000])
        limit = 300 if ways == 20 else 1000
        results.append(check(f"{GAME}: {ways}-way, answer to the model's answer, clicked as soon as the page takes input (median of 8)",
                             statistics.median(r["answer"] for r in at_once), "ms", limit))
        results.append(check(f"{GAME}: {ways}-way, answer to the model's answer, answered after 2 s (median of 4)",
                             statistics.median(r["answer"] for r in paced), "ms", limit))
        results.append(check(f"{GAME}: {ways}-way, the adaptation and prediction in the page (median of 8)",
                             statistics.median(r["adapt"] for r in at_once), "ms", limit))
    page.close()
    return results
