"""The inner loop every method shares: k steps of plain SGD on a task's support loss (MSE unless
given: the Omniglot classifier passes its cross-entropy).

Written once with `torch.func`, for one task and any model `forward(params, x)`. Methods batch it
over tasks with `torch.func.vmap`, differentiate through it (MAML), stop gradients inside it
(first-order MAML), or just run it (Reptile, iMAML with its proximal term, evaluation). The ONNX
exporter traces the very same functions.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch.func import grad_and_value

from trainers.params import Params

from trainers.sinusoid_mlp import forward

Forward = Callable[[Params, torch.Tensor], torch.Tensor]
Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (prediction, target) -> scalar


def mse(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((prediction - target) ** 2).mean()


def task_loss(
    params: Params, x: torch.Tensor, y: torch.Tensor, model: Forward = forward, loss: Loss = mse
) -> torch.Tensor:
    """The loss (mean squared error unless given) of the model with `params` on the points (x, y)."""
    return loss(model(params, x), y)


def squared_distance(a: Params, b: Params) -> torch.Tensor:
    """||a - b||^2 summed over every parameter tensor."""
    return sum(((a[name] - b[name]) ** 2).sum() for name in a)


def support_loss(
    params: Params,
    x: torch.Tensor,
    y: torch.Tensor,
    model: Forward = forward,
    anchor: Params | None = None,
    lam: torch.Tensor | float = 0.0,
    loss: Loss = mse,
) -> torch.Tensor:
    """The inner objective: the support loss, plus lam/2 ||params - anchor||^2 when an anchor is
    given (iMAML's proximal term, which keeps the adapted parameters near the initialisation)."""
    value = task_loss(params, x, y, model, loss)
    if anchor is not None:
        value = value + 0.5 * lam * squared_distance(params, anchor)
    return value


def sgd_step(
    params: Params,
    x: torch.Tensor,
    y: torch.Tensor,
    step_size: torch.Tensor | float,
    model: Forward = forward,
    *,
    first_order: bool = False,
    anchor: Params | None = None,
    lam: torch.Tensor | float = 0.0,
    loss: Loss = mse,
) -> tuple[Params, torch.Tensor]:
    """One SGD step on the inner objective. Returns the new parameters and the loss *before* it.

    The gradient is an ordinary differentiable function of `params`, so differentiating the
    result again gives the exact second-order terms MAML needs. With `first_order=True` the
    gradient is treated as a constant (detached): d(new params)/d(params) becomes the identity,
    which is exactly the approximation of first-order MAML.
    """
    grads, value = grad_and_value(support_loss)(params, x, y, model, anchor, lam, loss)
    if first_order:
        grads = {name: g.detach() for name, g in grads.items()}
    return {name: p - step_size * grads[name] for name, p in params.items()}, value


def trajectory(
    params: Params,
    x: torch.Tensor,
    y: torch.Tensor,
    step_size: torch.Tensor | float,
    steps: int,
    model: Forward = forward,
    **options,
) -> list[Params]:
    """The parameters after 0, 1, ..., `steps` SGD steps (options as for `sgd_step`)."""
    path = [params]
    for _ in range(steps):
        params, _ = sgd_step(params, x, y, step_size, model, **options)
        path.append(params)
    return path


def adapt(
    params: Params,
    x: torch.Tensor,
    y: torch.Tensor,
    step_size: torch.Tensor | float,
    steps: int,
    model: Forward = forward,
    **options,
) -> Params:
    """`steps` SGD steps from `params` on the support set (x, y): U^(steps)(params).

    Unlike `trajectory` it keeps no earlier iterate alive, so where nothing differentiates through
    the loop (Reptile, first-order MAML, iMAML) its memory does not grow with `steps` (the
    measured cost, trainers.cost). The operations, and so the traced graphs, are the same.
    """
    for _ in range(steps):
        params, _ = sgd_step(params, x, y, step_size, model, **options)
    return params
