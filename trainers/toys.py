"""The two-parameter toy problems of the loss-landscape figures, with their seeded data.

Line fitting through a softplus: a task is a pair (a*, b*); its data are inputs x ~ U(-3, 3) and
targets softplus(a* x + b*); its loss at theta = (a, b) is 1/(2N) sum_j (softplus(a x_j + b) - y_j)^2.
Each task has separate train and test samples, drawn once from a fixed seed, so the browser (which
reads them from static/models/toys.json), the static fallback pictures and the tests see the same
points.

The line model is just another `forward(params, x)` for the shared inner loop in trainers.inner.
Its loss is half the mean squared error that loop minimises, so an SGD step of size alpha on the
toy's loss is exactly a step of alpha/2 on the MSE (the gradient of half the MSE is half its
gradient); `mse_step_size` is the one place that says so.

The bumps (iMAML) and the quadratic with curvature (first-order MAML) are defined here too.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from trainers.inner import task_loss, trajectory
from trainers.params import Params

LINE_X_RANGE = (-3.0, 3.0)
LINE_PARAM_NAMES = ("a", "b")


def line_forward(params: Params, x: torch.Tensor) -> torch.Tensor:
    """softplus(a x + b) for x of any shape; a and b are scalars (0-d tensors)."""
    return torch.nn.functional.softplus(params["a"] * x + params["b"])


def line_loss(params: Params, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """1/(2N) sum_j (softplus(a x_j + b) - y_j)^2."""
    return 0.5 * task_loss(params, x, y, line_forward)


def mse_step_size(step_size: torch.Tensor | float) -> torch.Tensor | float:
    """The MSE step size that makes the shared inner loop take a step of `step_size` on line_loss."""
    return 0.5 * step_size


def line_trajectory(
    params: Params, x: torch.Tensor, y: torch.Tensor, step_size: torch.Tensor | float, steps: int
) -> list[Params]:
    """theta, U^(1)(theta), ..., U^(steps)(theta): SGD on line_loss over the points (x, y)."""
    return trajectory(params, x, y, mse_step_size(step_size), steps, line_forward)


def as_params(theta: torch.Tensor) -> Params:
    """(a, b) as a vector of 2 -> the params dict the line model takes."""
    return {name: theta[i] for i, name in enumerate(LINE_PARAM_NAMES)}


def as_vector(params: Params) -> torch.Tensor:
    return torch.stack([params[name] for name in LINE_PARAM_NAMES])


@dataclass(frozen=True)
class LineDataset:
    """Tasks (a*, b*) with n train and n test points each, drawn from `seed`."""

    tasks: tuple[tuple[float, float], ...]
    n: int
    seed: int

    def samples(self) -> dict[str, torch.Tensor]:
        """x_train, y_train, x_test, y_test, each of shape (T, n), float32.

        Per task, in order: its n train inputs, then its n test inputs, from one generator.
        """
        gen = torch.Generator().manual_seed(self.seed)
        low, high = LINE_X_RANGE
        columns: dict[str, list[torch.Tensor]] = {k: [] for k in ("x_train", "y_train", "x_test", "y_test")}
        for a, b in self.tasks:
            target = as_params(torch.tensor([a, b]))
            for split in ("train", "test"):
                x = low + (high - low) * torch.rand(self.n, generator=gen)
                columns[f"x_{split}"].append(x)
                columns[f"y_{split}"].append(line_forward(target, x))
        return {name: torch.stack(values) for name, values in columns.items()}

    def to_json(self) -> dict:
        """Tasks, seed and samples; float32 values written exactly (as the doubles they equal)."""
        return {
            "tasks": [{"a": a, "b": b} for a, b in self.tasks],
            "n": self.n,
            "seed": self.seed,
            **{name: values.tolist() for name, values in self.samples().items()},
        }


# The data sets of the figures. The plane shown is theta in [0, 1]^2. `reptile` is
# the one single-task set, so the Reptile figure and "The Jacobian product, live" (one task, with
# separate train and test points) share it.
LINE_DATASETS: dict[str, LineDataset] = {
    "maml": LineDataset(tasks=((0.3, 0.05), (0.83, 0.75)), n=25, seed=1),
    "reptile": LineDataset(tasks=((0.5, 0.05),), n=25, seed=2),
    "comparison": LineDataset(tasks=((0.0, 0.0), (1.0, 0.0), (0.2, 0.0), (0.5, 0.2)), n=25, seed=3),
}
LINE_PLANE = {"a": [0.0, 1.0], "b": [0.0, 1.0]}


# Bumps: L(phi) = sum_k w_k sigmoid(-10 ||phi - c_k||^2), for the iMAML figures.
BUMP_WEIGHTS = (-1.0, -1.5, 2.0, -1.5)
BUMP_CENTRES = {
    "A": ((0.5, 0.7), (0.4, 0.2), (0.6, 0.2), (0.9, 0.3)),
    "B": ((0.6, 0.8), (0.2, 0.3), (0.7, 0.1), (0.8, 0.3)),
}


# The plane the iMAML figures draw, and the values of their log-scale lambda slider: a Renard
# series (ten steps a decade, each about 1.26 times the last) from 0.1 to 100. The tests sweep the
# same values, so "every lambda the reader can set" is one list.
BUMP_PLANE = {"x": [0.0, 1.0], "y": [0.0, 1.0]}
BUMP_LAMBDAS = tuple(
    round(mantissa * 10.0**exponent, 6)
    for exponent in (-1, 0, 1)
    for mantissa in (1.0, 1.25, 1.6, 2.0, 2.5, 3.2, 4.0, 5.0, 6.3, 8.0)
) + (100.0,)


def bumps_loss(phi: torch.Tensor, centres: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """phi (2,), centres (4, 2), weights (4,) -> scalar loss."""
    return (weights * torch.sigmoid(-10.0 * ((phi - centres) ** 2).sum(-1))).sum()


# Quadratic with curvature: f(x) = 1/2 (x - 1/2)^T C (x - 1/2) + g^T x, C = [[a, b], [b, c]].
QUADRATIC_G = (0.1, -0.1)
QUADRATIC_DEFAULTS = {"a": 0.5, "b": -0.1, "c": 0.0}


def quadratic_loss(x: torch.Tensor, curvature: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """x (2,), curvature C (2, 2) symmetric, g (2,) -> scalar."""
    d = x - 0.5
    return 0.5 * d @ curvature @ d + g @ x


def toys_json() -> dict:
    """Everything a figure needs to draw the toy problems with the same data as Python."""
    return {
        "line": {
            "x_range": list(LINE_X_RANGE),
            "plane": LINE_PLANE,
            "datasets": {name: data.to_json() for name, data in LINE_DATASETS.items()},
        },
        "bumps": {
            "weights": list(BUMP_WEIGHTS),
            "centres": {task: [list(c) for c in cs] for task, cs in BUMP_CENTRES.items()},
            "plane": BUMP_PLANE,
            "lambdas": list(BUMP_LAMBDAS),
        },
        "quadratic": {"g": list(QUADRATIC_G), "defaults": QUADRATIC_DEFAULTS},
    }
