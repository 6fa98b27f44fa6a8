"""The line-fitting toy's graphs: a softplus line fitted to a handful of points, two parameters
(a, b), so every quantity of the cost, MAML and Reptile chapters can be drawn on the plane.

Data arrive as inputs, so one graph serves every toy data set: x, y (T, N) for T tasks of N points,
or their _train and _test halves.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Callable

import torch
from torch.func import grad, vjp, vmap

from trainers import toys
from trainers.graphs.common import LINE_POINTS, T, examples, grid, identity_2x2, lengths, scalar
from trainers.methods import METHODS, Method, meta_iteration
from trainers.methods.common import HyperParams, MetaStep, TaskBatch
from trainers.methods.fomaml import fomaml_meta_gradient
from trainers.methods.maml import maml_meta_gradient
from trainers.onnx_export import GraphSpec, Tensors
from trainers.optim import adam_init

# Steps of the accumulated-loss figure: m = 0 .. ACCUMULATED_STEPS on its slider.
ACCUMULATED_STEPS = 20


def _over_tasks_and_grid(fn: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    """fn(theta (2,), *task data (N,)) -> f(grid (G, 2), *data (T, N)) with result (T, G, ...)."""
    return vmap(vmap(fn, in_dims=(0,) + (None,) * 4), in_dims=(None,) + (0,) * 4)


def line_landscape(inputs: Tensors) -> Tensors:
    def loss(theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return toys.line_loss(toys.as_params(theta), x, y)

    per_task = vmap(vmap(loss, in_dims=(0, None, None)), in_dims=(None, 0, 0))
    return {"loss": per_task(inputs["grid"], inputs["x"], inputs["y"])}


def line_accumulated(inputs: Tensors) -> Tensors:
    step_size = inputs["step_size"]

    def losses_along_path(theta, x_train, y_train, x_test, y_test) -> torch.Tensor:
        path = toys.line_trajectory(toys.as_params(theta), x_train, y_train, step_size, ACCUMULATED_STEPS)
        return torch.stack([toys.line_loss(p, x_test, y_test) for p in path])

    per_task = _over_tasks_and_grid(losses_along_path)(
        inputs["grid"], inputs["x_train"], inputs["y_train"], inputs["x_test"], inputs["y_test"]
    )  # (T, G, M + 1)
    loss = per_task.sum(0).T  # (M + 1, G)
    return {"loss": loss, "minimum": inputs["grid"][loss.argmin(dim=1)]}


def line_maml_step(inputs: Tensors) -> Tensors:
    theta, alpha = inputs["theta"], inputs["step_size"]
    x_train, y_train = inputs["x_train"], inputs["y_train"]
    x_test, y_test = inputs["x_test"], inputs["y_test"]
    params = toys.as_params(theta)
    # The trainers' own MAML meta-gradient, with the line model as its `forward`.
    step = maml_meta_gradient(
        params,
        TaskBatch(x_train, y_train, x_test, y_test),
        HyperParams(inner_lr=toys.mse_step_size(alpha), inner_steps=1),
        model=toys.line_forward,
    )
    # MAML's meta-loss is the mean over tasks of the test MSE; the figure's is the sum over tasks
    # of the toy loss, half the MSE: T/2 times as large, and so is its gradient.
    meta_gradient = 0.5 * x_train.shape[0] * toys.as_vector(step.direction)

    def adapted(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return toys.as_vector(toys.line_trajectory(params, x, y, alpha, 1)[-1])

    phis = vmap(adapted)(x_train, y_train)
    losses = vmap(lambda phi, x, y: toys.line_loss(toys.as_params(phi), x, y))(phis, x_test, y_test)
    return {
        "phi": phis,
        "task_losses_after": losses,
        "meta_loss": losses.sum(),
        "meta_gradient": meta_gradient,
        "theta_next": theta - inputs["meta_step_size"] * meta_gradient,
    }


def on_line_model(method: Method) -> Method:
    """A method of the trainers, meta-learning the line model instead of the sinusoid network."""
    return dataclasses.replace(method, meta_gradient=functools.partial(method.meta_gradient, model=toys.line_forward))


# Inner steps of the Reptile figure: its slider picks k = 1 .. REPTILE_STEPS.
REPTILE_STEPS = 5


def line_reptile_step(inputs: Tensors) -> Tensors:
    theta, alpha, x, y = inputs["theta"], inputs["step_size"], inputs["x"], inputs["y"]
    params = toys.as_params(theta)

    def path(x_task: torch.Tensor, y_task: torch.Tensor) -> torch.Tensor:
        return torch.stack([toys.as_vector(p) for p in toys.line_trajectory(params, x_task, y_task, alpha, REPTILE_STEPS)])

    # The trainers' own Reptile iteration, with the line model as its network. Reptile has no
    # optimiser state; the Adam state is a placeholder it passes through.
    reptile = on_line_model(METHODS["reptile"])
    updates = []
    for steps in range(1, REPTILE_STEPS + 1):
        hp = HyperParams(inner_lr=toys.mse_step_size(alpha), inner_steps=steps)
        new, _, _ = meta_iteration(reptile, params, adam_init(params), TaskBatch(x, y, x, y), hp, inputs["interpolation_rate"])
        updates.append(toys.as_vector(new))
    return {"path": vmap(path)(x, y), "theta_next": torch.stack(updates)}


# A floor on lengths that divide: at the task's minimum the gradients vanish, and the quotients
# below are then 0 instead of NaN.
_TINY = 1e-12


def _cosines(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Row-wise cosine of two (k, 2) stacks of vectors."""
    return (u * v).sum(-1) / torch.clamp(lengths(u) * lengths(v), min=_TINY)


def line_reptile_interpolation(inputs: Tensors) -> Tensors:
    """Everything the figure "Reptile interpolation" draws for one task, in one call.

    Reptile adapts on the train points only; MAML and first-order MAML adapt on them and are
    judged on the test points, as in MAML's objective. The figure compares directions: each
    meta-gradient's descent direction is drawn from theta with the length of the Reptile update
    (its own length is a separate output), so a zero update draws every arrow as a point.
    """
    theta, alpha, epsilon = inputs["theta"], inputs["step_size"], inputs["interpolation_rate"]
    x_train, y_train = inputs["x_train"], inputs["y_train"]
    params = toys.as_params(theta)
    path = toys.line_trajectory(params, x_train, y_train, alpha, REPTILE_STEPS)
    batch = TaskBatch(x_train[None], y_train[None], inputs["x_test"][None], inputs["y_test"][None])
    reptile = on_line_model(METHODS["reptile"])

    def for_steps(steps: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        hp = HyperParams(inner_lr=toys.mse_step_size(alpha), inner_steps=steps)
        # The trainers' own Reptile iteration (the Adam state is a placeholder it passes through)
        # and their own meta-gradients; the latter are of the test MSE, twice the toy's loss.
        new, _, _ = meta_iteration(reptile, params, adam_init(params), batch, hp, epsilon)
        exact = maml_meta_gradient(params, batch, hp, model=toys.line_forward).direction
        first_order = fomaml_meta_gradient(params, batch, hp, model=toys.line_forward).direction
        return toys.as_vector(new), 0.5 * toys.as_vector(exact), 0.5 * toys.as_vector(first_order)

    theta_next, exact, first_order = (torch.stack(rows) for rows in zip(*map(for_steps, range(1, REPTILE_STEPS + 1))))
    update = theta_next - theta
    update_length = lengths(update)

    def drawn_from_theta(gradient: torch.Tensor) -> torch.Tensor:
        """theta plus the descent direction -g / |g|, as long as the Reptile update."""
        unit = gradient / torch.clamp(lengths(gradient), min=_TINY)[:, None]
        return theta - update_length[:, None] * unit

    return {
        "path": torch.stack([toys.as_vector(p) for p in path]),
        "theta_next": theta_next,
        "update": update,
        "update_length": update_length,
        "maml_meta_gradient": exact,
        "first_order_meta_gradient": first_order,
        "maml_length": lengths(exact),
        "first_order_length": lengths(first_order),
        "maml_end": drawn_from_theta(exact),
        "first_order_end": drawn_from_theta(first_order),
        "maml_cosine": _cosines(update, -exact),
        "first_order_cosine": _cosines(update, -first_order),
    }


# Inner steps of the Jacobian-product figure: its slider picks k = 1 .. JACOBIAN_STEPS.
JACOBIAN_STEPS = 5


def _hessian_2x2(loss: Callable[[torch.Tensor], torch.Tensor], point: torch.Tensor) -> torch.Tensor:
    """The Hessian of a function of two variables at `point`, one reverse pass per row (traceable,
    unlike jacrev, whose basis comes from torch.eye)."""
    _, pullback = vjp(grad(loss), point)
    return torch.stack([pullback(row)[0] for row in identity_2x2(point)])


def _line_running_products(jacobians: torch.Tensor) -> torch.Tensor:
    """(k, 2, 2) step Jacobians J_0 .. J_{k-1} -> (k, 2, 2) products J_{j-1} ... J_0 for j = 1..k.

    The chain rule composes later steps on the left: d phi_j / d theta = J_{j-1} (d phi_{j-1} / d theta).
    """
    products = [jacobians[0]]
    for jacobian in jacobians[1:]:
        products.append(jacobian @ products[-1])
    return torch.stack(products)


def line_jacobian_product(inputs: Tensors) -> Tensors:
    theta, alpha = inputs["theta"], inputs["step_size"]
    x_train, y_train = inputs["x_train"], inputs["y_train"]
    x_test, y_test = inputs["x_test"], inputs["y_test"]

    def train_loss(point: torch.Tensor) -> torch.Tensor:
        return toys.line_loss(toys.as_params(point), x_train, y_train)

    path = toys.line_trajectory(toys.as_params(theta), x_train, y_train, alpha, JACOBIAN_STEPS)
    path = torch.stack([toys.as_vector(p) for p in path])  # phi_0 = theta, ..., phi_k: (k + 1, 2)
    # Step j maps phi_j to phi_j - alpha grad L(phi_j); its Jacobian is I - alpha H(phi_j).
    hessians = torch.stack([_hessian_2x2(train_loss, phi) for phi in path[:-1]])
    jacobians = identity_2x2(theta) - alpha * hessians

    # The arrows come from the trainers' own MAML and first-order MAML on this one task, with the
    # line model as their network. Their meta-loss is the test MSE, twice the toy's loss: halve it.
    batch = TaskBatch(x_train[None], y_train[None], x_test[None], y_test[None])

    def meta_gradient(method: Callable[..., MetaStep], steps: int) -> torch.Tensor:
        hp = HyperParams(inner_lr=toys.mse_step_size(alpha), inner_steps=steps)
        return 0.5 * toys.as_vector(method(toys.as_params(theta), batch, hp, model=toys.line_forward).direction)

    steps = range(1, JACOBIAN_STEPS + 1)
    test_losses = vmap(lambda point: toys.line_loss(toys.as_params(point), x_test, y_test))(path)
    return {
        "path": path,
        "jacobians": jacobians,
        "products": _line_running_products(jacobians),
        "meta_gradient": torch.stack([meta_gradient(maml_meta_gradient, k) for k in steps]),
        "first_order_meta_gradient": torch.stack([meta_gradient(fomaml_meta_gradient, k) for k in steps]),
        "test_loss": test_losses,
    }


# --- Example inputs and the specs -------------------------------------------------------------

Dims = dict[str, dict[int, str]]


def line_data(prefixes: tuple[str, ...]) -> tuple[Tensors, Dims]:
    """x and y of T tasks, (T, N) each, once per prefix (x_train, y_train, ...; "" for x and y)."""
    names = [f"{v}_{p}" if p else v for p in prefixes for v in ("x", "y")]
    return examples(1, **{n: (T, LINE_POINTS) for n in names}), {n: {0: "T", 1: "N"} for n in names}


def _one_line_task() -> tuple[Tensors, Dims]:
    """One task's train and test points, each of shape (N,)."""
    names = ("x_train", "y_train", "x_test", "y_test")
    return examples(5, **{n: (LINE_POINTS,) for n in names}), {n: {0: "N"} for n in names}


def graph_specs() -> list[GraphSpec]:
    plane = grid()
    line_xy, line_xy_dims = line_data(("",))
    line_split, line_split_dims = line_data(("train", "test"))
    one_task, one_task_dims = _one_line_task()
    return [
        GraphSpec(
            name="line_landscape",
            fn=line_landscape,
            example_inputs={**plane, **line_xy},
            outputs=("loss",),
            dynamic={"grid": {0: "G"}, **line_xy_dims},
            description="Each line-fitting task's loss 1/(2N) sum (softplus(a x + b) - y)^2 at each grid point (a, b).",
        ),
        GraphSpec(
            name="line_accumulated",
            fn=line_accumulated,
            example_inputs={**plane, **line_split, "step_size": scalar(0.5)},
            outputs=("loss", "minimum"),
            dynamic={"grid": {0: "G"}, **line_split_dims},
            description=(
                f"The accumulated loss sum_i L_i,test(U_i^(m)(a, b)) after m = 0..{ACCUMULATED_STEPS} SGD steps"
                " on each task's train data, at each grid point, and the grid point minimising it for each m."
            ),
        ),
        GraphSpec(
            name="line_maml_step",
            fn=line_maml_step,
            example_inputs={
                "theta": torch.tensor([0.4, 0.6]),
                **line_split,
                "step_size": scalar(0.5),
                "meta_step_size": scalar(0.1),
            },
            outputs=("phi", "task_losses_after", "meta_loss", "meta_gradient", "theta_next"),
            dynamic=line_split_dims,
            description=(
                "One MAML step on the line-fitting tasks: phi_i = theta - alpha grad L_i,train(theta), the test"
                " losses at phi_i, their sum (the meta-loss), its exact gradient through the inner step, and"
                " theta - beta times that gradient."
            ),
        ),
        GraphSpec(
            name="line_reptile_step",
            fn=line_reptile_step,
            example_inputs={
                "theta": torch.tensor([0.4, 0.6]),
                **line_xy,
                "step_size": scalar(0.5),
                "interpolation_rate": scalar(0.5),
            },
            outputs=("path", "theta_next"),
            dynamic=line_xy_dims,
            description=(
                f"Reptile on the line-fitting tasks: each task's SGD path theta, phi^(1), ..., phi^({REPTILE_STEPS})"
                " on its data, and for k = 1.."
                f"{REPTILE_STEPS} the Reptile update theta + epsilon (mean_i phi_i^(k) - theta)."
            ),
        ),
        GraphSpec(
            name="line_jacobian_product",
            fn=line_jacobian_product,
            example_inputs={"theta": torch.tensor([0.4, 0.6]), **one_task, "step_size": scalar(0.5)},
            outputs=("path", "jacobians", "products", "meta_gradient", "first_order_meta_gradient", "test_loss"),
            dynamic=one_task_dims,
            description=(
                f"k = 1..{JACOBIAN_STEPS} SGD steps on one line-fitting task's train loss from theta:"
                f" the path phi_0 = theta, ..., phi_{JACOBIAN_STEPS}; each step's Jacobian I - alpha H(phi_j)"
                " (H the Hessian of the train loss) for j = 0..4; for each k, their product"
                " d phi_k / d theta = J_{k-1} ... J_0, the exact meta-gradient d L_test(phi_k) / d theta"
                " (MAML through k steps) and the first-order one, grad L_test(phi_k); and L_test(phi_k)"
                " for k = 0..5. Row k - 1 of the per-k outputs belongs to k steps."
            ),
        ),
        GraphSpec(
            name="line_reptile_interpolation",
            fn=line_reptile_interpolation,
            example_inputs={
                "theta": torch.tensor([0.4, 0.6]),
                **one_task,
                "step_size": scalar(0.5),
                "interpolation_rate": scalar(0.5),
            },
            outputs=(
                "path",
                "theta_next",
                "update",
                "update_length",
                "maml_meta_gradient",
                "first_order_meta_gradient",
                "maml_length",
                "first_order_length",
                "maml_end",
                "first_order_end",
                "maml_cosine",
                "first_order_cosine",
            ),
            dynamic=one_task_dims,
            description=(
                f"Reptile, MAML and first-order MAML on one line-fitting task, for k = 1..{REPTILE_STEPS} inner"
                f" steps (row k - 1): the SGD path phi_0 = theta, ..., phi_{REPTILE_STEPS} on the train points;"
                " the Reptile update theta_next = theta + epsilon (phi_k - theta), update = theta_next - theta"
                " and its length; the exact and first-order meta-gradients g of L_test(phi_k) (the toy loss)"
                " and their lengths; the end points theta - |update| g / |g| of both (their descent directions"
                " drawn as long as the update); and the cosine of each -g with the update."
            ),
        ),
    ]
