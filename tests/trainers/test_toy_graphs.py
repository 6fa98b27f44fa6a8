"""The two-parameter graphs of the cost and first-order chapters against independent references.

line_jacobian_product (figure "The Jacobian product, live") against plain torch.autograd through a
loop written out here; quadratic_curvature (figure "Local curvature") against its closed form and
against autograd. The committed ONNX files are checked against torch on the figures' own inputs
(test_export.py checks every graph on random ones too).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from torch.autograd.functional import hessian, jacobian

from trainers import toys
from trainers.graphs import catalogue, line, quadratic

from line_reference import loss, reptile_task, unrolled

MODELS = Path(__file__).resolve().parents[2] / "static" / "models"
STEPS = line.JACOBIAN_STEPS


def _session(name: str) -> ort.InferenceSession:
    return ort.InferenceSession(str(MODELS / f"{name}.onnx"), providers=["CPUExecutionProvider"])


# --- The Jacobian product ---------------------------------------------------------------------


def _jacobian_inputs(theta, alpha, data) -> dict[str, torch.Tensor]:
    return {"theta": theta, **data, "step_size": torch.tensor(alpha, dtype=theta.dtype)}


@pytest.mark.parametrize("theta, alpha", [((0.2, 0.7), 0.8), ((0.9, 0.1), 0.3), ((0.5, 0.5), 1.6)])
def test_jacobian_product_matches_autograd(theta, alpha):
    data = reptile_task()
    theta = torch.tensor(theta, dtype=torch.float64)
    out = line.line_jacobian_product(_jacobian_inputs(theta, alpha, data))
    identity = torch.eye(2, dtype=torch.float64)
    train = lambda t: loss(t, data["x_train"], data["y_train"])  # noqa: E731
    test = lambda t: loss(t, data["x_test"], data["y_test"])  # noqa: E731
    with torch.enable_grad():
        path = [unrolled(theta.clone().requires_grad_(), data, alpha, k).detach() for k in range(STEPS + 1)]
    torch.testing.assert_close(out["path"], torch.stack(path))
    torch.testing.assert_close(out["test_loss"], torch.stack([test(p) for p in path]))
    for j in range(STEPS):
        torch.testing.assert_close(out["jacobians"][j], identity - alpha * hessian(train, path[j]))
    for k in range(1, STEPS + 1):
        phi_k = lambda t: unrolled(t, data, alpha, k)  # noqa: E731
        exact = jacobian(lambda t: test(phi_k(t)), theta, create_graph=True)
        torch.testing.assert_close(out["products"][k - 1], jacobian(phi_k, theta, create_graph=True))
        torch.testing.assert_close(out["meta_gradient"][k - 1], exact)
        first_order = jacobian(test, path[k])
        torch.testing.assert_close(out["first_order_meta_gradient"][k - 1], first_order)
        # The chain rule the figure illustrates: exact = (J_{k-1} ... J_0)^T grad L_test(phi_k).
        torch.testing.assert_close(out["products"][k - 1].T @ first_order, exact)
    # Not vacuous: with these step sizes the product is far from the identity.
    assert (out["meta_gradient"] - out["first_order_meta_gradient"]).abs().max() > 1e-2


def test_jacobian_product_onnx_matches_torch():
    session = _session("line_jacobian_product")
    spec = catalogue()["line_jacobian_product"]
    data = reptile_task(torch.float32)
    gen = torch.Generator().manual_seed(8)
    for _ in range(6):
        theta = torch.rand(2, generator=gen)
        alpha = float(2 * torch.rand((), generator=gen))
        inputs = _jacobian_inputs(theta, alpha, data)
        got = session.run(list(spec.outputs), {k: v.numpy() for k, v in inputs.items()})
        want = spec.run_torch(inputs)
        for name, value in zip(spec.outputs, got):
            np.testing.assert_allclose(value, want[name].numpy(), rtol=1e-5, atol=1e-5, err_msg=name)


# --- Local curvature --------------------------------------------------------------------------

G = torch.tensor(toys.QUADRATIC_G, dtype=torch.float64)


def _quadratic_inputs(x, a, b, c, alpha, dtype=torch.float64) -> dict[str, torch.Tensor]:
    scalars = {"a": a, "b": b, "c": c, "step_size": alpha}
    return {"x": torch.tensor(x, dtype=dtype), **{k: torch.tensor(v, dtype=dtype) for k, v in scalars.items()}}


def _random_curvatures(count: int, seed: int):
    """(x, a, b, c, alpha): a, b, c in [-0.5, 0.5] (the sliders' range), x in the unit square."""
    gen = torch.Generator().manual_seed(seed)
    for _ in range(count):
        a, b, c = (torch.rand(3, generator=gen) - 0.5).tolist()
        x = torch.rand(2, generator=gen).tolist()
        yield x, a, b, c, float(torch.rand((), generator=gen))


def _closed_form(x: torch.Tensor, curvature: torch.Tensor, alpha: float) -> dict[str, torch.Tensor]:
    gradient = lambda p: curvature @ (p - 0.5) + G  # noqa: E731
    phi = x - alpha * gradient(x)
    return {
        "gradient": gradient(x),
        "phi": phi,
        "first_order_meta_gradient": gradient(phi),
        "meta_gradient": (torch.eye(2, dtype=x.dtype) - alpha * curvature) @ gradient(phi),
    }


def test_curvature_zero_leaves_only_the_linear_term():
    out = quadratic.quadratic_curvature(_quadratic_inputs((0.3, 0.8), 0.0, 0.0, 0.0, 0.4))
    torch.testing.assert_close(out["curvature"], torch.zeros(2, 2, dtype=torch.float64))
    torch.testing.assert_close(out["eigenvalues"], torch.zeros(2, dtype=torch.float64))
    for name in ("gradient", "first_order_meta_gradient", "meta_gradient"):
        torch.testing.assert_close(out[name], G)
    torch.testing.assert_close(out["phi"], torch.tensor([0.3, 0.8], dtype=torch.float64) - 0.4 * G)


@pytest.mark.parametrize("case", list(_random_curvatures(8, seed=21)))
def test_curvature_matches_closed_form_and_autograd(case):
    x, a, b, c, alpha = case
    inputs = _quadratic_inputs(x, a, b, c, alpha)
    out = quadratic.quadratic_curvature(inputs)
    curvature = torch.tensor([[a, b], [b, c]], dtype=torch.float64)
    f = lambda p: toys.quadratic_loss(p, curvature, G)  # noqa: E731
    torch.testing.assert_close(out["curvature"], curvature)
    torch.testing.assert_close(out["curvature"], hessian(f, inputs["x"]))
    torch.testing.assert_close(out["eigenvalues"], torch.linalg.eigvalsh(curvature))
    for name, value in _closed_form(inputs["x"], curvature, alpha).items():
        torch.testing.assert_close(out[name], value, msg=name)

    def after_one_step(p: torch.Tensor) -> torch.Tensor:  # f(U(x)), U by plain autograd
        (g,) = torch.autograd.grad(f(p), p, create_graph=True)
        return f(p - alpha * g)

    torch.testing.assert_close(out["meta_gradient"], jacobian(after_one_step, inputs["x"], create_graph=True))
    torch.testing.assert_close(out["loss_after"], f(out["phi"]))


def test_curvature_onnx_matches_torch():
    session = _session("quadratic_curvature")
    spec = catalogue()["quadratic_curvature"]
    cases = [((0.3, 0.8), 0.0, 0.0, 0.0, 0.4), ((0.5, 0.5), 0.2, 0.0, 0.2, 1.0), *_random_curvatures(10, seed=5)]
    for case in cases:
        inputs = _quadratic_inputs(*case, dtype=torch.float32)
        got = session.run(list(spec.outputs), {k: v.numpy() for k, v in inputs.items()})
        want = spec.run_torch(inputs)
        for name, value in zip(spec.outputs, got):
            np.testing.assert_allclose(value, want[name].numpy(), rtol=1e-5, atol=1e-5, err_msg=name)
