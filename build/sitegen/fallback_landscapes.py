"""Static pictures of the loss-landscape figures of the chapter "How MAML works".

`accumulated_loss` and `one_step` draw the initial state of static/figures/accumulated-loss.js and
static/figures/one-step.js: the same graphs (line_landscape, line_accumulated, line_maml_step, run
by Python's onnxruntime), the same data (models/toys.json, written by the trainers), the same grid
and the same axes (a along x, b along y). Colours follow the site's light palette, since an <img>
cannot see the page's CSS; values are drawn on the same normalised log scale as lib/landscape.js.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np

from . import onnxmodels
from .fallbacks import fallback
from .svgplot import AXIS, PALETTE, Plot

CONTOUR_LEVELS = 10  # as CONTOUR_LEVELS in static/figures/lib/landscape.js
LOG_FLOOR = 1e-3  # likewise
UPSAMPLE = 4  # colour-map pixels per grid cell: smooth like the browser's canvas scaling
LOW, HIGH = (0xF7, 0xFB, 0xFF), (0x08, 0x30, 0x6B)  # site.css --fig-contour-low / -high (light)
MARK, ARROW, THETA = "#d1622a", "#2b8a4b", "#1f6fb4"  # site.css --fig-2, --fig-3, --fig-1 (light)


def line_data(models_dir: Path, dataset: str) -> tuple[dict, dict[str, np.ndarray]]:
    """(toys.json's line section, the data set's samples as float32 arrays (T, N))."""
    line = json.loads((models_dir / "toys.json").read_text(encoding="utf-8"))["line"]
    data = line["datasets"][dataset]
    arrays = {k: np.asarray(data[k], dtype=np.float32) for k in ("x_train", "y_train", "x_test", "y_test")}
    return {**line, "data": data}, arrays


def plane_grid(plane: dict, n: int) -> np.ndarray:
    """n*n points (a, b), point k = j*n + i at (a_i, b_j): static/figures/lib/toys.js planeGrid."""
    (a0, a1), (b0, b1) = plane["a"], plane["b"]
    i = np.arange(n, dtype=np.float64)
    a = (a0 + i * (a1 - a0) / (n - 1)).astype(np.float32)
    b = (b0 + i * (b1 - b0) / (n - 1)).astype(np.float32)
    return np.stack([np.tile(a, n), np.repeat(b, n)], axis=1)


def log_normalise(values: np.ndarray) -> np.ndarray:
    """log(v + floor) rescaled to [0, 1]: lib/landscape.js logNormalise."""
    values = np.asarray(values, dtype=np.float64)
    hi = float(values.max())
    floor = max(abs(hi) * LOG_FLOOR, 1e-30)
    logs = np.log(np.maximum(values, 0) + floor)
    l0, l1 = np.log(max(float(values.min()), 0) + floor), np.log(max(hi, 0) + floor)
    return (logs - l0) / ((l1 - l0) or 1.0)


def _colour(t: np.ndarray) -> np.ndarray:
    """Values in [0, 1] to uint8 RGB between LOW and HIGH (lib/landscape.js does the same)."""
    low, high = np.array(LOW, dtype=np.float64), np.array(HIGH, dtype=np.float64)
    return np.rint(low + np.asarray(t, dtype=np.float64)[..., None] * (high - low)).astype(np.uint8)


def _upsample(t: np.ndarray) -> np.ndarray:
    """Bilinear samples at the centres of UPSAMPLE x UPSAMPLE pixels per cell (rows bottom-up)."""
    n_rows, n_cols = t.shape

    def centres(count: int) -> np.ndarray:
        pixels = (count - 1) * UPSAMPLE
        return (np.arange(pixels) + 0.5) / pixels * (count - 1)

    rows, cols = centres(n_rows), centres(n_cols)
    r0 = np.minimum(rows.astype(int), n_rows - 2)
    c0 = np.minimum(cols.astype(int), n_cols - 2)
    fr, fc = (rows - r0)[:, None], (cols - c0)[None, :]
    top = t[r0][:, c0] * (1 - fc) + t[r0][:, c0 + 1] * fc
    bottom = t[r0 + 1][:, c0] * (1 - fc) + t[r0 + 1][:, c0 + 1] * fc
    return top * (1 - fr) + bottom * fr


def landscape_panel(values: np.ndarray, n: int, plane: dict, title: str, width: int, height: int) -> Plot:
    """A colour map with contours of a per-grid field (n*n values, planeGrid order) and axes."""
    t = log_normalise(values).reshape(n, n)  # rows: b, bottom row first
    plot = Plot(xlim=tuple(plane["a"]), ylim=tuple(plane["b"]), width=width, height=height,
                margin=(24, 10, 38, 44), title=title)
    plot.heatmap(_upsample(t), colormap=_colour, as_png=True)
    plot.contours(t.tolist(), [k / (CONTOUR_LEVELS + 1) for k in range(1, CONTOUR_LEVELS + 1)])
    plot.axes(xlabel="a", ylabel="b")
    plot.parts.append(f'<text x="44" y="16" fill="#1c1d1f" font-family="sans-serif" font-size="12">'
                      f'{html.escape(title)}</text>')
    return plot


def mark(plot: Plot, a: float, b: float) -> None:
    """A cross at (a, b), as lib/landscape.js marker()."""
    x, y = plot.px(a), plot.py(b)
    arms = f"M{x - 6:.1f} {y - 6:.1f}L{x + 6:.1f} {y + 6:.1f}M{x - 6:.1f} {y + 6:.1f}L{x + 6:.1f} {y - 6:.1f}"
    plot.parts.append(f'<path d="{arms}" stroke="#fdfdfb" stroke-width="5" stroke-linecap="round"/>'
                      f'<path d="{arms}" stroke="{MARK}" stroke-width="2.5" stroke-linecap="round"/>')


def compose(panels: list[tuple[Plot, int, int]], width: int, height: int, title: str,
            note: str = "") -> str:
    """Panels (plot, x, y) nested in one SVG of size width x height, with an optional text line
    along the bottom."""
    inner = []
    for plot, x, y in panels:
        svg = plot.to_svg().strip()
        inner.append(re.sub(r'^<svg xmlns="http://www.w3.org/2000/svg" ',
                            f'<svg x="{x}" y="{y}" ', svg))
    text = (f'<text x="8" y="{height - 8}" fill="{AXIS}" font-family="sans-serif" font-size="12">'
            f'{html.escape(note)}</text>') if note else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><title>{html.escape(title)}</title>'
            f'{"".join(inner)}{text}</svg>\n')


def _scalar(value: float) -> np.ndarray:
    return np.asarray(value, dtype=np.float32)


@fallback("accumulated_loss")
def accumulated_loss(params: dict, models_dir: Path) -> str:
    """F_m for the initial m with its minimum, beside the two tasks' (query-set) landscapes."""
    dataset, n = params.get("dataset", "maml"), int(params.get("grid", 31))
    step_size, m = float(params.get("step_size", 0.25)), int(params.get("m", 0))
    line, data = line_data(models_dir, dataset)
    grid = plane_grid(line["plane"], n)
    loss, minimum = onnxmodels.run(models_dir, "line_accumulated",
                                   {"grid": grid, **data, "step_size": _scalar(step_size)})
    (tasks,) = onnxmodels.run(models_dir, "line_landscape",
                              {"grid": grid, "x": data["x_test"], "y": data["y_test"]})
    panels = []
    for i, task in enumerate(line["data"]["tasks"]):
        plot = landscape_panel(tasks[i], n, line["plane"], f"Task {i + 1}: a* = {task['a']}, b* = {task['b']}",
                               260, 240)
        mark(plot, task["a"], task["b"])
        panels.append((plot, 0, i * 245))
    main = landscape_panel(loss[m], n, line["plane"], "Accumulated loss Fₘ after m fine-tuning steps",
                           420, 400)
    a, b = (float(v) for v in minimum[m])
    mark(main, a, b)
    panels.append((main, 270, 0))
    note = (f"m = {m}: Fₘ is smallest on the grid at (a, b) = ({a:.2f}, {b:.2f}); "
            f"fine-tuning steps of size α = {step_size:g}.")
    return compose(panels, 690, 510, "The accumulated loss after m fine-tuning steps", note)


@fallback("one_step")
def one_step(params: dict, models_dir: Path) -> str:
    """The two support-set landscapes with theta and the arrows theta -> phi_i, and the meta-loss."""
    dataset, n = params.get("dataset", "maml"), int(params.get("grid", 41))
    theta = np.asarray(params.get("theta", [0.8, 0.2]), dtype=np.float32)
    alpha = float(params.get("step_size", 0.5))
    line, data = line_data(models_dir, dataset)
    (tasks,) = onnxmodels.run(models_dir, "line_landscape",
                              {"grid": plane_grid(line["plane"], n), "x": data["x_train"], "y": data["y_train"]})
    phi, after, meta_loss = onnxmodels.run(models_dir, "line_maml_step", {
        "theta": theta, **data, "step_size": _scalar(alpha),
        "meta_step_size": _scalar(float(params.get("meta_step_size", 0.5))),
    })[:3]
    panels = []
    for i, task in enumerate(line["data"]["tasks"]):
        plot = landscape_panel(tasks[i], n, line["plane"],
                               f"Task {i + 1}: support loss, minimum at ({task['a']}, {task['b']})", 360, 330)
        mark(plot, task["a"], task["b"])
        plot.arrow(float(theta[0]), float(theta[1]), float(phi[i][0]), float(phi[i][1]), color=ARROW)
        plot.points([float(theta[0])], [float(theta[1])], color=THETA, radius=7)
        panels.append((plot, i * 370, 0))
    losses = " + ".join(f"{v:.4f}" for v in after)
    note = (f"θ = ({theta[0]:.2f}, {theta[1]:.2f}), α = {alpha:.2f}: "
            f"meta-loss Σᵢ Lᵢ(φᵢ) = {losses} = {float(meta_loss):.4f}")
    return compose(panels, 730, 360, "One inner step from a shared starting point", note)
