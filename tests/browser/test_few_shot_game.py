"""The few-shot game in the Introduction, in a real browser.

Every control as a reader uses it (click, keyboard, dragging the query, a tap on a touch screen,
the mode switch, next trial, reset), the model's answer against Python onnxruntime running the same
two graphs on the same drawings (lib/omniglot.js cuts them from the sprite sheets, the reference
from the PNG bytes), scores kept across a reload, the game still playing with storage blocked, and
nothing of the game loaded before the lazy loader starts it, and at most 1 MB gzip for the first trial. Pages are served from the sub-path and
watched for console errors.
"""
from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import numpy as np

from . import reference
from .figure_harness import BLOCK_STORAGE, inspect, open_figure, wait_idle

FIGURE = "few-shot-game"
MODEL = "omniglot"
ANSWER_MS = 60_000  # the first answer waits for the model's sessions


def _open(page, server, pages_with):
    figure, _ = open_figure(page, server, pages_with, FIGURE)
    _phase(figure, "asking")
    return figure


def _phase(figure, want: str) -> None:
    """The game's phase, which a new trial sets at once: "asking"."""
    assert inspect(figure)["phase"] == want


def _trial(figure) -> dict:
    return inspect(figure)["trial"]


def _reader(figure) -> int:
    return inspect(figure)["reader"]


def _answered(figure) -> tuple[dict, dict]:
    """(the trial, the model's answer) once the model has answered the reader's choice."""
    deadline = time.monotonic() + ANSWER_MS / 1000
    while (shown := inspect(figure))["phase"] not in ("answered", "failed"):
        assert time.monotonic() < deadline, f"no answer after {ANSWER_MS} ms: {shown['phase']}"
        wait_idle(figure, ANSWER_MS)
        time.sleep(0.05)
    assert shown["phase"] == "answered", "the model could not answer"
    return shown["trial"], shown["model"]


def _check_model_against_python(site_dir: Path, trial: dict, model: dict) -> None:
    want = reference.omniglot_answer(site_dir / "models", MODEL, trial)
    got = np.asarray(model["probabilities"], dtype=np.float32)
    assert got.shape == (trial["ways"],)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert model["choice"] == int(np.argmax(want))


def _check_trial(trial: dict, ways: int) -> None:
    characters = [s["character"] for s in trial["support"]]
    assert trial["ways"] == ways and len(characters) == ways == len(set(characters))
    assert trial["query"]["character"] == characters[trial["target"]]
    assert trial["query"]["drawing"] != trial["support"][trial["target"]]["drawing"]


def test_click_answers_and_the_model_agrees_with_python(page, server, site_dir, pages_with):
    figure = _open(page, server, pages_with)
    trial = _trial(figure)
    _check_trial(trial, 5)
    assert figure.locator(".figure-mount .game-candidate").count() == 5
    figure.locator(".figure-mount .game-candidate").nth(trial["target"]).click()
    trial_after, model = _answered(figure)
    assert trial_after == trial and _reader(figure) == trial["target"]
    _check_model_against_python(site_dir, trial, model)
    result = figure.locator(".figure-mount .game-result").inner_text()
    assert result.startswith("Right.") and f"candidate {model['choice'] + 1}" in result
    sure = round(100 * model["probabilities"][model["choice"]])
    assert f"{sure}% sure" in result
    assert figure.locator(".figure-mount .game-model-pick").inner_text() == f"model {sure}%"
    assert "5-way · you: 1 of 1 (100%)" in figure.locator(".figure-mount .game-score").inner_text()


def test_keyboard_switches_to_20_way_and_answers(page, server, site_dir, pages_with):
    figure = _open(page, server, pages_with)
    figure.locator('.figure-mount input[type=radio][value="5"]').focus()
    page.keyboard.press("ArrowRight")  # a native radio group: the arrow keys move the choice
    page.wait_for_function("() => document.querySelectorAll('.figure-mount .game-candidate').length === 20")
    assert figure.locator('.figure-mount input[type=radio][value="20"]').is_checked()
    _phase(figure, "asking")
    trial = _trial(figure)
    _check_trial(trial, 20)
    figure.locator(".figure-mount .game-candidate").first.focus()
    for key in ("ArrowRight", "ArrowRight", "ArrowDown", "ArrowLeft"):  # 0 -> 1 -> 2 -> 7 -> 6
        page.keyboard.press(key)
    page.keyboard.press("Enter")
    _, model = _answered(figure)
    assert _reader(figure) == 6
    _check_model_against_python(site_dir, trial, model)
    assert page.evaluate("document.activeElement.className") == "game-next"
    page.keyboard.press("Enter")  # next trial
    _phase(figure, "asking")
    assert _trial(figure) != trial
    assert "20-way · you:" in figure.locator(".figure-mount .game-score").inner_text()


def test_dragging_the_query_onto_a_candidate_answers(page, server, pages_with):
    figure = _open(page, server, pages_with)
    query = figure.locator(".figure-mount .game-query").bounding_box()
    target = figure.locator(".figure-mount .game-candidate").nth(3).bounding_box()
    page.mouse.move(query["x"] + query["width"] / 2, query["y"] + query["height"] / 2)
    page.mouse.down()
    for step in range(1, 9):
        t = step / 8
        page.mouse.move(query["x"] + (target["x"] - query["x"]) * t + 20, query["y"] + (target["y"] - query["y"]) * t + 20)
    page.mouse.up()
    _answered(figure)
    assert _reader(figure) == 3


def test_a_tap_answers_on_a_touch_screen(new_page, server, pages_with):
    page = new_page(has_touch=True, is_mobile=True, viewport={"width": 360, "height": 740})
    figure = _open(page, server, pages_with)
    figure.locator(".figure-mount .game-candidate").nth(1).tap()
    _answered(figure)
    assert _reader(figure) == 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px ({width} px wide)"


def test_scores_survive_a_reload_and_reset(page, server, pages_with):
    figure = _open(page, server, pages_with)
    first = _trial(figure)
    wrong = (first["target"] + 1) % 5
    figure.locator(".figure-mount .game-candidate").nth(wrong).click()
    _, model = _answered(figure)
    stored = json.loads(page.evaluate("localStorage.getItem('maml-article:few-shot-game')"))
    model_right = int(model["choice"] == first["target"])
    assert stored["version"] == 1
    assert stored["modes"]["5"] == {"reader": {"correct": 0, "played": 1}, "model": {"correct": model_right, "played": 1}}
    figure = _open(page, server, pages_with)  # reload
    assert "5-way · you: 0 of 1 (0%)" in figure.locator(".figure-mount .game-score").inner_text()
    assert _trial(figure) != first, "a returning reader gets the next trial"
    figure.locator(".figure-mount .game-reset").click()
    assert "5-way · you: no answers yet · model: no answers yet" in figure.locator(".figure-mount .game-score").inner_text()
    assert page.evaluate("localStorage.getItem('maml-article:few-shot-game')") is None


def test_the_game_plays_with_storage_blocked(new_page, server, pages_with):
    page = new_page()
    page.add_init_script(BLOCK_STORAGE)
    figure = _open(page, server, pages_with)
    assert "last for this visit only" in figure.locator(".figure-mount .game-note").inner_text()
    for _ in range(2):
        trial = _trial(figure)
        figure.locator(".figure-mount .game-candidate").nth(trial["target"]).click()
        _answered(figure)
        figure.locator(".figure-mount .game-next").click()
        _phase(figure, "asking")
    assert "5-way · you: 2 of 2 (100%)" in figure.locator(".figure-mount .game-score").inner_text()


# Records when the lazy loader (static/js/figures.js) starts the game: the moment its figure
# first gets data-state, which happens only once it nears the viewport.
LOADER_CLOCK = """new MutationObserver((_, observer) => {
  const figure = document.querySelector('figure[data-module="few-shot-game"][data-state]');
  if (figure) { window.__gameLoadingAt = performance.now(); observer.disconnect(); }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-state']});"""


def test_game_files_load_only_once_the_loader_starts_it_and_the_first_trial_is_small(
    new_page, server, site_dir, pages_with
):
    page = new_page(viewport={"width": 1000, "height": 700})
    page.add_init_script(LOADER_CLOCK)
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    figure = _open(page, server, pages_with)
    figure.locator(".figure-mount .game-candidate").first.click()
    _answered(figure)
    started = page.evaluate("window.__gameLoadingAt")
    entries = page.evaluate("performance.getEntriesByType('resource').map((e) => [e.name, e.startTime])")
    game = [(name, at) for name, at in entries if "omniglot" in name]
    assert game and all(at >= started for _, at in game), (started, game)
    models = site_dir / "models"
    game_files = sorted({u.rsplit("/", 1)[1] for u in fetched if "/models/" in u and ("omniglot" in u or u.endswith("manifest.json"))})
    assert "omniglot-sheet-0.png" in game_files and "omniglot.params.bin" in game_files
    # What the first trial needs (images, model, graphs, manifest), gzip-compressed.
    first = [n for n in game_files if not n.startswith("omniglot-sheet-") or n == "omniglot-sheet-0.png"]
    gzipped = sum(len(gzip.compress((models / name).read_bytes())) for name in first)
    assert gzipped <= 1_000_000, f"{gzipped} bytes gzip of images and model for the first trial: {first}"


def test_the_static_picture_is_the_live_first_trial(page, server, pages_with):
    """For a reader who has not played, the first trial is the build's picture, drawing for drawing."""
    figure = _open(page, server, pages_with)
    sources = "(root) => [...root.querySelectorAll('.game-query img, .game-candidate img')].map((i) => i.getAttribute('src'))"
    live = figure.locator(".figure-mount").evaluate(sources)
    still = figure.locator(".figure-fallback").evaluate(sources)
    assert len(live) == 6 and live == still
