"""The figure "meta-gradient-cost" (chapter Preliminaries: the cost of the meta-gradient) in a
real browser.

The plotted points are the measurements of the served manifest, as stored, at their positions on
log scales (checked against the scale's domain and against the axis's own tick marks); switching
time / memory and methods on and off redraws them, and toggling a method never moves the others.
The pages are served from the sub-path and watched for console errors.
"""
from __future__ import annotations

import math
from pathlib import Path

from . import reference
from .figure_harness import assert_controls_labelled, figure_params, open_figure, settled

FIGURE = "meta-gradient-cost"
USER_UNIT_TOLERANCE = 0.06  # lib/plot.js rounds coordinates to 0.1 user units


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


def test_cost_first_frame_draws_the_files_numbers(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    state = settled(figure)
    params = figure_params(figure)
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


def test_cost_switches_between_time_and_memory(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    show = figure.get_by_label("Show")
    domains = {}
    for quantity in ("tensors", "rss", "time"):
        show.select_option(quantity)
        state = settled(figure)
        assert state["quantity"] == quantity
        _check_cost_plot(figure, site_dir, state)
        domains[quantity] = tuple(state["yDomain"])
        assert (figure.locator(".figure-mount [data-whiskers]").count() > 0) == (quantity == "time")
    assert len(set(domains.values())) == 3, "each quantity has its own scale"
    # Keyboard: the select is native.
    show.focus()
    page.keyboard.press("ArrowDown")
    assert settled(figure)["quantity"] == "tensors"


def test_cost_methods_on_and_off(page, server, site_dir, pages_with):
    figure = open_figure(page, server, pages_with, FIGURE)[0]
    before = settled(figure)
    box = figure.get_by_role("checkbox", name="MAML", exact=True)
    box.click()
    state = settled(figure)
    assert "maml" not in state["shown"] and len(state["shown"]) == 3
    _check_cost_plot(figure, site_dir, state)
    # One scale for all methods: the others' points did not move.
    assert state["yDomain"] == before["yDomain"]
    for method in state["shown"]:
        assert state["points"][method] == before["points"][method]
    figure.get_by_role("checkbox", name="iMAML").focus()
    page.keyboard.press("Space")
    state = settled(figure)
    assert state["shown"] == ["fomaml", "reptile"]
    _check_cost_plot(figure, site_dir, state)
    figure.get_by_label("Show").select_option("tensors")
    box.click()
    state = settled(figure)
    assert state["shown"] == ["maml", "fomaml", "reptile"]
    _check_cost_plot(figure, site_dir, state)


def test_every_control_has_a_visible_label(page, server, pages_with):
    _, mount = open_figure(page, server, pages_with, FIGURE)
    assert_controls_labelled(mount)
