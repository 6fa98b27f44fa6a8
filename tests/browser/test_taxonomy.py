"""The figures of "Meta-learning, and why MAML is model-agnostic" in a real browser.

"taxonomy": focusing a method (Tab, arrow keys) or hovering it marks the chapter section it leads
to, and activating it (Enter, Space, click) goes there (hash and focus); every method is a named
link. "omniglot-progress": the 5-way / 20-way switch (mouse and keyboard) redraws the points, which
are the published numbers of the data module with their sources; the reader's stored game score
appears as a mark of its own, and without one a note links to the game; our classifier's point
appears when the manifest has its evaluation (served here with one added) and not otherwise.
Pages are served from the sub-path and watched for console errors.
"""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import mounted_figure, page_url_path

ROOT = Path(__file__).resolve().parents[2]
TAXONOMY = "#fig-taxonomy"
PROGRESS = "#fig-omniglot-progress"
INSPECT = "f => f.querySelector('.figure-mount').figureTest.inspect()"
GAME_KEY = "maml-article:few-shot-game"
MARKED = "[...document.querySelectorAll('.taxonomy-target')].map((n) => n.id || n.tagName.toLowerCase())"


@pytest.fixture(scope="session")
def chapter_page(pages_with) -> str:
    pages = pages_with('data-figure="taxonomy"')
    if not pages:
        pytest.fail("no built page holds the taxonomy figure")
    return page_url_path(pages[0])


@pytest.fixture(scope="session")
def published() -> list[dict]:
    """The data module's points, read by Node as the figure imports them."""
    script = "import(process.argv[1]).then((m) => console.log(JSON.stringify(m.RESULTS)))"
    module = (ROOT / "static/figures/omniglot-progress/results.js").as_uri()
    out = subprocess.run(["node", "--input-type=module", "-e", script, module],
                         capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)



def _state(figure) -> dict:
    return figure.evaluate(INSPECT)


def _until(page, expression: str, timeout: float = 10.0) -> None:
    """Poll `expression` from Python until it is true (wait_for_function's string predicate is
    refused by the site's Content-Security-Policy whenever its first check is false)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        time.sleep(0.05)


def _store_score(page, modes: dict) -> None:
    record = json.dumps({"version": 1, "modes": modes})
    page.add_init_script(f"localStorage.setItem({json.dumps(GAME_KEY)}, {json.dumps(record)});")


# ---- taxonomy --------------------------------------------------------------------------------


def test_every_method_is_a_named_link_to_a_section(page, server, chapter_page):
    figure = mounted_figure(page, server, chapter_page, TAXONOMY)
    params = json.loads(figure.get_attribute("data-params"))
    links = figure.locator(".figure-mount").get_by_role("link")
    state = _state(figure)
    assert links.count() == len(state["methods"]) >= 10
    for method in state["methods"]:
        assert method["target"] in params["targets"].values(), method
        assert page.locator(f"#{method['target']}").count() == 1, method
        link = figure.locator(".figure-mount").get_by_role("link", name=method["name"], exact=False)
        assert link.count() == 1, method["name"]
        assert link.get_attribute("tabindex") == "0"
    # The families the chapter's sections are about all lead to their own section.
    by_name = {m["name"]: m["target"] for m in state["methods"]}
    assert by_name["Prototypical networks"] == "metric-based-methods"
    assert by_name["Meta networks"] == "model-based-methods"
    assert by_name["MAML"] == "optimisation-based-methods"
    assert by_name["Pretrain, then fine-tune"] == "few-shot-learning-without-meta-learning"


def test_keyboard_focus_marks_the_section_and_enter_goes_there(page, server, chapter_page):
    figure = mounted_figure(page, server, chapter_page, TAXONOMY)
    first = figure.locator(".figure-mount").get_by_role("link").first
    first.focus()
    # The first method is a transfer baseline: its section is the subsection on baselines.
    marked = page.evaluate(MARKED)
    assert marked[0] == "few-shot-learning-without-meta-learning" and len(marked) > 1, marked
    # Arrow keys walk to the metric-based family; the mark follows the focus.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused.startswith("Siamese networks"), focused
    marked = page.evaluate(MARKED)
    assert marked[0] == "metric-based-methods", marked
    # Everything marked lies between the section's heading and the next one.
    assert "model-based-methods" not in marked
    page.keyboard.press("Enter")
    _until(page, "location.hash === '#metric-based-methods'")
    assert page.evaluate("document.activeElement.id") == "metric-based-methods"
    # The heading comes into view (the page may scroll smoothly).
    _until(page, "Math.abs(document.getElementById('metric-based-methods').getBoundingClientRect().top) < 200")
    # Focus left the figure, so nothing is marked any more.
    assert page.evaluate(MARKED) == []


def test_space_activates_and_end_home_move(page, server, chapter_page):
    figure = mounted_figure(page, server, chapter_page, TAXONOMY)
    figure.locator(".figure-mount").get_by_role("link").first.focus()
    page.keyboard.press("End")
    last = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert last.startswith("Early learning to learn"), last
    page.keyboard.press("Home")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith("Pretrain")
    figure.locator(".figure-mount").get_by_role("link", name="Meta networks", exact=False).focus()
    page.keyboard.press(" ")
    _until(page, "location.hash === '#model-based-methods'")
    assert page.evaluate("document.activeElement.id") == "model-based-methods"


def test_hover_marks_and_click_goes(page, server, chapter_page):
    figure = mounted_figure(page, server, chapter_page, TAXONOMY)
    maml = figure.locator(".figure-mount").get_by_role("link", name="MAML", exact=False).filter(has_text="MAML").last
    maml.hover()
    assert page.evaluate(MARKED)[0] == "optimisation-based-methods"
    page.mouse.move(1, 1)
    assert page.evaluate(MARKED) == []
    figure.locator(".figure-mount").get_by_role("link", name="Matching networks", exact=False).click()
    _until(page, "location.hash === '#metric-based-methods'")
    assert page.evaluate("document.activeElement.id") == "metric-based-methods"


def test_on_a_phone_a_stacked_list_replaces_the_drawing(new_page, server, chapter_page):
    page = new_page(viewport={"width": 390, "height": 844})
    figure = mounted_figure(page, server, chapter_page, TAXONOMY)
    mount = figure.locator(".figure-mount")
    assert not mount.locator(".taxonomy-drawing").is_visible()
    links = mount.get_by_role("link")
    state = _state(figure)
    # The same methods, in the same order, each a link to its section, each a 24 px tall target.
    assert [link.inner_text() for link in links.all()] == [m["name"] for m in state["methods"]]
    for link, method in zip(links.all(), state["methods"]):
        assert link.get_attribute("href") == f"#{method['target']}"
        assert link.bounding_box()["height"] >= 24
    # The text of the list is at least 11 px.
    sizes = mount.evaluate("m => [...m.querySelectorAll('.taxonomy-list *')].map((e) => parseFloat(getComputedStyle(e).fontSize))")
    assert min(sizes) >= 11
    # Focus marks, the arrow keys move, Enter goes there.
    links.first.focus()
    assert page.evaluate(MARKED)[0] == "few-shot-learning-without-meta-learning"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent") == "Siamese networks"
    page.keyboard.press("Enter")
    _until(page, "location.hash === '#metric-based-methods'")
    assert page.evaluate("document.activeElement.id") == "metric-based-methods"


# ---- progress on Omniglot --------------------------------------------------------------------


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


def test_switch_changes_the_points_mouse_and_keyboard(page, server, chapter_page, published):
    figure = mounted_figure(page, server, chapter_page, PROGRESS)
    state = _state(figure)
    assert state["ways"] == json.loads(figure.get_attribute("data-params"))["ways"] == "20"
    _check_points(state, published)
    assert state["human"] == 95.5
    assert figure.locator(".figure-mount [data-human]").count() == 1
    circles = figure.locator(".figure-mount svg [data-kind=published]")
    assert circles.count() == len(_published_ids(published, "20"))
    # Mouse: the 5-way radio.
    figure.get_by_role("radio", name="5-way 1-shot").click()
    state = _state(figure)
    assert state["ways"] == "5"
    _check_points(state, published)
    assert state["human"] is None and figure.locator(".figure-mount [data-human]").count() == 0
    assert circles.count() == len(_published_ids(published, "5"))
    assert "mann" in [p["id"] for p in state["points"]] and "siamese" not in [p["id"] for p in state["points"]]
    # Keyboard: the radios are native, the arrow key moves the choice.
    figure.get_by_role("radio", name="5-way 1-shot").focus()
    page.keyboard.press("ArrowRight")
    state = _state(figure)
    assert state["ways"] == "20" and figure.get_by_role("radio", name="20-way 1-shot").is_checked()
    _check_points(state, published)
    # The table lists the drawn points and people, with their sources.
    rows = figure.evaluate("f => [...f.querySelectorAll('.figure-mount tbody tr')].map((r) => r.dataset.point)")
    ours = ["ours"] if "ours" in [p["kind"] for p in state["points"]] else []
    assert rows == _published_ids(published, "20") + ours + ["human"]


def test_points_are_focusable_with_a_readout(page, server, chapter_page, published):
    figure = mounted_figure(page, server, chapter_page, PROGRESS)
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


def test_without_a_score_the_note_links_to_the_game(page, server, chapter_page):
    figure = mounted_figure(page, server, chapter_page, PROGRESS)
    state = _state(figure)
    assert "reader" not in [p["kind"] for p in state["points"]]
    assert "Play the game in the Introduction to see your score here" in state["note"]
    link = figure.locator(".figure-mount").get_by_role("link", name="Play the game in the Introduction")
    assert link.get_attribute("href") == "../introduction/#few-shot-game"


def test_a_stored_score_is_the_readers_mark(new_page, server, chapter_page):
    page = new_page()
    _store_score(page, {"20": {"reader": {"correct": 7, "played": 9}, "model": {"correct": 8, "played": 9}}})
    figure = mounted_figure(page, server, chapter_page, PROGRESS)
    state = _state(figure)
    reader = [p for p in state["points"] if p["kind"] == "reader"]
    assert len(reader) == 1
    assert reader[0]["accuracy"] == pytest.approx(700 / 9)
    assert "7 of 9 correct" in reader[0]["label"]
    # The strip at the right names the reader's mark.
    assert "You" in figure.locator(".figure-mount svg .omniglot-progress-strip text").all_text_contents()
    assert "Play the game" not in state["note"]
    # No score in the 5-way mode: no mark, and the note again.
    figure.get_by_role("radio", name="5-way 1-shot").check()
    state = _state(figure)
    assert "reader" not in [p["kind"] for p in state["points"]]
    assert "Play the game in the Introduction" in state["note"]


def test_a_score_written_elsewhere_arrives_with_the_storage_event(page, server, chapter_page):
    figure = mounted_figure(page, server, chapter_page, PROGRESS)
    # The record as the game writes it (lib/game-scores.js): both players' counts.
    record = {"version": 1, "modes": {"20": {"reader": {"correct": 3, "played": 4}, "model": {"correct": 4, "played": 4}}}}
    # What another tab's write looks like to this one: the value in storage, then the event.
    page.evaluate("""([key, value]) => {
        localStorage.setItem(key, value);
        window.dispatchEvent(new StorageEvent('storage', {key, newValue: value}));
    }""", [GAME_KEY, json.dumps(record)])
    reader = [p for p in _state(figure)["points"] if p["kind"] == "reader"]
    assert len(reader) == 1 and reader[0]["accuracy"] == pytest.approx(75.0)


def test_our_classifier_appears_once_the_manifest_has_it(page, server, site_dir, chapter_page):
    manifest = json.loads((site_dir / "models" / "manifest.json").read_text(encoding="utf-8"))
    has_ours = "omniglot" in manifest.get("models", {}) and "evaluation" in manifest["models"]["omniglot"]
    figure = mounted_figure(page, server, chapter_page, PROGRESS)
    kinds = [p["kind"] for p in _state(figure)["points"]]
    assert ("ours" in kinds) == has_ours
    # Served with an evaluation entry added, the point is drawn where the entry says.
    manifest.setdefault("models", {}).setdefault("omniglot", {})["evaluation"] = {
        "ways": {"5": {"accuracy": 0.912, "ci95": 0.011, "tasks": 600},
                 "20": {"accuracy": 0.705, "ci95": 0.013, "tasks": 600}}}
    page.route("**/models/manifest.json", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(manifest)))
    figure = mounted_figure(page, server, chapter_page, PROGRESS)
    ours = [p for p in _state(figure)["points"] if p["kind"] == "ours"]
    assert len(ours) == 1 and ours[0]["accuracy"] == pytest.approx(70.5) and ours[0]["year"] == 2026
    assert "70.5% ± 1.3" in ours[0]["label"] and "600" in ours[0]["label"]
    state = _state(figure)
    assert state["yDomain"][0] <= 70.5 - 1.3
    figure.get_by_role("radio", name="5-way 1-shot").click()
    ours = [p for p in _state(figure)["points"] if p["kind"] == "ours"]
    assert ours[0]["accuracy"] == pytest.approx(91.2)
