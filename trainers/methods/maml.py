"""MAML (Finn et al. 2017): the gradient of the query loss after adaptation, through the adaptation.

meta-loss(theta) = mean over tasks of L_query(U^(k)(theta)), with U^(k) the shared inner loop.
`torch.func.grad` differentiates through all k inner steps, so the meta-gradient is exact for any
k: it contains the product of the Jacobians (I - alpha H) of every step. With `first_order=True`
the inner gradients are treated as constants and those Jacobians become the identity: that is
first-order MAML (see fomaml.py), computed by the same code.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch.func import grad_and_value

from trainers.inner import Forward, Loss, adapt, mse, task_loss
from trainers.methods.common import HyperParams, MetaStep, TaskBatch, over_tasks
from trainers.params import Params
from trainers.sinusoid_mlp import forward


def maml_meta_loss(
    params: Params,
    batch: TaskBatch,
    hp: HyperParams,
    *,
    first_order: bool = False,
    model: Forward = forward,
    loss: Loss = mse,
    start: Callable[[Params, torch.Tensor], Params] | None = None,
) -> torch.Tensor:
    """Mean over tasks of the query loss after `hp.inner_steps` SGD steps on the support set.

    `start(theta, support_y)` gives a task's starting parameters when they are not theta itself:
    the Omniglot classifier appends a zero output layer with one row per class (trainers.omniglot.convnet).
    """

    def query_loss_after_adaptation(p, support_x, support_y, query_x, query_y):
        initial = p if start is None else start(p, support_y)
        phi = adapt(initial, support_x, support_y, hp.inner_lr, hp.inner_steps, model, first_order=first_order, loss=loss)
        return task_loss(phi, query_x, query_y, model, loss)

    return over_tasks(query_loss_after_adaptation, *batch, params=params).mean()


def maml_meta_gradient(
    params: Params,
    batch: TaskBatch,
    hp: HyperParams,
    *,
    first_order: bool = False,
    model: Forward = forward,
    loss: Loss = mse,
    start: Callable[[Params, torch.Tensor], Params] | None = None,
) -> MetaStep:
    """The MAML meta-gradient d meta-loss / d theta and the meta-loss itself."""
    grads, value = grad_and_value(maml_meta_loss)(
        params, batch, hp, first_order=first_order, model=model, loss=loss, start=start
    )
    return MetaStep(grads, value, {})
