"""The figure "taxonomy" (chapter Meta-learning, and why MAML is model-agnostic) in a real browser.

Focusing a method (Tab, arrow keys) or hovering it marks the chapter section it leads to, and
activating it (Enter, Space, click) goes there (hash and focus); every method is a named link; on
a phone a stacked list replaces the drawing. Pages are served from the sub-path and watched for
console errors.
"""
from __future__ import annotations

import time

from .figure_harness import figure_params, inspect, open_figure

FIGURE = "taxonomy"
MARKED = "[...document.querySelectorAll('.taxonomy-target')].map((n) => n.id || n.tagName.toLowerCase())"


def _until(page, expression: str, timeout: float = 10.0) -> None:
    """Poll `expression` from Python until it is true (wait_for_function's string predicate is
    refused by the site's Content-Security-Policy whenever its first check is false)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        time.sleep(0.05)


def test_every_method_is_a_named_link_to_a_section(page, server, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    params = figure_params(figure)
    links = figure.locator(".figure-mount").get_by_role("link")
    state = inspect(figure)
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


def test_keyboard_focus_marks_the_section_and_enter_goes_there(page, server, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
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


def test_space_activates_and_end_home_move(page, server, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
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


def test_hover_marks_and_click_goes(page, server, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    maml = figure.locator(".figure-mount").get_by_role("link", name="MAML", exact=False).filter(has_text="MAML").last
    maml.hover()
    assert page.evaluate(MARKED)[0] == "optimisation-based-methods"
    page.mouse.move(1, 1)
    assert page.evaluate(MARKED) == []
    figure.locator(".figure-mount").get_by_role("link", name="Matching networks", exact=False).click()
    _until(page, "location.hash === '#metric-based-methods'")
    assert page.evaluate("document.activeElement.id") == "metric-based-methods"


def test_on_a_phone_a_stacked_list_replaces_the_drawing(new_page, server, pages_with):
    page = new_page(viewport={"width": 390, "height": 844})
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    mount = figure.locator(".figure-mount")
    assert not mount.locator(".taxonomy-drawing").is_visible()
    links = mount.get_by_role("link")
    state = inspect(figure)
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
