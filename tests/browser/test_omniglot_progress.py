"""The figure "omniglot-progress" (chapter Meta-learning, and why MAML is model-agnostic) in a
real browser.

The 5-way / 20-way switch (mouse and keyboard) redraws the points, which are the published numbers
of the data module with their sources; the reader's stored game score appears as a mark of its
own, and without one a note links to the game; our classifier's point appears when the manifest
has its evaluation (served here with one added) and not otherwise. Pages are served from the
sub-path and watched for console errors.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .figure_harness import figure_params, inspect, open_figure

ROOT = Path(__file__).resolve().parents[2]
FIGURE = "omniglot-progress"
GAME_KEY = "maml-article:few-shot-game"


@pytest.fixture(scope="session")
def published() -> list[dict]:
    """The data module's points, read by Node as the figure imports them."""
    script = "import(process.argv[1]).then((m) => console.log(JSON.stringify(m.RESULTS)))"
    module = (ROOT / "static/figures/omniglot-progress/results.js").as_uri()
    out = subprocess.run(["node", "--input-type=module", "-e", script, module],
                         capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def _store_score(page, modes: dict) -> None:
    record = json.dumps({"version": 1, "modes": modes})
    page.add_init_script(f"localStorage.setItem({json.dumps(GAME_KEY)}, {json.dumps(record)});")


# ---- taxonomy --------------------------------------------------------------------------------

def _published_ids(published: list[dict], ways: str) -> list[str]:
    return [r["id"] for r in published if ways in r["ways"]]


def _check_points(state: dict, published: list[dict]) -> None:
    ways = state["ways"]
    drawn = [p for p in state["points"] if p["kind"] == "published"]
    assert [p["id"] for p in drawn] == _published_ids(published, ways)
    by_id = {r["id"]: r for r in published}
    for point in drawn:
        source = by_id[point["id"]]
        at = source["ways"][ways]
        assert point["accuracy"] == pytest.approx(float(at["accuracy"]))
        assert point["year"] == source["year"] and point["bibkey"] == source["bibkey"]
        # The readout of a focused point names the method, the number as printed and the table.
        for fragment in (source["method"], f"{at['accuracy']}%", at["table"], str(source["year"])):
            assert fragment in point["label"], (fragment, point["label"])
    lo, hi = state["yDomain"]
    assert hi == 100 and all(lo <= p["accuracy"] <= hi for p in state["points"])


def test_switch_changes_the_points_mouse_and_keyboard(page, server, pages_with, published):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    state = inspect(figure)
    assert state["ways"] == figure_params(figure)["ways"] == "20"
    _check_points(state, published)
    assert state["human"] == 95.5
    assert figure.locator(".figure-mount [data-human]").count() == 1
    circles = figure.locator(".figure-mount svg [data-kind=published]")
    assert circles.count() == len(_published_ids(published, "20"))
    # Mouse: the 5-way radio.
    figure.get_by_role("radio", name="5-way 1-shot").click()
    state = inspect(figure)
    assert state["ways"] == "5"
    _check_points(state, published)
    assert state["human"] is None and figure.locator(".figure-mount [data-human]").count() == 0
    assert circles.count() == len(_published_ids(published, "5"))
    assert "mann" in [p["id"] for p in state["points"]] and "siamese" not in [p["id"] for p in state["points"]]
    # Keyboard: the radios are native, the arrow key moves the choice.
    figure.get_by_role("radio", name="5-way 1-shot").focus()
    page.keyboard.press("ArrowRight")
    state = inspect(figure)
    assert state["ways"] == "20" and figure.get_by_role("radio", name="20-way 1-shot").is_checked()
    _check_points(state, published)
    # The table lists the drawn points and people, with their sources.
    rows = figure.evaluate("f => [...f.querySelectorAll('.figure-mount tbody tr')].map((r) => r.dataset.point)")
    ours = ["ours"] if "ours" in [p["kind"] for p in state["points"]] else []
    assert rows == _published_ids(published, "20") + ours + ["human"]


def test_points_are_focusable_with_a_readout(page, server, pages_with, published):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    maml = figure.locator(".figure-mount svg [data-point=maml]")
    maml.focus()
    readout = figure.locator(".figure-mount [role=status]")
    text = readout.text_content()
    assert "MAML" in text and "95.8% ± 0.3" in text and "Table 1" in text and "2017" in text, text
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.point") == "fomaml"
    assert "First-order MAML" in readout.text_content() and "Table 2" in readout.text_content()
    figure.locator(".figure-mount svg [data-point=siamese]").hover()
    assert "Koch et al. 2015" in readout.text_content() and "92.0%" in readout.text_content()


def test_without_a_score_the_note_links_to_the_game(page, server, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    state = inspect(figure)
    assert "reader" not in [p["kind"] for p in state["points"]]
    assert "Play the game in the Introduction to see your score here" in state["note"]
    link = figure.locator(".figure-mount").get_by_role("link", name="Play the game in the Introduction")
    assert link.get_attribute("href") == "../introduction/#few-shot-game"


def test_a_stored_score_is_the_readers_mark(new_page, server, pages_with):
    page = new_page()
    _store_score(page, {"20": {"reader": {"correct": 7, "played": 9}, "model": {"correct": 8, "played": 9}}})
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    state = inspect(figure)
    reader = [p for p in state["points"] if p["kind"] == "reader"]
    assert len(reader) == 1
    assert reader[0]["accuracy"] == pytest.approx(700 / 9)
    assert "7 of 9 correct" in reader[0]["label"]
    # The strip at the right names the reader's mark.
    assert "You" in figure.locator(".figure-mount svg .omniglot-progress-strip text").all_text_contents()
    assert "Play the game" not in state["note"]
    # No score in the 5-way mode: no mark, and the note again.
    figure.get_by_role("radio", name="5-way 1-shot").check()
    state = inspect(figure)
    assert "reader" not in [p["kind"] for p in state["points"]]
    assert "Play the game in the Introduction" in state["note"]


def test_a_score_written_elsewhere_arrives_with_the_storage_event(page, server, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    # The record as the game writes it (lib/game-scores.js): both players' counts.
    record = {"version": 1, "modes": {"20": {"reader": {"correct": 3, "played": 4}, "model": {"correct": 4, "played": 4}}}}
    # What another tab's write looks like to this one: the value in storage, then the event.
    page.evaluate("""([key, value]) => {
        localStorage.setItem(key, value);
        window.dispatchEvent(new StorageEvent('storage', {key, newValue: value}));
    }""", [GAME_KEY, json.dumps(record)])
    reader = [p for p in inspect(figure)["points"] if p["kind"] == "reader"]
    assert len(reader) == 1 and reader[0]["accuracy"] == pytest.approx(75.0)


def test_our_classifier_appears_once_the_manifest_has_it(page, server, site_dir, pages_with):
    manifest = json.loads((site_dir / "models" / "manifest.json").read_text(encoding="utf-8"))
    has_ours = "omniglot" in manifest.get("models", {}) and "evaluation" in manifest["models"]["omniglot"]
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    kinds = [p["kind"] for p in inspect(figure)["points"]]
    assert ("ours" in kinds) == has_ours
    # Served with an evaluation entry added, the point is drawn where the entry says.
    manifest.setdefault("models", {}).setdefault("omniglot", {})["evaluation"] = {
        "ways": {"5": {"accuracy": 0.912, "ci95": 0.011, "tasks": 600},
                 "20": {"accuracy": 0.705, "ci95": 0.013, "tasks": 600}}}
    page.route("**/models/manifest.json", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(manifest)))
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    ours = [p for p in inspect(figure)["points"] if p["kind"] == "ours"]
    assert len(ours) == 1 and ours[0]["accuracy"] == pytest.approx(70.5) and ours[0]["year"] == 2026
    assert "70.5% ± 1.3" in ours[0]["label"] and "600" in ours[0]["label"]
    state = inspect(figure)
    assert state["yDomain"][0] <= 70.5 - 1.3
    figure.get_by_role("radio", name="5-way 1-shot").click()
    ours = [p for p in inspect(figure)["points"] if p["kind"] == "ours"]
    assert ours[0]["accuracy"] == pytest.approx(91.2)
