"""The figure "jacobian-product" (chapter Preliminaries: the cost of the meta-gradient) in a
real browser.

Every control is driven as a reader would (theta by pointer, touch and keyboard, the alpha and k
sliders by value and by keyboard), and everything the figure shows is compared with Python's
onnxruntime running line_jacobian_product on the same inputs: the graph's outputs to 1e-5, every
matrix and vector entry as printed (to its printed digits), the inner path's dots, and both
arrows' end points, theta - s * gradient in the plane (to 1e-5) and on the screen (to lib/plot.js's
rounding). The pages are served from the sub-path and watched for console errors.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from . import reference
from .figure_harness import assert_controls_labelled, drag_handle, figure_params, open_figure, press_keys, settled
from .reference import line_data

FIGURE = "jacobian-product"
ATOL = 1e-5  # graph outputs and arrow end points, in parameter space
USER_UNIT_TOLERANCE = 0.06  # lib/plot.js rounds coordinates to 0.1 user units
THETA_NAME = "θ, the starting point of the inner steps"
OUTPUTS = ("path", "jacobians", "products", "meta_gradient", "first_order_meta_gradient", "test_loss")


def _python_jacobian(site_dir: Path, state: dict) -> dict[str, np.ndarray]:
    """line_jacobian_product in Python onnxruntime on the figure's task, theta and alpha."""
    models = site_dir / "models"
    _, data = line_data(models, state["dataset"])
    task = {key: values[state["task"]] for key, values in data.items()}
    outputs = reference.run(models, "line_jacobian_product", {
        **task,
        "theta": np.asarray(state["theta"], dtype=np.float32),
        "step_size": np.asarray(state["alpha"], dtype=np.float32),
    })
    return dict(zip(OUTPUTS, outputs))


def _printed(cells: list[str]) -> np.ndarray:
    """Numbers as lib/readouts.js prints them (a true minus sign)."""
    return np.asarray([float(c.replace("−", "-")) for c in cells])


def _assert_printed(shown: dict, expected: np.ndarray, digits: int) -> None:
    # Printed to `digits` decimals: the printed value is within half a unit of the last digit.
    np.testing.assert_allclose(_printed(shown["cells"]), np.ravel(expected), rtol=0,
                               atol=0.5 * 10**-digits + 1e-6, err_msg=shown["label"])


def _is_round_scale(s: float) -> bool:
    exponent = math.floor(math.log10(s) + 1e-9)
    return any(math.isclose(s, m * 10**exponent, rel_tol=1e-9) for m in (1, 2, 5))


def _next_round_scale(s: float) -> float:
    exponent = math.floor(math.log10(s) + 1e-9)
    mantissa = round(s / 10**exponent)
    return {1: 2, 2: 5, 5: 10}[mantissa] * 10**exponent


def _drawn_marks(figure) -> dict:
    """What the live SVG holds: each arrow's start and tip, and the path's dots, in user units."""
    return figure.evaluate("""f => {
        const mount = f.querySelector('.figure-mount');
        const arrow = (name) => {
            const g = mount.querySelector(`[data-arrow="${name}"]`);
            const line = g.querySelector('line');
            const head = g.querySelector('path').getAttribute('d');
            const start = [Number(line.getAttribute('x1')), Number(line.getAttribute('y1'))];
            const end = [Number(line.getAttribute('x2')), Number(line.getAttribute('y2'))];
            // The head's first point is the tip; an arrow shorter than its head has only a shaft.
            const tip = head ? head.match(/^M([-\\d.]+),([-\\d.]+)/).slice(1).map(Number) : end;
            return {start, tip, end, clipped: g.dataset.clipped === 'true'};
        };
        const dots = [...mount.querySelectorAll('[data-path="phi"] circle')]
            .map((c) => [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))]);
        return {exact: arrow('exact'), firstOrder: arrow('first-order'), dots};
    }""")


def _check_jacobian(figure, site_dir: Path, state: dict, arrow_length: float = 0.45) -> dict:
    """Every number and mark of the Jacobian figure against Python onnxruntime."""
    python = _python_jacobian(site_dir, state)
    k = state["k"]
    # The graph's outputs as the page received them.
    for key, name in (("path", "path"), ("jacobians", "jacobians"), ("products", "products"),
                      ("metaGradient", "meta_gradient"), ("firstOrderMetaGradient", "first_order_meta_gradient"),
                      ("testLoss", "test_loss")):
        np.testing.assert_allclose(np.asarray(state[key]), np.ravel(python[name]), rtol=0, atol=ATOL, err_msg=key)
    # The printed matrices: J_{k-1} .. J_0, their product, both meta-gradients for this k.
    matrices = state["matrices"]
    assert [m["label"] for m in matrices["jacobians"]] == [f"J{chr(0x2080 + j)}" for j in reversed(range(k))]
    for j, shown in zip(reversed(range(k)), matrices["jacobians"]):
        _assert_printed(shown, python["jacobians"][j], 3)
    assert len(matrices["product"]) == len(matrices["exact"]) == len(matrices["firstOrder"]) == 1
    assert matrices["product"][0]["label"] == f"dϕ{chr(0x2080 + k)}/dθ"
    _assert_printed(matrices["product"][0], python["products"][k - 1], 3)
    _assert_printed(matrices["exact"][0], python["meta_gradient"][k - 1], 4)
    _assert_printed(matrices["firstOrder"][0], python["first_order_meta_gradient"][k - 1], 4)
    # The arrow scale: a round number that keeps the longest arrow of every k within arrow_length,
    # so that moving k never changes it.
    s = state["scale"]
    longest = max(np.linalg.norm(python["meta_gradient"], axis=1).max(),
                  np.linalg.norm(python["first_order_meta_gradient"], axis=1).max())
    assert _is_round_scale(s), s
    assert longest * s <= arrow_length * (1 + 1e-5) and longest * _next_round_scale(s) > arrow_length * (1 - 1e-5)
    assert f"s = {s:g}" in state["readout"] or f"s = {s}" in state["readout"]
    # Both arrows: theta -> theta - s * gradient, in the plane and on the screen.
    theta = np.asarray(state["theta"], dtype=np.float64)
    inner = state["inner"]
    (a0, a1), (b0, b1) = state["view"]["a"], state["view"]["b"]

    def px(point) -> list[float]:
        return [inner["left"] + (point[0] - a0) / (a1 - a0) * inner["width"],
                inner["bottom"] - (point[1] - b0) / (b1 - b0) * inner["height"]]

    def drawn_end(start: list[float], end: list[float]) -> list[float]:
        """Where lib/plot.js draws an arrow's end: its tip, or where it leaves the plot."""
        t = 1.0
        for v0, v1, lo, hi in ((start[0], end[0], inner["left"], inner["left"] + inner["width"]),
                               (start[1], end[1], inner["top"], inner["top"] + inner["height"])):
            if v1 > hi:
                t = min(t, (hi - v0) / (v1 - v0))
            if v1 < lo:
                t = min(t, (lo - v0) / (v1 - v0))
        return [start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1])]

    drawn = _drawn_marks(figure)
    for key, name in (("exact", "meta_gradient"), ("firstOrder", "first_order_meta_gradient")):
        tip = theta - s * python[name][k - 1].astype(np.float64)
        np.testing.assert_allclose(state["arrows"][key]["from"], theta, rtol=0, atol=ATOL)
        np.testing.assert_allclose(state["arrows"][key]["to"], tip, rtol=0, atol=ATOL, err_msg=key)
        np.testing.assert_allclose(drawn[key]["start"], px(theta), rtol=0, atol=USER_UNIT_TOLERANCE)
        end = drawn_end(px(theta), px(tip))
        if drawn[key]["clipped"]:  # cut at the plot's edge: its end lies on the way to the tip
            np.testing.assert_allclose(drawn[key]["end"], end, rtol=0, atol=USER_UNIT_TOLERANCE, err_msg=key)
        else:
            np.testing.assert_allclose(end, px(tip), rtol=0, atol=1e-9, err_msg=f"{key} should be clipped")
            np.testing.assert_allclose(drawn[key]["tip"], px(tip), rtol=0, atol=USER_UNIT_TOLERANCE, err_msg=key)
    # The inner path's dots: phi_1 .. phi_k.
    assert len(drawn["dots"]) == k
    for j, dot in enumerate(drawn["dots"], start=1):
        np.testing.assert_allclose(dot, px(python["path"][j]), rtol=0, atol=USER_UNIT_TOLERANCE)
    # The readout quotes the query loss after k steps and at theta, as the graph computed them.
    loss = lambda v: f"{v:.4f}"  # noqa: E731 - formatNumber(v, 4) for these positive losses
    assert f"L(ϕ{chr(0x2080 + k)}) = {loss(python['test_loss'][k])}" in state["readout"]
    assert f"at θ: {loss(python['test_loss'][0])}" in state["readout"]
    return python


# ---- the Jacobian product, live --------------------------------------------------------------


def test_first_frame_is_what_python_computes(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    params = figure_params(figure)
    state = settled(figure)
    assert (state["k"], state["dataset"], state["task"]) == (params["steps"], params["dataset"], params["task"])
    np.testing.assert_allclose(state["theta"], params["theta"], atol=1e-7)
    assert state["alpha"] == pytest.approx(params["step_size"], abs=1e-7)
    python = _check_jacobian(figure, site_dir, state, params["arrow_length"])
    # The exact meta-gradient is the transposed product times the first-order one
    # (@eq:meta-gradient-k): a check of the graph itself, on the numbers the page shows.
    for k in range(1, 6):
        np.testing.assert_allclose(python["products"][k - 1].T @ python["first_order_meta_gradient"][k - 1],
                                   python["meta_gradient"][k - 1], rtol=0, atol=1e-6)


def test_keyboard_moves_theta(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    start = settled(figure)["theta"]
    handle = figure.get_by_role("slider", name=THETA_NAME)
    press_keys(handle, ["ArrowLeft"] * 4 + ["ArrowUp"] * 6)
    state = settled(figure)
    np.testing.assert_allclose(state["theta"], [start[0] - 0.04, start[1] + 0.06], atol=1e-6)
    _check_jacobian(figure, site_dir, state)
    page.keyboard.press("Shift+ArrowDown")  # ten steps at once
    state = settled(figure)
    np.testing.assert_allclose(state["theta"][1], start[1] - 0.04, atol=1e-6)
    _check_jacobian(figure, site_dir, state)


def test_pointer_drag_moves_theta(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    start = settled(figure)["theta"]
    drag_handle(figure.get_by_role("slider", name=THETA_NAME), -60, -80)
    state = settled(figure)
    assert state["theta"][0] < start[0] - 0.05 and state["theta"][1] > start[1] + 0.05, state["theta"]
    _check_jacobian(figure, site_dir, state)


def test_touch_drag_moves_theta(new_page, server, site_dir, pages_with):
    page = new_page(has_touch=True, viewport={"width": 900, "height": 900})
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    start = settled(figure)["theta"]
    drag_handle(figure.get_by_role("slider", name=THETA_NAME), -48, -36, touch=True)  # the figure is taller than the viewport
    state = settled(figure)
    assert state["theta"][0] < start[0] - 0.05 and state["theta"][1] > start[1] + 0.03, state["theta"]
    _check_jacobian(figure, site_dir, state)


def test_alpha_slider(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    alpha = figure.get_by_role("slider", name="Inner step size α")
    for value in ("0.05", "1.2", "2"):
        alpha.fill(value)
        state = settled(figure)
        assert state["alpha"] == pytest.approx(float(value), abs=1e-6)
        _check_jacobian(figure, site_dir, state)
    alpha.focus()
    page.keyboard.press("ArrowLeft")
    state = settled(figure)
    assert state["alpha"] == pytest.approx(1.95, abs=1e-6)
    _check_jacobian(figure, site_dir, state)


def test_k_slider_shows_each_steps_matrices(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    steps = figure.get_by_role("slider", name="Inner steps k")
    scales = set()
    for k in (1, 5, 2, 4):
        steps.fill(str(k))
        state = settled(figure)
        assert state["k"] == k
        _check_jacobian(figure, site_dir, state)
        scales.add(state["scale"])
    assert len(scales) == 1, f"the arrow scale changed with k: {scales}"
    steps.focus()
    page.keyboard.press("ArrowRight")
    state = settled(figure)
    assert state["k"] == 5
    _check_jacobian(figure, site_dir, state)


def test_large_step_overshoots_and_still_matches(page, server, site_dir, pages_with):
    """alpha = 2 in the most curved corner: the first step overshoots out of the map (clipped),
    J_0 has an eigenvalue below -1, and every number still matches Python."""
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    figure.get_by_role("slider", name="Inner step size α").fill("2")
    handle = figure.get_by_role("slider", name=THETA_NAME)
    handle.focus()
    page.keyboard.press("End")  # a = 1
    for _ in range(9):
        page.keyboard.press("Shift+ArrowUp")  # b = 1 (the handle keeps theta on the plane)
    figure.get_by_role("slider", name="Inner steps k").fill("2")
    state = settled(figure)
    np.testing.assert_allclose(state["theta"], [1.0, 1.0], atol=1e-6)
    python = _check_jacobian(figure, site_dir, state)
    # The chapter's setting at the default k = 3: both arrows stay on the map.
    figure.get_by_role("slider", name="Inner steps k").fill("3")
    state = settled(figure)
    _check_jacobian(figure, site_dir, state)
    assert figure.locator(".figure-mount [data-arrow][data-clipped]").count() == 0
    # What the chapter says the reader sees here, for every k.
    assert np.linalg.eigvalsh(python["jacobians"][0]).min() < -1
    for k in range(1, 6):
        assert np.linalg.norm(python["products"][k - 1], 2) > 1, k  # stretched, not shrunk
        exact, first = python["meta_gradient"][k - 1], python["first_order_meta_gradient"][k - 1]
        assert exact @ first < 0, k  # more than a right angle apart


def test_every_control_has_a_visible_label(page, server, pages_with):
    _, mount = open_figure(page, server, pages_with, FIGURE)
    assert_controls_labelled(mount)
