"""The figure "local-curvature" (chapter First-order MAML) in a real browser.

Every control is driven as a reader would (the a, b, c and alpha sliders by
keyboard, pointer and value, the "C = 0" and "Reset" buttons, x dragged by mouse and by touch and
moved with the arrow keys), and after each change everything the page computed and shows is
compared with Python's onnxruntime running the same graphs on the same float32 inputs (to 1e-5),
and with the closed form of the quadratic in float64: the Hessian C, its eigenvalues, phi, both
meta-gradients, f, the map, and the arrows as drawn (their pixel end points in the SVG, which the
original article got wrong). Pages come from the sub-path; console errors fail a test (conftest).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from . import reference
from .figure_harness import (
    assert_controls_labelled,
    drag_handle,
    fallback_picture,
    figure_params,
    handle_centre,
    open_figure,
    press_keys,
    settled,
)
from .reference import plane_grid

FIGURE = "local-curvature"
ATOL = 1e-5  # against Python onnxruntime on the same float32 inputs
CLOSED_FORM_ATOL = 2e-6  # against float64 maths on those inputs (the graphs compute in float32)
USER_UNIT_TOLERANCE = 0.06  # lib/plot.js writes coordinates with one decimal
G = np.array([0.1, -0.1])
CURVATURE_OUTPUTS = ("curvature", "eigenvalues", "gradient", "phi", "first_order_meta_gradient",
                     "meta_gradient", "loss", "loss_after")


# ---- references ------------------------------------------------------------------------------


def _f32(value) -> np.ndarray:
    return np.asarray(value, dtype=np.float32)


def python_curvature(site_dir: Path, st: dict) -> dict[str, np.ndarray]:
    """quadratic_curvature in Python onnxruntime on the inputs the page's graph saw."""
    outputs = reference.run(site_dir / "models", "quadratic_curvature", {
        "x": _f32(st["x"]), "a": _f32(st["a"]), "b": _f32(st["b"]), "c": _f32(st["c"]),
        "step_size": _f32(st["alpha"])})
    names = [o["name"] for o in reference.read_manifest(site_dir / "models")["graphs"]["quadratic_curvature"]["outputs"]]
    return dict(zip(names, outputs))


def python_landscape(site_dir: Path, st: dict) -> dict[str, np.ndarray]:
    grid = plane_grid(st["plane"], st["grid"])
    loss, offset = reference.run(site_dir / "models", "quadratic_landscape", {
        "grid": grid, "a": _f32(st["a"]), "b": _f32(st["b"]), "c": _f32(st["c"])})
    return {"loss": loss, "offset": offset, "grid": grid}


def closed_form(st: dict) -> dict[str, np.ndarray]:
    """The quadratic's quantities in float64 from the float32 inputs: nothing shared with the graphs."""
    a, b, c, alpha = (float(st[k]) for k in ("a", "b", "c", "alpha"))
    x = np.asarray(st["x"], dtype=np.float64)
    curvature = np.array([[a, b], [b, c]])

    def f(p):
        return 0.5 * (p - 0.5) @ curvature @ (p - 0.5) + G @ p

    def gradient(p):
        return curvature @ (p - 0.5) + G

    phi = x - alpha * gradient(x)
    return {
        "curvature": curvature.reshape(-1),
        "eigenvalues": np.linalg.eigvalsh(curvature),
        "gradient": gradient(x),
        "phi": phi,
        "first_order_meta_gradient": gradient(phi),
        "meta_gradient": (np.eye(2) - alpha * curvature) @ gradient(phi),
        "loss": np.array([f(x)]),
        "loss_after": np.array([f(phi)]),
    }


# ---- the page --------------------------------------------------------------------------------


def open_curvature(page, server, pages_with):
    return open_figure(page, server, pages_with, FIGURE)[1]


def drawn_arrows(mount) -> dict[str, dict[str, list[float]]]:
    """Each arrow's start (its shaft's first point) and tip (its head's first point, or the shaft's
    end when the arrow is too short for a head), in SVG user units, as drawn."""
    return mount.evaluate("""m => Object.fromEntries(['step', 'exact', 'first-order'].map((name) => {
        const g = m.querySelector(`.fig-arrow-${name}`);
        const line = g.querySelector('line'), head = g.querySelector('path').getAttribute('d');
        const at = (n) => Number(line.getAttribute(n));
        const tip = head ? head.match(/^M([-\\d.]+),([-\\d.]+)/).slice(1).map(Number) : [at('x2'), at('y2')];
        return [name, {start: [at('x1'), at('y1')], tip}];
    }))""")


def shown_numbers(mount, label: str) -> list[float]:
    cells = mount.locator(f'table[aria-label="{label}"] td').all_inner_texts()
    return [float(text.replace("−", "-")) for text in cells]


def check_everything(site_dir: Path, mount, st: dict) -> dict[str, np.ndarray]:
    """Every number and mark the figure shows, against onnxruntime and the closed form."""
    python = python_curvature(site_dir, st)
    exact = closed_form(st)
    for name in CURVATURE_OUTPUTS:
        got = np.asarray(st["outputs"][name])
        np.testing.assert_allclose(got, python[name].reshape(-1), rtol=0, atol=ATOL, err_msg=name)
        np.testing.assert_allclose(got, exact[name], rtol=0, atol=CLOSED_FORM_ATOL, err_msg=name)

    # The map: f on the grid, shifted by its grid minimum.
    land = python_landscape(site_dir, st)
    np.testing.assert_allclose(st["landscape"]["loss"], land["loss"], rtol=0, atol=ATOL)
    assert st["landscape"]["offset"] == pytest.approx(float(land["offset"]), abs=ATOL)
    grid = land["grid"].astype(np.float64)
    d = grid - 0.5
    a, b, c = (float(st[k]) for k in "abc")
    f = 0.5 * (a * d[:, 0] ** 2 + 2 * b * d[:, 0] * d[:, 1] + c * d[:, 1] ** 2) + grid @ G
    np.testing.assert_allclose(st["landscape"]["loss"], f - f.min(), rtol=0, atol=CLOSED_FORM_ATOL)
    assert st["landscape"]["key"] == f"{st['a']},{st['b']},{st['c']}", "the map is for another C"

    # The arrows' data end points: x -> phi, and x - s * (each meta-gradient), s the arrow scale.
    x, s = np.asarray(st["x"]), st["arrowScale"]
    want = {"step": exact["phi"], "exact": x - s * exact["meta_gradient"],
            "firstOrder": x - s * exact["first_order_meta_gradient"]}
    for name, tip in want.items():
        np.testing.assert_allclose(st["arrows"][name]["from"], x, rtol=0, atol=1e-7, err_msg=name)
        np.testing.assert_allclose(st["arrows"][name]["to"], tip, rtol=0, atol=CLOSED_FORM_ATOL * (1 + s), err_msg=name)
    # ... and where they are drawn: x1 across, x2 up, the plane filling the plot area.
    inner = st["inner"]
    (lo1, hi1), (lo2, hi2) = st["plane"]["a"], st["plane"]["b"]

    def user_units(p):
        return [inner["left"] + (p[0] - lo1) / (hi1 - lo1) * inner["width"],
                inner["bottom"] - (p[1] - lo2) / (hi2 - lo2) * inner["height"]]

    for name, marks in drawn_arrows(mount).items():
        key = {"first-order": "firstOrder"}.get(name, name)
        np.testing.assert_allclose(marks["start"], user_units(x), rtol=0, atol=USER_UNIT_TOLERANCE, err_msg=name)
        np.testing.assert_allclose(marks["tip"], user_units(want[key]), rtol=0, atol=USER_UNIT_TOLERANCE, err_msg=name)
    assert [st["handle"]["x"], st["handle"]["y"]] == pytest.approx(st["x"], abs=1e-6)

    # The numbers beside the map are the graph's, to the three digits shown.
    shown = {
        "Hessian C =": python["curvature"], "eigenvalues μ of C:": python["eigenvalues"],
        "exact, (I − αC) ∇f(ϕ) =": python["meta_gradient"], "first-order, ∇f(ϕ) =": python["first_order_meta_gradient"],
    }
    for label, values in shown.items():
        np.testing.assert_allclose(shown_numbers(mount, label), values.reshape(-1), rtol=0, atol=5e-4 + 1e-7, err_msg=label)
    readout = mount.locator(".figure-readout").inner_text().replace("−", "-")
    numbers = [float(v) for v in re.findall(r"-?\d+\.\d+", readout)]
    # x (2 digits), alpha (2), phi (3), f(x) and f(phi) (3), in that order.
    expected = [*st["x"], st["alpha"], *python["phi"], float(python["loss"]), float(python["loss_after"])]
    tolerances = [5e-3 + 1e-7] * 3 + [5e-4 + 1e-7] * 4
    assert len(numbers) == len(expected), readout
    for got, want, tol in zip(numbers, expected, tolerances):
        assert abs(got - want) <= tol, (readout, want)
    return python


# ---- local curvature ----------------------------------------------------------------------


def test_first_frame_is_the_closed_form_at_the_defaults(page, server, site_dir, pages_with):
    figure, mount = open_figure(page, server, pages_with, FIGURE)
    st = settled(mount)
    params = figure_params(figure)
    assert (st["a"], st["b"], st["c"]) == pytest.approx((0.5, -0.1, 0.0))  # toys.json's defaults
    assert st["x"] == pytest.approx(params["x"]) and st["alpha"] == pytest.approx(params["step_size"])
    python = check_everything(site_dir, mount, st)
    # Not vacuous: at the defaults the two arrows differ visibly, and f is negative somewhere.
    assert np.abs(python["meta_gradient"] - python["first_order_meta_gradient"]).max() > 0.05
    assert st["landscape"]["offset"] < 0


def test_curvature_sliders_by_keyboard_pointer_and_value(page, server, site_dir, pages_with):
    mount = open_curvature(page, server, pages_with)
    maps = []

    def map_image() -> str:
        return mount.locator('[data-layer="map"] image').get_attribute("href")

    maps.append(map_image())
    # a by keyboard: End (0.5), then three steps down.
    a = mount.get_by_role("slider", name="a (C₁₁)")
    a.focus()
    page.keyboard.press("End")
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    st = settled(mount)
    assert st["a"] == pytest.approx(0.47, abs=1e-6)
    check_everything(site_dir, mount, st)
    maps.append(map_image())
    # b by pointer: a click near the left end of the track gives a value near -0.5.
    b = mount.get_by_role("slider", name="b (C₁₂ = C₂₁)")
    box = b.bounding_box()
    page.mouse.click(box["x"] + 3, box["y"] + box["height"] / 2)
    st = settled(mount)
    assert st["b"] < -0.4, st["b"]
    check_everything(site_dir, mount, st)
    maps.append(map_image())
    # c by value (as assistive technology sets it), into negative curvature.
    mount.get_by_role("slider", name="c (C₂₂)").fill("-0.35")
    st = settled(mount)
    assert st["c"] == pytest.approx(-0.35, abs=1e-6)
    check_everything(site_dir, mount, st)
    maps.append(map_image())
    # The slider's own readout says the value it holds.
    assert mount.locator("output").nth(2).inner_text() == "−0.35"
    assert len(set(maps)) == len(maps), "the map did not follow C"


def test_step_size_slider(page, server, site_dir, pages_with):
    mount = open_curvature(page, server, pages_with)
    alpha = mount.get_by_role("slider", name="Inner step size α")
    alpha.focus()
    page.keyboard.press("Home")
    st = settled(mount)
    assert st["alpha"] == 0
    python = check_everything(site_dir, mount, st)
    # With alpha = 0 there is no inner step: phi = x and both meta-gradients are grad f(x).
    np.testing.assert_allclose(python["phi"], st["x"], atol=1e-7)
    np.testing.assert_allclose(python["meta_gradient"], python["first_order_meta_gradient"], atol=1e-7)
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    st = settled(mount)
    assert st["alpha"] == pytest.approx(0.2, abs=1e-6)
    check_everything(site_dir, mount, st)
    alpha.fill("2")
    st = settled(mount)
    assert st["alpha"] == 2
    check_everything(site_dir, mount, st)


def test_c_zero_button_and_reset(page, server, site_dir, pages_with):
    mount = open_curvature(page, server, pages_with)
    start = settled(mount)
    mount.get_by_role("button", name="C = 0").click()
    st = settled(mount)
    assert (st["a"], st["b"], st["c"]) == (0, 0, 0)
    python = check_everything(site_dir, mount, st)
    # Without curvature f is linear: both meta-gradients are g, and the arrows coincide.
    for name in ("gradient", "first_order_meta_gradient", "meta_gradient"):
        np.testing.assert_allclose(python[name], G, atol=1e-7)
    np.testing.assert_allclose(python["eigenvalues"], 0, atol=0)
    assert st["arrows"]["exact"] == st["arrows"]["firstOrder"]
    assert mount.locator("output").nth(0).inner_text() == "0.00"
    # The button works from the keyboard too, after a change.
    mount.get_by_role("slider", name="a (C₁₁)").fill("0.2")
    settled(mount)
    mount.get_by_role("button", name="C = 0").focus()
    page.keyboard.press("Enter")
    assert settled(mount)["a"] == 0
    # Reset: the defaults back, C, alpha and x.
    mount.get_by_role("slider", name="Inner step size α").fill("0.5")
    mount.get_by_role("slider", name="x, the starting point").focus()
    page.keyboard.press("ArrowLeft")
    mount.get_by_role("button", name="Reset").click()
    st = settled(mount)
    for key in ("a", "b", "c", "alpha", "x"):
        assert st[key] == start[key], key
    check_everything(site_dir, mount, st)


def test_negative_curvature_lengthens_the_exact_arrow(page, server, site_dir, pages_with):
    """The settings the chapter calls out: with C negative definite, I - alpha C > I."""
    mount = open_curvature(page, server, pages_with)
    for name, value in (("a (C₁₁)", "-0.5"), ("b (C₁₂ = C₂₁)", "0"), ("c (C₂₂)", "-0.5")):
        mount.get_by_role("slider", name=name).fill(value)
    st = settled(mount)
    python = check_everything(site_dir, mount, st)
    np.testing.assert_allclose(python["eigenvalues"], [-0.5, -0.5], atol=1e-7)
    # (I - alpha C) = (1 + alpha / 2) I: the exact meta-gradient is the first-order one, 1.5 times.
    np.testing.assert_allclose(python["meta_gradient"], 1.5 * python["first_order_meta_gradient"], atol=1e-6)


def _eigen_axes(mount) -> list[dict]:
    """Each eigen-axis as drawn: its direction in the plane (y up) and its label."""
    return mount.evaluate("""m => {
        const labels = [...m.querySelectorAll('.fig-eigen-label')].map((t) => t.textContent);
        return [...m.querySelectorAll('.fig-eigen-axis')].map((g, i) => {
            const l = g.querySelector('line'); const at = (n) => Number(l.getAttribute(n));
            return {d: [at('x2') - at('x1'), -(at('y2') - at('y1'))], label: labels[i]};
        });
    }""")


def test_eigen_axes_are_cs_eigenvectors(page, server, site_dir, pages_with):
    """The two dotted axes run along C's eigenvectors (numpy's), labelled with the eigenvalues."""
    mount = open_curvature(page, server, pages_with)
    for values in ((0.5, -0.1, 0.0), (0.3, 0.4, -0.2), (0.5, 0.5, 0.5)):
        for name, value in zip(("a (C₁₁)", "b (C₁₂ = C₂₁)", "c (C₂₂)"), values):
            mount.get_by_role("slider", name=name).fill(str(value))
        st = settled(mount)
        check_everything(site_dir, mount, st)
        mu, vectors = np.linalg.eigh(np.array([[st["a"], st["b"]], [st["b"], st["c"]]], dtype=np.float64))
        inner, (lo, hi) = st["inner"], st["plane"]["a"]
        to_plane = np.array([(hi - lo) / inner["width"], (hi - lo) / inner["height"]])
        for axis, m, v in zip(_eigen_axes(mount), mu, vectors.T):
            d = np.asarray(axis["d"]) * to_plane
            assert abs(abs(d @ v) / np.linalg.norm(d) - 1) < 1e-3, (axis, v)
            printed = f"{m:.2f}".replace("-0.00", "0.00").replace("-", "−")  # as lib/readouts.js prints
            assert axis["label"] == f"μ = {printed}"


def test_the_chapters_settings_keep_every_arrow_on_the_map(page, server, site_dir, pages_with):
    """a = b = c = 0.5, alpha = 2, x in the upper right; and a = c = -0.5, b = 0: no arrow is cut."""
    mount = open_curvature(page, server, pages_with)
    for values, alpha, moves in (((0.5, 0.5, 0.5), "2", ["Shift+ArrowUp"] * 6),
                                 ((-0.5, 0.0, -0.5), "1", [])):
        mount.get_by_role("button", name="Reset").click()
        for name, value in zip(("a (C₁₁)", "b (C₁₂ = C₂₁)", "c (C₂₂)"), values):
            mount.get_by_role("slider", name=name).fill(str(value))
        mount.get_by_role("slider", name="Inner step size α").fill(alpha)
        press_keys(mount.get_by_role("slider", name="x, the starting point"), moves)
        st = settled(mount)
        check_everything(site_dir, mount, st)
        assert mount.locator(".fig-arrow[data-clipped]").count() == 0, (values, st["x"])


def test_keyboard_moves_x(page, server, site_dir, pages_with):
    mount = open_curvature(page, server, pages_with)
    start = settled(mount)["x"]
    handle = mount.get_by_role("slider", name="x, the starting point")
    press_keys(handle, ["ArrowLeft"] * 3 + ["ArrowUp"] * 2)
    st = settled(mount)
    np.testing.assert_allclose(st["x"], [start[0] - 0.03, start[1] + 0.02], atol=1e-6)
    check_everything(site_dir, mount, st)
    assert handle.get_attribute("aria-valuetext") == f"x₁ = {st['x'][0]:.2f}, x₂ = {st['x'][1]:.2f}"
    page.keyboard.press("Shift+ArrowUp")  # a big step
    page.keyboard.press("Home")  # x1 to the left edge of the plane
    st = settled(mount)
    np.testing.assert_allclose(st["x"], [st["plane"]["a"][0], start[1] + 0.12], atol=1e-6)
    check_everything(site_dir, mount, st)


def _x_handle(mount):
    return mount.get_by_role("slider", name="x, the starting point")


def test_pointer_drag_moves_x(page, server, site_dir, pages_with):
    mount = open_curvature(page, server, pages_with)
    start = settled(mount)["x"]
    x, y = drag_handle(_x_handle(mount), -60, -40)
    st = settled(mount)
    assert st["x"][0] < start[0] - 0.05 and st["x"][1] > start[1] + 0.05, st["x"]
    check_everything(site_dir, mount, st)
    # The point ends under the pointer (the drag works in the SVG's user units, scaled by CSS).
    end_x, end_y = handle_centre(_x_handle(mount))
    assert abs(end_x - (x - 60)) < 1.5 and abs(end_y - (y - 40)) < 1.5


def test_touch_drag_moves_x(new_page, server, site_dir, pages_with):
    page = new_page(has_touch=True, is_mobile=True, viewport={"width": 390, "height": 800})
    mount = open_curvature(page, server, pages_with)
    start = settled(mount)["x"]
    drag_handle(_x_handle(mount), -30, 24, touch=True)
    st = settled(mount)
    assert st["x"][0] < start[0] - 0.03 and st["x"][1] < start[1] - 0.02, st["x"]
    check_everything(site_dir, mount, st)


def test_every_control_has_a_visible_label(page, server, pages_with):
    mount = open_curvature(page, server, pages_with)
    assert assert_controls_labelled(mount, "input, button") == 6  # a, b, c, alpha; C = 0, Reset


def test_dark_mode_and_no_javascript(new_page, server, pages_with):
    page = new_page(color_scheme="dark")
    mount = open_curvature(page, server, pages_with)
    fill = mount.locator('[data-layer="map"] rect').last.evaluate("r => getComputedStyle(r).fill")
    assert fill == "rgb(70, 82, 96)", fill  # --fig-contour-high of the dark palette
    picture = fallback_picture(new_page, server, pages_with, FIGURE)
    assert picture.locator('[data-layer="map"] image').get_attribute("href").startswith("data:image/png;base64,")
    assert picture.locator(".fig-arrow-exact path").last.get_attribute("d")
    assert picture.locator('table[aria-label="Hessian C ="]').count() == 1
