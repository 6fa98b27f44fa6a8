"""The inner loop every method shares: k steps of plain SGD on a task's support MSE.

Written once with `torch.func`, for one task and any model `forward(params, x)`. Methods batch it
over tasks with `torch.func.vmap`, differentiate through it (MAML), or stop gradients at it
(first-order MAML, Reptile). The ONNX exporter traces the very same functions.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch.func import grad_and_value

from trainers.model import Params, forward

Forward = Callable[[Params, torch.Tensor], torch.Tensor]


def mse(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((prediction - target) ** 2).mean()


def task_loss(params: Params, x: torch.Tensor, y: torch.Tensor, model: Forward = forward) -> torch.Tensor:
    """Mean squared error of the model with `params` on the points (x, y)."""
    return mse(model(params, x), y)


def sgd_step(
    params: Params,
    x: torch.Tensor,
    y: torch.Tensor,
    step_size: torch.Tensor | float,
    model: Forward = forward,
) -> tuple[Params, torch.Tensor]:
    """One SGD step on the support MSE. Returns the new parameters and the loss *before* the step.

    The gradient is an ordinary differentiable function of `params`, so differentiating the
    result again gives the exact second-order terms MAML needs.
    """
    grads, loss = grad_and_value(task_loss)(params, x, y, model)
    return {name: p - step_size * grads[name] for name, p in params.items()}, loss


def adapt(
    params: Params,
    x: torch.Tensor,
    y: torch.Tensor,
    step_size: torch.Tensor | float,
    steps: int,
    model: Forward = forward,
) -> Params:
    """`steps` SGD steps from `params` on the support set (x, y): U^(steps)(params)."""
    for _ in range(steps):
        params, _ = sgd_step(params, x, y, step_size, model)
    return params
