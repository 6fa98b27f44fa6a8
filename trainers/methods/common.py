"""What every method takes and returns.

A method is a pure function `meta_gradient(params, batch, hp) -> MetaStep`: no state, no Python
branching on tensor values, no `.item()`. That is what lets `torch.compile` fuse a whole
meta-iteration for training and `make_fx` trace it into an ONNX graph for the browser.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch

from trainers.params import Params


class TaskBatch(NamedTuple):
    """T tasks with K support and Q query points each: x and y of shapes (T, K, 1), (T, Q, 1).

    A NamedTuple, so `torch.func` and the tracers see it as a plain tuple of tensors.
    """

    support_x: torch.Tensor
    support_y: torch.Tensor
    query_x: torch.Tensor
    query_y: torch.Tensor

    @classmethod
    def of(cls, batch) -> "TaskBatch":
        """The tensors a method needs from a richer batch (e.g. `sinusoid.SinusoidBatch`)."""
        return cls(batch.support_x, batch.support_y, batch.query_x, batch.query_y)


class MetaStep(NamedTuple):
    """A method's output for one meta-batch.

    direction: what the outer update follows: the meta-gradient (descend along it), or for
        Reptile the mean of theta - phi (interpolate along it).
    loss: the meta-loss monitored during training (mean query MSE after adaptation; for the
        pretrained baseline, the mean MSE at theta).
    stats: method-specific diagnostics as 0-d tensors (e.g. iMAML's CG iterations and residual).
    """

    direction: Params
    loss: torch.Tensor
    stats: dict[str, torch.Tensor]


@dataclass(frozen=True)
class HyperParams:
    """Hyperparameters of the meta-gradient computations (the outer learning rate is separate,
    because training changes it over time and passes it as a tensor).

    inner_lr, inner_steps: the shared inner SGD loop (alpha and k).
    lam: iMAML's proximal strength lambda in lambda/2 ||phi - theta||^2.
    cg_steps, cg_tol, cg_damping: iMAML's conjugate gradient: iteration cap, relative tolerance
        on the residual, and damping delta in ((1 + delta) I + H / lambda) x = g.
    stability: weight of iMAML's overshoot guard (see trainers.methods.imaml); 0 turns it off.
    """

    inner_lr: float | torch.Tensor = 0.01
    inner_steps: int = 1
    lam: float | torch.Tensor = 1.0
    cg_steps: int = 5
    cg_tol: float = 1e-4
    cg_damping: float | torch.Tensor = 0.0
    stability: float | torch.Tensor = 0.0


def over_tasks(per_task, *tensors: torch.Tensor, params: Params):
    """Apply `per_task(params, *task_tensors)` to every task, sharing `params` (torch.func.vmap)."""
    return torch.func.vmap(per_task, in_dims=(None,) + (0,) * len(tensors))(params, *tensors)
