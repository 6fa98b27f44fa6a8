"""The figures of "Preliminaries: the cost of the meta-gradient" in a real browser.

"jacobian-product": every control is driven as a reader would (theta by pointer, touch and
keyboard, the alpha and k sliders by value and by keyboard), and everything the figure shows is
compared with Python's onnxruntime running line_jacobian_product on the same inputs: the graph's
outputs to 1e-5, every matrix and vector entry as printed (to its printed digits), the inner
path's dots, and both arrows' end points, theta - s * gradient in the plane (to 1e-5) and on the
screen (to lib/plot.js's rounding).

"meta-gradient-cost": the plotted points are the measurements of the served manifest, as stored,
at their positions on log scales (checked against the scale's domain and against the axis's own
tick marks); switching time / memory and methods on and off redraws them, and toggling a method
never moves the others. The pages are served from the sub-path and watched for console errors.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from . import reference
from .conftest import mounted_figure, page_url_path, scroll_to
from .reference import line_data

JACOBIAN = 'figure[data-module="jacobian-product"]'
COST = 'figure[data-module="meta-gradient-cost"]'
INSPECT = "f => f.querySelector('.figure-mount').figureTest.inspect()"
IDLE = "f => f.querySelector('.figure-mount').figureTest.idle()"
ATOL = 1e-5  # graph outputs and arrow end points, in parameter space
USER_UNIT_TOLERANCE = 0.06  # lib/plot.js rounds coordinates to 0.1 user units
THETA_NAME = "θ, the starting point of the inner steps"
OUTPUTS = ("path", "jacobians", "products", "meta_gradient", "first_order_meta_gradient", "test_loss")


# ---- helpers ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chapter_page(pages_with) -> str:
    pages = pages_with('data-module="jacobian-product"')
    if not pages:
        pytest.fail("no built page holds the jacobian-product figure")
    return page_url_path(pages[0])



def _settle(figure) -> dict:
    figure.evaluate(IDLE)
    return figure.evaluate(INSPECT)


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


def test_first_frame_is_what_python_computes(page, server, site_dir, chapter_page):
    figure = mounted_figure(page, server, chapter_page, JACOBIAN)
    params = json.loads(figure.get_attribute("data-params"))
    state = _settle(figure)
    assert (state["k"], state["dataset"], state["task"]) == (params["steps"], params["dataset"], params["task"])
    np.testing.assert_allclose(state["theta"], params["theta"], atol=1e-7)
    assert state["alpha"] == pytest.approx(params["step_size"], abs=1e-7)
    python = _check_jacobian(figure, site_dir, state, params["arrow_length"])
    # The exact meta-gradient is the transposed product times the first-order one
    # (@eq:meta-gradient-k): a check of the graph itself, on the numbers the page shows.
    for k in range(1, 6):
        np.testing.assert_allclose(python["products"][k - 1].T @ python["first_order_meta_gradient"][k - 1],
                                   python["meta_gradient"][k - 1], rtol=0, atol=1e-6)


def test_keyboard_moves_theta(page, server, site_dir, chapter_page):
    figure = mounted_figure(page, server, chapter_page, JACOBIAN)
    start = _settle(figure)["theta"]
    handle = figure.get_by_role("slider", name=THETA_NAME)
    handle.focus()
    for key in ["ArrowLeft"] * 4 + ["ArrowUp"] * 6:
        page.keyboard.press(key)
    state = _settle(figure)
    np.testing.assert_allclose(state["theta"], [start[0] - 0.04, start[1] + 0.06], atol=1e-6)
    _check_jacobian(figure, site_dir, state)
    page.keyboard.press("Shift+ArrowDown")  # ten steps at once
    state = _settle(figure)
    np.testing.assert_allclose(state["theta"][1], start[1] - 0.04, atol=1e-6)
    _check_jacobian(figure, site_dir, state)


def test_pointer_drag_moves_theta(page, server, site_dir, chapter_page):
    figure = mounted_figure(page, server, chapter_page, JACOBIAN)
    start = _settle(figure)["theta"]
    box = figure.get_by_role("slider", name=THETA_NAME).locator("circle").last.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 60, y - 80, steps=6)
    page.mouse.up()
    state = _settle(figure)
    assert state["theta"][0] < start[0] - 0.05 and state["theta"][1] > start[1] + 0.05, state["theta"]
    _check_jacobian(figure, site_dir, state)


def test_touch_drag_moves_theta(new_page, server, site_dir, chapter_page):
    page = new_page(has_touch=True, viewport={"width": 900, "height": 900})
    figure = mounted_figure(page, server, chapter_page, JACOBIAN)
    start = _settle(figure)["theta"]
    handle = figure.get_by_role("slider", name=THETA_NAME)
    scroll_to(handle)  # the figure is taller than the viewport
    box = handle.locator("circle").last.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, px: float, py: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": px, "y": py, "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", x, y)
    for i in range(1, 7):
        touch("touchMove", x - 8 * i, y - 6 * i)
    touch("touchEnd", x - 48, y - 36)
    cdp.detach()
    state = _settle(figure)
    assert state["theta"][0] < start[0] - 0.05 and state["theta"][1] > start[1] + 0.03, state["theta"]
    _check_jacobian(figure, site_dir, state)


def test_alpha_slider(page, server, site_dir, chapter_page):
    figure = mounted_figure(page, server, chapter_page, JACOBIAN)
    alpha = figure.get_by_role("slider", name="Inner step size α")
    for value in ("0.05", "1.2", "2"):
        alpha.fill(value)
        state = _settle(figure)
        assert state["alpha"] == pytest.approx(float(value), abs=1e-6)
        _check_jacobian(figure, site_dir, state)
    alpha.focus()
    page.keyboard.press("ArrowLeft")
    state = _settle(figure)
    assert state["alpha"] == pytest.approx(1.95, abs=1e-6)
    _check_jacobian(figure, site_dir, state)


def test_k_slider_shows_each_steps_matrices(page, server, site_dir, chapter_page):
    figure = mounted_figure(page, server, chapter_page, JACOBIAN)
    steps = figure.get_by_role("slider", name="Inner steps k")
    scales = set()
    for k in (1, 5, 2, 4):
        steps.fill(str(k))
        state = _settle(figure)
        assert state["k"] == k
        _check_jacobian(figure, site_dir, state)
        scales.add(state["scale"])
    assert len(scales) == 1, f"the arrow scale changed with k: {scales}"
    steps.focus()
    page.keyboard.press("ArrowRight")
    state = _settle(figure)
    assert state["k"] == 5
    _check_jacobian(figure, site_dir, state)


def test_large_step_overshoots_and_still_matches(page, server, site_dir, chapter_page):
    """alpha = 2 in the most curved corner: the first step overshoots out of the map (clipped),
    J_0 has an eigenvalue below -1, and every number still matches Python."""
    figure = mounted_figure(page, server, chapter_page, JACOBIAN)
    figure.get_by_role("slider", name="Inner step size α").fill("2")
    handle = figure.get_by_role("slider", name=THETA_NAME)
    handle.focus()
    page.keyboard.press("End")  # a = 1
    for _ in range(9):
        page.keyboard.press("Shift+ArrowUp")  # b = 1 (the handle keeps theta on the plane)
    figure.get_by_role("slider", name="Inner steps k").fill("2")
    state = _settle(figure)
    np.testing.assert_allclose(state["theta"], [1.0, 1.0], atol=1e-6)
    python = _check_jacobian(figure, site_dir, state)
    # The chapter's setting at the default k = 3: both arrows stay on the map.
    figure.get_by_role("slider", name="Inner steps k").fill("3")
    state = _settle(figure)
    _check_jacobian(figure, site_dir, state)
    assert figure.locator(".figure-mount [data-arrow][data-clipped]").count() == 0
    # What the chapter says the reader sees here, for every k.
    assert np.linalg.eigvalsh(python["jacobians"][0]).min() < -1
    for k in range(1, 6):
        assert np.linalg.norm(python["products"][k - 1], 2) > 1, k  # stretched, not shrunk
        exact, first = python["meta_gradient"][k - 1], python["first_order_meta_gradient"][k - 1]
        assert exact @ first < 0, k  # more than a right angle apart


# ---- measured cost ---------------------------------------------------------------------------


def _cost(site_dir: Path) -> dict:
    return reference.read_manifest(site_dir / "models")["measurements"]["cost"]


VALUE = {
    "time": lambda at: at["time_ms"]["median"],
    "tensors": lambda at: at["memory_mib"]["tensors"],
    "rss": lambda at: at["memory_mib"]["rss"],
}


def _log_position(value: float, domain: list[float], low: float, high: float) -> float:
    """Where a log scale with `domain` puts `value` on the range [low, high]."""
    d0, d1 = (math.log(v) for v in domain)
    return low + (math.log(value) - d0) / (d1 - d0) * (high - low)


def _ticks(figure) -> dict:
    """The axis tick labels of the live plot and where each sits (user units)."""
    return figure.evaluate("""f => {
        const axes = f.querySelector('.figure-mount svg .fig-axes');
        const read = (g) => [...g.querySelectorAll('.tick')].map((t) => {
            const [x, y] = t.getAttribute('transform').match(/[-\\d.]+/g).map(Number);
            return {text: t.textContent, x, y};
        });
        const groups = [...axes.querySelectorAll(':scope > g.fig-text')].filter((g) => g.querySelector('.tick'));
        return {x: read(groups[0]), y: read(groups[1])};
    }""")


def _check_cost_plot(figure, site_dir: Path, state: dict) -> None:
    cost = _cost(site_dir)
    value = VALUE[state["quantity"]]
    inner = state["inner"]
    steps = cost["protocol"]["inner_steps"]
    methods = state["shown"]
    drawn = state["points"]
    every = [value(at) for entry in cost["methods"].values() for at in entry["steps"].values()]
    # The scale covers every stored value of this quantity (one scale for all methods).
    lo, hi = state["yDomain"]
    assert lo <= min(v for v in every if v > 0) and hi >= max(every)
    # The axis ticks sit where the same log scale puts their values.
    ticks = _ticks(figure)
    assert [float(t["text"]) for t in ticks["x"]] == steps
    for t in ticks["x"]:
        assert abs(t["x"] - _log_position(float(t["text"]), state["xDomain"], inner["left"], inner["right"])) < USER_UNIT_TOLERANCE
    assert len(ticks["y"]) >= 2
    for t in ticks["y"]:
        assert abs(t["y"] - _log_position(float(t["text"]), state["yDomain"], inner["bottom"], inner["top"])) < USER_UNIT_TOLERANCE
    # Each shown method's dots: the file's values at the file's k, where the log scales put them.
    circles = figure.evaluate("""f => Object.fromEntries([...f.querySelectorAll('.figure-mount [data-points]')]
        .map((g) => [g.dataset.points, [...g.querySelectorAll('circle')]
            .map((c) => [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))])]))""")
    assert sorted(circles) == sorted(methods)
    for method in methods:
        stored = cost["methods"][method]["steps"]
        expected = [(k, value(stored[str(k)])) for k in steps if str(k) in stored and value(stored[str(k)]) > 0]
        assert [(p["k"], p["value"]) for p in drawn[method]] == expected, method
        assert len(circles[method]) == len(expected), method
        for (k, v), (cx, cy) in zip(expected, circles[method]):
            assert abs(cx - _log_position(k, state["xDomain"], inner["left"], inner["right"])) < USER_UNIT_TOLERANCE
            assert abs(cy - _log_position(v, state["yDomain"], inner["bottom"], inner["top"])) < USER_UNIT_TOLERANCE
    # The table: one row per k, one column per shown method, the stored numbers to two decimals.
    columns = figure.evaluate("""f => [...f.querySelectorAll('.figure-mount .figure-cost-table thead th[data-method]')]
        .map((th) => th.dataset.method)""")
    assert columns == methods
    rows = figure.evaluate("""f => [...f.querySelectorAll('.figure-mount .figure-cost-table tbody tr')]
        .map((r) => [Number(r.dataset.k), [...r.querySelectorAll('td')].map((td) => td.firstChild.textContent)])""")
    assert [r[0] for r in rows] == steps
    for k, cells in rows:
        for method, cell in zip(methods, cells):
            stored = cost["methods"][method]["steps"]
            assert cell == (f"{value(stored[str(k)]):.2f}" if str(k) in stored else "–"), (method, k)


def test_cost_first_frame_draws_the_files_numbers(page, server, site_dir, chapter_page):
    figure = mounted_figure(page, server, chapter_page, COST)
    state = _settle(figure)
    params = json.loads(figure.get_attribute("data-params"))
    assert state["quantity"] == params["quantity"] == "time"
    assert state["shown"] == params["methods"]
    _check_cost_plot(figure, site_dir, state)
    # Time's whiskers span the stored quartiles.
    cost = _cost(site_dir)
    whiskers = figure.evaluate("""f => Object.fromEntries([...f.querySelectorAll('.figure-mount [data-whiskers]')]
        .map((g) => [g.dataset.whiskers, [...g.querySelectorAll('line')]
            .map((l) => [Number(l.getAttribute('y1')), Number(l.getAttribute('y2'))])]))""")
    inner = state["inner"]
    for method in state["shown"]:
        stored = cost["methods"][method]["steps"]
        ks = [k for k in cost["protocol"]["inner_steps"] if str(k) in stored]
        assert len(whiskers[method]) == len(ks)
        for k, (y1, y2) in zip(ks, whiskers[method]):
            q1, q3 = stored[str(k)]["time_ms"]["q1"], stored[str(k)]["time_ms"]["q3"]
            assert abs(y1 - _log_position(q1, state["yDomain"], inner["bottom"], inner["top"])) < USER_UNIT_TOLERANCE
            assert abs(y2 - _log_position(q3, state["yDomain"], inner["bottom"], inner["top"])) < USER_UNIT_TOLERANCE
    # The machine, from the same file.
    machine = cost["machine"]
    for fragment in (machine["cpu"], machine["date"], f"torch {machine['torch']}",
                     f"{machine['cores']} cores", f"median of {cost['protocol']['repeats']} runs"):
        assert fragment in state["machine"], fragment


def test_cost_switches_between_time_and_memory(page, server, site_dir, chapter_page):
    figure = mounted_figure(page, server, chapter_page, COST)
    show = figure.get_by_label("Show")
    domains = {}
    for quantity in ("tensors", "rss", "time"):
        show.select_option(quantity)
        state = _settle(figure)
        assert state["quantity"] == quantity
        _check_cost_plot(figure, site_dir, state)
        domains[quantity] = tuple(state["yDomain"])
        assert (figure.locator(".figure-mount [data-whiskers]").count() > 0) == (quantity == "time")
    assert len(set(domains.values())) == 3, "each quantity has its own scale"
    # Keyboard: the select is native.
    show.focus()
    page.keyboard.press("ArrowDown")
    assert _settle(figure)["quantity"] == "tensors"


def test_cost_methods_on_and_off(page, server, site_dir, chapter_page):
    figure = mounted_figure(page, server, chapter_page, COST)
    before = _settle(figure)
    box = figure.get_by_role("checkbox", name="MAML", exact=True)
    box.click()
    state = _settle(figure)
    assert "maml" not in state["shown"] and len(state["shown"]) == 3
    _check_cost_plot(figure, site_dir, state)
    # One scale for all methods: the others' points did not move.
    assert state["yDomain"] == before["yDomain"]
    for method in state["shown"]:
        assert state["points"][method] == before["points"][method]
    figure.get_by_role("checkbox", name="iMAML").focus()
    page.keyboard.press("Space")
    state = _settle(figure)
    assert state["shown"] == ["fomaml", "reptile"]
    _check_cost_plot(figure, site_dir, state)
    figure.get_by_label("Show").select_option("tensors")
    box.click()
    state = _settle(figure)
    assert state["shown"] == ["maml", "fomaml", "reptile"]
    _check_cost_plot(figure, site_dir, state)


def test_every_control_has_a_visible_label(page, server, chapter_page):
    for selector in (JACOBIAN, COST):
        figure = mounted_figure(page, server, chapter_page, selector)
        for control in figure.locator("input, button, select").all():
            name = control.evaluate("c => c.labels?.[0]?.textContent?.trim() || c.textContent.trim() || ''")
            assert name, f"unlabelled control in {selector}"
            if control.evaluate("c => !!c.labels?.[0]"):
                assert control.evaluate("c => c.labels[0].checkVisibility()"), name
