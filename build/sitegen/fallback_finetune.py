"""Static pictures of the fine-tuning figures ("Fine-tune the pretrained model" and "Fine-tune
the MAML model"), drawn from the same graphs as static/figures/finetune.js.

The picture shows the figure's initial state and what its first "fine-tune" press gives: the
target curve, the default samples (their y read from the graph's true curve), the model's
prediction at its meta-initialisation, and its prediction after the default number of SGD steps
(one `sinusoid_finetune_step` call per step, as in the browser), with the MSE on the protocol grid.
Colours are the site's light palette, since an <img> cannot read the page's CSS.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import onnxmodels
from .fallbacks import fallback
from .svgplot import AXIS, PALETTE, Plot

GRID_POINTS = 1000  # as GRID_POINTS in static/figures/finetune/compute.js (the protocol grid)
DRAW_EVERY = 5
Y_RANGE = (-6.0, 6.0)  # as Y_RANGE in static/figures/finetune/plot.js
LABELS = {"pretrained": "pretrained model", "maml": "MAML model"}  # as finetune.js LABELS
REQUIRED = ("model", "amplitude", "phase", "samples", "steps", "step_size")


def _scalar(value: float) -> np.ndarray:
    return np.asarray(value, dtype=np.float32)


def fine_tune(models_dir: Path, params: dict) -> dict:
    """The computation behind the picture (and a reference for tests): curves before and after
    `steps` SGD steps on the default samples, and the MSE after each step."""
    missing = [key for key in REQUIRED if key not in params]
    if missing:
        raise ValueError(f"finetune figure params lack {', '.join(missing)}")
    grid = np.linspace(-5.0, 5.0, GRID_POINTS, dtype=np.float32).reshape(-1, 1)
    target = {"amplitude": _scalar(params["amplitude"]), "phase": _scalar(params["phase"])}
    weights = onnxmodels.load_params(models_dir, params["model"])
    sample_x = np.asarray(params["samples"], dtype=np.float32).reshape(-1, 1)
    _, sample_y, _ = onnxmodels.run(models_dir, "sinusoid_curves", {**weights, **target, "x": sample_x})
    before, true_curve, mse0 = onnxmodels.run(models_dir, "sinusoid_curves", {**weights, **target, "x": grid})
    mse = [float(mse0)]
    current = weights
    after = before
    names = list(weights)
    for _ in range(int(params["steps"])):
        outputs = onnxmodels.run(models_dir, "sinusoid_finetune_step", {
            **current, **target, "x": grid, "support_x": sample_x, "support_y": sample_y,
            "step_size": _scalar(params["step_size"])})
        current = dict(zip(names, outputs[: len(names)]))
        _, after, step_mse = outputs[len(names):]  # loss before the step, prediction, MSE after
        mse.append(float(step_mse))
    return {"grid": grid[:, 0], "target": true_curve[:, 0], "before": before[:, 0],
            "after": after[:, 0], "sample_x": sample_x[:, 0], "sample_y": sample_y[:, 0],
            "mse": mse, "params": current}


@fallback("finetune")
def finetune(params: dict, models_dir: Path) -> str:
    result = fine_tune(models_dir, params)
    label = LABELS.get(params["model"], f"{params['model']} model")
    steps = int(params["steps"])
    plot = Plot(xlim=(-5, 5), ylim=Y_RANGE,
                title=f"The {label} fine-tuned for {steps} steps on {len(result['sample_x'])} samples")
    plot.axes(xlabel="x", ylabel="y")
    # Every DRAW_EVERY-th grid point (and the last) keeps the picture small; the MSE uses them all.
    keep = np.r_[np.arange(0, GRID_POINTS, DRAW_EVERY), GRID_POINTS - 1]
    xs = result["grid"][keep]
    curves = {k: np.clip(result[k][keep], *Y_RANGE) for k in ("target", "before", "after")}
    plot.polyline(xs, curves["before"], color=AXIS, dash="5 4")
    plot.polyline(xs, curves["target"], color=PALETTE[1], dash="5 4")
    plot.polyline(xs, curves["after"], color=PALETTE[0])
    plot.points(result["sample_x"], result["sample_y"], color=PALETTE[1], radius=5)
    plot.legend([
        (f"true curve, A = {params['amplitude']:g}, φ = {params['phase']:g}", PALETTE[1]),
        (f"{label}, before fine-tuning (MSE {result['mse'][0]:.3g})", AXIS),
        (f"{label}, after {steps} steps (MSE {result['mse'][-1]:.3g})", PALETTE[0]),
    ])
    return plot.to_svg()
