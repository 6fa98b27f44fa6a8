"""The meta-learning methods, one module each, and the one meta-iteration they all share.

`METHODS[name]` describes a method: its pure meta-gradient function, how the outer update uses
that direction (Adam, or Reptile's interpolation), and which config keys it reads.
`meta_iteration` is one full step of meta-training as a pure function of tensors: it is what
training compiles with `torch.compile` and what the exporter traces for the browser.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

import torch

from trainers.methods.common import HyperParams, MetaStep, TaskBatch
from trainers.methods.fomaml import fomaml_meta_gradient
from trainers.methods.imaml import conjugate_gradient, imaml_meta_gradient
from trainers.methods.maml import maml_meta_gradient, maml_meta_loss
from trainers.methods.pretrained import pretrained_meta_gradient
from trainers.methods.reptile import reptile_direction
from trainers.optim import AdamState, adam_update
from trainers.params import Params

MetaGradient = Callable[[Params, TaskBatch, HyperParams], MetaStep]


@dataclass(frozen=True)
class Method:
    name: str
    meta_gradient: MetaGradient
    outer: Literal["adam", "interpolate"]  # Adam on the direction, or theta - epsilon * direction
    keys: tuple[str, ...]  # the HyperParams fields and method-specific config keys it reads
    summary: str


METHODS: dict[str, Method] = {
    method.name: method
    for method in (
        Method("pretrained", pretrained_meta_gradient, "adam", (), "joint training on all tasks (m = 0)"),
        Method("maml", maml_meta_gradient, "adam", ("inner_lr", "inner_steps"), "second-order MAML"),
        Method("fomaml", fomaml_meta_gradient, "adam", ("inner_lr", "inner_steps"), "first-order MAML"),
        Method(
            "reptile",
            reptile_direction,
            "interpolate",
            ("inner_lr", "inner_steps", "anneal"),
            "Reptile: interpolate toward adapted parameters",
        ),
        Method(
            "imaml",
            imaml_meta_gradient,
            "adam",
            ("inner_lr", "inner_steps", "lam", "cg_steps", "cg_tol", "cg_damping", "stability", "anneal"),
            "implicit MAML with a proximal inner problem",
        ),
    )
}


def meta_iteration(
    method: Method,
    params: Params,
    opt_state: AdamState,
    batch: TaskBatch,
    hp: HyperParams,
    outer_lr: torch.Tensor | float,
    **options,
) -> tuple[Params, AdamState, MetaStep]:
    """One meta-training step: the method's direction, then the outer update.

    `outer_lr` is Adam's learning rate, or Reptile's interpolation rate epsilon; pass it as a
    tensor when it changes over time, so a compiled or exported step need not be rebuilt.
    Reptile leaves the Adam state untouched (it has no optimiser state). `options` go to the
    meta-gradient: a task family's model, loss and task start (trainers.families).
    """
    step = method.meta_gradient(params, batch, hp, **options)
    if method.outer == "interpolate":
        new_params = {name: p - outer_lr * step.direction[name] for name, p in params.items()}
        return new_params, opt_state, step
    new_params, new_state = adam_update(params, step.direction, opt_state, outer_lr)
    return new_params, new_state, step


__all__ = [
    "METHODS",
    "HyperParams",
    "Method",
    "MetaStep",
    "TaskBatch",
    "conjugate_gradient",
    "maml_meta_loss",
    "meta_iteration",
]
