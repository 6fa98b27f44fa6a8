"""The iMAML chapter's figures in the browser: "imaml-regularised", "imaml-implicit-gradient" and
"finetune-imaml".

Every control is driven as a reader would (pointer drag, keyboard, touch tap and touch drag, the
lambda and damping sliders, the switch), and every number the page shows is compared with Python's
onnxruntime running the same committed graphs on the inputs the page reports, to 1e-5: the maps,
the inner solutions, CG's meta-gradients, iteration counts and residuals, the exact gradients, and
where the arrows and markers are drawn. The conftest fails a test on any console error.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from . import reference
from .conftest import mounted_figure, page_url_path, scroll_to
from .reference import plane_grid
from .test_fig_finetune import assert_matches, figure_params, fine_tune_now, open_figure
from .test_fig_finetune import reference as finetune_reference

REGULARISED = 'figure[data-module="imaml-regularised"]'
GRADIENT = 'figure[data-module="imaml-implicit-gradient"]'
INSPECT = "f => f.querySelector('.figure-mount').figureTest.inspect()"
IDLE = "f => f.querySelector('.figure-mount').figureTest.idle()"
ATOL = 1e-5
USER_UNIT_TOLERANCE = 0.06  # lib/plot.js rounds coordinates to 0.1 user units
HANDLE = "θ, the shared"


@pytest.fixture(scope="session")
def imaml_page(pages_with) -> str:
    pages = pages_with('data-module="imaml-regularised"')
    if not pages:
        pytest.fail("no built page holds the imaml-regularised figure")
    return page_url_path(pages[0])



def _state(figure, trail: bool = False) -> dict:
    """What the figure shows once its graphs are drawn (with `trail`, also the trail of phi*,
    which imaml-regularised draws once theta has rested)."""
    figure.evaluate(IDLE)
    if trail:
        figure.evaluate("f => f.querySelector('.figure-mount').figureTest.trailIdle()")
    return figure.evaluate(INSPECT)


# ---- the Python reference ---------------------------------------------------------------------


def _bumps(site_dir: Path) -> dict:
    return json.loads((site_dir / "models" / "toys.json").read_text(encoding="utf-8"))["bumps"]


def _base_feeds(site_dir: Path, theta, lam: float) -> dict[str, np.ndarray]:
    bumps = _bumps(site_dir)
    centres = np.asarray([bumps["centres"][task] for task in bumps["centres"]], dtype=np.float32)
    rows = np.asarray([theta] * len(centres), dtype=np.float32)
    return {"theta": rows, "centres": centres, "weights": np.asarray(bumps["weights"], dtype=np.float32),
            "lam": np.asarray(lam, dtype=np.float32)}


def _python_regularised(site_dir: Path, st: dict) -> dict[str, np.ndarray]:
    models = site_dir / "models"
    feeds = _base_feeds(site_dir, st["theta"], st["lam"])
    grid = plane_grid({"a": _bumps(site_dir)["plane"]["x"], "b": _bumps(site_dir)["plane"]["y"]}, st["grid"])
    maps = reference.run(models, "bumps_landscape", {**feeds, "theta": feeds["theta"][0], "grid": grid})
    phi, objective, _ = reference.run(models, "bumps_inner_solve", feeds)
    return {"regularised": maps[1], "phi": phi, "objective": objective}


def _python_gradient(site_dir: Path, st: dict) -> dict[str, np.ndarray]:
    models = site_dir / "models"
    feeds = _base_feeds(site_dir, st["theta"], st["lam"])
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


def _number(value: float, digits: int = 3) -> str:
    """static/figures/lib/readouts.js formatNumber: fixed digits, no "-0.000", a true minus."""
    text = f"{value:.{digits}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return text.replace("-", "−")


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
        lambdas = _bumps(site_dir)["lambdas"][::5]
        np.testing.assert_allclose(trail["lambdas"], np.float32(lambdas), rtol=0, atol=0)
        for lam, points in zip(lambdas, trail["points"]):
            phi, _, _ = reference.run(site_dir / "models", "bumps_inner_solve", _base_feeds(site_dir, st["theta"], lam))
            _close(points, phi, f"trail at lambda {lam}")
        for i, (drawn, marker) in enumerate(zip(st["trailDrawn"], st["markers"])):
            inner = marker["inner"]
            want = [[_px(inner, p[2 * i]), _py(inner, p[2 * i + 1])] for p in trail["points"]]
            np.testing.assert_allclose(drawn, want, atol=USER_UNIT_TOLERANCE)
    return python


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
        assert f"g = ({_number(x)}, {_number(y)})" in line
    x, y = python["gradient"].mean(axis=0)
    assert f"g = ({_number(x)}, {_number(y)})" in st["meanReadout"]
    if st["exact"]:
        _close(st["exactGradient"], python["exactGradient"], "exact gradient")
        x, y = python["exactGradient"][0]
        assert f"exact ({x:.3f}, {y:.3f})".replace("-", "−") in st["readouts"][0]
    else:
        assert st["exactGradient"] is None and "exact" not in st["readouts"][0]
    return python


def _lambda_slider(figure):
    return figure.get_by_role("slider", name="Proximal strength λ (log scale)")


# ---- Regularised landscapes ------------------------------------------------------------------


def test_regularised_keyboard_and_lambda_slider_match_python(page, server, site_dir, imaml_page):
    figure = mounted_figure(page, server, imaml_page, REGULARISED)
    start = _state(figure)
    assert start["trail"] is not None, "the first frame shows the trail"
    lambdas = _bumps(site_dir)["lambdas"]
    assert start["lam"] == pytest.approx(lambdas[start["lamIndex"]], rel=1e-7)
    _check_regularised(site_dir, start)

    handles = figure.get_by_role("slider", name=HANDLE, exact=False)
    assert handles.count() == 2
    handles.nth(0).focus()
    for key in ["ArrowRight"] * 4 + ["ArrowDown"] * 2:
        page.keyboard.press(key)
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
    slider = _lambda_slider(figure)
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


def test_regularised_pointer_drag_moves_theta_in_both_panels(page, server, site_dir, imaml_page):
    figure = mounted_figure(page, server, imaml_page, REGULARISED)
    start = _state(figure)
    handles = figure.get_by_role("slider", name=HANDLE, exact=False)
    box = handles.nth(0).locator("circle").last.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 50, y - 40, steps=6)
    page.mouse.up()
    st = _state(figure, trail=True)
    assert st["theta"][0] > start["theta"][0] + 0.05 and st["theta"][1] > start["theta"][1] + 0.05, st["theta"]
    assert st["trail"] is not None
    _check_regularised(site_dir, st)
    centres = [h.locator("circle").last.evaluate("c => [c.getAttribute('cx'), c.getAttribute('cy')]")
               for h in handles.all()]
    assert centres[0] == centres[1], "the two panels show different thetas"


def _tap_point(figure, panel: int, x: float, y: float) -> tuple[float, float]:
    """Screen coordinates of data point (x, y) in panel `panel`'s map."""
    return figure.evaluate("""(f, [panel, x, y]) => {
        const svg = f.querySelectorAll('.figure-mount .figure-landscape > svg')[panel];
        const box = svg.viewBox.baseVal;
        const left = 44, right = box.width - 10, top = 24, bottom = box.height - 38;
        const point = new DOMPoint(left + x * (right - left), bottom - y * (bottom - top)).matrixTransform(svg.getScreenCTM());
        return [point.x, point.y];
    }""", [panel, x, y])


def test_regularised_touch_tap_places_theta(new_page, server, site_dir, imaml_page):
    page = new_page(has_touch=True)
    figure = mounted_figure(page, server, imaml_page, REGULARISED)
    x, y = _tap_point(figure, 1, 0.7, 0.8)
    page.touchscreen.tap(x, y)
    st = _state(figure)
    np.testing.assert_allclose(st["theta"], [0.7, 0.8], atol=0.01)
    _check_regularised(site_dir, st)


# ---- Implicit gradient -----------------------------------------------------------------------


def test_implicit_gradient_keyboard_sliders_and_switch_match_python(page, server, site_dir, imaml_page):
    figure = mounted_figure(page, server, imaml_page, GRADIENT)
    start = _state(figure)
    assert not start["exact"]
    python = _check_gradient(site_dir, start)
    assert (python["gradientNorm"] < 1e-4).all(), "the inner problem should be solved"
    # The first frame's arrows are long enough to read (magnified), and none leaves the maps.
    assert start["displayScale"] > 1 and not any(drawn["clipped"] for drawn in start["arrows"])
    inner = start["arrows"][0]["inner"]
    lengths = [np.hypot(*(python["thetaNext"][i] - start["theta"])) * inner["width"] for i in range(2)]
    assert min(lengths) > 25, lengths  # user units

    handles = figure.get_by_role("slider", name=HANDLE, exact=False)
    handles.nth(1).focus()
    for key in ["ArrowLeft"] * 3 + ["ArrowUp"] * 5:
        page.keyboard.press(key)
    st = _state(figure)
    np.testing.assert_allclose(st["theta"], [start["theta"][0] - 0.03, start["theta"][1] + 0.05], atol=1e-6)
    _check_gradient(site_dir, st)

    # The switch (keyboard: Space on the checkbox) adds the exact gradient of the direct solve.
    switch = figure.get_by_label("Show the exact implicit gradient (direct 2 × 2 solve)")
    switch.focus()
    page.keyboard.press("Space")
    st = _state(figure)
    assert st["exact"]
    python = _check_gradient(site_dir, st)
    # Damped CG is not the exact answer; undamped, it is (to CG's tolerance).
    assert np.abs(python["gradient"] - python["exactGradient"]).max() > 1e-3
    damping = figure.get_by_role("slider", name="CG damping δ")
    damping.fill("0")
    st = _state(figure)
    assert st["damping"] == 0
    python = _check_gradient(site_dir, st)
    np.testing.assert_allclose(python["gradient"], python["exactGradient"], rtol=1e-3, atol=1e-4)
    damping.focus()
    page.keyboard.press("ArrowRight")
    st = _state(figure)
    assert st["damping"] == pytest.approx(0.05, abs=1e-7)
    _check_gradient(site_dir, st)

    # The lambda slider over its range; the iteration count and the arrows follow the graphs.
    slider = _lambda_slider(figure)
    for index in (0, 5, 20, 30):
        slider.fill(str(index))
        st = _state(figure)
        assert st["lamIndex"] == index
        _check_gradient(site_dir, st)
    slider.focus()
    page.keyboard.press("ArrowLeft")
    st = _state(figure)
    assert st["lamIndex"] == 29
    _check_gradient(site_dir, st)

    # Switching off removes the exact arrows and numbers.
    switch.click()
    st = _state(figure)
    assert not st["exact"]
    _check_gradient(site_dir, st)


def test_implicit_gradient_iteration_count_follows_theta(page, server, site_dir, imaml_page):
    """Where CG meets its tolerance after one iteration (a large lambda), the page says so."""
    figure = mounted_figure(page, server, imaml_page, GRADIENT)
    _lambda_slider(figure).fill("30")  # lambda = 100
    counts = set()
    for x, y in ((0.5, 0.8), (0.5, 0.5), (0.5, 0.3), (0.35, 0.4), (0.7, 0.45)):
        page.mouse.click(*_tap_point(figure, 0, x, y))
        st = _state(figure)
        python = _check_gradient(site_dir, st)
        counts.update(python["iterations"].tolist())
    assert len(counts) > 1, counts


def _touch_drag(page, start: tuple[float, float], end: tuple[float, float], steps: int = 6) -> None:
    """A one-finger drag through Chrome's own touch input (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, x: float, y: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", *start)
    for k in range(1, steps + 1):
        touch("touchMove", start[0] + (end[0] - start[0]) * k / steps, start[1] + (end[1] - start[1]) * k / steps)
    touch("touchEnd", *end)
    cdp.detach()


def test_implicit_gradient_touch_drag_and_tap(new_page, server, site_dir, imaml_page):
    page = new_page(has_touch=True)
    figure = mounted_figure(page, server, imaml_page, GRADIENT)
    start = _state(figure)
    handle = figure.get_by_role("slider", name=HANDLE, exact=False).nth(0)
    box = handle.locator("circle").last.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    _touch_drag(page, (x, y), (x + 40, y + 30))
    st = _state(figure)
    assert st["theta"][0] > start["theta"][0] + 0.05 and st["theta"][1] < start["theta"][1] - 0.05, st["theta"]
    _check_gradient(site_dir, st)
    page.touchscreen.tap(*_tap_point(figure, 1, 0.25, 0.75))
    st = _state(figure)
    np.testing.assert_allclose(st["theta"], [0.25, 0.75], atol=0.01)
    _check_gradient(site_dir, st)


def test_every_control_has_a_visible_label(page, server, imaml_page):
    for selector in (REGULARISED, GRADIENT):
        figure = mounted_figure(page, server, imaml_page, selector)
        for control in figure.locator(".figure-mount input").all():
            assert control.evaluate("c => !!c.labels?.[0] && c.labels[0].checkVisibility()"), selector
        for handle in figure.get_by_role("slider", name=HANDLE, exact=False).all():
            assert handle.get_attribute("tabindex") == "0" and handle.get_attribute("aria-valuetext")


def test_fallback_pictures_show_without_javascript(new_page, server, imaml_page):
    page = new_page(java_script_enabled=False)
    page.goto(server.url(imaml_page))
    for selector in (REGULARISED, GRADIENT):
        picture = page.locator(f"{selector} .figure-fallback .figure-picture")
        scroll_to(picture)
        assert picture.is_visible(), selector
        maps = picture.locator('[data-layer="map"]')
        assert maps.count() == 2, selector
        for i in range(2):
            assert maps.nth(i).locator("image").get_attribute("href").startswith("data:image/png;base64,")


# ---- Fine-tune the iMAML model ---------------------------------------------------------------


def test_finetune_imaml_matches_python_and_compares_with_maml(page, server, site_dir, pages_with):
    figure, mount = open_figure(page, server, pages_with, "finetune-imaml")
    params = figure_params(figure)
    assert params["model"] == "imaml" and params["compare"] == "maml"
    st = fine_tune_now(page, mount, 3)
    assert_matches(st, finetune_reference(site_dir, "imaml", st, 3))
    mount.get_by_label("Compare with the").check()
    page.wait_for_function("m => m.figureState.compareMse.length === 4 && m.dataset.busy === 'false'",
                           arg=mount.element_handle())
    st = mount.evaluate("m => m.figureState")
    assert_matches(st, finetune_reference(site_dir, "maml", st, 3), params_key="compareParams", mse_key="compareMse")
