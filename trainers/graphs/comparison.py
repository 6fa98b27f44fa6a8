"""The graphs of the figure "One meta-update, four ways" (the comparison chapter): the line-fitting
toy's mean landscape, and one graph per method giving its update from theta for every value of
the slider that the method has (inner steps, or CG iterations for iMAML).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch.func import vmap

from trainers import toys
from trainers.config import hyperparams, load_config
from trainers.graphs.common import grid, lengths, scalar
from trainers.graphs.line import line_data, line_landscape, on_line_model
from trainers.inner import adapt
from trainers.methods import METHODS, meta_iteration
from trainers.methods.common import HyperParams, MetaStep, TaskBatch
from trainers.methods.fomaml import fomaml_meta_gradient
from trainers.methods.imaml import conjugate_gradient_iterates, curvature_floor, implicit_system
from trainers.methods.maml import maml_meta_gradient
from trainers.onnx_export import GraphSpec, Tensors
from trainers.optim import adam_init


# Inner steps of the MAML, first-order MAML and Reptile arrows (k = 1 .. COMPARISON_STEPS on their
# sliders), and the CG iterations of the iMAML arrow (1 .. COMPARISON_CG_STEPS). Every graph
# returns one row per value, so a slider only picks a row and never reruns a graph.
COMPARISON_STEPS = 5
COMPARISON_CG_STEPS = 5
# iMAML's inner problem min_phi L(phi) + lambda/2 ||phi - theta||^2 is solved as the trainers
# solve it, by a fixed number of gradient steps: as many as trainers/configs/imaml.yaml takes
# (COMPARISON_IMAML_STEPS), of size 1 / (lambda + COMPARISON_CURVATURE). The toy losses' Hessians
# have eigenvalues in [-0.14, 2.67] over the plane, so that step never overshoots; for small lambda
# the solve stops short of the minimum, and the implicit gradient is taken where it stopped, as in
# the method.
_IMAML = hyperparams(load_config("imaml"))  # the trainers' iMAML settings, read once
COMPARISON_IMAML_STEPS = _IMAML.inner_steps
COMPARISON_CURVATURE = 3.0


def line_mean_landscape(inputs: Tensors) -> Tensors:
    """The mean over tasks of line_landscape: the landscape the comparison figure draws."""
    return {"loss": line_landscape(inputs)["loss"].mean(dim=0)}


def _degrees(vectors: torch.Tensor) -> torch.Tensor:
    """The direction of each row of a (k, 2) stack, in degrees anticlockwise from the a axis."""
    return torch.atan2(vectors[:, 1], vectors[:, 0]) * (180.0 / torch.pi)


def _arrow_rows(theta: torch.Tensor, update: torch.Tensor) -> Tensors:
    """What the figure draws and prints for a (k, 2) stack of updates from theta."""
    return {"update": update, "theta_next": theta + update, "length": lengths(update), "direction": _degrees(update)}


def _comparison_batch(inputs: Tensors) -> TaskBatch:
    return TaskBatch(inputs["x_train"], inputs["y_train"], inputs["x_test"], inputs["y_test"])


def _line_maml_rows(inputs: Tensors, meta_gradient: Callable[..., MetaStep]) -> Tensors:
    """MAML or first-order MAML from theta for k = 1 .. COMPARISON_STEPS: the trainers' own
    meta-gradient of the mean test loss after k steps, with the line model as its network.

    The trainers' meta-loss is the mean test MSE, twice the toy's loss, so the gradient and the
    loss are halved to be those of the mean toy loss the figure draws.
    """
    theta, alpha, beta = inputs["theta"], inputs["step_size"], inputs["outer_step_size"]
    params, batch = toys.as_params(theta), _comparison_batch(inputs)
    gradients, losses = [], []
    for steps in range(1, COMPARISON_STEPS + 1):
        hp = HyperParams(inner_lr=toys.mse_step_size(alpha), inner_steps=steps)
        step = meta_gradient(params, batch, hp, model=toys.line_forward)
        gradients.append(0.5 * toys.as_vector(step.direction))
        losses.append(0.5 * step.loss)
    gradient = torch.stack(gradients)
    return {"meta_gradient": gradient, "meta_loss": torch.stack(losses), **_arrow_rows(theta, -beta * gradient)}


def line_compare_maml(inputs: Tensors) -> Tensors:
    return _line_maml_rows(inputs, maml_meta_gradient)


def line_compare_fomaml(inputs: Tensors) -> Tensors:
    return _line_maml_rows(inputs, fomaml_meta_gradient)


def line_compare_reptile(inputs: Tensors) -> Tensors:
    """Reptile from theta for k = 1 .. COMPARISON_STEPS: the trainers' own Reptile iteration (inner
    loop on each task's train points; the Adam state is a placeholder it passes through)."""
    theta, alpha, epsilon = inputs["theta"], inputs["step_size"], inputs["interpolation_rate"]
    params = toys.as_params(theta)
    batch = TaskBatch(inputs["x_train"], inputs["y_train"], inputs["x_train"], inputs["y_train"])
    reptile = on_line_model(METHODS["reptile"])
    rows = []
    for steps in range(1, COMPARISON_STEPS + 1):
        hp = HyperParams(inner_lr=toys.mse_step_size(alpha), inner_steps=steps)
        new, _, _ = meta_iteration(reptile, params, adam_init(params), batch, hp, epsilon)
        rows.append(toys.as_vector(new))
    return _arrow_rows(theta, torch.stack(rows) - theta)


def _line_imaml_hyperparams(inputs: Tensors) -> HyperParams:
    """iMAML's settings for the toy, in the trainers' units: their proximal term is added to the
    MSE, twice the toy's loss, so lambda becomes 2 lambda (H / lambda is then the same in both
    units) and an SGD step of eta on the toy is a step of eta / 2 on the MSE. The overshoot guard
    is off: the figure shows iMAML's gradient itself."""
    lam = inputs["lam"]
    return HyperParams(
        inner_lr=toys.mse_step_size(1.0 / (lam + COMPARISON_CURVATURE)),
        inner_steps=COMPARISON_IMAML_STEPS,
        lam=2.0 * lam,
        cg_tol=_IMAML.cg_tol,  # the trainers' tolerance
        cg_damping=inputs["damping"],
        stability=0.0,
    )


def line_compare_imaml(inputs: Tensors) -> Tensors:
    """iMAML from theta for 1 .. COMPARISON_CG_STEPS conjugate-gradient iterations, with the line
    model as the trainers' network; row c - 1 is the mean over the tasks of the implicit
    meta-gradient after c CG iterations (halved: the trainers' is of the MSE).

    Each task's inner problem is solved once, by the trainers' inner loop with iMAML's proximal
    term (exactly as trainers.methods.imaml.imaml_task solves it), and its implicit system is
    solved once, by the trainers' CG, whose iterates are the answers for every smaller budget:
    CG with a budget of c takes the first c iterations of a longer run. The implicit gradient
    depends on the solution phi alone, not on the path to it (the property that keeps iMAML's
    memory flat in k), so every row is the trainers' iMAML meta-gradient for its budget
    (tests/trainers/test_comparison_graphs.py checks them against imaml_meta_gradient). The step
    1 / (lambda + COMPARISON_CURVATURE) lowers the proximal objective at every step on this toy,
    so every task's solve succeeds and the plain mean over tasks is the trainers' mean over solved
    tasks.
    """
    theta, beta = inputs["theta"], inputs["outer_step_size"]
    params, batch, hp = toys.as_params(theta), _comparison_batch(inputs), _line_imaml_hyperparams(inputs)

    def per_task(*task: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        support_x, support_y = task[:2]
        phi = adapt(params, support_x, support_y, hp.inner_lr, hp.inner_steps, toys.line_forward, anchor=params, lam=hp.lam)
        apply_a, query_grad, _ = implicit_system(phi, *task, hp, toys.line_forward)
        iterates = conjugate_gradient_iterates(apply_a, query_grad, COMPARISON_CG_STEPS, hp.cg_tol, curvature_floor(hp.cg_damping))
        next(iterates)  # the budget of 0 CG iterations, which the slider does not offer
        gradients, iterations, residuals = zip(*iterates)
        return torch.stack([toys.as_vector(g) for g in gradients]), torch.stack(iterations), torch.stack(residuals)

    gradients, iterations, residuals = vmap(per_task)(*batch)  # (T, C, 2), (T, C), (T, C)
    gradient = 0.5 * gradients.mean(0)
    return {
        "meta_gradient": gradient,
        "cg_iterations": iterations.mean(0),
        "cg_residual": residuals.mean(0),
        **_arrow_rows(theta, -beta * gradient),
    }


def graph_specs() -> list[GraphSpec]:
    """The figure's landscape, and one graph per method."""
    line_xy, line_xy_dims = line_data(("",))
    line_split, line_split_dims = line_data(("train", "test"))
    theta = {"theta": torch.tensor([0.4, 0.6])}
    train = {name: line_split[name] for name in ("x_train", "y_train")}  # Reptile reads no test points
    arrows = ("update", "theta_next", "length", "direction")
    rows = f"row k - 1 for k = 1..{COMPARISON_STEPS} inner steps"
    arrow_text = "the update from theta, theta + update, its length and its direction in degrees from the a axis"
    maml_like = {
        **theta,
        **line_split,
        "step_size": scalar(0.25),
        "outer_step_size": scalar(1.0),
    }

    def maml_spec(name: str, fn: Callable[[Tensors], Tensors], which: str) -> GraphSpec:
        return GraphSpec(
            name=name,
            fn=fn,
            example_inputs=maml_like,
            outputs=("meta_gradient", "meta_loss", *arrows),
            dynamic=line_split_dims,
            description=(
                f"{which} on the line-fitting tasks ({rows}): the gradient of the mean test loss after k SGD"
                f" steps of size alpha on each task's train points, that loss, and for the update -beta times"
                f" the gradient: {arrow_text}."
            ),
        )

    return [
        GraphSpec(
            name="line_mean_landscape",
            fn=line_mean_landscape,
            example_inputs={**grid(), **line_xy},
            outputs=("loss",),
            dynamic={"grid": {0: "G"}, **line_xy_dims},
            description="The mean over the line-fitting tasks of their losses (line_landscape) at each grid point (a, b).",
        ),
        maml_spec("line_compare_maml", line_compare_maml, "MAML, exact through all k steps,"),
        maml_spec("line_compare_fomaml", line_compare_fomaml, "First-order MAML"),
        GraphSpec(
            name="line_compare_reptile",
            fn=line_compare_reptile,
            example_inputs={**theta, **train, "step_size": scalar(0.25), "interpolation_rate": scalar(0.5)},
            outputs=arrows,
            dynamic={name: line_split_dims[name] for name in train},
            description=(
                f"Reptile on the line-fitting tasks ({rows}): theta + epsilon (mean_i phi_i^(k) - theta), phi_i^(k)"
                f" after k SGD steps of size alpha on task i's train points (test points unused): {arrow_text}."
            ),
        ),
        GraphSpec(
            name="line_compare_imaml",
            fn=line_compare_imaml,
            example_inputs={
                **theta,
                **line_split,
                "lam": scalar(1.0),
                "damping": scalar(0.1),
                "outer_step_size": scalar(1.0),
            },
            outputs=("meta_gradient", "cg_iterations", "cg_residual", *arrows),
            dynamic=line_split_dims,
            description=(
                f"iMAML on the line-fitting tasks, row c - 1 for c = 1..{COMPARISON_CG_STEPS} conjugate-gradient"
                f" iterations: phi_i solves min L_i,train(phi) + lambda/2 ||phi - theta||^2 by"
                f" {COMPARISON_IMAML_STEPS} SGD steps of size 1 / (lambda + {COMPARISON_CURVATURE:g}); the mean"
                " implicit meta-gradient ((1 + damping) I + H_i / lambda)^-1 grad L_i,test(phi_i) by CG, the"
                " mean CG iterations taken and relative residual, and for the update -beta times the"
                f" meta-gradient: {arrow_text}."
            ),
        ),
    ]
