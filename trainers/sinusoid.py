"""The sinusoid task family of Finn et al. (2017): f(x) = A sin(x + phi).

One convention for prose and code alike: the phase is *added*. A ~ U[0.1, 5], phi ~ U[0, pi],
x ~ U[-5, 5]. Every draw goes through an explicit `torch.Generator`, so a seed fixes the tasks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

AMPLITUDE_RANGE = (0.1, 5.0)
PHASE_RANGE = (0.0, math.pi)
X_RANGE = (-5.0, 5.0)


def sinusoid(x: torch.Tensor, amplitude: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
    """A sin(x + phi), broadcasting amplitude and phase of shape (T, 1, 1) over x of (T, N, 1)."""
    return amplitude * torch.sin(x + phase)


def _uniform(shape: tuple[int, ...], low: float, high: float, gen: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(shape, generator=gen)


@dataclass(frozen=True)
class SinusoidBatch:
    """T tasks, each with its own support (K points) and query (Q points) samples."""

    amplitude: torch.Tensor  # (T, 1, 1)
    phase: torch.Tensor  # (T, 1, 1)
    support_x: torch.Tensor  # (T, K, 1)
    support_y: torch.Tensor
    query_x: torch.Tensor  # (T, Q, 1)
    query_y: torch.Tensor


def sample_tasks(num_tasks: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Amplitudes and phases of `num_tasks` tasks, each of shape (T, 1, 1)."""
    amplitude = _uniform((num_tasks, 1, 1), *AMPLITUDE_RANGE, gen)
    phase = _uniform((num_tasks, 1, 1), *PHASE_RANGE, gen)
    return amplitude, phase


def sample_batch(num_tasks: int, support: int, query: int, gen: torch.Generator) -> SinusoidBatch:
    """A meta-batch: new tasks, K support and Q query points each, all drawn from `gen`."""
    amplitude, phase = sample_tasks(num_tasks, gen)
    support_x = _uniform((num_tasks, support, 1), *X_RANGE, gen)
    query_x = _uniform((num_tasks, query, 1), *X_RANGE, gen)
    return SinusoidBatch(
        amplitude,
        phase,
        support_x,
        sinusoid(support_x, amplitude, phase),
        query_x,
        sinusoid(query_x, amplitude, phase),
    )
