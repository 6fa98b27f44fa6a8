"""The figure "one-step" (chapter How MAML works) in the browser.

Every number the page shows is checked against Python's onnxruntime running the same exported
graphs on the same inputs (the theta and step sizes the figure reports, toys.json's samples): the
arrows theta -> phi_i after keyboard and pointer moves, theta and its path after MAML steps, and
the pretrained solution both panels mark. The pages are served from the sub-path, watched for
console errors and foreign requests.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from . import reference
from .figure_harness import (
    BLOCK_STORAGE,
    assert_controls_labelled,
    assert_maps_drawn,
    drag_handle,
    fallback_picture,
    figure_params,
    inspect,
    open_figure,
    press_keys,
    settled,
)
from .reference import line_data, plane_grid

FIGURE = "one-step"
PHI_TOLERANCE = 1e-5  # in parameter space
USER_UNIT_TOLERANCE = 0.06  # lib/plot.js rounds coordinates to 0.1 user units


def _python_maml_step(site_dir: Path, state: dict, theta=None) -> dict[str, np.ndarray]:
    models = site_dir / "models"
    _, data = line_data(models, state["dataset"])
    names = ("phi", "task_losses_after", "meta_loss", "meta_gradient", "theta_next")
    outputs = reference.run(models, "line_maml_step", {
        "theta": np.asarray(state["theta"] if theta is None else theta, dtype=np.float32),
        **data,
        "step_size": np.asarray(state["alpha"], dtype=np.float32),
        "meta_step_size": np.asarray(state["metaStepSize"], dtype=np.float32),
    })
    return dict(zip(names, outputs))


def test_keyboard_moves_theta_and_the_arrows_as_python_says(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    handles = figure.get_by_role("slider", name="θ, the shared starting point", exact=False)
    assert handles.count() == 2
    start = inspect(figure)["theta"]
    press_keys(handles.nth(0), ["ArrowLeft"] * 5 + ["ArrowUp"] * 3)
    state = settled(figure)
    np.testing.assert_allclose(state["theta"], [start[0] - 0.05, start[1] + 0.03], atol=1e-6)
    _check_arrows(state, _python_maml_step(site_dir, state))
    # The second panel's handle follows (shared theta), and moving it moves the first one's.
    handles.nth(1).focus()
    page.keyboard.press("ArrowDown")
    state = settled(figure)
    np.testing.assert_allclose(state["theta"][1], start[1] + 0.02, atol=1e-6)
    _check_arrows(state, _python_maml_step(site_dir, state))
    # The step-size slider changes alpha in the graph's inputs.
    figure.get_by_role("slider", name="Inner step size α").fill("0.3")
    state = settled(figure)
    assert state["alpha"] == pytest.approx(0.3, abs=1e-7)
    _check_arrows(state, _python_maml_step(site_dir, state))
    status = figure.locator("[role=status]").inner_text()
    assert f"{state['metaLoss']:.4f}" in status


def _check_arrows(state: dict, python: dict) -> None:
    phi = np.asarray(state["phi"]).reshape(-1, 2)
    np.testing.assert_allclose(phi, python["phi"], rtol=0, atol=PHI_TOLERANCE)
    assert state["metaLoss"] == pytest.approx(float(python["meta_loss"]), abs=1e-6)
    for i, drawn in enumerate(state["arrows"]):
        inner = drawn["inner"]

        def px(a: float) -> float:
            return inner["left"] + a * inner["width"]

        def py(b: float) -> float:
            return inner["bottom"] - b * inner["height"]

        assert abs(drawn["x1"] - px(state["theta"][0])) < USER_UNIT_TOLERANCE
        assert abs(drawn["y1"] - py(state["theta"][1])) < USER_UNIT_TOLERANCE
        assert abs(drawn["x2"] - px(python["phi"][i][0])) < USER_UNIT_TOLERANCE
        assert abs(drawn["y2"] - py(python["phi"][i][1])) < USER_UNIT_TOLERANCE


def test_maml_step_buttons_move_theta_as_python_says(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    start = inspect(figure)
    figure.get_by_role("button", name="Take a MAML step").click()
    after = settled(figure)
    expected = _python_maml_step(site_dir, start)["theta_next"]
    np.testing.assert_allclose(after["theta"], expected, rtol=0, atol=1e-6)
    assert after["steps"] == 1
    figure.get_by_role("button", name="Take 10 MAML steps").click()
    final = settled(figure)
    theta = np.asarray(after["theta"], dtype=np.float32)
    for _ in range(10):
        theta = _python_maml_step(site_dir, after, theta)["theta_next"]
    np.testing.assert_allclose(final["theta"], theta, rtol=0, atol=1e-5)
    assert final["steps"] == 11
    assert final["metaLoss"] < start["metaLoss"], "MAML steps should lower the meta-loss"
    # theta's path: the start and every theta the steps reached, drawn in both panels.
    assert len(final["path"]) == 12
    np.testing.assert_allclose(final["path"][0], start["theta"], atol=1e-7)
    np.testing.assert_allclose(final["path"][1], expected, atol=1e-6)
    np.testing.assert_allclose(final["path"][-1], final["theta"], atol=1e-7)
    paths = figure.locator('.figure-mount [data-layer="path"] path[data-method="maml"]')
    assert paths.count() == 2 and all(p.get_attribute("d") for p in paths.all())
    figure.get_by_role("button", name="Reset").click()
    reset = settled(figure)
    assert reset["theta"] == start["theta"] and reset["steps"] == 0 and reset["path"] == []


def test_pretrained_solution_is_the_minimum_of_f0(page, server, site_dir, pages_with):
    """Both panels mark the pretrained solution: where the sum of the tasks' query losses is
    smallest on the accumulated-loss figure's grid, which is F_0's minimum there."""
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    state = inspect(figure)
    params = figure_params(figure)
    models = site_dir / "models"
    line, data = line_data(models, state["dataset"])
    grid = plane_grid(line["plane"], params["pretrained_grid"])
    (loss,) = reference.run(models, "line_landscape", {"grid": grid, "x": data["x_test"], "y": data["y_test"]})
    best = grid[int(np.argmin(loss.sum(axis=0)))]
    np.testing.assert_allclose(state["pretrained"], best, atol=1e-7)
    _, python_minimum = reference.accumulated_loss(models, state["dataset"], params["pretrained_grid"], state["alpha"])
    np.testing.assert_allclose(best, python_minimum[0], atol=1e-6)
    assert figure.locator('.figure-mount [data-marker][data-method="pretrained"]').count() == 2


def test_pointer_drag_moves_theta_in_both_panels(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    handles = figure.get_by_role("slider", name="θ, the shared starting point", exact=False)
    drag_handle(handles.nth(1), -40, -30, steps=5)  # the figure is taller than the test's viewport
    state = settled(figure)
    assert state["theta"][0] < 0.8 - 0.02 and state["theta"][1] > 0.2 + 0.02, state["theta"]
    _check_arrows(state, _python_maml_step(site_dir, state))
    centres = [h.locator("circle").last.evaluate("c => [c.getAttribute('cx'), c.getAttribute('cy')]")
               for h in handles.all()]
    assert centres[0] == centres[1], "the two panels show different thetas"


def test_works_with_storage_blocked_and_in_dark_mode(new_page, server, pages_with):
    page = new_page(color_scheme="dark")
    page.add_init_script(BLOCK_STORAGE)
    figure, _ = open_figure(page, server, pages_with, FIGURE)
    assert inspect(figure)["theta"]


def test_every_control_has_a_visible_label(page, server, pages_with):
    _, mount = open_figure(page, server, pages_with, FIGURE)
    assert_controls_labelled(mount, "input, button")


def test_fallback_picture_shows_without_javascript(new_page, server, pages_with):
    # Both loss maps are there, with their weights images and their contours.
    assert_maps_drawn(fallback_picture(new_page, server, pages_with, FIGURE), 2)
