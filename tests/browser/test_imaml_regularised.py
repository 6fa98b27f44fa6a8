"""The figure "imaml-regularised" (chapter iMAML) in the browser.

Every control is driven as a reader would (keyboard on either panel's handle, pointer drag, touch
tap, the lambda slider), and every number the page shows is compared with Python's onnxruntime
running the same committed graphs on the inputs the page reports, to 1e-5: the regularised maps,
the inner solutions phi*, their trail over lambda, and where the markers are drawn. The conftest
fails a test on any console error.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from . import reference
from .figure_harness import (
    assert_controls_labelled,
    assert_handles_focusable,
    assert_maps_drawn,
    call,
    drag_handle,
    fallback_picture,
    landscape_point,
    open_figure,
    press_keys,
    settled,
    settled_once,
)
from .reference import plane_grid

FIGURE = "imaml-regularised"
ATOL = 1e-5
USER_UNIT_TOLERANCE = 0.06  # lib/plot.js rounds coordinates to 0.1 user units
HANDLE = "θ, the shared"
LAMBDA = "Proximal strength λ (log scale)"


def _state(figure, trail: bool = False) -> dict:
    """What the figure shows once its graphs are drawn (with `trail`, also the trail of phi*,
    which the figure draws once theta has rested)."""
    if trail:
        settled(figure)
        call(figure, "trailIdle")
    return settled(figure)


def _python_regularised(site_dir: Path, st: dict) -> dict[str, np.ndarray]:
    models = site_dir / "models"
    feeds = reference.bumps_feeds(site_dir / "models", st["theta"], st["lam"])
    grid = plane_grid({"a": reference.bumps(site_dir / "models")["plane"]["x"], "b": reference.bumps(site_dir / "models")["plane"]["y"]}, st["grid"])
    maps = reference.run(models, "bumps_landscape", {**feeds, "theta": feeds["theta"][0], "grid": grid})
    phi, objective, _ = reference.run(models, "bumps_inner_solve", feeds)
    return {"regularised": maps[1], "phi": phi, "objective": objective}


def _close(page_values, python_values, name: str) -> None:
    np.testing.assert_allclose(np.asarray(page_values, dtype=np.float64).reshape(-1),
                               np.asarray(python_values, dtype=np.float64).reshape(-1), rtol=0, atol=ATOL, err_msg=name)


def _px(inner: dict, x: float) -> float:
    return inner["left"] + x * inner["width"]


def _py(inner: dict, y: float) -> float:
    return inner["bottom"] - y * inner["height"]


def _check_regularised(site_dir: Path, st: dict) -> dict:
    python = _python_regularised(site_dir, st)
    _close(st["regularised"], python["regularised"], "regularised maps")
    _close(st["phi"], python["phi"], "phi*")
    _close(st["objective"], python["objective"], "objective at phi*")
    for i, marker in enumerate(st["markers"]):
        assert abs(marker["x"] - _px(marker["inner"], python["phi"][i][0])) < USER_UNIT_TOLERANCE
        assert abs(marker["y"] - _py(marker["inner"], python["phi"][i][1])) < USER_UNIT_TOLERANCE
    a, b = python["phi"][1]
    assert f"({a:.2f}, {b:.2f})".replace("-", "−") in st["readout"]
    if st["trail"] is not None:
        # The trail: phi* for the same theta at every fifth lambda of the slider, drawn as dots.
        trail = st["trail"]
        np.testing.assert_allclose(trail["theta"], st["theta"], atol=0)
        lambdas = reference.bumps(site_dir / "models")["lambdas"][::5]
        np.testing.assert_allclose(trail["lambdas"], np.float32(lambdas), rtol=0, atol=0)
        for lam, points in zip(lambdas, trail["points"]):
            phi, _, _ = reference.run(site_dir / "models", "bumps_inner_solve", reference.bumps_feeds(site_dir / "models", st["theta"], lam))
            _close(points, phi, f"trail at lambda {lam}")
        for i, (drawn, marker) in enumerate(zip(st["trailDrawn"], st["markers"])):
            inner = marker["inner"]
            want = [[_px(inner, p[2 * i]), _py(inner, p[2 * i + 1])] for p in trail["points"]]
            np.testing.assert_allclose(drawn, want, atol=USER_UNIT_TOLERANCE)
    return python


def test_regularised_keyboard_and_lambda_slider_match_python(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    start = _state(figure)
    assert start["trail"] is not None, "the first frame shows the trail"
    lambdas = reference.bumps(site_dir / "models")["lambdas"]
    assert start["lam"] == pytest.approx(lambdas[start["lamIndex"]], rel=1e-7)
    _check_regularised(site_dir, start)

    handles = figure.get_by_role("slider", name=HANDLE, exact=False)
    assert handles.count() == 2
    press_keys(handles.nth(0), ["ArrowRight"] * 4 + ["ArrowDown"] * 2)
    st = _state(figure, trail=True)
    np.testing.assert_allclose(st["theta"], [start["theta"][0] + 0.04, start["theta"][1] - 0.02], atol=1e-6)
    assert st["trail"] is not None and st["trail"]["theta"] != start["trail"]["theta"]
    _check_regularised(site_dir, st)
    # The other panel's handle is the same theta, and moves the first.
    handles.nth(1).focus()
    page.keyboard.press("Shift+ArrowUp")
    st = _state(figure)
    np.testing.assert_allclose(st["theta"][1], start["theta"][1] - 0.02 + 0.1, atol=1e-6)
    _check_regularised(site_dir, st)

    # The lambda slider, by keyboard and by value, over the whole log range.
    slider = figure.get_by_role("slider", name=LAMBDA)
    slider.focus()
    page.keyboard.press("ArrowRight")
    st = _state(figure)
    assert st["lamIndex"] == start["lamIndex"] + 1
    _check_regularised(site_dir, st)
    maps = {}
    for index in (0, 10, len(lambdas) - 1):
        slider.fill(str(index))
        st = _state(figure)
        assert st["lam"] == pytest.approx(lambdas[index], rel=1e-7)
        assert slider.get_attribute("aria-valuetext") == f"λ = {lambdas[index]:g}"
        python = _check_regularised(site_dir, st)
        maps[index] = figure.locator('.figure-mount [data-layer="map"] image').first.get_attribute("href")
    assert len(set(maps.values())) == 3, "the maps did not change with lambda"
    # With the largest lambda both minima sit close to theta.
    assert np.abs(python["phi"] - np.asarray(st["theta"])).max() < 0.05


def test_regularised_pointer_drag_moves_theta_in_both_panels(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    start = _state(figure)
    handles = figure.get_by_role("slider", name=HANDLE, exact=False)
    drag_handle(handles.nth(0), 50, -40)
    st = _state(figure, trail=True)
    assert st["theta"][0] > start["theta"][0] + 0.05 and st["theta"][1] > start["theta"][1] + 0.05, st["theta"]
    assert st["trail"] is not None
    _check_regularised(site_dir, st)
    centres = [h.locator("circle").last.evaluate("c => [c.getAttribute('cx'), c.getAttribute('cy')]")
               for h in handles.all()]
    assert centres[0] == centres[1], "the two panels show different thetas"


def test_regularised_touch_tap_places_theta(new_page, server, site_dir, pages_with):
    page = new_page(has_touch=True)
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    start = settled(figure)["theta"]
    x, y = landscape_point(figure, 1, 0.7, 0.8)
    page.touchscreen.tap(x, y)
    st = settled_once(figure, lambda s: s["theta"] != start)
    np.testing.assert_allclose(st["theta"], [0.7, 0.8], atol=0.01)
    _check_regularised(site_dir, st)


def test_every_control_has_a_visible_label(page, server, pages_with):
    figure, mount = open_figure(page, server, pages_with, FIGURE)
    assert_controls_labelled(mount, "input")
    assert_handles_focusable(figure, HANDLE)


def test_fallback_pictures_show_without_javascript(new_page, server, pages_with):
    assert_maps_drawn(fallback_picture(new_page, server, pages_with, FIGURE), 2, contours=False)
