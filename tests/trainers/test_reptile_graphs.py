"""line_reptile_interpolation (figure "Reptile interpolation") against independent references.

Every output is recomputed here with plain torch.autograd through an SGD loop written out again
(not the trainers' inner loop), in float64. The committed ONNX file is checked against torch on
the figure's own task, and against the older line_reptile_step graph, which computes the same
path and Reptile update another way. Two facts the chapter states are checked on the toy too:
with k = 1 the update is a gradient step on the task's loss, and for small alpha the two-step
update follows its Taylor expansion.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from torch.autograd.functional import hessian, jacobian

from trainers import toys
from trainers.graphs import catalogue, line

from line_reference import loss, reptile_task, unrolled

MODELS = Path(__file__).resolve().parents[2] / "static" / "models"
GRAPH = "line_reptile_interpolation"
STEPS = line.REPTILE_STEPS
# (theta, alpha, epsilon): the figure's default, far corners, a large step and a small rate.
CASES = [((0.15, 0.85), 0.8, 0.5), ((0.9, 0.1), 1.2, 1.0), ((0.05, 0.05), 0.1, 0.05), ((0.6, 0.9), 1.5, 0.3)]


def _inputs(theta, alpha: float, epsilon: float, data: dict, dtype=torch.float64) -> dict[str, torch.Tensor]:
    scalar = lambda v: torch.tensor(v, dtype=dtype)  # noqa: E731
    return {"theta": torch.tensor(theta, dtype=dtype), **data,
            "step_size": scalar(alpha), "interpolation_rate": scalar(epsilon)}


def _reference(theta: torch.Tensor, alpha: float, epsilon: float, data: dict) -> dict[str, torch.Tensor]:
    """Every output of the graph from its definition, one k at a time."""
    test = lambda t: loss(t, data["x_test"], data["y_test"])  # noqa: E731
    with torch.enable_grad():
        path = torch.stack([unrolled(theta.clone().requires_grad_(), data, alpha, k).detach() for k in range(STEPS + 1)])
    rows: dict[str, list[torch.Tensor]] = {}
    for k in range(1, STEPS + 1):
        exact = jacobian(lambda t: test(unrolled(t, data, alpha, k)), theta, create_graph=True)
        first_order = jacobian(test, path[k])
        update = epsilon * (path[k] - theta)
        length = torch.linalg.vector_norm(update)
        values = {
            "theta_next": theta + update,
            "update": update,
            "update_length": length,
            "maml_meta_gradient": exact,
            "first_order_meta_gradient": first_order,
            "maml_length": torch.linalg.vector_norm(exact),
            "first_order_length": torch.linalg.vector_norm(first_order),
            "maml_end": theta - length * exact / torch.linalg.vector_norm(exact),
            "first_order_end": theta - length * first_order / torch.linalg.vector_norm(first_order),
            "maml_cosine": torch.nn.functional.cosine_similarity(update, -exact, dim=0),
            "first_order_cosine": torch.nn.functional.cosine_similarity(update, -first_order, dim=0),
        }
        for name, value in values.items():
            rows.setdefault(name, []).append(value)
    return {"path": path, **{name: torch.stack(values) for name, values in rows.items()}}


def _session(name: str) -> ort.InferenceSession:
    return ort.InferenceSession(str(MODELS / f"{name}.onnx"), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("theta, alpha, epsilon", CASES)
def test_reptile_interpolation_matches_autograd(theta, alpha, epsilon):
    data = reptile_task()
    inputs = _inputs(theta, alpha, epsilon, data)
    out = line.line_reptile_interpolation(inputs)
    want = _reference(inputs["theta"], alpha, epsilon, data)
    assert set(out) == set(want) == set(catalogue()[GRAPH].outputs)
    for name, value in want.items():
        torch.testing.assert_close(out[name], value, msg=name)
    # Not vacuous: the exact and first-order directions differ, and both differ from Reptile's.
    gap = torch.linalg.vector_norm(out["maml_end"] - out["first_order_end"], dim=-1)
    assert (gap > 1e-3 * out["update_length"]).all()
    assert (out["first_order_cosine"] < 1 - 1e-6).any()
    # Every arrow is as long as the Reptile update: the figure compares directions.
    for end in ("maml_end", "first_order_end"):
        torch.testing.assert_close(torch.linalg.vector_norm(out[end] - inputs["theta"], dim=-1), out["update_length"])


def test_one_inner_step_is_a_gradient_step_on_the_task_loss():
    """k = 1: theta + epsilon (phi_1 - theta) = theta - epsilon alpha grad L(theta), joint training."""
    data = reptile_task()
    theta, alpha, epsilon = (0.3, 0.7), 0.8, 0.4
    inputs = _inputs(theta, alpha, epsilon, data)
    out = line.line_reptile_interpolation(inputs)
    gradient = jacobian(lambda t: loss(t, data["x_train"], data["y_train"]), inputs["theta"])
    torch.testing.assert_close(out["theta_next"][0], inputs["theta"] - epsilon * alpha * gradient)


def test_two_step_update_follows_its_taylor_expansion():
    """(theta - phi_2) / alpha = 2 g - alpha H g + O(alpha^2), g and H at theta (the chapter's
    expansion, with the same points in both steps): the remainder shrinks like alpha^2."""
    data = reptile_task()
    theta = torch.tensor([0.2, 0.8], dtype=torch.float64)
    train = lambda t: loss(t, data["x_train"], data["y_train"])  # noqa: E731
    g, h = jacobian(train, theta), hessian(train, theta)
    remainders = []
    for alpha in (0.04, 0.02, 0.01):
        out = line.line_reptile_interpolation(_inputs(theta.tolist(), alpha, 1.0, data))
        reptile_gradient = (theta - out["theta_next"][1]) / alpha
        remainders.append(torch.linalg.vector_norm(reptile_gradient - (2 * g - alpha * h @ g)).item())
    ratios = [remainders[i] / remainders[i + 1] for i in range(len(remainders) - 1)]
    assert all(3.5 < r < 4.5 for r in ratios), (remainders, ratios)


def test_finite_at_the_task_minimum():
    """At (a*, b*) every gradient vanishes; the cosines must be numbers, not NaN."""
    a, b = toys.LINE_DATASETS["reptile"].tasks[0]
    out = line.line_reptile_interpolation(_inputs((a, b), 0.5, 0.5, reptile_task(torch.float32), torch.float32))
    for name, value in out.items():
        assert torch.isfinite(value).all(), name


def test_onnx_matches_torch_on_the_figure_task():
    session = _session(GRAPH)
    spec = catalogue()[GRAPH]
    data = reptile_task(torch.float32)
    gen = torch.Generator().manual_seed(11)
    for _ in range(6):
        theta = torch.rand(2, generator=gen).tolist()
        alpha = 0.05 + 1.45 * float(torch.rand((), generator=gen))  # the figure's slider range
        epsilon = 0.05 + 0.95 * float(torch.rand((), generator=gen))
        inputs = _inputs(theta, alpha, epsilon, data, torch.float32)
        got = session.run(list(spec.outputs), {k: v.numpy() for k, v in inputs.items()})
        want = spec.run_torch(inputs)
        for name, value in zip(spec.outputs, got):
            np.testing.assert_allclose(value, want[name].numpy(), rtol=1e-5, atol=1e-5, err_msg=name)


def test_onnx_agrees_with_line_reptile_step():
    """The same task fed to line_reptile_step (T = 1, train points) gives the same path and update."""
    data = {k: v.numpy() for k, v in reptile_task(torch.float32).items()}
    feeds = {"theta": np.asarray([0.25, 0.7], np.float32), "step_size": np.asarray(0.9, np.float32),
             "interpolation_rate": np.asarray(0.6, np.float32)}
    path, theta_next, *_ = _session(GRAPH).run(None, {**feeds, **data})
    old_path, old_next = _session("line_reptile_step").run(
        None, {**feeds, "x": data["x_train"][None], "y": data["y_train"][None]})
    np.testing.assert_allclose(path, old_path[0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(theta_next, old_next, rtol=0, atol=1e-6)
