"""The catalogue of ONNX graphs: every computation a figure runs, written once in torch.

Each entry is a `GraphSpec`: a step function over named tensors (built only from the shared
pieces: trainers.model, trainers.inner, trainers.sinusoid, trainers.toys), example inputs, the
output names and the dynamic dimensions. Graphs take parameters and data as inputs, so one graph
serves every model and every toy data set.

Dimension names used in the signatures: N points to evaluate, K support points, T tasks, G grid
points (parameter pairs (a, b)).
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Callable

import torch
from torch.func import grad, vjp, vmap

from trainers import bumps, omniglot_graphs, toys
from trainers.inner import adapt, mse, sgd_step
from trainers.config import hyperparams, load_config
from trainers.methods import METHODS, Method, meta_iteration
from trainers.methods.common import HyperParams, MetaStep, TaskBatch
from trainers.methods.fomaml import fomaml_meta_gradient
from trainers.methods.imaml import imaml_task
from trainers.methods.maml import maml_meta_gradient
from trainers.model import PARAM_NAMES, Params, forward, init_params
from trainers.onnx_export import GraphSpec, Tensors
from trainers.optim import AdamState, adam_init
from trainers.sinusoid import sinusoid
from trainers.inner import task_loss, trajectory
from trainers.methods.common import over_tasks
from trainers.sinusoid import AMPLITUDE_RANGE, X_RANGE, batch_from_uniforms

# Steps of the accumulated-loss figure: m = 0 .. ACCUMULATED_STEPS on its slider.
ACCUMULATED_STEPS = 20

# Example sizes for tracing: distinct, and none equal to a static size (1, 2, 40), so the tracer
# never confuses one dimension with another.
_N, _K, _T, _G, _NT, _Q = 13, 7, 3, 11, 5, 9


def _examples(seed: int = 0, **shapes: tuple[int, ...]) -> Tensors:
    gen = torch.Generator().manual_seed(seed)
    return {name: torch.rand(shape, generator=gen) for name, shape in shapes.items()}


def _sinusoid_params() -> Tensors:
    return dict(init_params(0))


def _params(inputs: Tensors) -> Tensors:
    return {name: inputs[name] for name in PARAM_NAMES}


# --- Sinusoid network -------------------------------------------------------------------------


def sinusoid_predict(inputs: Tensors) -> Tensors:
    return {"y": forward(_params(inputs), inputs["x"])}


def sinusoid_sgd_step(inputs: Tensors) -> Tensors:
    new, loss = sgd_step(_params(inputs), inputs["support_x"], inputs["support_y"], inputs["step_size"])
    return {**{f"{name}_next": new[name] for name in PARAM_NAMES}, "loss": loss}


def sinusoid_curves(inputs: Tensors) -> Tensors:
    prediction = forward(_params(inputs), inputs["x"])
    target = sinusoid(inputs["x"], inputs["amplitude"], inputs["phase"])
    return {"prediction": prediction, "target": target, "mse": mse(prediction, target)}


def sinusoid_finetune_step(inputs: Tensors) -> Tensors:
    """One SGD step and the curves after it: a whole frame of the fine-tuning figures in one call
    (each onnxruntime-web call costs about half a millisecond of fixed overhead)."""
    step = sinusoid_sgd_step(inputs)
    after = sinusoid_curves({**inputs, **{name: step[f"{name}_next"] for name in PARAM_NAMES}})
    return {**step, "prediction": after["prediction"], "mse": after["mse"]}


# --- Line fitting through a softplus ----------------------------------------------------------


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


def _on_line_model(method: Method) -> Method:
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
    reptile = _on_line_model(METHODS["reptile"])
    updates = []
    for steps in range(1, REPTILE_STEPS + 1):
        hp = HyperParams(inner_lr=toys.mse_step_size(alpha), inner_steps=steps)
        new, _, _ = meta_iteration(reptile, params, adam_init(params), TaskBatch(x, y, x, y), hp, inputs["interpolation_rate"])
        updates.append(toys.as_vector(new))
    return {"path": vmap(path)(x, y), "theta_next": torch.stack(updates)}


def _lengths(vectors: torch.Tensor) -> torch.Tensor:
    """The Euclidean length of each row of a (k, 2) stack of vectors."""
    return torch.sqrt((vectors**2).sum(-1))


# A floor on lengths that divide: at the task's minimum the gradients vanish, and the quotients
# below are then 0 instead of NaN.
_TINY = 1e-12


def _cosines(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Row-wise cosine of two (k, 2) stacks of vectors."""
    return (u * v).sum(-1) / torch.clamp(_lengths(u) * _lengths(v), min=_TINY)


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
    reptile = _on_line_model(METHODS["reptile"])

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
    update_length = _lengths(update)

    def drawn_from_theta(gradient: torch.Tensor) -> torch.Tensor:
        """theta plus the descent direction -g / |g|, as long as the Reptile update."""
        unit = gradient / torch.clamp(_lengths(gradient), min=_TINY)[:, None]
        return theta - update_length[:, None] * unit

    return {
        "path": torch.stack([toys.as_vector(p) for p in path]),
        "theta_next": theta_next,
        "update": update,
        "update_length": update_length,
        "maml_meta_gradient": exact,
        "first_order_meta_gradient": first_order,
        "maml_length": _lengths(exact),
        "first_order_length": _lengths(first_order),
        "maml_end": drawn_from_theta(exact),
        "first_order_end": drawn_from_theta(first_order),
        "maml_cosine": _cosines(update, -exact),
        "first_order_cosine": _cosines(update, -first_order),
    }


# Inner steps of the Jacobian-product figure: its slider picks k = 1 .. JACOBIAN_STEPS.
JACOBIAN_STEPS = 5


def _identity_2x2(like: torch.Tensor) -> torch.Tensor:
    # A constant, not torch.eye: eye decomposes into an in-place fill the ONNX exporter rejects.
    return torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=like.dtype)


def _hessian_2x2(loss: Callable[[torch.Tensor], torch.Tensor], point: torch.Tensor) -> torch.Tensor:
    """The Hessian of a function of two variables at `point`, one reverse pass per row (traceable,
    unlike jacrev, whose basis comes from torch.eye)."""
    _, pullback = vjp(grad(loss), point)
    return torch.stack([pullback(row)[0] for row in _identity_2x2(point)])


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
    jacobians = _identity_2x2(theta) - alpha * hessians

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


# --- Quadratic with curvature (the first-order MAML chapter) ----------------------------------


def quadratic_curvature(inputs: Tensors) -> Tensors:
    x, alpha = inputs["x"], inputs["step_size"]
    a, b, c = inputs["a"], inputs["b"], inputs["c"]
    curvature = torch.stack([torch.stack([a, b]), torch.stack([b, c])])
    g = torch.tensor(toys.QUADRATIC_G, dtype=x.dtype)

    def loss(point: torch.Tensor) -> torch.Tensor:
        return toys.quadratic_loss(point, curvature, g)

    def adapt(point: torch.Tensor) -> torch.Tensor:  # U(x) = x - alpha grad f(x)
        return point - alpha * grad(loss)(point)

    phi = adapt(x)
    # A symmetric 2x2 matrix's eigenvalues in closed form (ONNX has no eigensolver), ascending.
    mean, radius = 0.5 * (a + c), torch.sqrt((0.5 * (a - c)) ** 2 + b**2)
    return {
        "curvature": curvature,
        "eigenvalues": torch.stack([mean - radius, mean + radius]),
        "gradient": grad(loss)(x),
        "phi": phi,
        "first_order_meta_gradient": grad(loss)(phi),
        # Differentiated through the step, so (I - alpha C) grad f(phi) comes out of the chain rule.
        "meta_gradient": grad(lambda point: loss(adapt(point)))(x),
        "loss": loss(x),
        "loss_after": loss(phi),
    }


def quadratic_landscape(inputs: Tensors) -> Tensors:
    """f of the quadratic toy at each grid point, less its smallest value on the grid.

    f is negative on much of the plane (g^T x, and C may have negative eigenvalues), and the
    figures' landscapes draw log(v) of values clamped at zero (lib/landscape.js). Shifting by the
    grid minimum makes every value non-negative with the lowest point at exactly zero, and keeps
    the shape: the offset is returned so f itself is loss + offset.
    """
    a, b, c = inputs["a"], inputs["b"], inputs["c"]
    curvature = torch.stack([torch.stack([a, b]), torch.stack([b, c])])
    g = torch.tensor(toys.QUADRATIC_G, dtype=inputs["grid"].dtype)
    values = vmap(lambda point: toys.quadratic_loss(point, curvature, g))(inputs["grid"])
    offset = values.min()
    return {"loss": values - offset, "offset": offset}


# --- One meta-update, four ways (the comparison chapter) --------------------------------------

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
COMPARISON_IMAML_STEPS = hyperparams(load_config("imaml")).inner_steps
COMPARISON_CURVATURE = 3.0


def line_mean_landscape(inputs: Tensors) -> Tensors:
    """The mean over tasks of line_landscape: the landscape the comparison figure draws."""
    return {"loss": line_landscape(inputs)["loss"].mean(dim=0)}


def _degrees(vectors: torch.Tensor) -> torch.Tensor:
    """The direction of each row of a (k, 2) stack, in degrees anticlockwise from the a axis."""
    return torch.atan2(vectors[:, 1], vectors[:, 0]) * (180.0 / torch.pi)


def _arrow_rows(theta: torch.Tensor, update: torch.Tensor) -> Tensors:
    """What the figure draws and prints for a (k, 2) stack of updates from theta."""
    return {"update": update, "theta_next": theta + update, "length": _lengths(update), "direction": _degrees(update)}


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
    reptile = _on_line_model(METHODS["reptile"])
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
        cg_tol=hyperparams(load_config("imaml")).cg_tol,  # the trainers' tolerance
        cg_damping=inputs["damping"],
        stability=0.0,
    )


def line_compare_imaml(inputs: Tensors) -> Tensors:
    """iMAML from theta for 1 .. COMPARISON_CG_STEPS conjugate-gradient iterations, with the line
    model as the trainers' network; row c - 1 is the mean over the tasks of the implicit
    meta-gradient after c CG iterations (halved: the trainers' is of the MSE).

    Each task's inner problem is solved once, by the trainers' inner loop with iMAML's proximal
    term (exactly as trainers.methods.imaml.imaml_task solves it). Every row then runs the
    trainers' imaml_task from that solution with no further inner steps: the implicit gradient
    depends on the solution phi alone, not on the path to it (the property that keeps iMAML's
    memory flat in k), so this is the trainers' iMAML meta-gradient, with one inner solve shared
    by the five rows instead of five (tests/trainers/test_comparison_graphs.py checks the two
    agree). The step 1 / (lambda + COMPARISON_CURVATURE) lowers the proximal objective at every
    step on this toy, so every task's solve succeeds and the plain mean over tasks is the
    trainers' mean over solved tasks.
    """
    theta, beta = inputs["theta"], inputs["outer_step_size"]
    params, batch, hp = toys.as_params(theta), _comparison_batch(inputs), _line_imaml_hyperparams(inputs)

    def inner_solution(support_x: torch.Tensor, support_y: torch.Tensor) -> Params:
        return adapt(params, support_x, support_y, hp.inner_lr, hp.inner_steps, toys.line_forward, anchor=params, lam=hp.lam)

    solutions = vmap(inner_solution)(batch.support_x, batch.support_y)

    def row(cg_steps: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        at_solution = dataclasses.replace(hp, inner_steps=0, cg_steps=cg_steps)

        def per_task(phi: Params, *task: torch.Tensor):
            gradient, _, iterations, residual, _ = imaml_task(phi, *task, at_solution, toys.line_forward)
            return toys.as_vector(gradient), iterations, residual

        gradients, iterations, residuals = vmap(per_task)(solutions, *batch)
        return 0.5 * gradients.mean(0), iterations.mean(), residuals.mean()

    gradient, iterations, residuals = (torch.stack(rows) for rows in zip(*map(row, range(1, COMPARISON_CG_STEPS + 1))))
    return {
        "meta_gradient": gradient,
        "cg_iterations": iterations,
        "cg_residual": residuals,
        **_arrow_rows(theta, -beta * gradient),
    }


# --- Meta-training steps (the comparison chapter meta-trains in the browser) -------------------

# Hyperparameters a meta-step graph takes as inputs, where its method reads them. The others
# (inner_steps, cg_steps, cg_tol) shape the graph and are fixed at export from the method's config.
META_STEP_INPUTS = ("inner_lr", "lam", "cg_damping")
STATE_PREFIXES = ("m", "v")


def meta_step(method_name: str) -> tuple[Callable[[Tensors], Tensors], HyperParams, tuple[str, ...]]:
    """One meta-iteration of `method_name` (the trainers' `meta_iteration`) over named tensors.

    Returns the step function, the hyperparameters fixed in it, and the hyperparameter inputs.
    """
    method = METHODS[method_name]
    fixed = hyperparams(load_config(method_name))
    tunable = tuple(k for k in META_STEP_INPUTS if k in method.keys)

    def step(inputs: Tensors) -> Tensors:
        state = AdamState(
            m={n: inputs[f"m_{n}"] for n in PARAM_NAMES},
            v={n: inputs[f"v_{n}"] for n in PARAM_NAMES},
            t=inputs["t"],
        )
        batch = TaskBatch(inputs["support_x"], inputs["support_y"], inputs["query_x"], inputs["query_y"])
        hp = dataclasses.replace(fixed, **{k: inputs[k] for k in tunable})
        params, state, result = meta_iteration(method, _params(inputs), state, batch, hp, inputs["outer_lr"])
        return {
            **{f"{n}_next": params[n] for n in PARAM_NAMES},
            **{f"{prefix}_{n}_next": getattr(state, prefix)[n] for prefix in STATE_PREFIXES for n in PARAM_NAMES},
            "t_next": state.t,
            "meta_loss": result.loss,
            **result.stats,
        }

    return step, fixed, tunable


def _meta_step_spec(method_name: str) -> GraphSpec:
    fn, fixed, tunable = meta_step(method_name)
    gen = torch.Generator().manual_seed(3)
    params = _sinusoid_params()
    state = {
        **{f"m_{n}": 0.01 * torch.randn(p.shape, generator=gen) for n, p in params.items()},
        **{f"v_{n}": 1e-4 * torch.rand(p.shape, generator=gen) for n, p in params.items()},
        "t": _scalar(3.0),
    }
    batch = _examples(4, support_x=(_T, _K, 1), support_y=(_T, _K, 1), query_x=(_T, _Q, 1), query_y=(_T, _Q, 1))
    config = load_config(method_name)
    hp_inputs = {k: _scalar(float(config[k])) for k in tunable}
    example_inputs = {**params, **state, **batch, **hp_inputs, "outer_lr": _scalar(float(config["outer_lr"]))}
    outputs = tuple(fn(example_inputs))
    frozen = {k: getattr(fixed, k) for k in ("inner_steps", "cg_steps", "cg_tol") if k in METHODS[method_name].keys}
    method = METHODS[method_name]
    outer = "interpolation rate epsilon (Adam state passed through)" if method.outer == "interpolate" else "Adam"
    return GraphSpec(
        name=f"meta_step_{method_name}",
        fn=fn,
        example_inputs=example_inputs,
        outputs=outputs,
        dynamic={
            **{k: {0: "T", 1: "K"} for k in ("support_x", "support_y")},
            **{k: {0: "T", 1: "Q"} for k in ("query_x", "query_y")},
        },
        description=(
            f"One meta-training iteration of {method.summary} on T sinusoid tasks, outer update by {outer}"
            f" with rate outer_lr; fixed at export: {frozen or 'nothing'}."
        ),
    )


# --- Meta-training in the browser (figure "Meta-train in your browser") ------------------------

# Fine-tuning steps of the held-out evaluation: the figure reports the MSE after one SGD step.
HELDOUT_STEPS = 1


def sinusoid_tasks(inputs: Tensors) -> Tensors:
    """A meta-batch of sinusoid tasks from uniform draws: trainers.sinusoid.batch_from_uniforms,
    which sample_batch feeds torch.rand. The page draws the uniforms, the task family stays
    defined once, in Python."""
    batch = batch_from_uniforms(inputs["amplitude_u"], inputs["phase_u"], inputs["support_u"], inputs["query_u"])
    return {name: getattr(batch, name) for name in ("amplitude", "phase", "support_x", "support_y", "query_x", "query_y")}


def sinusoid_heldout_mse(inputs: Tensors) -> Tensors:
    """Mean over tasks of the query MSE after 0 .. HELDOUT_STEPS SGD steps on each support set."""

    def per_task(p, support_x, support_y, query_x, query_y) -> torch.Tensor:
        path = trajectory(p, support_x, support_y, inputs["step_size"], HELDOUT_STEPS)
        return torch.stack([task_loss(phi, query_x, query_y) for phi in path])

    batch = (inputs["support_x"], inputs["support_y"], inputs["query_x"], inputs["query_y"])
    return {"mse": over_tasks(per_task, *batch, params=_params(inputs)).mean(0)}


def window_mean(inputs: Tensors) -> Tensors:
    """The mean of a window of values (the figure's training curves: meta-losses of N iterations)."""
    return {"mean": inputs["values"].mean()}


def _meta_train_specs() -> list[GraphSpec]:
    uniforms = _examples(6, amplitude_u=(_T, 1, 1), phase_u=(_T, 1, 1), support_u=(_T, _K, 1), query_u=(_T, _Q, 1))
    batch = _examples(7, support_x=(_T, _K, 1), support_y=(_T, _K, 1), query_x=(_T, _Q, 1), query_y=(_T, _Q, 1))
    batch_dims = {
        **{k: {0: "T", 1: "K"} for k in ("support_x", "support_y", "support_u")},
        **{k: {0: "T", 1: "Q"} for k in ("query_x", "query_y", "query_u")},
        **{k: {0: "T"} for k in ("amplitude_u", "phase_u")},
    }
    return [
        GraphSpec(
            name="sinusoid_tasks",
            fn=sinusoid_tasks,
            example_inputs=uniforms,
            outputs=("amplitude", "phase", "support_x", "support_y", "query_x", "query_y"),
            dynamic={k: batch_dims[k] for k in uniforms},
            description=(
                f"T sinusoid tasks from uniform draws in [0, 1), as trainers.sinusoid.sample_batch makes them"
                f" from torch.rand: amplitude A in {list(AMPLITUDE_RANGE)} and phase in [0, pi] (T, 1, 1),"
                f" support and query x in {list(X_RANGE)} (T, K, 1), (T, Q, 1), and y = A sin(x + phase)."
            ),
        ),
        GraphSpec(
            name="sinusoid_heldout_mse",
            fn=sinusoid_heldout_mse,
            example_inputs={**_sinusoid_params(), **batch, "step_size": _scalar(0.01)},
            outputs=("mse",),
            dynamic={k: batch_dims[k] for k in batch},
            description=(
                f"The sinusoid network on T held-out tasks: mean over tasks of the query MSE after"
                f" 0..{HELDOUT_STEPS} SGD steps of size step_size on each task's K support points."
            ),
        ),
        GraphSpec(
            name="window_mean",
            fn=window_mean,
            example_inputs=_examples(8, values=(_N,)),
            outputs=("mean",),
            dynamic={"values": {0: "N"}},
            description="The mean of N values (the meta-train figure's training curves: a window of meta-losses).",
        ),
    ]


# --- The catalogue ----------------------------------------------------------------------------


def _scalar(value: float) -> torch.Tensor:
    return torch.tensor(value)


def _line_data(prefixes: tuple[str, ...]) -> tuple[Tensors, dict[str, dict[int, str]]]:
    names = [f"{v}_{p}" if p else v for p in prefixes for v in ("x", "y")]
    return _examples(1, **{n: (_T, _NT) for n in names}), {n: {0: "T", 1: "N"} for n in names}


def _one_line_task() -> tuple[Tensors, dict[str, dict[int, str]]]:
    """One task's train and test points, each of shape (N,)."""
    names = ("x_train", "y_train", "x_test", "y_test")
    return _examples(5, **{n: (_NT,) for n in names}), {n: {0: "N"} for n in names}


def _comparison_specs(
    grid: Tensors,
    line_xy: Tensors,
    line_xy_dims: dict[str, dict[int, str]],
    line_split: Tensors,
    line_split_dims: dict[str, dict[int, str]],
) -> list[GraphSpec]:
    """The graphs of the figure "One meta-update, four ways": its landscape and one per method."""
    theta = {"theta": torch.tensor([0.4, 0.6])}
    train = {name: line_split[name] for name in ("x_train", "y_train")}  # Reptile reads no test points
    arrows = ("update", "theta_next", "length", "direction")
    rows = f"row k - 1 for k = 1..{COMPARISON_STEPS} inner steps"
    arrow_text = "the update from theta, theta + update, its length and its direction in degrees from the a axis"
    maml_like = {
        **theta,
        **line_split,
        "step_size": _scalar(0.25),
        "outer_step_size": _scalar(1.0),
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
            example_inputs={**grid, **line_xy},
            outputs=("loss",),
            dynamic={"grid": {0: "G"}, **line_xy_dims},
            description="The mean over the line-fitting tasks of their losses (line_landscape) at each grid point (a, b).",
        ),
        maml_spec("line_compare_maml", line_compare_maml, "MAML, exact through all k steps,"),
        maml_spec("line_compare_fomaml", line_compare_fomaml, "First-order MAML"),
        GraphSpec(
            name="line_compare_reptile",
            fn=line_compare_reptile,
            example_inputs={**theta, **train, "step_size": _scalar(0.25), "interpolation_rate": _scalar(0.5)},
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
                "lam": _scalar(1.0),
                "damping": _scalar(0.1),
                "outer_step_size": _scalar(1.0),
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


def catalogue() -> dict[str, GraphSpec]:
    """Every graph `article export` writes, by name (the file is <name>.onnx)."""
    params = _sinusoid_params()
    grid = {"grid": torch.rand(_G, 2, generator=torch.Generator().manual_seed(2))}
    line_xy, line_xy_dims = _line_data(("",))
    line_split, line_split_dims = _line_data(("train", "test"))
    specs = [
        GraphSpec(
            name="sinusoid_predict",
            fn=sinusoid_predict,
            example_inputs={**params, **_examples(x=(_N, 1))},
            outputs=("y",),
            dynamic={"x": {0: "N"}},
            description="The sinusoid network's prediction y at the points x.",
        ),
        GraphSpec(
            name="sinusoid_sgd_step",
            fn=sinusoid_sgd_step,
            example_inputs={**params, **_examples(support_x=(_K, 1), support_y=(_K, 1)), "step_size": _scalar(0.01)},
            outputs=tuple(f"{n}_next" for n in PARAM_NAMES) + ("loss",),
            dynamic={"support_x": {0: "K"}, "support_y": {0: "K"}},
            description="One SGD step of the sinusoid network on the support MSE; loss is the MSE before the step.",
        ),
        GraphSpec(
            name="sinusoid_curves",
            fn=sinusoid_curves,
            example_inputs={**params, "amplitude": _scalar(2.0), "phase": _scalar(0.5), **_examples(x=(_N, 1))},
            outputs=("prediction", "target", "mse"),
            dynamic={"x": {0: "N"}},
            description="The network's prediction, the true curve A sin(x + phase), and their MSE at the points x.",
        ),
        GraphSpec(
            name="sinusoid_finetune_step",
            fn=sinusoid_finetune_step,
            example_inputs={
                **params,
                **_examples(support_x=(_K, 1), support_y=(_K, 1), x=(_N, 1)),
                "step_size": _scalar(0.01),
                "amplitude": _scalar(2.0),
                "phase": _scalar(0.5),
            },
            outputs=tuple(f"{n}_next" for n in PARAM_NAMES) + ("loss", "prediction", "mse"),
            dynamic={"support_x": {0: "K"}, "support_y": {0: "K"}, "x": {0: "N"}},
            description=(
                "sinusoid_sgd_step, then sinusoid_curves at the new parameters, in one call: new parameters,"
                " the support MSE before the step, the prediction at the points x and its MSE against the true curve."
            ),
        ),
        GraphSpec(
            name="line_landscape",
            fn=line_landscape,
            example_inputs={**grid, **line_xy},
            outputs=("loss",),
            dynamic={"grid": {0: "G"}, **line_xy_dims},
            description="Each line-fitting task's loss 1/(2N) sum (softplus(a x + b) - y)^2 at each grid point (a, b).",
        ),
        GraphSpec(
            name="line_accumulated",
            fn=line_accumulated,
            example_inputs={**grid, **line_split, "step_size": _scalar(0.5)},
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
                "step_size": _scalar(0.5),
                "meta_step_size": _scalar(0.1),
            },
            outputs=("phi", "task_losses_after", "meta_loss", "meta_gradient", "theta_next"),
            dynamic=line_split_dims,
            description=(
                "One MAML step on the line-fitting tasks: phi_i = theta - alpha grad L_i,train(theta), the test"
                " losses at phi_i, their sum (the meta-loss), its exact gradient through the inner step, and"
                " theta - beta times that gradient."
            ),
        ),
    ]
    specs.append(
        GraphSpec(
            name="line_reptile_step",
            fn=line_reptile_step,
            example_inputs={
                "theta": torch.tensor([0.4, 0.6]),
                **line_xy,
                "step_size": _scalar(0.5),
                "interpolation_rate": _scalar(0.5),
            },
            outputs=("path", "theta_next"),
            dynamic=line_xy_dims,
            description=(
                f"Reptile on the line-fitting tasks: each task's SGD path theta, phi^(1), ..., phi^({REPTILE_STEPS})"
                " on its data, and for k = 1.."
                f"{REPTILE_STEPS} the Reptile update theta + epsilon (mean_i phi_i^(k) - theta)."
            ),
        )
    )
    one_task, one_task_dims = _one_line_task()
    specs.append(
        GraphSpec(
            name="line_jacobian_product",
            fn=line_jacobian_product,
            example_inputs={"theta": torch.tensor([0.4, 0.6]), **one_task, "step_size": _scalar(0.5)},
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
        )
    )
    specs.append(
        GraphSpec(
            name="line_reptile_interpolation",
            fn=line_reptile_interpolation,
            example_inputs={
                "theta": torch.tensor([0.4, 0.6]),
                **one_task,
                "step_size": _scalar(0.5),
                "interpolation_rate": _scalar(0.5),
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
        )
    )
    specs.append(
        GraphSpec(
            name="quadratic_curvature",
            fn=quadratic_curvature,
            example_inputs={
                "x": torch.tensor([0.2, 0.9]),
                **{k: _scalar(v) for k, v in toys.QUADRATIC_DEFAULTS.items()},
                "step_size": _scalar(0.5),
            },
            outputs=(
                "curvature",
                "eigenvalues",
                "gradient",
                "phi",
                "first_order_meta_gradient",
                "meta_gradient",
                "loss",
                "loss_after",
            ),
            description=(
                f"The quadratic f(x) = 1/2 (x - 1/2)^T C (x - 1/2) + g^T x, g = {toys.QUADRATIC_G},"
                " C = [[a, b], [b, c]]: C, its eigenvalues (ascending), grad f(x), one step"
                " phi = x - alpha grad f(x), the first-order meta-gradient grad f(phi), the exact one"
                " (I - alpha C) grad f(phi) = d f(phi) / d x, and f(x), f(phi)."
            ),
        )
    )
    specs.append(
        GraphSpec(
            name="quadratic_landscape",
            fn=quadratic_landscape,
            example_inputs={**grid, **{k: _scalar(v) for k, v in toys.QUADRATIC_DEFAULTS.items()}},
            outputs=("loss", "offset"),
            dynamic={"grid": {0: "G"}},
            description=(
                "The quadratic of quadratic_curvature at each grid point x, shifted by its smallest value"
                " on the grid so it is >= 0 with minimum 0 (the landscapes draw it on a log scale):"
                " loss = f(x) - offset, offset = min over the grid of f."
            ),
        )
    )
    specs += _comparison_specs(grid, line_xy, line_xy_dims, line_split, line_split_dims)
    specs += [_meta_step_spec(method) for method in METHODS]
    specs += _meta_train_specs()
    specs += bumps.graph_specs()  # the iMAML chapter's bumps toy (trainers/bumps.py)
    specs += omniglot_graphs.graph_specs()  # the few-shot game (trainers/omniglot_graphs.py)
    return {spec.name: spec for spec in specs}
