"""The figure "imaml-implicit-gradient" (chapter iMAML) in the browser.

Every control is driven as a reader would (keyboard, touch drag and tap, the lambda and damping
sliders, the switch), and every number the page shows is compared with Python's onnxruntime
running the same committed graphs on the inputs the page reports, to 1e-5: the inner solutions,
CG's meta-gradients, iteration counts and residuals, the exact gradients, and where the arrows are
drawn. The conftest fails a test on any console error.
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
    drag_handle,
    fallback_picture,
    landscape_point,
    open_figure,
    press_keys,
    printed,
    settled,
    settled_once,
)

FIGURE = "imaml-implicit-gradient"
ATOL = 1e-5
HANDLE = "θ, the shared"
LAMBDA = "Proximal strength λ (log scale)"


def _python_gradient(site_dir: Path, st: dict) -> dict[str, np.ndarray]:
    models = site_dir / "models"
    feeds = reference.bumps_feeds(site_dir / "models", st["theta"], st["lam"])
    phi, _, gradient_norm = reference.run(models, "bumps_inner_solve", feeds)
    feeds = {**feeds, "phi": phi, "meta_step_size": np.asarray(st["metaStepSize"], dtype=np.float32)}
    gradient, iterations, residual, theta_next = reference.run(models, "bumps_implicit_cg", {
        **feeds, "damping": np.asarray(st["damping"], dtype=np.float32), "tol": np.asarray(st["tol"], dtype=np.float32)})
    exact, exact_next = reference.run(models, "bumps_implicit_exact", feeds)
    return {"phi": phi, "gradientNorm": gradient_norm, "gradient": gradient, "iterations": iterations,
            "residual": residual, "thetaNext": theta_next, "exactGradient": exact, "exactThetaNext": exact_next}


def _close(page_values, python_values, name: str) -> None:
    np.testing.assert_allclose(np.asarray(page_values, dtype=np.float64).reshape(-1),
                               np.asarray(python_values, dtype=np.float64).reshape(-1), rtol=0, atol=ATOL, err_msg=name)


def _check_gradient(site_dir: Path, st: dict) -> dict:
    python = _python_gradient(site_dir, st)
    for name in ("phi", "gradientNorm", "gradient", "iterations", "residual", "thetaNext"):
        _close(st[name], python[name], name)
    theta = st["theta"]
    # The arrows are one step of beta magnified by the stated factor: the graphs ran with their product.
    assert st["metaStepSize"] == pytest.approx(np.float32(st["betaShown"] * st["displayScale"]), rel=1e-7)
    mean_end = python["thetaNext"].mean(axis=0)
    _close(st["meanEnd"], mean_end, "meta-update (mean of the tasks' arrows)")
    for i, drawn in enumerate(st["arrows"]):
        cg = drawn["cg"]
        assert (cg["x1"], cg["y1"]) == pytest.approx(theta, abs=1e-6)
        assert (cg["x2"], cg["y2"]) == pytest.approx(python["thetaNext"][i], abs=ATOL)
        mean = drawn["mean"]
        assert (mean["x1"], mean["y1"]) == pytest.approx(theta, abs=1e-6)
        assert (mean["x2"], mean["y2"]) == pytest.approx(mean_end, abs=ATOL)
        if st["exact"]:
            exact = drawn["exact"]
            assert (exact["x2"], exact["y2"]) == pytest.approx(python["exactThetaNext"][i], abs=ATOL)
        else:
            assert drawn["exact"] is None
        line = st["readouts"][i]
        iterations = int(python["iterations"][i])
        assert f"{iterations} iteration" in line
        x, y = python["gradient"][i]
        assert f"g = ({printed(x)}, {printed(y)})" in line
    x, y = python["gradient"].mean(axis=0)
    assert f"g = ({printed(x)}, {printed(y)})" in st["meanReadout"]
    if st["exact"]:
        _close(st["exactGradient"], python["exactGradient"], "exact gradient")
        x, y = python["exactGradient"][0]
        assert f"exact ({x:.3f}, {y:.3f})".replace("-", "−") in st["readouts"][0]
    else:
        assert st["exactGradient"] is None and "exact" not in st["readouts"][0]
    return python


def test_implicit_gradient_keyboard_sliders_and_switch_match_python(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    start = settled(figure)
    assert not start["exact"]
    python = _check_gradient(site_dir, start)
    assert (python["gradientNorm"] < 1e-4).all(), "the inner problem should be solved"
    # The first frame's arrows are long enough to read (magnified), and none leaves the maps.
    assert start["displayScale"] > 1 and not any(drawn["clipped"] for drawn in start["arrows"])
    inner = start["arrows"][0]["inner"]
    lengths = [np.hypot(*(python["thetaNext"][i] - start["theta"])) * inner["width"] for i in range(2)]
    assert min(lengths) > 25, lengths  # user units

    handles = figure.get_by_role("slider", name=HANDLE, exact=False)
    press_keys(handles.nth(1), ["ArrowLeft"] * 3 + ["ArrowUp"] * 5)
    st = settled(figure)
    np.testing.assert_allclose(st["theta"], [start["theta"][0] - 0.03, start["theta"][1] + 0.05], atol=1e-6)
    _check_gradient(site_dir, st)

    # The switch (keyboard: Space on the checkbox) adds the exact gradient of the direct solve.
    switch = figure.get_by_label("Show the exact implicit gradient (direct 2 × 2 solve)")
    switch.focus()
    page.keyboard.press("Space")
    st = settled(figure)
    assert st["exact"]
    python = _check_gradient(site_dir, st)
    # Damped CG is not the exact answer; undamped, it is (to CG's tolerance).
    assert np.abs(python["gradient"] - python["exactGradient"]).max() > 1e-3
    damping = figure.get_by_role("slider", name="CG damping δ")
    damping.fill("0")
    st = settled(figure)
    assert st["damping"] == 0
    python = _check_gradient(site_dir, st)
    np.testing.assert_allclose(python["gradient"], python["exactGradient"], rtol=1e-3, atol=1e-4)
    damping.focus()
    page.keyboard.press("ArrowRight")
    st = settled(figure)
    assert st["damping"] == pytest.approx(0.05, abs=1e-7)
    _check_gradient(site_dir, st)

    # The lambda slider over its range; the iteration count and the arrows follow the graphs.
    slider = figure.get_by_role("slider", name=LAMBDA)
    for index in (0, 5, 20, 30):
        slider.fill(str(index))
        st = settled(figure)
        assert st["lamIndex"] == index
        _check_gradient(site_dir, st)
    slider.focus()
    page.keyboard.press("ArrowLeft")
    st = settled(figure)
    assert st["lamIndex"] == 29
    _check_gradient(site_dir, st)

    # Switching off removes the exact arrows and numbers.
    switch.click()
    st = settled(figure)
    assert not st["exact"]
    _check_gradient(site_dir, st)


def test_implicit_gradient_iteration_count_follows_theta(page, server, site_dir, pages_with):
    """Where CG meets its tolerance after one iteration (a large lambda), the page says so."""
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    figure.get_by_role("slider", name=LAMBDA).fill("30")  # lambda = 100
    counts = set()
    for x, y in ((0.5, 0.8), (0.5, 0.5), (0.5, 0.3), (0.35, 0.4), (0.7, 0.45)):
        page.mouse.click(*landscape_point(figure, 0, x, y))
        st = settled_once(figure, lambda s: s["theta"] == pytest.approx([x, y], abs=0.01))
        python = _check_gradient(site_dir, st)
        counts.update(python["iterations"].tolist())
    assert len(counts) > 1, counts


def test_implicit_gradient_touch_drag_and_tap(new_page, server, site_dir, pages_with):
    page = new_page(has_touch=True)
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    start = settled(figure)
    drag_handle(figure.get_by_role("slider", name=HANDLE, exact=False).nth(0), 40, 30, touch=True)
    st = settled(figure)
    assert st["theta"][0] > start["theta"][0] + 0.05 and st["theta"][1] < start["theta"][1] - 0.05, st["theta"]
    _check_gradient(site_dir, st)
    before = st["theta"]
    page.touchscreen.tap(*landscape_point(figure, 1, 0.25, 0.75))
    st = settled_once(figure, lambda s: s["theta"] != before)
    np.testing.assert_allclose(st["theta"], [0.25, 0.75], atol=0.01)
    _check_gradient(site_dir, st)


def test_every_control_has_a_visible_label(page, server, pages_with):
    figure, mount = open_figure(page, server, pages_with, FIGURE)
    assert_controls_labelled(mount, "input")
    assert_handles_focusable(figure, HANDLE)


def test_fallback_pictures_show_without_javascript(new_page, server, pages_with):
    assert_maps_drawn(fallback_picture(new_page, server, pages_with, FIGURE), 2, contours=False)
