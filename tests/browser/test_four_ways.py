"""The figure "One meta-update, four ways" (four-ways, chapter Comparison) in a real browser.

Every control is driven as a reader would: theta dragged by the mouse and by touch and moved with
the arrow keys; each method's switch off and on; each method's tab, which shows its settings;
every slider (the shared beta; MAML's and first-order MAML's k and alpha; Reptile's k, alpha and
epsilon; iMAML's lambda, CG steps and damping) by keyboard, pointer or value. After each change,
everything the page computed and shows is compared with Python's onnxruntime running the same
graphs on the same float32 inputs, to 1e-5 (the direction as an angle in radians):
the map (line_mean_landscape), each method's graph outputs, the arrow drawn for it (its data end
points, and where they land in the SVG) and the numbers its readout prints. The pretrained arrow
is Reptile's graph with one inner step of size beta and epsilon = 1, which is -beta times the
gradient of the map: checked against central differences of line_mean_landscape. Pages come from
the sub-path; console errors fail a test (conftest).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from . import reference
from .figure_harness import drag_handle, fallback_picture, handle_centre, inspect, open_figure, press_keys, settled
from .reference import plane_grid

FIGURE = "four-ways"
ATOL = 1e-5  # against Python onnxruntime on the same float32 inputs
USER_UNIT_TOLERANCE = 0.06  # lib/plot.js writes coordinates with one decimal
HANDLE = "θ, the initialisation all four methods update"
BETA = "Outer step size β (all but Reptile)"
# graph, and the setting that picks its row (None: always row 0)
METHODS = {
    "maml": ("line_compare_maml", "steps"),
    "fomaml": ("line_compare_fomaml", "steps"),
    "reptile": ("line_compare_reptile", "steps"),
    "imaml": ("line_compare_imaml", "cg_steps"),
    "pretrained": ("line_compare_reptile", None),
}
NAMES = {"maml": "MAML", "fomaml": "First-order MAML", "reptile": "Reptile", "imaml": "iMAML",
         "pretrained": "Pretrained"}
TABBED = ("maml", "fomaml", "reptile", "imaml")


# ---- the page --------------------------------------------------------------------------------


def open_four_ways(page, server, pages_with):
    return open_figure(page, server, pages_with, FIGURE)[1]


def show_tab(mount, method: str) -> None:
    """Select the method's tab, which shows its settings (and only its)."""
    tab = mount.locator(f'.cmp-tab[data-tab="{method}"] input')
    tab.check()
    assert inspect(mount)["shownTab"] == method


def slider(mount, method: str, label: str):
    show_tab(mount, method)
    return mount.get_by_role("slider", name=f"{NAMES[method]}: {label}", exact=True)


# ---- references ------------------------------------------------------------------------------


def _f32(value) -> np.ndarray:
    return np.asarray(value, dtype=np.float32)


def python_outputs(site_dir: Path, method: str, seen: dict) -> dict[str, np.ndarray]:
    """The method's graph in Python onnxruntime on the inputs the page's graph saw."""
    graph = METHODS[method][0]
    _, arrays = reference.line_data(site_dir / "models", "comparison")
    feeds = {**arrays, **{name: _f32(value) for name, value in seen.items()}}
    outputs = reference.run(site_dir / "models", graph, feeds)
    names = [o["name"] for o in reference.read_manifest(site_dir / "models")["graphs"][graph]["outputs"]]
    return dict(zip(names, outputs))


def python_landscape(site_dir: Path, st: dict) -> np.ndarray:
    _, arrays = reference.line_data(site_dir / "models", "comparison")
    grid = plane_grid(st["plane"], st["grid"])
    (loss,) = reference.run(site_dir / "models", "line_mean_landscape",
                            {"grid": grid, "x": arrays["x_train"], "y": arrays["y_train"]})
    return loss


def drawn_arrow(mount, method: str) -> dict[str, list[float]]:
    """The arrow's start (its shaft's first point) and tip (its head's first point, or the
    shaft's end when it is too short for a head), in SVG user units, as drawn."""
    return mount.evaluate("""(m, name) => {
        const g = m.querySelector(`.fig-arrow-${name}`);
        const line = g.querySelector('line'), head = g.querySelector('path').getAttribute('d');
        const at = (n) => Number(line.getAttribute(n));
        const tip = head ? head.match(/^M([-\\d.]+),([-\\d.]+)/).slice(1).map(Number) : [at('x2'), at('y2')];
        return {start: [at('x1'), at('y1')], tip};
    }""", method)


def readout_numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+\.\d+", text.replace("−", "-"))]


def check_method(site_dir: Path, mount, st: dict, method: str) -> dict[str, np.ndarray]:
    """One method: graph outputs, arrow (data and pixels) and readout against onnxruntime."""
    m = st["methods"][method]
    assert m["settings"]["enabled"] and m["shown"]["on"], method
    seen = m["inputs"]
    # The graph ran at the theta on screen with the method's current settings.
    np.testing.assert_allclose(seen["theta"], _f32(st["theta"]), rtol=0, atol=0)
    for name, value in seen.items():
        if name == "theta":
            continue
        if method == "pretrained":  # one inner step of size beta, all the way (epsilon = 1)
            want = {"step_size": m["settings"]["beta"], "interpolation_rate": 1.0}[name]
        else:
            want = m["settings"]["beta" if name == "outer_step_size" else name]
        assert value == pytest.approx(float(_f32(want)), abs=0), (method, name)
    python = python_outputs(site_dir, method, seen)
    for name, values in python.items():
        got, want = np.asarray(m["outputs"][name], dtype=np.float64), values.reshape(-1).astype(np.float64)
        if name == "direction":
            # Degrees reach 180, where one float32 step is 1.5e-5, and the angle of a short vector
            # moves with its last bits: compare the angles in radians (wrapped), to 1e-5.
            got, want = np.deg2rad(got), np.deg2rad(want)
            got = want + np.angle(np.exp(1j * (got - want)))
        np.testing.assert_allclose(got, want, rtol=0, atol=ATOL, err_msg=f"{method}.{name}")
    row = m["settings"][METHODS[method][1]] - 1 if METHODS[method][1] else 0
    assert m["shown"]["row"] == row
    theta, end = np.asarray(seen["theta"]), python["theta_next"][row]
    np.testing.assert_allclose(end - theta, python["update"][row], atol=1e-6)
    # The arrow's data end points, then where they are drawn: a across, b up, [0, 1]² filling the plot.
    assert m["arrow"]["visible"]
    np.testing.assert_allclose(m["arrow"]["from"], theta, rtol=0, atol=1e-7, err_msg=method)
    np.testing.assert_allclose(m["arrow"]["to"], end, rtol=0, atol=ATOL, err_msg=method)
    inner, plane = st["inner"], st["plane"]
    (a0, a1), (b0, b1) = plane["a"], plane["b"]

    def user_units(p):
        return [inner["left"] + (p[0] - a0) / (a1 - a0) * inner["width"],
                inner["bottom"] - (p[1] - b0) / (b1 - b0) * inner["height"]]

    marks = drawn_arrow(mount, method)
    np.testing.assert_allclose(marks["start"], user_units(theta), rtol=0, atol=USER_UNIT_TOLERANCE, err_msg=method)
    np.testing.assert_allclose(marks["tip"], user_units(end), rtol=0, atol=USER_UNIT_TOLERANCE, err_msg=method)
    # The readout, beside the method's switch: the settings, then the update's components, length
    # and direction (3, 3, 3, 1 digits) and, for iMAML, the CG iterations taken (2).
    text = mount.locator(f'.figure-readout[data-readout="{method}"]').inner_text()
    assert m["readout"] == text and ": update (" in text, text
    item = mount.locator(f'.cmp-numbers li[data-tab="{method}"]')
    assert item.get_by_role("checkbox", name=NAMES[method], exact=True).is_checked()
    shown = [*python["update"][row], python["length"][row], python["direction"][row]]
    tolerances = [5e-4 + 1e-6] * 3 + [5e-2 + 1e-6]
    if method == "imaml":
        shown.append(python["cg_iterations"][row])
        tolerances.append(5e-3 + 1e-6)
    numbers = readout_numbers(text.split(": update", 1)[1])
    assert len(numbers) == len(shown), text
    for got, want, tol in zip(numbers, shown, tolerances):
        assert abs(got - want) <= tol, (text, want)
    return python


def check_everything(site_dir: Path, mount, st: dict) -> dict[str, dict[str, np.ndarray]]:
    np.testing.assert_allclose(st["landscape"], python_landscape(site_dir, st), rtol=0, atol=ATOL)
    assert [st["handle"]["x"], st["handle"]["y"]] == pytest.approx(st["theta"], abs=1e-6)
    results = {}
    for method, m in st["methods"].items():
        if m["settings"]["enabled"]:
            results[method] = check_method(site_dir, mount, st, method)
        else:
            assert not m["arrow"]["visible"] and m["readout"] == "switched off."
    # The key lists what is drawn: theta, each method switched on, the tasks' minima.
    drawn = [key for key, m in st["methods"].items() if m["settings"]["enabled"]]
    assert len(st["key"]) == 2 + len(drawn), st["key"]
    return results


# ---- the first frame -------------------------------------------------------------------------


def test_first_frame_matches_onnxruntime(page, server, site_dir, pages_with):
    mount = open_four_ways(page, server, pages_with)
    st = settled(mount)
    assert st["dataset"] == "comparison" and st["theta"] == pytest.approx([0.8, 0.8])
    python = check_everything(site_dir, mount, st)
    # Not vacuous: the five arrows differ, and MAML's exact arrow is not the first-order one.
    ends = {m: python[m]["theta_next"][st["methods"][m]["shown"]["row"]] for m in METHODS}
    for a in METHODS:
        for b in METHODS:
            if a < b:
                assert np.abs(ends[a] - ends[b]).max() > 0.02, (a, b)
    # In the first frame every arrow ends inside the map, uncut.
    assert not any(m["arrow"]["clipped"] for m in st["methods"].values())
    # The pretrained arrow is -beta times the gradient of the map's function at theta (central
    # differences of line_mean_landscape, in float64 around the float32 theta).
    _, arrays = reference.line_data(site_dir / "models", "comparison")
    theta, h = np.asarray(st["theta"], dtype=np.float64), 1e-2
    probes = np.asarray([theta + [h, 0], theta - [h, 0], theta + [0, h], theta - [0, h]], dtype=np.float32)
    (loss,) = reference.run(site_dir / "models", "line_mean_landscape",
                            {"grid": probes, "x": arrays["x_train"], "y": arrays["y_train"]})
    gradient = np.asarray([loss[0] - loss[1], loss[2] - loss[3]], dtype=np.float64) / (2 * h)
    beta = st["methods"]["pretrained"]["settings"]["beta"]
    np.testing.assert_allclose(python["pretrained"]["update"][0], -beta * gradient, atol=2e-4)


# ---- theta: keyboard, mouse, touch -----------------------------------------------------------


def test_keyboard_moves_theta(page, server, site_dir, pages_with):
    mount = open_four_ways(page, server, pages_with)
    start = settled(mount)["theta"]
    handle = mount.get_by_role("slider", name=HANDLE)
    press_keys(handle, ["ArrowLeft"] * 3 + ["ArrowDown"] * 2)
    st = settled(mount)
    np.testing.assert_allclose(st["theta"], [start[0] - 0.03, start[1] - 0.02], atol=1e-6)
    check_everything(site_dir, mount, st)
    assert handle.get_attribute("aria-valuetext") == f"a = {st['theta'][0]:.2f}, b = {st['theta'][1]:.2f}"
    page.keyboard.press("Shift+ArrowDown")  # a big step
    page.keyboard.press("Home")  # a to the left edge
    st = settled(mount)
    np.testing.assert_allclose(st["theta"], [0.0, start[1] - 0.12], atol=1e-6)
    check_everything(site_dir, mount, st)


def test_pointer_drag_moves_theta(page, server, site_dir, pages_with):
    mount = open_four_ways(page, server, pages_with)
    start = settled(mount)["theta"]
    x, y = drag_handle(mount.get_by_role("slider", name=HANDLE), -80, 50, steps=8)
    st = settled(mount)
    assert st["theta"][0] < start[0] - 0.1 and st["theta"][1] < start[1] - 0.05, st["theta"]
    check_everything(site_dir, mount, st)
    end_x, end_y = handle_centre(mount.get_by_role("slider", name=HANDLE))
    assert abs(end_x - (x - 80)) < 1.5 and abs(end_y - (y + 50)) < 1.5


def test_touch_drag_moves_theta(new_page, server, site_dir, pages_with):
    page = new_page(has_touch=True, is_mobile=True, viewport={"width": 390, "height": 800})
    mount = open_four_ways(page, server, pages_with)
    start = settled(mount)["theta"]
    drag_handle(mount.get_by_role("slider", name=HANDLE), -30, 24, touch=True)
    st = settled(mount)
    assert st["theta"][0] < start[0] - 0.03 and st["theta"][1] < start[1] - 0.02, st["theta"]
    check_everything(site_dir, mount, st)


# ---- the switches ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", list(METHODS))
def test_switch_turns_a_method_off_and_on(page, server, site_dir, pages_with, method):
    mount = open_four_ways(page, server, pages_with)
    if method in TABBED:
        show_tab(mount, method)
    settled(mount)
    switch = mount.get_by_role("checkbox", name=NAMES[method], exact=True)
    assert switch.is_checked()
    switch.click()  # off: its arrow hides, its sliders are disabled, its readout says so
    st = settled(mount)
    assert not st["methods"][method]["settings"]["enabled"]
    check_everything(site_dir, mount, st)
    for control in mount.locator('input[type=range]').all():
        label = control.get_attribute("aria-label") or ""
        if label.startswith(NAMES[method] + ":"):
            assert control.is_disabled(), label
    # Theta moves while it is off: the others follow, it does not run.
    mount.get_by_role("slider", name=HANDLE).focus()
    page.keyboard.press("ArrowLeft")
    st = settled(mount)
    check_everything(site_dir, mount, st)
    # On again, from the keyboard: it runs at the current theta.
    switch.focus()
    page.keyboard.press("Space")
    st = settled(mount)
    assert st["methods"][method]["settings"]["enabled"]
    check_everything(site_dir, mount, st)
    assert st["methods"][method]["inputs"]["theta"] == pytest.approx(st["theta"], abs=1e-6)
    # Its sliders work again.
    for control in mount.locator('input[type=range]').all():
        if (control.get_attribute("aria-label") or "").startswith(NAMES[method] + ":"):
            assert not control.is_disabled()


# ---- the sliders -----------------------------------------------------------------------------


def test_row_sliders_pick_rows_without_rerunning(page, server, site_dir, pages_with):
    """k (MAML, first-order MAML, Reptile) and CG steps (iMAML) choose a row of the last result."""
    mount = open_four_ways(page, server, pages_with)
    before = settled(mount)
    for method, label in (("maml", "Inner steps k"), ("fomaml", "Inner steps k"), ("reptile", "Inner steps k"),
                          ("imaml", "CG steps")):
        control = slider(mount, method, label)
        control.focus()
        page.keyboard.press("Home")
        st = settled(mount)
        assert st["methods"][method]["shown"]["row"] == 0
        check_everything(site_dir, mount, st)
        page.keyboard.press("End")
        st = settled(mount)
        assert st["methods"][method]["shown"]["row"] == 4
        check_everything(site_dir, mount, st)
        assert st["methods"][method]["inputs"] == before["methods"][method]["inputs"], "the graph reran"
    # Every row can be reached, and MAML's arrows differ from row to row (exact for every k).
    control = slider(mount, "maml", "Inner steps k")
    control.focus()
    page.keyboard.press("Home")
    tips = set()
    for k in range(1, 6):
        st = settled(mount)
        assert st["methods"]["maml"]["settings"]["steps"] == k
        check_method(site_dir, mount, st, "maml")
        tips.add(tuple(np.round(st["methods"]["maml"]["arrow"]["to"], 5)))
        page.keyboard.press("ArrowRight")
    assert len(tips) == 5


@pytest.mark.parametrize("method, label, value, expected", [
    ("maml", "Step size α", "0.5", 0.5),
    ("fomaml", "Step size α", "1.2", 1.2),
    ("reptile", "Step size α", "0.8", 0.8),
    ("reptile", "Interpolation ε", "0.15", 0.15),
    ("imaml", "Damping δ", "0.6", 0.6),
])
def test_setting_sliders_rerun_their_graph(page, server, site_dir, pages_with, method, label, value, expected):
    mount = open_four_ways(page, server, pages_with)
    before = settled(mount)
    slider(mount, method, label).fill(value)  # by value, as assistive technology sets it
    st = settled(mount)
    key = {"Step size α": "step_size", "Interpolation ε": "interpolation_rate", "Damping δ": "damping"}[label]
    assert st["methods"][method]["settings"][key] == pytest.approx(expected)
    check_everything(site_dir, mount, st)
    changed = st["methods"][method]["outputs"]["update"] != before["methods"][method]["outputs"]["update"]
    assert changed, "the arrow did not follow the setting"
    # ... and by keyboard: one step down from there.
    slider(mount, method, label).focus()
    page.keyboard.press("ArrowLeft")
    st = settled(mount)
    assert st["methods"][method]["settings"][key] < expected
    check_everything(site_dir, mount, st)


def test_lambda_slider_walks_its_values(page, server, site_dir, pages_with):
    mount = open_four_ways(page, server, pages_with)
    settled(mount)
    control = slider(mount, "imaml", "Proximal strength λ")
    control.focus()
    page.keyboard.press("Home")
    lengths = []
    for lam in (0.25, 0.5, 1, 2, 4, 8, 16):
        st = settled(mount)
        assert st["methods"]["imaml"]["settings"]["lam"] == lam
        assert control.get_attribute("aria-valuetext") == f"{lam:g}"
        python = check_method(site_dir, mount, st, "imaml")
        lengths.append(float(python["length"][st["methods"]["imaml"]["shown"]["row"]]))
        page.keyboard.press("ArrowRight")
    # A stronger proximal term keeps phi near theta: the implicit gradient grows toward the plain one.
    assert lengths == sorted(lengths), lengths


def test_beta_slider_scales_the_gradient_methods(page, server, site_dir, pages_with):
    mount = open_four_ways(page, server, pages_with)
    before = settled(mount)
    beta = mount.get_by_role("slider", name=BETA)
    box = beta.bounding_box()
    page.mouse.click(box["x"] + 3, box["y"] + box["height"] / 2)  # by pointer: near the low end
    st = settled(mount)
    assert st["methods"]["maml"]["settings"]["beta"] < 0.3
    check_everything(site_dir, mount, st)
    for method in ("maml", "fomaml", "imaml", "pretrained"):
        old, new = before["methods"][method], st["methods"][method]
        beta_input = "step_size" if method == "pretrained" else "outer_step_size"
        ratio = new["inputs"][beta_input] / old["inputs"][beta_input]
        # The pretrained arrow is the first row alone (the others are further steps of size beta).
        rows = slice(0, 2) if method == "pretrained" else slice(None)
        np.testing.assert_allclose(new["outputs"]["update"][rows], ratio * np.asarray(old["outputs"]["update"][rows]),
                                   atol=2e-6)
    # Reptile has its own epsilon and did not rerun.
    assert st["methods"]["reptile"]["inputs"] == before["methods"]["reptile"]["inputs"]


def test_every_control_has_a_visible_label(page, server, pages_with):
    mount = open_four_ways(page, server, pages_with)
    settled(mount)
    controls = mount.locator("input").all()
    assert len(controls) == 1 + 4 + 5 + 2 + 2 + 3 + 3  # beta; four tabs; five switches; the sliders
    names = []
    for method in TABBED:
        show_tab(mount, method)
        # Only the selected method's sliders show, next to the shared beta and the switches.
        shown = [c for c in mount.locator("input").all() if c.is_visible()]
        sliders = [c for c in shown if c.get_attribute("type") == "range"]
        assert len(sliders) == 1 + {"maml": 2, "fomaml": 2, "reptile": 3, "imaml": 3}[method]
        for control in shown:
            visible = control.evaluate("c => c.labels?.[0]?.textContent?.trim() || ''")
            assert visible, "unlabelled control"
            assert control.evaluate("c => c.labels[0].checkVisibility()"), visible
            # The accessible name contains the visible label (WCAG 2.5.3) and says whose setting it is.
            name = control.get_attribute("aria-label") or visible
            assert visible in name, (visible, name)
            if control.get_attribute("type") == "range" and name != BETA:
                assert name.startswith(NAMES[method] + ":"), name
            if control.get_attribute("type") != "radio":
                names.append(name)
    assert len(set(names)) == 1 + 5 + 2 + 2 + 3 + 3, "two controls share a name"


def test_dark_mode_and_no_javascript(new_page, server, pages_with):
    page = new_page(color_scheme="dark")
    mount = open_four_ways(page, server, pages_with)
    fill_of = """r => {
        const probe = document.createElement('div');
        probe.style.color = 'var(--fig-contour-high)';
        document.body.append(probe);
        const want = getComputedStyle(probe).color;
        probe.remove();
        return [getComputedStyle(r).fill, want];
    }"""
    area = mount.locator('[data-layer="map"] rect').last
    dark, want = area.evaluate(fill_of)
    assert dark == want, (dark, want)  # --fig-contour-high of the dark palette
    page.emulate_media(color_scheme="light")
    light, want = area.evaluate(fill_of)
    assert light == want and light != dark, (light, dark)
    picture = fallback_picture(new_page, server, pages_with, FIGURE)
    for method in METHODS:
        assert picture.locator(f".fig-arrow-{method} path").last.get_attribute("d"), method
        assert picture.locator(f'.cmp-numbers li[data-tab="{method}"]').inner_text().startswith(NAMES[method])
        assert ": update (" in picture.locator(f'[data-readout="{method}"]').inner_text()
