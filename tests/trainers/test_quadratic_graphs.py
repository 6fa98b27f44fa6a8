"""quadratic_landscape (the map under figure "Local curvature") against the closed form of f.

f(x) = 1/2 (x - 1/2)^T C (x - 1/2) + g^T x is written out again here with numpy, in float64, so
the reference shares no code with trainers.toys. The committed ONNX file is checked against torch
on the figure's own grid (a 41 x 41 grid of the unit square) and on the slider's extremes.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from trainers import toys
from trainers.graphs import catalogue, quadratic

MODELS = Path(__file__).resolve().parents[2] / "static" / "models"
G = np.array([0.1, -0.1])


def _grid(n: int) -> np.ndarray:
    """n*n points of [0, 1]^2, point k = j*n + i at (x1_i, x2_j): lib/toys.js planeGrid."""
    ticks = np.arange(n) / (n - 1)
    return np.stack([np.tile(ticks, n), np.repeat(ticks, n)], axis=1)


def _f(points: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    d = points - 0.5
    return 0.5 * (a * d[:, 0] ** 2 + 2 * b * d[:, 0] * d[:, 1] + c * d[:, 1] ** 2) + points @ G


def _inputs(grid: np.ndarray, a: float, b: float, c: float, dtype=torch.float64) -> dict[str, torch.Tensor]:
    scalars = {"a": a, "b": b, "c": c}
    return {"grid": torch.tensor(grid, dtype=dtype), **{k: torch.tensor(v, dtype=dtype) for k, v in scalars.items()}}


# Defaults, C = 0, a saddle, negative definite and positive definite corners of the sliders' cube.
CURVATURES = [tuple(toys.QUADRATIC_DEFAULTS.values()), (0.0, 0.0, 0.0), (0.5, 0.5, -0.5), (-0.5, 0.1, -0.5),
              (0.5, 0.2, 0.5), (-0.3, -0.5, 0.4)]


def test_g_is_the_article_s():
    np.testing.assert_array_equal(toys.QUADRATIC_G, G)


@pytest.mark.parametrize("curvature", CURVATURES)
def test_landscape_is_f_shifted_by_its_grid_minimum(curvature):
    grid = _grid(21)
    out = quadratic.quadratic_landscape(_inputs(grid, *curvature))
    f = _f(grid, *curvature)
    np.testing.assert_allclose(out["offset"].numpy(), f.min(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(out["loss"].numpy(), f - f.min(), rtol=0, atol=1e-12)
    # What the log-scaled map needs: nothing below zero, and the lowest point exactly zero.
    assert out["loss"].min().item() == 0.0
    assert (out["loss"] >= 0).all()


def test_f_is_negative_somewhere_so_the_shift_matters():
    assert _f(_grid(21), *CURVATURES[0]).min() < 0


def test_landscape_agrees_with_the_curvature_graph_s_loss():
    """The map and the arrows' graph describe the same f: quadratic_curvature's f(x) at grid points."""
    grid = _grid(5)
    for curvature in CURVATURES:
        out = quadratic.quadratic_landscape(_inputs(grid, *curvature))
        for point, shifted in zip(grid, out["loss"]):
            x = torch.tensor(point, dtype=torch.float64)
            scalars = {k: torch.tensor(v, dtype=torch.float64) for k, v in zip("abc", curvature)}
            at = quadratic.quadratic_curvature({"x": x, **scalars, "step_size": torch.tensor(0.5, dtype=torch.float64)})
            torch.testing.assert_close(at["loss"], shifted + out["offset"])


def test_landscape_onnx_matches_torch():
    session = ort.InferenceSession(str(MODELS / "quadratic_landscape.onnx"), providers=["CPUExecutionProvider"])
    spec = catalogue()["quadratic_landscape"]
    for n in (41, 7):
        for curvature in CURVATURES:
            inputs = _inputs(_grid(n), *curvature, dtype=torch.float32)
            got = session.run(list(spec.outputs), {k: v.numpy() for k, v in inputs.items()})
            want = spec.run_torch(inputs)
            for name, value in zip(spec.outputs, got):
                np.testing.assert_allclose(value, want[name].numpy(), rtol=1e-6, atol=1e-7, err_msg=name)
