"""An independent reference for the line toy's graphs: the Reptile figure's task, the loss written
out again (not toys.line_loss), and the inner loop by plain autograd, for the graph tests."""
from __future__ import annotations

import torch

from trainers import toys


def reptile_task(dtype: torch.dtype = torch.float64) -> dict[str, torch.Tensor]:
    """The figure's task: the one task (0.5, 0.05) of the `reptile` data set, vectors of N points."""
    samples = toys.LINE_DATASETS["reptile"].samples()
    return {name: values[0].to(dtype) for name, values in samples.items()}


def loss(theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """1/(2N) sum (softplus(a x + b) - y)^2."""
    return 0.5 * ((torch.nn.functional.softplus(theta[0] * x + theta[1]) - y) ** 2).mean()


def unrolled(theta: torch.Tensor, data: dict, alpha: float, steps: int) -> torch.Tensor:
    """phi_k by plain autograd with create_graph, so that it can be differentiated again."""
    phi = theta
    for _ in range(steps):
        (g,) = torch.autograd.grad(loss(phi, data["x_train"], data["y_train"]), phi, create_graph=True)
        phi = phi - alpha * g
    return phi
