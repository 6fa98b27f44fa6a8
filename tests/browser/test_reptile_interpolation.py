"""The figure "Reptile interpolation" (chapter Reptile) in the browser.

Every number the figure shows and every arrow it draws is checked against Python's onnxruntime
running line_reptile_interpolation on the same inputs (the theta, alpha and epsilon the figure
reports, toys.json's points of the `reptile` task): the arrows' end points in parameter space to
1e-5 and in SVG user units to the drawing's rounding, which arrows show for k and the switches,
and the readout lines character for character. Every control is driven: theta by keyboard,
mouse and touch, each slider by value and by key, each switch by click and by key. The pages are
served from the sub-path and watched for console errors (conftest.py).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from . import reference
from .figure_harness import (
    assert_controls_labelled,
    assert_maps_drawn,
    drag_handle,
    fallback_picture,
    open_figure,
    press_keys,
    printed,
    settled,
)
from .reference import line_data

FIGURE = "reptile-interpolation"
GRAPH = "line_reptile_interpolation"
OUTPUTS = ("path", "theta_next", "update", "update_length", "maml_meta_gradient", "first_order_meta_gradient",
           "maml_length", "first_order_length", "maml_end", "first_order_end", "maml_cosine", "first_order_cosine")
TOLERANCE = 1e-5  # in parameter space
USER_UNIT_TOLERANCE = 0.06  # lib/plot.js rounds coordinates to 0.1 user units
HEAD_LENGTH = 9  # lib/plot.js: an arrow shorter than its head is drawn as a bare shaft
SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
THETA = "θ, the initialisation"


# ---- the reference ---------------------------------------------------------------------------


def _python(site_dir: Path, state: dict) -> dict[str, np.ndarray]:
    """line_reptile_interpolation in Python onnxruntime on the inputs the figure reports."""
    models = site_dir / "models"
    _, data = line_data(models, state["dataset"])
    task = state["task"]
    outputs = reference.run(models, GRAPH, {
        "theta": np.asarray(state["theta"], dtype=np.float32),
        **{name: values[task] for name, values in data.items()},
        "step_size": np.asarray(state["alpha"], dtype=np.float32),
        "interpolation_rate": np.asarray(state["epsilon"], dtype=np.float32),
    })
    return dict(zip(OUTPUTS, outputs))


def _point(v) -> str:
    return f"({printed(v[0])}, {printed(v[1])})"


def _expected_readouts(state: dict, python: dict) -> list[str]:
    """The three readout lines as the figure must write them, from Python's numbers."""
    k = state["k"]
    phi = "ϕ⁽" + "".join(SUPERSCRIPTS[int(d)] for d in str(k)) + "⁾"
    row = k - 1
    lines = [
        f"θ = {_point(state['theta'])} → {phi} = {_point(python['path'][k])} after k = {k} inner "
        f"step{'s' if k > 1 else ''} of size α = {printed(state['alpha'], 2)} on the support points.",
        f"Reptile update ε ({phi} − θ) with ε = {printed(state['epsilon'], 2)}: "
        f"{_point(python['update'][row])}, length {printed(python['update_length'][row])}; "
        f"new θ = {_point(python['theta_next'][row])}.",
    ]
    parts = []
    if state["firstOrder"]:
        parts.append(f"first-order MAML meta-gradient length {printed(python['first_order_length'][row])}, "
                     f"cosine {printed(python['first_order_cosine'][row])}")
    if state["maml"]:
        parts.append(f"exact MAML meta-gradient length {printed(python['maml_length'][row])}, "
                     f"cosine {printed(python['maml_cosine'][row])}")
    lines.append(
        f"Against the Reptile update (cosine of the descent direction with it): {'; '.join(parts)}."
        if parts else "Switch on a MAML direction to compare it with the Reptile update.")
    return lines


def _check_arrow(drawn: dict, inner: dict, start, end, visible: bool, name: str) -> None:
    """An arrow from `start` to `end` (Python's numbers): data end points, drawn end points, shown."""
    np.testing.assert_allclose(drawn["from"], start, rtol=0, atol=TOLERANCE, err_msg=name)
    np.testing.assert_allclose(drawn["to"], end, rtol=0, atol=TOLERANCE, err_msg=name)
    assert drawn["visible"] == visible, name

    def user_units(p) -> np.ndarray:  # the plane [0, 1]^2, a across and b up
        return np.array([inner["left"] + p[0] * inner["width"], inner["bottom"] - p[1] * inner["height"]])

    np.testing.assert_allclose(drawn["start"], user_units(start), rtol=0, atol=USER_UNIT_TOLERANCE, err_msg=name)
    inside = 0 <= end[0] <= 1 and 0 <= end[1] <= 1
    if name.startswith("inner step") or inside:
        # Inner steps are cut by their clipped layer, never by arrow() itself.
        assert not drawn["clipped"], name
        if np.hypot(*(user_units(end) - user_units(start))) >= HEAD_LENGTH:
            np.testing.assert_allclose(drawn["tip"], user_units(end), rtol=0, atol=USER_UNIT_TOLERANCE, err_msg=name)
    else:
        # An arrow from theta whose end is off the map is cut where it crosses the edge, along its line.
        assert drawn["clipped"], name
        shaft = np.asarray(drawn["shaft_end"]) - user_units(start)
        direction = user_units(end) - user_units(start)
        assert abs(shaft[0] * direction[1] - shaft[1] * direction[0]) <= 0.1 * np.hypot(*direction), name
        edges = [inner["left"], inner["left"] + inner["width"], inner["bottom"] - inner["height"], inner["bottom"]]
        x, y = drawn["shaft_end"]
        assert min(abs(x - edges[0]), abs(x - edges[1]), abs(y - edges[2]), abs(y - edges[3])) < 0.1, name


def _check(site_dir: Path, state: dict) -> dict:
    """Everything the figure shows for `state` against Python onnxruntime; returns Python's outputs."""
    python = _python(site_dir, state)
    for name in OUTPUTS:
        np.testing.assert_allclose(np.asarray(state["outputs"][name]).reshape(python[name].shape), python[name],
                                   rtol=0, atol=TOLERANCE, err_msg=name)
    k, theta, inner, arrows = state["k"], state["theta"], state["inner"], state["arrows"]
    path = python["path"]
    for j, drawn in enumerate(arrows["inner"]):
        _check_arrow(drawn, inner, path[j], path[j + 1], j < k, f"inner step {j + 1}")
    _check_arrow(arrows["toPhi"], inner, theta, path[k], True, "theta -> phi_k")
    _check_arrow(arrows["update"], inner, theta, python["theta_next"][k - 1], True, "Reptile update")
    _check_arrow(arrows["firstOrder"], inner, theta, python["first_order_end"][k - 1], state["firstOrder"],
                 "first-order MAML")
    _check_arrow(arrows["maml"], inner, theta, python["maml_end"][k - 1], state["maml"], "exact MAML")
    np.testing.assert_allclose(state["handle"], theta, rtol=0, atol=1e-6)
    assert state["readouts"] == _expected_readouts(state, python)
    # The key lists what is drawn: the MAML directions only while they are switched on.
    labels = state["key"]
    assert ("first-order MAML direction" in labels) == state["firstOrder"], labels
    assert ("exact MAML direction" in labels) == state["maml"], labels
    assert "Reptile update" in labels and "θ" in labels
    return python


# ---- the tests -------------------------------------------------------------------------------


def test_first_frame_is_what_python_computes(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    state = settled(figure)
    assert (state["dataset"], state["task"], state["k"]) == ("reptile", 0, 3)
    np.testing.assert_allclose(state["theta"], [0.15, 0.85], atol=1e-7)
    assert not state["firstOrder"] and not state["maml"]
    python = _check(site_dir, state)
    # The readouts on the page are the ones inspect() reports.
    shown = figure.locator(".figure-mount .figure-readout").all_inner_texts()
    assert shown == state["readouts"]
    # Reptile's update is a fraction epsilon of the way to phi_k (@eq:reptile-update).
    np.testing.assert_allclose(python["update"][2], state["epsilon"] * (python["path"][3] - python["path"][0]),
                               atol=1e-6)


def test_keyboard_moves_theta(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    handle = figure.get_by_role("slider", name=THETA)
    start = settled(figure)["theta"]
    press_keys(handle, ["ArrowRight"] * 4 + ["ArrowDown"] * 3 + ["Shift+ArrowRight"])
    state = settled(figure)
    np.testing.assert_allclose(state["theta"], [start[0] + 0.14, start[1] - 0.03], atol=1e-6)
    _check(site_dir, state)
    # Home jumps to the left edge of the plane.
    page.keyboard.press("Home")
    state = settled(figure)
    assert state["theta"][0] == 0
    _check(site_dir, state)


def test_pointer_drag_moves_theta(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    drag_handle(figure.get_by_role("slider", name=THETA), 120, 40)
    state = settled(figure)
    assert state["theta"][0] > 0.15 + 0.1 and state["theta"][1] < 0.85 - 0.02, state["theta"]
    _check(site_dir, state)


def test_touch_drag_moves_theta(new_page, server, site_dir, pages_with):
    page = new_page(has_touch=True, is_mobile=True, viewport={"width": 414, "height": 800})
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    drag_handle(figure.get_by_role("slider", name=THETA), 60, 72, touch=True)
    state = settled(figure)
    assert state["theta"][0] > 0.15 + 0.05 and state["theta"][1] < 0.85 - 0.05, state["theta"]
    _check(site_dir, state)


def test_every_slider_changes_what_python_says(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    alpha = figure.get_by_role("slider", name="Inner step size α")
    steps = figure.get_by_role("slider", name="Inner steps k")
    epsilon = figure.get_by_role("slider", name="Interpolation rate ε")
    alpha.fill("1.2")
    state = settled(figure)
    assert state["alpha"] == pytest.approx(1.2, abs=1e-7)
    _check(site_dir, state)
    for k in (1, 2, 3, 4, 5):
        steps.fill(str(k))
        state = settled(figure)
        assert state["k"] == k
        _check(site_dir, state)
    epsilon.fill("0.85")
    state = settled(figure)
    assert state["epsilon"] == pytest.approx(0.85, abs=1e-7)
    _check(site_dir, state)
    # The keyboard works on each slider (native range inputs), and each shows its value.
    for control, key, expected in ((alpha, "ArrowLeft", ("alpha", 1.15)), (steps, "ArrowLeft", ("k", 4)),
                                   (epsilon, "ArrowRight", ("epsilon", 0.9))):
        control.focus()
        page.keyboard.press(key)
        state = settled(figure)
        assert state[expected[0]] == pytest.approx(expected[1], abs=1e-6), expected
        _check(site_dir, state)
    outputs = figure.locator(".figure-mount output").all_inner_texts()
    assert outputs == ["4", "1.15", "0.90"]  # k first: the control the chapter turns most
    # epsilon = 1 puts the updated theta on phi_k: Reptile's update is then fine-tuning itself.
    epsilon.fill("1")
    state = settled(figure)
    python = _check(site_dir, state)
    np.testing.assert_allclose(python["theta_next"][state["k"] - 1], python["path"][state["k"]], atol=1e-6)


def test_switches_add_the_maml_directions(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    first_order = figure.get_by_role("checkbox", name="First-order MAML direction")
    exact = figure.get_by_role("checkbox", name="Exact MAML direction")
    first_order.click()
    state = settled(figure)
    assert state["firstOrder"] and not state["maml"]
    _check(site_dir, state)
    exact.focus()
    page.keyboard.press("Space")
    state = settled(figure)
    assert state["firstOrder"] and state["maml"]
    _check(site_dir, state)
    # The directions follow k and theta while they are shown.
    figure.get_by_role("slider", name="Inner steps k").fill("5")
    figure.get_by_role("slider", name=THETA).focus()
    page.keyboard.press("Shift+ArrowUp")
    state = settled(figure)
    assert state["k"] == 5
    _check(site_dir, state)
    # Clicking a label toggles its switch, too.
    figure.locator("label", has_text="First-order MAML direction").click()
    exact.uncheck()
    state = settled(figure)
    assert not state["firstOrder"] and not state["maml"]
    _check(site_dir, state)


def test_every_control_has_a_visible_label(page, server, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    assert assert_controls_labelled(figure.locator(".figure-mount"), "input") == 5  # three sliders, two switches
    for control in figure.locator(".figure-mount input").all():
        assert control.evaluate("c => !!c.labels?.[0]"), "a control without its own <label>"
    handle = figure.get_by_role("slider", name=THETA)
    assert handle.get_attribute("tabindex") == "0"
    assert handle.get_attribute("aria-valuetext") == "a = 0.15, b = 0.85"


def test_fallback_picture_shows_without_javascript(new_page, server, pages_with):
    picture = fallback_picture(new_page, server, pages_with, FIGURE)
    assert_maps_drawn(picture, 1)
    assert picture.locator(".figure-readout").count() == 3
