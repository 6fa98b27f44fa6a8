"""Reptile (Nichol et al. 2018): move theta toward the parameters adapted to each task.

For each task, phi = U^(k)(theta) (the shared inner loop, nothing differentiated through it); the
update direction is the mean of theta - phi, and the outer step is theta <- theta - epsilon *
direction (interpolation toward the mean adapted parameters; training may anneal epsilon).
"""
from __future__ import annotations

from trainers.inner import Forward, adapt, task_loss
from trainers.methods.common import HyperParams, MetaStep, TaskBatch, over_tasks
from trainers.params import Params
from trainers.sinusoid_mlp import forward


def reptile_direction(
    params: Params, batch: TaskBatch, hp: HyperParams, *, model: Forward = forward
) -> MetaStep:
    """Mean of theta - phi_i over tasks; the loss reported is the query MSE at phi_i."""

    def per_task(p, support_x, support_y, query_x, query_y):
        phi = adapt(p, support_x, support_y, hp.inner_lr, hp.inner_steps, model)
        return {name: p[name] - phi[name] for name in p}, task_loss(phi, query_x, query_y, model)

    differences, losses = over_tasks(per_task, *batch, params=params)
    direction = {name: d.mean(dim=0) for name, d in differences.items()}
    return MetaStep(direction, losses.mean(), {})
