"""The figure "Meta-train in your browser" (meta-train) in a real browser.

The worker's results are compared with Python onnxruntime fed the same numbers (same seeded
uniforms, so the same tasks: meta_train_reference.py): after 50 meta-iterations of every method,
its parameters, Adam state, training curve and held-out evaluations agree to 1e-5. The controls
are driven by mouse and keyboard, the main thread is watched for long tasks while the worker
trains (the PerformanceObserver, and a Chrome trace that tells a task's work from its wait for a
core), and "Fine-tune this model" hands the parameters to a working fine-tuning figure. Before
the reader starts, the figure draws the recorded run (models/meta_train_recording.json) and says
how many methods' graphs are loaded. The conftest fails every test on a console error, a failed
request or a CSP violation.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from .figure_harness import call, figure_page, figure_params, inspect, open_figure, settled, show_figure, wait_idle
from .meta_train_reference import fine_tune_given, replay

ATOL = 1e-5
IMAML_NORM_RTOL = 1e-2  # CG stops on a relative residual (see the first test)
# A mean squared error near 4 carries float32's relative rounding of a long mean (3e-6 seen).
MSE_RTOL = 1e-5
FIGURE = "meta-train"
METHODS = ("pretrained", "maml", "fomaml", "reptile", "imaml")
LABELS = {"pretrained": "pretrained baseline", "maml": "MAML", "fomaml": "first-order MAML",
          "reptile": "Reptile", "imaml": "iMAML"}
READY_MS = 120_000  # the worker creates five meta-step sessions; iMAML's graph is large

# Records every main-thread long task from the first moment of the page.
LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__longTasks.push({start: entry.startTime, duration: entry.duration});
}).observe({type: "longtask", buffered: true});
"""


# ---- helpers -------------------------------------------------------------------------------


def open_meta_train(page, server, pages_with):
    return open_figure(page, server, pages_with, FIGURE, settle_ms=READY_MS)


def iterations(mount) -> dict[str, int]:
    return {name: m["iteration"] for name, m in inspect(mount)["methods"].items()}


def wait_for(page, mount, condition: str, timeout: int = 60_000) -> None:
    """Wait until `condition` (JS, with `s` the figure's inspect()) holds."""
    page.wait_for_function(f"m => {{ const s = m.figureTest.inspect(); return {condition}; }}",
                           arg=mount.element_handle(), timeout=timeout)


# ---- tests ---------------------------------------------------------------------------------


def test_fifty_iterations_of_every_method_match_python(page, server, site_dir, pages_with):
    figure, mount = open_meta_train(page, server, pages_with)
    params = figure_params(figure)
    assert set(iterations(mount).values()) == {0}
    call(mount, "train", 50, timeout_ms=180_000)
    shown = inspect(mount)
    assert not shown["running"]
    for method in METHODS:
        want = replay(site_dir / "models", params, method, 50)
        got = call(mount, "state", method)
        assert got["iteration"] == 50, method
        # Every method's graph computes the same thing in the browser's wasm kernels as in Python's
        # native ones, to float32 rounding: 1e-5 per weight after 50 steps. Not iMAML's: its
        # conjugate gradient stops on a relative residual, which bounds the meta-gradient's error
        # in norm, and rounding can end a solve at another iteration in one engine. Its weights
        # and Adam moments are therefore compared in norm, to 1 % (seen: 0.1 %, with single
        # elements of Adam's first moment up to 11 % apart).
        for group in ("params", "state"):
            for name, value in getattr(want, group).items():
                actual, desired = np.asarray(got[group][name]), value.reshape(-1)
                if method == "imaml":
                    gap = np.linalg.norm(actual - desired)
                    assert gap <= IMAML_NORM_RTOL * np.linalg.norm(desired) + ATOL, (method, name, gap)
                else:
                    np.testing.assert_allclose(actual, desired, rtol=0, atol=ATOL, err_msg=f"{method} {name}")
        assert got["t"] == pytest.approx(want.t)
        # The curves the page draws: the training loss every 25 iterations, and the held-out MSE
        # before and after one step at 0 and where training paused.
        curve = shown["methods"][method]
        assert [p[0] for p in curve["losses"]] == [25, 50]
        np.testing.assert_allclose([p[1] for p in curve["losses"]], [y for _, y in want.losses], rtol=MSE_RTOL, atol=ATOL)
        assert [e[0] for e in curve["evals"]] == [0, 50]
        np.testing.assert_allclose([e[1:3] for e in curve["evals"]], [e[1:] for e in want.evals], rtol=MSE_RTOL, atol=ATOL)
        assert np.isfinite(curve["evals"][-1][2]), method
        # Each point carries the method's own training time so far (the time axis).
        seconds = [p[2] for p in curve["losses"]]
        assert 0 < seconds[0] <= seconds[1] and curve["evals"][0][3] == 0, method
    # Every method started from the same initialisation on the same held-out tasks.
    assert len({tuple(shown["methods"][m]["evals"][0]) for m in METHODS}) == 1
    table = mount.locator(".figure-readout").inner_text()
    for method in METHODS:
        row = mount.locator(".figure-readout tbody tr", has_text=LABELS[method]).first.inner_text()
        assert "50" in row, (method, row)
        after = shown["methods"][method]["evals"][-1][2]
        assert f"{after:.3f}" in row.replace("\u2212", "-"), (method, row)
    assert "Held-out" in table


def test_start_pause_reset_and_switches_by_mouse_and_keyboard(page, server, pages_with):
    _, mount = open_meta_train(page, server, pages_with)
    start = mount.get_by_role("button", name="Start")
    pause = mount.get_by_role("button", name="Pause")
    reset = mount.get_by_role("button", name="Reset")

    # Mouse: start, every method trains; pause, and nothing moves any more.
    start.click()
    wait_for(page, mount, "Object.values(s.methods).every((m) => m.iteration >= 3)", timeout=120_000)
    assert inspect(mount)["running"]
    pause.click()
    wait_for(page, mount, "!s.running")
    frozen = iterations(mount)
    page.wait_for_timeout(600)
    assert iterations(mount) == frozen
    status = mount.locator(".figure-status").inner_text()
    assert "Paused" in status

    # Keyboard: switch MAML off with Space, start with Enter; MAML stays put, the others train.
    maml = mount.get_by_label("MAML", exact=True)
    maml.focus()
    page.keyboard.press("Space")
    assert not maml.is_checked()
    start.focus()
    page.keyboard.press("Enter")
    wait_for(page, mount, f"s.running && s.methods.maml.iteration === {frozen['maml']}"
                          f" && s.methods.fomaml.iteration >= {frozen['fomaml'] + 3}", timeout=120_000)
    rows = mount.locator(".figure-readout tbody tr", has_text="MAML").first.inner_text()
    assert "off" in rows
    pause.focus()
    page.keyboard.press("Enter")
    wait_for(page, mount, "!s.running")
    assert iterations(mount)["maml"] == frozen["maml"]

    # Switching it back on with the mouse; reset by keyboard: everything back at iteration 0.
    maml.click()
    assert maml.is_checked()
    reset.focus()
    page.keyboard.press("Enter")
    wait_for(page, mount, "Object.values(s.methods).every((m) => m.iteration === 0 && m.evals.length === 0)")
    assert "initialisation" in mount.locator(".figure-status").inner_text()
    # After a reset the same run starts again: the first held-out point is the initialisation's.
    start.click()
    wait_for(page, mount, "Object.values(s.methods).every((m) => m.evals.length > 0)", timeout=120_000)
    pause.click()
    wait_for(page, mount, "!s.running")
    first = {tuple(m["evals"][0]) for m in inspect(mount)["methods"].values()}
    assert len(first) == 1 and next(iter(first))[0] == 0


def _main_thread_tasks(trace: bytes) -> list[dict]:
    """The renderer main thread's tasks in a Chrome trace: wall time `dur` and thread (CPU) time
    `tdur`, in microseconds."""
    data = json.loads(trace)
    events = data["traceEvents"] if isinstance(data, dict) else data
    mains = {(e["pid"], e["tid"]) for e in events
             if e.get("name") == "thread_name" and e["args"].get("name") == "CrRendererMain"}
    return [e for e in events if e.get("name") == "ThreadControllerImpl::RunTask" and e.get("ph") == "X"
            and (e["pid"], e["tid"]) in mains and "tdur" in e]


def test_no_long_main_thread_task_while_training(new_page, server, pages_with):
    page = new_page(viewport={"width": 1100, "height": 900})
    page.add_init_script(LONG_TASKS)
    _, mount = open_meta_train(page, server, pages_with)
    # The page's own runtime starts once it is idle (figures.js): let it, then measure.
    page.wait_for_selector("html[data-runtime=ready]", state="attached", timeout=60_000)
    page.wait_for_timeout(500)
    since = page.evaluate("performance.now()")
    browser = page.context.browser
    browser.start_tracing(page=page, categories=["toplevel", "disabled-by-default-devtools.timeline"])
    mount.get_by_role("button", name="Start").click()
    wait_for(page, mount, "s.running && Object.values(s.methods).every((m) => m.iteration >= 2)", timeout=120_000)
    # The reader scrolls through the page and back while the worker trains.
    for _ in range(2):
        for delta in [400] * 6 + [-400] * 6:
            page.mouse.wheel(0, delta)
            page.wait_for_timeout(120)
    page.wait_for_timeout(2_000)
    assert inspect(mount)["running"]
    long_tasks = page.evaluate(f"window.__longTasks.filter((t) => t.start >= {since})")
    tasks = _main_thread_tasks(browser.stop_tracing())
    mount.get_by_role("button", name="Pause").click()
    assert tasks, "the trace holds no main-thread task"
    # What the page itself does in one task: never more than 50 ms of the main thread's time.
    busiest = max(task["tdur"] for task in tasks) / 1000
    assert busiest <= 50, f"a main-thread task ran {busiest:.1f} ms"
    # The long-task observer measures wall-clock time. On a machine with more runnable threads
    # than cores a task can wait for a core well past 50 ms while working a few: any long task it
    # saw must be such a wait in the trace (long in wall-clock time, short in thread time).
    waits = sorted(task["dur"] / 1000 for task in tasks if task["dur"] > 50_000 and task["tdur"] <= 50_000)
    for entry in long_tasks:
        assert any(wait >= 0.9 * entry["duration"] for wait in waits), (entry, waits, long_tasks)
    # (Chromium reports long tasks at all: the page's loading had some before `since`.)
    assert page.evaluate("PerformanceObserver.supportedEntryTypes.includes('longtask')")


def test_fine_tune_this_model_hands_over_the_parameters(page, server, site_dir, pages_with):
    figure, mount = open_meta_train(page, server, pages_with)
    params = figure_params(figure)
    call(mount, "train", 20, timeout_ms=180_000)
    trained = call(mount, "state", "maml")
    mount.get_by_label("Model", exact=True).select_option("maml")
    mount.get_by_role("button", name="Fine-tune this model").click()
    nested = mount.locator(".meta-train-finetune")
    page.wait_for_function("n => n.figureTest", arg=nested.element_handle(), timeout=60_000)
    state = settled(nested)
    for name, values in trained["params"].items():
        np.testing.assert_array_equal(np.asarray(state["params"][name]), np.asarray(values))
    assert "after 20 meta-iterations" in mount.inner_text()

    # The nested figure fine-tunes the handed-over model, as Python does from the same weights.
    nested.get_by_role("button", name="Fine-tune").click()
    state = settled(nested)
    assert state["step"] == 10
    weights = {name: np.asarray(values, np.float32).reshape(np.asarray(trained["dims"][name]))
               for name, values in trained["params"].items()}
    finetune = params["finetune"]
    want = fine_tune_given(site_dir / "models", weights, state["amplitude"], state["phase"],
                           state["samples"]["x"], 10, state["stepSize"])
    np.testing.assert_allclose(state["mse"], want["mse"], rtol=0, atol=ATOL)
    assert state["samples"]["x"] == pytest.approx(finetune["samples"])
    assert "MAML model trained here" in nested.inner_text()


def test_recorded_run_and_loading_message_before_start(new_page, server, site_dir, pages_with):
    """The first frame draws the recorded run; while the graphs load, the status counts them."""
    page = new_page()
    held = []
    # Hold iMAML's graph (the last the worker loads) until the status has been read.
    page.context.route("**/meta_step_imaml.onnx", lambda route: held.append(route))
    page.goto(server.url(figure_page(pages_with, FIGURE)))
    _, mount = show_figure(page, FIGURE, settle=False)
    status = mount.locator(".figure-status")
    page.wait_for_function("s => /4 of 5 methods ready/.test(s.textContent)", arg=status.element_handle(),
                           timeout=READY_MS)
    recording = json.loads((site_dir / "models" / "meta_train_recording.json").read_text(encoding="utf-8"))
    shown = inspect(mount)
    assert shown["recorded"] and shown["axis"] == "iteration"
    # Every method's recorded curve in both plots, faint, in its palette colour; the key says so.
    for method in METHODS:
        paths = mount.locator(f'[data-layer="recorded"] path[data-method="{method}"]')
        assert paths.count() == 2 and all(paths.nth(i).get_attribute("d") for i in range(2)), method
        assert paths.first.get_attribute("stroke-opacity"), method
    assert "recorded run" in mount.locator(".fig-key").inner_text()
    reached = recording["methods"]["maml"]["iterations"]
    assert f"MAML {reached:,}" in mount.locator(".meta-train-note").inner_text()
    while not held:
        page.wait_for_timeout(100)
    held[0].continue_()
    page.wait_for_function("s => /Press/.test(s.textContent)", arg=status.element_handle(), timeout=READY_MS)
    wait_idle(mount, READY_MS)

    # The time axis: every point at the method's own training time.
    mount.get_by_label("x axis").select_option("seconds")
    assert inspect(mount)["axis"] == "seconds"
    assert "training time" in mount.locator("svg").first.inner_html()
