"""What the families of graphs share: the sizes and example inputs they are traced with, and two
small traceable pieces of plane geometry.

Dimension names used in the signatures: N points to evaluate, K support points, Q query points,
T tasks, G grid points (parameter pairs (a, b)).
"""
from __future__ import annotations

import torch

from trainers.onnx_export import Tensors
from trainers.sinusoid_mlp import init_params

# Example sizes for tracing: distinct, and none equal to a static size (1, 2, 4, 40), so the tracer
# never confuses one dimension with another. LINE_POINTS is the number of points of a line-fitting
# task, QUERY the number of query points of a sinusoid task.
N, K, T, G, LINE_POINTS, QUERY = 13, 7, 3, 11, 5, 9


def examples(seed: int = 0, **shapes: tuple[int, ...]) -> Tensors:
    """Uniform draws in [0, 1) of the given shapes, from a generator seeded with `seed`."""
    gen = torch.Generator().manual_seed(seed)
    return {name: torch.rand(shape, generator=gen) for name, shape in shapes.items()}


def scalar(value: float) -> torch.Tensor:
    return torch.tensor(value)


def sinusoid_params() -> Tensors:
    """The sinusoid network's parameters at initialisation, seed 0."""
    return dict(init_params(0))


def grid() -> Tensors:
    """G points of the parameter plane, the grid the landscape graphs evaluate."""
    return {"grid": torch.rand(G, 2, generator=torch.Generator().manual_seed(2))}


def identity_2x2(like: torch.Tensor) -> torch.Tensor:
    # A constant, not torch.eye: eye decomposes into an in-place fill the ONNX exporter rejects.
    return torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=like.dtype)


def lengths(vectors: torch.Tensor) -> torch.Tensor:
    """The Euclidean length of each row of a (k, 2) stack of vectors."""
    return torch.sqrt((vectors**2).sum(-1))
