"""What every figure test does with a figure: open its page, bring it into view until it has
mounted, read its state through its test hook, wait for it to settle, and drive it as a reader
would (range inputs by keyboard, handles by mouse and by touch).

Every figure module exposes one hook on its mount element, `element.figureTest`, with at least
`inspect()` (what the figure computed and shows, as plain data) and `idle()` (a promise that
resolves once every requested computation is drawn); some add actions of their own. A test passes
the <figure> element or the mount (or a nested figure's holder) to the functions here; each finds
the hook from it. The Python references the figures are compared with stay in reference.py.
"""
from __future__ import annotations

import html
import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .conftest import page_url_path

# The hook of a target: its own, or its figure's mount's when the target is the <figure> itself.
_HOOK = "(e.figureTest ?? e.querySelector('.figure-mount').figureTest)"

# Makes every access to the page's storage throw, as a browser with cookies blocked does.
BLOCK_STORAGE = """
for (const name of ['localStorage', 'sessionStorage']) {
  Object.defineProperty(window, name, {get() { throw new DOMException('blocked', 'SecurityError'); }});
}"""


# ---- finding and opening a figure -------------------------------------------------------------


def figure_page(pages_with, figure_id: str) -> str:
    """The URL path of the built page that holds figure `figure_id` (the "fig-" id without it)."""
    pages = pages_with(f'data-figure="{figure_id}"')
    if not pages:
        pytest.fail(f"no built page holds figure {figure_id}")
    return page_url_path(pages[0])


def scroll_to(element) -> None:
    """Scroll the page so `element` sits in the middle of the window, at once. Playwright's own
    scroll_into_view_if_needed first waits for the element to hold still for two frames, and on
    a busy machine, with figures above it mounting and growing, that wait ran past 15 s."""
    element.evaluate("e => e.scrollIntoView({block: 'center', inline: 'nearest', behavior: 'instant'})")


def bring_into_view_until_ready(page, figure, selector: str, timeout_s: float = 60.0) -> None:
    """Scroll `figure` into view until it has mounted. Figures above it grow as they mount (the
    live figure has controls its picture lacks), which can push it out of the loader's reach
    before the loader has seen it; a reader scrolls on, and so does this. A figure that failed
    stops the wait at once."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            scroll_to(figure)
            page.wait_for_selector(f"{selector}:is([data-state=ready], [data-state=failed])", timeout=2_000)
            break
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise
    assert figure.get_attribute("data-state") == "ready", f"{selector} failed to mount"


def mount_every_figure(page) -> None:
    """Bring every figure of the open page into view in turn until it has mounted: a figure
    scrolled past at once may never be seen by the lazy loader, as the figures above it grow
    while they mount. Fails at the first figure that does not mount."""
    for figure in page.locator("figure[data-module]").all():
        bring_into_view_until_ready(page, figure, f"#{figure.get_attribute('id')}")


def show_figure(page, figure_id: str, *, settle: bool = True, settle_ms: int = 30_000):
    """Bring figure `figure_id` of the open page into view until mounted, check its static picture
    gave way to the live figure, and (with `settle`) wait up to `settle_ms` until it is idle.
    Returns (the <figure> element, its mount)."""
    selector = f"#fig-{figure_id}"
    figure = page.locator(selector)
    bring_into_view_until_ready(page, figure, selector)
    assert not figure.locator(".figure-fallback").is_visible(), "fallback still shown after mount"
    mount = figure.locator(".figure-mount").first
    if settle:
        wait_idle(mount, settle_ms)
    return figure, mount


def open_figure(page, server, pages_with, figure_id: str, *, settle: bool = True, settle_ms: int = 30_000):
    """Load the page holding figure `figure_id` from the sub-path and show the figure (show_figure)."""
    page.goto(server.url(figure_page(pages_with, figure_id)))
    return show_figure(page, figure_id, settle=settle, settle_ms=settle_ms)


def fallback_picture(new_page, server, pages_with, figure_id: str):
    """The static picture of figure `figure_id` on its page loaded without JavaScript, in view."""
    page = new_page(java_script_enabled=False)
    page.goto(server.url(figure_page(pages_with, figure_id)))
    picture = page.locator(f"#fig-{figure_id} .figure-fallback .figure-picture")
    scroll_to(picture)
    assert picture.is_visible(), figure_id
    return picture


def figure_params(figure) -> dict:
    """The figure's params as the page holds them (its data-params)."""
    return json.loads(figure.get_attribute("data-params"))


def built_params(site_dir: Path, figure_id: str) -> dict:
    """data-params of a figure as the build wrote it, from whichever page holds it."""
    for page in sorted(site_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        found = re.search(rf"""id="fig-{figure_id}"[^>]*data-params=(?:'([^']*)'|"([^"]*)")""", text)
        if found:
            return json.loads(html.unescape(found.group(1) or found.group(2)))
    pytest.fail(f"no built page holds figure {figure_id}")


# ---- the test hook ----------------------------------------------------------------------------


def inspect(target) -> dict:
    """The figure's state as it is now (figureTest.inspect())."""
    return target.evaluate(f"e => {_HOOK}.inspect()")


def wait_idle(target, timeout_ms: int = 30_000) -> None:
    """Wait until every computation the figure was asked for is drawn (figureTest.idle())."""
    target.evaluate(f"e => {_HOOK}.idle()", timeout=timeout_ms)


def settled(target) -> dict:
    """The figure's state once it has drawn everything asked of it."""
    wait_idle(target)
    return inspect(target)


def settled_once(target, holds, timeout_s: float = 10.0) -> dict:
    """The figure's state once `holds(state)` is true and it is idle: for input that reaches the
    figure a moment later, as a tap's click does after the touch events."""
    deadline = time.monotonic() + timeout_s
    while not holds(state := settled(target)):
        assert time.monotonic() < deadline, f"still not so after {timeout_s} s: {state}"
        time.sleep(0.05)
    return state


def call(target, action: str, *args, timeout_ms: int = 30_000):
    """figureTest[action](...args), awaited: one of a figure's own actions (train, trailIdle...)."""
    return target.evaluate(f"(e, [action, args]) => {_HOOK}[action](...args)", [action, list(args)],
                           timeout=timeout_ms)


# ---- input, as a reader gives it ----------------------------------------------------------------


def set_range(page, control, value: float) -> None:
    """Move a range input to `value` with the keyboard (Home, then ArrowRight), as a reader would."""
    control.focus()
    page.keyboard.press("Home")
    step = float(control.get_attribute("step"))
    low = float(control.get_attribute("min"))
    for _ in range(round((value - low) / step)):
        page.keyboard.press("ArrowRight")


def handle_centre(handle) -> tuple[float, float]:
    """The centre of a draggable handle (lib/handle.js: its last circle is the dot) in viewport
    coordinates, once it is in view and the page has stopped moving under it. A handle already in
    view stays where it is, so that where a drag ended can be compared with where it began."""
    handle.evaluate("""e => {
        const r = e.getBoundingClientRect();
        if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth) {
            e.scrollIntoView({block: 'center', inline: 'nearest', behavior: 'instant'});
        }
    }""")
    handle.page.wait_for_function("() => document.fonts.status === 'loaded'")
    box = handle.locator("circle").last.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    hit = handle.page.evaluate("([x, y]) => !!document.elementFromPoint(x, y)?.closest('.fig-handle')", [x, y])
    assert hit, "the handle is not under its own centre (the page moved?)"
    return x, y


def drag_handle(handle, dx: float, dy: float, *, touch: bool = False, steps: int = 6) -> tuple[float, float]:
    """Drag a handle by (dx, dy) CSS pixels in `steps` moves, with the mouse or (with `touch`) one
    finger, and let go. Returns where the drag started (the handle's centre then)."""
    start = handle_centre(handle)
    end = (start[0] + dx, start[1] + dy)
    page = handle.page
    if touch:
        _touch_drag(page, start, end, steps)
    else:
        page.mouse.move(*start)
        page.mouse.down()
        page.mouse.move(*end, steps=steps)
        page.mouse.up()
    return start


def _touch_drag(page, start: tuple[float, float], end: tuple[float, float], steps: int) -> None:
    """A one-finger drag through Chrome's own touch input (DevTools protocol; Playwright's
    touchscreen only taps)."""
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, x: float, y: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", *start)
    for k in range(1, steps + 1):
        touch("touchMove", start[0] + (end[0] - start[0]) * k / steps, start[1] + (end[1] - start[1]) * k / steps)
    touch("touchEnd", *end)
    cdp.detach()


def press_keys(control, keys: list[str]) -> None:
    """Focus `control` and press `keys` one after another, as a reader at the keyboard would."""
    control.focus()
    for key in keys:
        control.page.keyboard.press(key)


def landscape_point(figure, panel: int, x: float, y: float) -> tuple[float, float]:
    """Viewport coordinates of the point (x, y) of the plane [0, 1]^2 in the figure's `panel`-th
    titled loss map (lib/landscape.js: margins 24 above, 10 right, 38 below, 44 left), with that
    map in view, once they hold still: figures above may still be growing as they mount."""
    where = """(f, [panel, x, y]) => {
        const svg = f.querySelectorAll('.figure-mount .figure-landscape > svg')[panel];
        const r = svg.getBoundingClientRect();
        if (r.top < 0 || r.bottom > innerHeight) svg.scrollIntoView({block: 'nearest', behavior: 'instant'});
        const box = svg.viewBox.baseVal;
        const left = 44, right = box.width - 10, top = 24, bottom = box.height - 38;
        const point = new DOMPoint(left + x * (right - left), bottom - y * (bottom - top)).matrixTransform(svg.getScreenCTM());
        return [point.x, point.y];
    }"""
    point, previous = figure.evaluate(where, [panel, x, y]), None
    deadline = time.monotonic() + 10
    while point != previous and time.monotonic() < deadline:
        figure.page.wait_for_timeout(200)
        point, previous = figure.evaluate(where, [panel, x, y]), point
    return tuple(point)


# ---- what the figures print -------------------------------------------------------------------


def printed(value: float, digits: int = 3) -> str:
    """A number as lib/readouts.js's formatNumber prints it: fixed digits, no "-0.000", a true minus."""
    text = f"{value:.{digits}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return text.replace("-", "−")


# ---- checks every figure passes ---------------------------------------------------------------


def assert_controls_labelled(container, selector: str = "input, button, select") -> int:
    """Every control in `container` has a name, and a control with a <label> shows it. Returns how
    many controls there are."""
    controls = container.locator(selector).all()
    for control in controls:
        name = control.evaluate("c => c.labels?.[0]?.textContent?.trim() || c.textContent.trim() || ''")
        assert name, "unlabelled control"
        if control.evaluate("c => !!c.labels?.[0]"):
            assert control.evaluate("c => c.labels[0].checkVisibility()"), name
    return len(controls)


def assert_handles_focusable(figure, name: str) -> None:
    """Every handle named `name` (in part) is in the tab order and says where it is."""
    handles = figure.get_by_role("slider", name=name, exact=False).all()
    assert handles, f"no handle named {name}"
    for handle in handles:
        assert handle.get_attribute("tabindex") == "0" and handle.get_attribute("aria-valuetext"), name


def assert_maps_drawn(picture, count: int, *, contours: bool = True) -> None:
    """`picture` holds `count` loss maps, each with its weights image (and its contours)."""
    maps = picture.locator('[data-layer="map"]')
    assert maps.count() == count
    for i in range(count):
        assert maps.nth(i).locator("image").get_attribute("href").startswith("data:image/png;base64,"), i
        if contours:
            assert maps.nth(i).locator("path.fig-contours").get_attribute("d"), i
