"""The graphs of the figure "One meta-update, four ways" against references written out here.

Every method's update on the four line-fitting tasks of the `comparison` data set, for every row
the figure can pick (k = 1..5 inner steps; for iMAML 1..5 conjugate-gradient iterations):
- MAML: plain torch.autograd through the unrolled inner loop (create_graph), so the meta-gradient
  is exact for every k, not only for one step;
- first-order MAML: the gradient of the test loss at the end of a detached inner loop;
- Reptile: theta + epsilon (mean phi - theta) from a plain loop;
- iMAML: the proximal inner problem by a plain loop, then a direct solve of
  ((1 + damping) I + H / lambda) x = grad L_test(phi) with the exact Hessian (CG on a 2 x 2
  system is exact after two iterations), and the one-iteration CG iterate in closed form.
The references share nothing with the graphs but the toy data. The committed ONNX files are then
checked against torch to 1e-5 on the figure's data and random settings.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from torch.autograd.functional import hessian

from trainers import toys
from trainers.graphs import catalogue, comparison

MODELS = Path(__file__).resolve().parents[2] / "static" / "models"
STEPS = comparison.COMPARISON_STEPS
CG_STEPS = comparison.COMPARISON_CG_STEPS
GRAPHS = ("line_mean_landscape", "line_compare_maml", "line_compare_fomaml", "line_compare_reptile", "line_compare_imaml")
# (theta, alpha, beta): settings in the figure's ranges, where the methods' arrows differ.
SETTINGS = [((0.8, 0.8), 0.25, 1.0), ((0.5, 0.6), 0.5, 0.5), ((0.9, 0.3), 1.2, 2.0), ((0.1, 0.9), 0.05, 1.0)]


def _data(dtype: torch.dtype = torch.float64) -> dict[str, torch.Tensor]:
    """The figure's tasks: the `comparison` data set, (T, N) train and test points."""
    return {name: values.to(dtype) for name, values in toys.LINE_DATASETS["comparison"].samples().items()}


def _loss(theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """1/(2N) sum (softplus(a x + b) - y)^2, written out again (not toys.line_loss)."""
    return 0.5 * ((torch.nn.functional.softplus(theta[0] * x + theta[1]) - y) ** 2).mean()


def _adapted(theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor, alpha: float, steps: int, *, keep_graph: bool) -> torch.Tensor:
    """phi_k by plain SGD on the train loss; with keep_graph the loop stays differentiable."""
    phi = theta
    for _ in range(steps):
        (g,) = torch.autograd.grad(_loss(phi, x, y), phi, create_graph=keep_graph)
        phi = phi - alpha * g
    return phi


def _mean_test_loss(theta: torch.Tensor, data: dict, alpha: float, steps: int, *, keep_graph: bool) -> torch.Tensor:
    losses = [
        _loss(_adapted(theta, data["x_train"][i], data["y_train"][i], alpha, steps, keep_graph=keep_graph), data["x_test"][i], data["y_test"][i])
        for i in range(data["x_train"].shape[0])
    ]
    return torch.stack(losses).mean()


def _inputs(theta, data: dict, **scalars: float) -> dict[str, torch.Tensor]:
    theta = torch.as_tensor(theta, dtype=data["x_train"].dtype)
    return {"theta": theta, **data, **{k: torch.tensor(v, dtype=theta.dtype) for k, v in scalars.items()}}


def _check_arrows(out: dict[str, torch.Tensor], theta: torch.Tensor, update: torch.Tensor) -> None:
    """The drawn quantities: the update, where it ends, its length and direction in degrees."""
    torch.testing.assert_close(out["update"], update)
    torch.testing.assert_close(out["theta_next"], theta + update)
    torch.testing.assert_close(out["length"], torch.linalg.vector_norm(update, dim=1))
    degrees = torch.tensor([math.degrees(math.atan2(float(v[1]), float(v[0]))) for v in update], dtype=update.dtype)
    torch.testing.assert_close(out["direction"], degrees)


# --- MAML and first-order MAML ----------------------------------------------------------------


def _maml_reference(theta: torch.Tensor, data: dict, alpha: float, steps: int, *, exact: bool) -> torch.Tensor:
    """Exact: autograd through all k steps. First order: the gradient at phi_k, the path detached."""
    if exact:
        start = theta.clone().requires_grad_()
        (gradient,) = torch.autograd.grad(_mean_test_loss(start, data, alpha, steps, keep_graph=True), start)
        return gradient
    gradients = []
    for i in range(data["x_train"].shape[0]):
        phi = _adapted(theta.clone().requires_grad_(), data["x_train"][i], data["y_train"][i], alpha, steps, keep_graph=False)
        phi = phi.detach().requires_grad_()
        (g,) = torch.autograd.grad(_loss(phi, data["x_test"][i], data["y_test"][i]), phi)
        gradients.append(g)
    return torch.stack(gradients).mean(0)


@pytest.mark.parametrize("theta, alpha, beta", SETTINGS)
@pytest.mark.parametrize("exact", [True, False], ids=["maml", "fomaml"])
def test_maml_updates_match_autograd_for_every_k(theta, alpha, beta, exact):
    data = _data()
    graph = comparison.line_compare_maml if exact else comparison.line_compare_fomaml
    inputs = _inputs(theta, data, step_size=alpha, outer_step_size=beta)
    out = graph(inputs)
    theta = inputs["theta"]
    want = torch.stack([_maml_reference(theta, data, alpha, k, exact=exact) for k in range(1, STEPS + 1)])
    torch.testing.assert_close(out["meta_gradient"], want)
    with torch.enable_grad():
        losses = [_mean_test_loss(theta.clone().requires_grad_(), data, alpha, k, keep_graph=False) for k in range(1, STEPS + 1)]
    torch.testing.assert_close(out["meta_loss"], torch.stack(losses).detach())
    _check_arrows(out, theta, -beta * want)


def test_exact_and_first_order_differ():
    """Not vacuous: where the tasks curve, dropping the Jacobians changes the arrow (the original
    article's MAML arrow was exact for one step only, and would fail the autograd test above)."""
    inputs = _inputs((0.8, 0.8), _data(), step_size=0.5, outer_step_size=1.0)
    exact, first_order = comparison.line_compare_maml(inputs), comparison.line_compare_fomaml(inputs)
    assert (exact["meta_gradient"] - first_order["meta_gradient"]).abs().min(dim=1).values.max() > 1e-2
    # Exact through k steps is not exact through one step applied k times over: rows differ.
    assert (exact["meta_gradient"][1:] - exact["meta_gradient"][0]).abs().max() > 1e-2


# --- Reptile ----------------------------------------------------------------------------------


@pytest.mark.parametrize("theta, alpha, epsilon", [((0.8, 0.8), 0.25, 0.5), ((0.2, 0.4), 0.8, 1.0), ((0.6, 0.1), 1.5, 0.1)])
def test_reptile_update_matches_a_plain_loop(theta, alpha, epsilon):
    data = _data()
    inputs = _inputs(theta, {k: data[k] for k in ("x_train", "y_train")}, step_size=alpha, interpolation_rate=epsilon)
    out = comparison.line_compare_reptile(inputs)
    theta = inputs["theta"]
    rows = []
    with torch.enable_grad():
        for k in range(1, STEPS + 1):
            phis = [_adapted(theta.clone().requires_grad_(), data["x_train"][i], data["y_train"][i], alpha, k, keep_graph=False)
                    for i in range(data["x_train"].shape[0])]
            rows.append(epsilon * (torch.stack(phis).detach().mean(0) - theta))
    _check_arrows(out, theta, torch.stack(rows))


# --- iMAML ------------------------------------------------------------------------------------


def _proximal_solution(theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor, lam: float) -> torch.Tensor:
    """phi after the graph's fixed number of gradient steps on L(phi) + lam/2 ||phi - theta||^2."""
    step = 1.0 / (lam + comparison.COMPARISON_CURVATURE)
    phi = theta.clone().requires_grad_()
    for _ in range(comparison.COMPARISON_IMAML_STEPS):
        (g,) = torch.autograd.grad(_loss(phi, x, y) + 0.5 * lam * ((phi - theta) ** 2).sum(), phi)
        phi = (phi - step * g).detach().requires_grad_()
    return phi.detach()


def _imaml_reference(theta: torch.Tensor, data: dict, lam: float, damping: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean over tasks of the direct solve, and of one CG iteration from 0 (x1 = (g.g / g.Ag) g)."""
    solves, first_iterates = [], []
    for i in range(data["x_train"].shape[0]):
        phi = _proximal_solution(theta, data["x_train"][i], data["y_train"][i], lam)
        h = hessian(lambda p: _loss(p, data["x_train"][i], data["y_train"][i]), phi)
        matrix = (1 + damping) * torch.eye(2, dtype=theta.dtype) + h / lam
        g = torch.func.grad(lambda p: _loss(p, data["x_test"][i], data["y_test"][i]))(phi)
        solves.append(torch.linalg.solve(matrix, g))
        first_iterates.append((g @ g) / (g @ matrix @ g) * g)
    return torch.stack(solves).mean(0), torch.stack(first_iterates).mean(0)


@pytest.mark.parametrize("theta", [(0.8, 0.8), (0.5, 0.6), (0.9, 0.3), (0.2, 0.1)])
@pytest.mark.parametrize("lam, damping", [(0.5, 0.1), (2.0, 0.0), (8.0, 1.0), (1.0, 0.3)])
def test_imaml_update_matches_a_direct_solve(theta, lam, damping):
    data = _data()
    beta = 1.5
    inputs = _inputs(theta, data, lam=lam, damping=damping, outer_step_size=beta)
    out = comparison.line_compare_imaml(inputs)
    theta = inputs["theta"]
    solve, first = _imaml_reference(theta, data, lam, damping)
    want = torch.cat([first[None], solve.expand(CG_STEPS - 1, 2)])
    torch.testing.assert_close(out["meta_gradient"], want)
    # One iteration, then two (CG is exact on 2 x 2 systems), then it stops at the tolerance.
    torch.testing.assert_close(out["cg_iterations"], torch.tensor([1.0] + [2.0] * (CG_STEPS - 1), dtype=theta.dtype))
    assert (out["cg_residual"][1:] < 1e-4).all()
    _check_arrows(out, theta, -beta * want)


@pytest.mark.parametrize("lam, damping", [(0.25, 0.0), (2.0, 0.1), (16.0, 1.0)])
def test_imaml_rows_are_the_trainers_imaml_meta_gradient(lam, damping):
    """The graph solves each inner problem once and runs CG from there for every row; the trainers'
    imaml_meta_gradient, which solves it again for each CG budget, gives the same gradients."""
    from trainers.config import hyperparams, load_config
    from trainers.methods import TaskBatch
    from trainers.methods.imaml import imaml_meta_gradient

    data = _data()
    theta = torch.tensor((0.7, 0.4), dtype=torch.float64)
    out = comparison.line_compare_imaml(_inputs(theta, data, lam=lam, damping=damping, outer_step_size=1.0))
    batch = TaskBatch(data["x_train"], data["y_train"], data["x_test"], data["y_test"])
    for c in range(1, CG_STEPS + 1):
        hp = comparison._line_imaml_hyperparams({"lam": torch.tensor(lam, dtype=theta.dtype), "damping": torch.tensor(damping, dtype=theta.dtype)})
        hp = type(hp)(**{**hp.__dict__, "cg_steps": c})
        step = imaml_meta_gradient(toys.as_params(theta), batch, hp, model=toys.line_forward)
        assert step.stats["solved"] == 1
        torch.testing.assert_close(out["meta_gradient"][c - 1], 0.5 * toys.as_vector(step.direction))
        torch.testing.assert_close(out["cg_iterations"][c - 1], step.stats["cg_iterations"])
        torch.testing.assert_close(out["cg_residual"][c - 1], step.stats["cg_residual"])
    assert hp.cg_tol == hyperparams(load_config("imaml")).cg_tol and hp.stability == 0


def test_imaml_arguments_are_not_swapped():
    """The original article passed iMAML's arguments in the wrong order: lambda and the damping
    must each act as themselves (a larger lambda keeps phi nearer theta, so the implicit gradient
    nears the plain gradient at theta; damping only shrinks the solve)."""
    data = _data()
    theta = (0.8, 0.8)
    base = comparison.line_compare_imaml(_inputs(theta, data, lam=1.0, damping=0.0, outer_step_size=1.0))["meta_gradient"][-1]
    stiff = comparison.line_compare_imaml(_inputs(theta, data, lam=64.0, damping=0.0, outer_step_size=1.0))["meta_gradient"][-1]
    damped = comparison.line_compare_imaml(_inputs(theta, data, lam=1.0, damping=1.0, outer_step_size=1.0))["meta_gradient"][-1]
    start = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    (plain,) = torch.autograd.grad(_mean_test_loss(start, data, 0.0, 0, keep_graph=False), start)
    assert torch.linalg.vector_norm(stiff - plain) < 0.1 * torch.linalg.vector_norm(plain)
    assert torch.linalg.vector_norm(base - plain) > 0.2 * torch.linalg.vector_norm(plain)
    assert torch.linalg.vector_norm(damped) < torch.linalg.vector_norm(base)


# --- The landscape ----------------------------------------------------------------------------


def test_mean_landscape_is_the_mean_of_the_task_losses():
    data = _data()
    grid = torch.rand(37, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    out = comparison.line_mean_landscape({"grid": grid, "x": data["x_train"], "y": data["y_train"]})["loss"]
    want = torch.stack([torch.stack([_loss(p, x, y) for x, y in zip(data["x_train"], data["y_train"])]).mean() for p in grid])
    torch.testing.assert_close(out, want)


# --- ONNX against torch -----------------------------------------------------------------------


def _session(name: str) -> ort.InferenceSession:
    return ort.InferenceSession(str(MODELS / f"{name}.onnx"), providers=["CPUExecutionProvider"])


def _random_settings(spec, gen: torch.Generator) -> dict[str, torch.Tensor]:
    """The figure's data with theta in the plane and every scalar in its slider's range."""
    ranges = {"step_size": (0.05, 1.5), "outer_step_size": (0.1, 2.0), "interpolation_rate": (0.05, 1.0),
              "lam": (0.25, 16.0), "damping": (0.0, 1.0)}
    data = _data(torch.float32)
    inputs = {}
    for name, example in spec.example_inputs.items():
        if name == "theta":
            inputs[name] = torch.rand(2, generator=gen)
        elif name == "grid":
            inputs[name] = torch.rand(41, 2, generator=gen)
        elif name in ("x", "y"):
            inputs[name] = data[f"{name}_train"]
        elif name in data:
            inputs[name] = data[name]
        else:
            low, high = ranges[name]
            inputs[name] = torch.tensor(low + (high - low) * float(torch.rand((), generator=gen)), dtype=example.dtype)
    return inputs


@pytest.mark.parametrize("name", GRAPHS)
def test_onnx_matches_torch(name):
    spec = catalogue()[name]
    session = _session(name)
    gen = torch.Generator().manual_seed(21)
    for _ in range(6):
        inputs = _random_settings(spec, gen)
        got = session.run(list(spec.outputs), {k: v.numpy() for k, v in inputs.items()})
        want = spec.run_torch(inputs)
        for output, value in zip(spec.outputs, got):
            np.testing.assert_allclose(value, want[output].numpy(), rtol=1e-5, atol=1e-5, err_msg=f"{name}.{output}")


# --- The five-step MAML model of the results table --------------------------------------------


def test_maml5_is_maml_with_five_inner_steps_and_otherwise_maml_settings():
    """`article train maml5` reads trainers/configs/maml5.yaml: the method is MAML, and only the
    inner steps and a smaller outer step size (the one-step model's diverged through five steps)
    differ from the one-step model's config."""
    from trainers.config import config_names, load_config, method_of

    assert method_of("maml5") == "maml" and "maml5" in config_names()
    assert config_names()[:5] == ["pretrained", "maml", "fomaml", "reptile", "imaml"]
    five, one = load_config("maml5"), load_config("maml")
    assert five["method"] == "maml" and five["inner_steps"] == 5 and one["inner_steps"] == 1
    assert five["outer_lr"] < one["outer_lr"]
    differ = ("inner_steps", "outer_lr")
    assert {k: v for k, v in five.items() if k not in differ} == {k: v for k, v in one.items() if k not in differ}
