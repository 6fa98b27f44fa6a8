"""Static fallback pictures: name -> function(params, models_dir) -> SVG text.

Shown when JavaScript or WebAssembly is unavailable, and until a figure's module has mounted.
Each function runs the same exported ONNX graphs as the live figure (Python onnxruntime, no
torch) and draws with `sitegen.svgplot`. Register a new one with `@fallback("name")` and name it
in content/figures.yaml.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import onnxmodels
from .svgplot import PALETTE, Plot

Fallback = Callable[[dict, Path], str]
REGISTRY: dict[str, Fallback] = {}


def fallback(name: str) -> Callable[[Fallback], Fallback]:
    def register(function: Fallback) -> Fallback:
        if name in REGISTRY:
            raise ValueError(f"fallback {name!r} registered twice")
        REGISTRY[name] = function
        return function
    return register


def sinusoid_grid(count: int = 200) -> np.ndarray:
    """The x values the sinusoid figures draw: `count` equally spaced points of [-5, 5]."""
    return np.linspace(-5.0, 5.0, count, dtype=np.float32).reshape(-1, 1)


@fallback("sinusoid_demo")
def sinusoid_demo(params: dict, models_dir: Path) -> str:
    """A model's prediction on [-5, 5] (before any fine-tuning), with a target sinusoid."""
    graph = params.get("graph", "sinusoid_predict")
    model = params.get("model", "maml")
    amplitude = float(params.get("amplitude", 2.0))
    phase = float(params.get("phase", 0.5))
    x = sinusoid_grid()
    weights = onnxmodels.load_params(models_dir, model)
    (prediction,) = onnxmodels.run(models_dir, graph, {**weights, "x": x})[:1]
    target = amplitude * np.sin(x + phase)
    plot = Plot(xlim=(-5, 5), ylim=(-5.5, 5.5), title=f"Prediction of the {model} model")
    plot.axes(xlabel="x", ylabel="y")
    plot.polyline(x[:, 0], target[:, 0], color=PALETTE[1], dash="5 4")
    plot.polyline(x[:, 0], np.asarray(prediction).reshape(-1), color=PALETTE[0])
    plot.legend([(f"A sin(x + φ), A = {amplitude:g}, φ = {phase:g}", PALETTE[1]),
                 (f"{model} model, before fine-tuning", PALETTE[0])])
    return plot.to_svg()

# Renderers kept in their own modules register themselves when imported; the imports stay last
# because those modules import `fallback` from here.
from . import fallback_landscapes  # noqa: E402,F401  (accumulated_loss, one_step)
from . import fallback_finetune  # noqa: E402,F401  (finetune)
