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


def from_uniform(u: torch.Tensor, bounds: tuple[float, float]) -> torch.Tensor:
    """U[0, 1) draws -> U[low, high)."""
    low, high = bounds
    return low + (high - low) * u


@dataclass(frozen=True)
class SinusoidBatch:
    """T tasks, each with its own support (K points) and query (Q points) samples."""

    amplitude: torch.Tensor  # (T, 1, 1)
    phase: torch.Tensor  # (T, 1, 1)
    support_x: torch.Tensor  # (T, K, 1)
    support_y: torch.Tensor
    query_x: torch.Tensor  # (T, Q, 1)
    query_y: torch.Tensor


def batch_from_uniforms(
    amplitude_u: torch.Tensor, phase_u: torch.Tensor, support_u: torch.Tensor, query_u: torch.Tensor
) -> SinusoidBatch:
    """The meta-batch that U[0, 1) draws of shapes (T, 1, 1), (T, 1, 1), (T, K, 1), (T, Q, 1)
    stand for. The one definition of how the task family is sampled: `sample_batch` feeds it
    torch.rand, and the exported graph sinusoid_tasks the page's seeded draws."""
    amplitude = from_uniform(amplitude_u, AMPLITUDE_RANGE)
    phase = from_uniform(phase_u, PHASE_RANGE)
    support_x = from_uniform(support_u, X_RANGE)
    query_x = from_uniform(query_u, X_RANGE)
    return SinusoidBatch(
        amplitude,
        phase,
        support_x,
        sinusoid(support_x, amplitude, phase),
        query_x,
        sinusoid(query_x, amplitude, phase),
    )


def sample_tasks(num_tasks: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Amplitudes and phases of `num_tasks` tasks, each of shape (T, 1, 1)."""
    amplitude = from_uniform(torch.rand((num_tasks, 1, 1), generator=gen), AMPLITUDE_RANGE)
    phase = from_uniform(torch.rand((num_tasks, 1, 1), generator=gen), PHASE_RANGE)
    return amplitude, phase


def sample_batch(num_tasks: int, support: int, query: int, gen: torch.Generator) -> SinusoidBatch:
    """A meta-batch: new tasks, K support and Q query points each, all drawn from `gen`."""
    shapes = ((num_tasks, 1, 1), (num_tasks, 1, 1), (num_tasks, support, 1), (num_tasks, query, 1))
    return batch_from_uniforms(*(torch.rand(shape, generator=gen) for shape in shapes))
