"""The pretrained baseline (m = 0): joint training on all tasks, no adaptation in the objective.

Minimises E_tau[L_tau(theta)], the mean loss of one network over all tasks. Each task's support
and query points together are its training data here, as there is no inner loop to split them for.
"""
from __future__ import annotations

import torch
from torch.func import grad_and_value

from trainers.inner import Forward, task_loss
from trainers.methods.common import HyperParams, MetaStep, TaskBatch, over_tasks
from trainers.params import Params
from trainers.sinusoid_mlp import forward


def pretrained_loss(params: Params, batch: TaskBatch, model: Forward = forward) -> torch.Tensor:
    """Mean over tasks of each task's MSE at theta itself."""
    x = torch.cat([batch.support_x, batch.query_x], dim=1)
    y = torch.cat([batch.support_y, batch.query_y], dim=1)
    return over_tasks(lambda p, xs, ys: task_loss(p, xs, ys, model), x, y, params=params).mean()


def pretrained_meta_gradient(
    params: Params, batch: TaskBatch, hp: HyperParams, *, model: Forward = forward
) -> MetaStep:
    """Gradient of the joint loss (the hyperparameters of the inner loop are not used)."""
    grads, loss = grad_and_value(pretrained_loss)(params, batch, model)
    return MetaStep(grads, loss, {})
