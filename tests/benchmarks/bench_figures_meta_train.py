"""Benchmarks of the figure "Meta-train in your browser" (meta-train), a bench_figures plug-in.

    .venv/bin/python tests/benchmarks/bench_figures.py --only meta-train

Prints, in one run:
  - time to interactive (target <= 1 s, as for every figure);
  - for each method, one meta-iteration in the worker (25 tasks, K = Q = 10: the figure's own
    settings), the meta-step graph call alone and the whole iteration (tasks, feeds, outputs),
    beside Python onnxruntime (one thread) on the same graph and the same inputs (the same seeded
    uniforms, so the same tasks, from the same parameters): medians and their ratio. Target for
    MAML: at most 4 ms an iteration in the worker;
  - the outcome: the held-out K = 5 one-step MSE of MAML and of the pretrained baseline after 60 s
    of training from scratch in the page, every method switched on (they share the worker's time),
    with the iterations each reached. MAML must end clearly below the baseline.
"""
from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from bench_figures import ROOT, Bench, Result, check, measurement

FIGURE = "meta-train"
TEST_HOOK = "m.figureTest"
# Iterations timed per method (iMAML's iteration costs about ten of the others').
TIMED = {"pretrained": 300, "maml": 300, "fomaml": 300, "reptile": 150, "imaml": 40}
WARM_UP = 5
TRAIN_SECONDS = 60
READY_MS = 180_000

sys.path.insert(0, str(ROOT))


def _reference():
    from tests.browser.meta_train_reference import replay

    return replay


def _median_ms(seconds_or_ms: list[float], scale: float = 1.0) -> float:
    return statistics.median(seconds_or_ms) * scale


def _only(page, mount, method: str | None) -> None:
    """Switch every method off but `method` (all on for None), through the figure's checkboxes."""
    for box in page.locator(f"#fig-{FIGURE} .figure-mount input[type=checkbox]").all():
        label = box.evaluate("b => b.labels[0].textContent")
        want = method is None or label == _label(method)
        if box.is_checked() != want:
            box.click()


def _label(method: str) -> str:
    return {"pretrained": "pretrained baseline", "maml": "MAML", "fomaml": "first-order MAML",
            "reptile": "Reptile", "imaml": "iMAML"}[method]


def _reset(page, mount) -> None:
    page.locator(f"#fig-{FIGURE} .figure-mount").get_by_role("button", name="Reset").click()
    page.wait_for_function(f"m => Object.values({TEST_HOOK}.inspect().methods).every((r) => r.iteration === 0)",
                           arg=mount, timeout=30_000)


def _worker_timings(page, mount, method: str, count: int) -> dict[str, list[float]]:
    _reset(page, mount)
    _only(page, mount, method)
    page.evaluate(f"([m, n]) => {TEST_HOOK}.train(n)", [mount, count + WARM_UP])
    timings = page.evaluate(f"([m, name]) => {TEST_HOOK}.timings(name)", [mount, method])
    return {k: v[WARM_UP:] for k, v in timings.items()}


@measurement("meta-train")
def meta_train(bench: Bench) -> list[Result]:
    if not bench.has(FIGURE):
        return []  # a build without this figure (the reference build of an older commit)
    results = bench.time_to_interactive_results(FIGURE)
    page, mount = bench.open_figure(FIGURE)
    page.evaluate(f"m => {TEST_HOOK}.idle()", mount)
    params = json.loads(page.locator(f"#fig-{FIGURE}").get_attribute("data-params"))
    models = Path(bench.site) / "models"
    replay = _reference()

    # Per method: the worker's iterations beside Python onnxruntime's on the same inputs.
    for method, count in TIMED.items():
        worker = _worker_timings(page, mount, method, count)
        python = replay(models, params, method, count + WARM_UP, evaluate=False).graph_seconds[WARM_UP:]
        graph_ms, whole_ms, python_ms = (_median_ms(worker["graphMs"]), _median_ms(worker["iterationMs"]),
                                         _median_ms(python, 1000))
        # A worker's clock ticks in 0.1 ms without cross-origin isolation: the mean is finer.
        mean_ms = statistics.fmean(worker["iterationMs"])
        name = f"{method}: meta-iteration in the worker (median of {count})"
        if method == "maml":
            results.append(check(name, whole_ms, "ms", 4))
        else:
            results.append(Result(name, whole_ms, "ms", "(measured)"))
        python_mean_ms = 1000 * statistics.fmean(python)
        results += [
            Result(f"{method}: meta-iteration in the worker (mean)", mean_ms, "ms", "(measured)"),
            Result(f"{method}: its meta-step graph call alone, worker", graph_ms, "ms", "(measured)"),
            Result(f"{method}: the same graph and inputs, Python onnxruntime", python_ms, "ms", "(1 thread)"),
            Result(f"{method}: worker graph call / Python", graph_ms / python_ms, "x", "(ratio)"),
            Result(f"{method}: worker whole iteration / Python", whole_ms / python_ms, "x", "(ratio)"),
            Result(f"{method}: worker mean iteration / Python mean", mean_ms / python_mean_ms, "x", "(ratio)"),
        ]

    # The outcome: 60 s of training from scratch, every method on, as a reader would run it.
    _reset(page, mount)
    _only(page, mount, None)
    page.locator(f"#fig-{FIGURE} .figure-mount").get_by_role("button", name="Start").click()
    page.wait_for_timeout(TRAIN_SECONDS * 1000)
    page.locator(f"#fig-{FIGURE} .figure-mount").get_by_role("button", name="Pause").click()
    page.wait_for_function(f"m => !{TEST_HOOK}.inspect().running", arg=mount, timeout=60_000)
    shown = page.evaluate(f"m => {TEST_HOOK}.inspect()", mount)["methods"]
    for method in shown:
        iteration, before, after = shown[method]["evals"][-1][:3]  # (then its training time)
        results.append(Result(f"outcome after {TRAIN_SECONDS} s: {method}, meta-iterations reached",
                              shown[method]["iteration"], "", "(all on)"))
        results.append(Result(f"outcome after {TRAIN_SECONDS} s: {method}, held-out MSE after one step",
                              after, "", "(K = 5)"))
    maml, baseline = shown["maml"]["evals"][-1][2], shown["pretrained"]["evals"][-1][2]
    results.append(Result(f"outcome after {TRAIN_SECONDS} s: MAML / pretrained held-out MSE", maml / baseline, "x",
                          "< 1", maml < 0.8 * baseline))
    page.close()
    return results
