"""The figure network: an MLP 1-40-40-1 with ReLU (1,761 parameters), as in Finn et al. (2017).

Everything downstream is functional: parameters travel as an ordered dict of tensors, and
`forward(params, x)` evaluates the network with them. That is what makes the inner loop (and so
every method) model-agnostic, and what lets `torch.func` differentiate and batch through it.
The names are valid identifiers so they double as the ONNX graphs' input names.
"""
from __future__ import annotations

import math

import torch

from trainers.params import Params

LAYER_SIZES = (1, 40, 40, 1)
PARAM_NAMES = ("w1", "b1", "w2", "b2", "w3", "b3")


def init_params(seed: int, sizes: tuple[int, ...] = LAYER_SIZES) -> Params:
    """He-uniform weights and zero biases, drawn from a generator seeded with `seed`.

    (PyTorch's default `nn.Linear` init, written out so that it depends on the seed alone.)
    """
    gen = torch.Generator().manual_seed(seed)
    params: Params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        bound = 1.0 / math.sqrt(fan_in)
        params[f"w{layer}"] = (torch.rand(fan_out, fan_in, generator=gen) * 2 - 1) * bound
        params[f"b{layer}"] = (torch.rand(fan_out, generator=gen) * 2 - 1) * bound
    return params


def forward(params: Params, x: torch.Tensor) -> torch.Tensor:
    """The MLP on x of shape (N, 1) (or any leading dims): ReLU between layers, none after."""
    num_layers = len(params) // 2
    h = x
    for layer in range(1, num_layers + 1):
        h = h @ params[f"w{layer}"].T + params[f"b{layer}"]
        if layer < num_layers:
            h = torch.relu(h)
    return h


def num_parameters(params: Params) -> int:
    return sum(p.numel() for p in params.values())
