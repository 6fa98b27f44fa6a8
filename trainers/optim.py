"""Adam written as a pure function of tensors.

Training uses this rather than `torch.optim.Adam` so that the very same update can be traced
into the exported meta-step graphs: the browser meta-trains with the optimiser the trainers use.
The step count `t` is a float tensor, so the bias corrections are tensor ops, not Python maths.
"""
from __future__ import annotations

from typing import NamedTuple

import torch

from trainers.params import Params

BETAS = (0.9, 0.999)
EPS = 1e-8


class AdamState(NamedTuple):
    """First and second moment estimates per parameter, and the number of steps taken."""

    m: Params
    v: Params
    t: torch.Tensor  # 0-d float tensor


def adam_init(params: Params) -> AdamState:
    zeros = {name: torch.zeros_like(p) for name, p in params.items()}
    return AdamState(m=zeros, v=dict(zeros), t=torch.zeros((), dtype=next(iter(params.values())).dtype))


def adam_update(
    params: Params,
    grads: Params,
    state: AdamState,
    lr: torch.Tensor | float,
    betas: tuple[float, float] = BETAS,
    eps: float = EPS,
) -> tuple[Params, AdamState]:
    """One Adam step (Kingma and Ba 2015, Algorithm 1): returns new parameters and state."""
    beta1, beta2 = betas
    t = state.t + 1
    m = {name: beta1 * state.m[name] + (1 - beta1) * g for name, g in grads.items()}
    v = {name: beta2 * state.v[name] + (1 - beta2) * g * g for name, g in grads.items()}
    correction1 = 1 - beta1**t
    correction2 = 1 - beta2**t
    # eps as a one-element tensor rather than a Python number, with the same value: the ONNX
    # exporter's optimiser rewrites x + c as x for a scalar constant c within 1e-8 of zero
    # (onnxscript's add_0 rule), which dropped eps from the exported meta-steps, so that from a
    # fresh state a parameter whose gradient is exactly zero became 0/0 = NaN. It leaves 1-D
    # constants alone.
    first = next(iter(params.values()))
    eps_tensor = torch.tensor([eps], dtype=first.dtype, device=first.device)
    new_params = {
        name: p - lr * (m[name] / correction1) / (torch.sqrt(v[name] / correction2) + eps_tensor)
        for name, p in params.items()
    }
    return new_params, AdamState(m=m, v=v, t=t)
