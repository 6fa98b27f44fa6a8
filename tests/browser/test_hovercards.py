"""Hover cards on citations and footnote references: mouse, keyboard and touch."""
from __future__ import annotations

import pytest

from .conftest import page_url_path
from .figure_harness import scroll_to

pytestmark = pytest.mark.browser

CARD = "#hovercard"


def _first_page(pages_with, fragment: str) -> str:
    pages = pages_with(fragment)
    if not pages:
        pytest.fail(f"no built page contains {fragment!r}")
    return page_url_path(pages[0])


def _expected_text(page, link) -> str:
    """The text of what the link points at (its card shows a copy, minus back-links)."""
    target = link.get_attribute("href")
    return page.locator(target).inner_text().replace("↩", "").split("\n")[0].strip()[:40]


@pytest.mark.parametrize("trigger", ["a.cite", ".footnote-ref a"], ids=["citation", "footnote"])
def test_card_opens_on_hover_and_closes_on_leave(page, server, pages_with, trigger):
    fragment = 'class="cite"' if trigger == "a.cite" else 'class="footnote-ref"'
    page.goto(server.url(_first_page(pages_with, fragment)))
    link = page.locator(trigger).first
    scroll_to(link)
    link.hover()
    card = page.locator(CARD)
    card.wait_for(state="visible")
    assert card.get_attribute("role") == "tooltip"
    assert link.get_attribute("aria-describedby") == "hovercard"
    assert _expected_text(page, link) in card.inner_text()
    assert card.locator("[id]").count() == 0, "card copies ids"
    page.mouse.move(0, 0)
    card.wait_for(state="hidden")
    assert link.get_attribute("aria-describedby") is None


def test_card_opens_on_keyboard_focus_and_closes_on_escape_and_blur(page, server, pages_with):
    page.goto(server.url(_first_page(pages_with, 'class="cite"')))
    link = page.locator("a.cite").first
    # Reach the link with the keyboard, as a reader would.
    for _ in range(400):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('a.cite')"):
            break
    else:
        pytest.fail("no citation reachable with Tab")
    link = page.locator("a.cite:focus")
    card = page.locator(CARD)
    card.wait_for(state="visible")
    assert link.get_attribute("aria-describedby") == "hovercard"
    page.keyboard.press("Escape")
    card.wait_for(state="hidden")
    link.focus()
    page.evaluate("document.activeElement.blur()")
    card.wait_for(state="hidden")


def test_tap_toggles_the_card_without_jumping(new_page, server, pages_with):
    page = new_page(has_touch=True, is_mobile=True, viewport={"width": 375, "height": 700})
    page.goto(server.url(_first_page(pages_with, 'class="cite"')))
    link = page.locator("a.cite").first
    scroll_to(link)
    url = page.url
    card = page.locator(CARD)
    link.tap()
    card.wait_for(state="visible")
    assert page.url == url, "tap followed the link instead of opening the card"
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375, "card leaves the screen"
    link.tap()
    card.wait_for(state="hidden")
