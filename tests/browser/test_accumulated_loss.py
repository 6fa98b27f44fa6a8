"""The figure "accumulated-loss" (chapter How MAML works) in the browser.

Every number the page shows is checked against Python's onnxruntime running the same exported
graph on the same inputs (the grid and data the figure reports, toys.json's samples): the k
slider's minimum and its trail, the task minima and F_0's minimum it marks, on one colour scale.
The pages are served from the sub-path, watched for console errors and foreign requests.
"""
from __future__ import annotations

import numpy as np

from . import reference
from .figure_harness import (
    BLOCK_STORAGE,
    assert_controls_labelled,
    assert_maps_drawn,
    fallback_picture,
    figure_params,
    inspect,
    open_figure,
    settled,
    wait_idle,
)
from .reference import line_data

FIGURE = "accumulated-loss"
USER_UNIT_TOLERANCE = 0.06  # lib/plot.js rounds coordinates to 0.1 user units


def _map_colours(figure) -> list[str]:
    """The computed fills of the last loss map's two colour layers (low and high)."""
    return figure.evaluate("""f => [...f.querySelectorAll('.figure-mount [data-layer="map"]')].at(-1)
        .querySelectorAll('rect').values().map((r) => getComputedStyle(r).fill).toArray()""")


def _big_map_image(figure) -> str:
    """The weights image of the accumulated-loss map (the first map in the mount)."""
    return figure.locator('.figure-mount [data-layer="map"] image').first.get_attribute("href")


def test_k_slider_redraws_and_moves_the_minimum_as_python_says(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE, settle=False)[0]
    slider = figure.get_by_role("slider", name="Fine-tuning steps k")
    state = inspect(figure)
    assert state["k"] == 0
    python_loss, python_minimum = reference.accumulated_loss(site_dir / "models", state["dataset"], state["grid"], state["stepSize"])
    # The first frame, drawn before line_accumulated has run, is F_0 from the task landscapes.
    np.testing.assert_allclose(state["minimum"], python_minimum[0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(state["loss"], python_loss[0], rtol=1e-5, atol=1e-7)
    state = settled(figure)
    assert state["complete"]
    # One colour scale for every k, covering F_k's values over every k (the ends clamp).
    params = figure_params(figure)
    assert state["scale"] == params["loss_range"]
    lo, hi = params["loss_range"]
    assert lo < 0.01 * python_loss[0].min() and python_loss.max() <= hi
    pictures = {}
    for k in (0, 1, 4, 9, 20):
        slider.fill(str(k))
        state = inspect(figure)
        assert state["k"] == k
        np.testing.assert_allclose(state["minimum"], python_minimum[k], rtol=0, atol=1e-6)
        np.testing.assert_allclose(state["loss"], python_loss[k], rtol=1e-4, atol=1e-7)
        # The trail: the minimum of F_j for every j = 0..k.
        np.testing.assert_allclose(state["trail"], python_minimum[: k + 1], rtol=0, atol=1e-6)
        a, b = python_minimum[k]
        assert f"({a:.2f}, {b:.2f})" in figure.locator("[role=status]").inner_text()
        pictures[k] = _big_map_image(figure)
    # The minimum really moves over k (else this test proves little), and so does the picture.
    assert len({tuple(python_minimum[k]) for k in (0, 1, 4, 9, 20)}) >= 3
    assert len(set(pictures.values())) == len(pictures), "the map did not change with k"
    # Keyboard: the slider is a native range input.
    slider.focus()
    page.keyboard.press("ArrowLeft")
    assert inspect(figure)["k"] == 19


def test_a_k_chosen_before_f_k_is_known_is_shown_when_it_is(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE, settle=False)[0]
    figure.get_by_role("slider", name="Fine-tuning steps k").fill("7")
    state = settled(figure)
    assert state["k"] == 7
    _, python_minimum = reference.accumulated_loss(site_dir / "models", state["dataset"], state["grid"], state["stepSize"])
    np.testing.assert_allclose(state["minimum"], python_minimum[7], rtol=0, atol=1e-6)


def test_ghosts_and_the_key_follow_k(page, server, site_dir, pages_with):
    """On F_k: both tasks' minima, F_0's minimum and F_k's, at the points Python computes; the key
    lists the trail and F_0's minimum only once k > 0."""
    figure = open_figure(page, server, pages_with, FIGURE, settle=False)[0]
    state = settled(figure)
    _, python_minimum = reference.accumulated_loss(site_dir / "models", state["dataset"], state["grid"], state["stepSize"])
    line, _ = line_data(site_dir / "models", state["dataset"])
    marks = figure.evaluate("""f => {
        const svg = f.querySelector('.figure-mount svg');
        return [...svg.querySelectorAll('[data-marker]')].map((g) => ({
            name: g.dataset.marker, method: g.dataset.method || null, role: g.dataset.role || null,
            at: g.getAttribute('transform')?.match(/[-\\d.]+/g).map(Number)}));
    }""")
    inner = {"left": 44, "top": 24, "right": 380 - 10, "bottom": 360 - 38}

    def px(a: float, b: float) -> list[float]:
        return [inner["left"] + a * (inner["right"] - inner["left"]), inner["bottom"] - b * (inner["bottom"] - inner["top"])]

    tasks = [m for m in marks if m["role"] == "taskMinimum"]
    assert len(tasks) == 2
    for mark, task in zip(tasks, line["datasets"][state["dataset"]]["tasks"]):
        np.testing.assert_allclose(mark["at"], px(task["a"], task["b"]), atol=USER_UNIT_TOLERANCE)
    pretrained = [m for m in marks if m["method"] == "pretrained"]
    assert len(pretrained) == 1
    np.testing.assert_allclose(pretrained[0]["at"], px(*python_minimum[0]), atol=USER_UNIT_TOLERANCE)
    key = figure.locator(".figure-mount .fig-key li")
    assert key.count() == 2
    figure.get_by_role("slider", name="Fine-tuning steps k").fill("5")
    assert key.count() == 4
    assert figure.locator('.figure-mount [data-method="maml"] circle').count() == 6  # trail k = 0..5


def test_minimum_marker_sits_at_the_minimum(page, server, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE, settle=False)[0]
    wait_idle(figure)
    figure.get_by_role("slider", name="Fine-tuning steps k").fill("3")
    state = inspect(figure)
    marker = figure.evaluate("""f => {
        const g = f.querySelector('.figure-mount [data-marker="minimum of the accumulated loss"]');
        const svg = g.ownerSVGElement; const box = svg.viewBox.baseVal;
        const [x, y] = g.getAttribute('transform').match(/[-\\d.]+/g).map(Number);
        return {x, y, width: box.width, height: box.height};
    }""")
    # Inner rectangle of the big map: margins of lib/landscape.js with a title (top 24, left 44,
    # right 10, bottom 38): a along x, b upwards.
    left, right, top, bottom = 44, marker["width"] - 10, 24, marker["height"] - 38
    a, b = state["minimum"]
    assert abs(marker["x"] - (left + a * (right - left))) < USER_UNIT_TOLERANCE
    assert abs(marker["y"] - (bottom - b * (bottom - top))) < USER_UNIT_TOLERANCE


def test_works_with_storage_blocked_and_in_dark_mode(new_page, server, pages_with):
    """Blocked storage must not matter; the maps' colours follow the dark palette."""
    pictures = {}
    for scheme in ("light", "dark"):
        page = new_page(color_scheme=scheme)
        page.add_init_script(BLOCK_STORAGE)
        figure, _ = open_figure(page, server, pages_with, FIGURE)
        pictures[scheme] = _map_colours(figure)
    # --fig-contour-low and --fig-contour-high of each scheme (static/css/site.css).
    assert pictures["light"] == ["rgb(251, 251, 249)", "rgb(170, 180, 192)"], pictures["light"]
    assert pictures["dark"] == ["rgb(23, 25, 28)", "rgb(70, 82, 96)"], pictures["dark"]


def test_every_control_has_a_visible_label(page, server, pages_with):
    _, mount = open_figure(page, server, pages_with, FIGURE)
    assert_controls_labelled(mount, "input, button")


def test_fallback_picture_shows_without_javascript(new_page, server, pages_with):
    # Every loss map is there, with its weights image and its contours.
    assert_maps_drawn(fallback_picture(new_page, server, pages_with, FIGURE), 3)
