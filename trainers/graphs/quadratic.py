"""The quadratic toy's graphs (the first-order MAML chapter): a quadratic with curvature C on the
plane, one gradient step on it, both meta-gradients, and its landscape."""
from __future__ import annotations

import torch
from torch.func import grad, vmap

from trainers import toys
from trainers.graphs.common import grid, scalar
from trainers.onnx_export import GraphSpec, Tensors


def quadratic_curvature(inputs: Tensors) -> Tensors:
    x, alpha = inputs["x"], inputs["step_size"]
    a, b, c = inputs["a"], inputs["b"], inputs["c"]
    curvature = torch.stack([torch.stack([a, b]), torch.stack([b, c])])
    g = torch.tensor(toys.QUADRATIC_G, dtype=x.dtype)

    def loss(point: torch.Tensor) -> torch.Tensor:
        return toys.quadratic_loss(point, curvature, g)

    def adapt(point: torch.Tensor) -> torch.Tensor:  # U(x) = x - alpha grad f(x)
        return point - alpha * grad(loss)(point)

    phi = adapt(x)
    # A symmetric 2x2 matrix's eigenvalues in closed form (ONNX has no eigensolver), ascending.
    mean, radius = 0.5 * (a + c), torch.sqrt((0.5 * (a - c)) ** 2 + b**2)
    return {
        "curvature": curvature,
        "eigenvalues": torch.stack([mean - radius, mean + radius]),
        "gradient": grad(loss)(x),
        "phi": phi,
        "first_order_meta_gradient": grad(loss)(phi),
        # Differentiated through the step, so (I - alpha C) grad f(phi) comes out of the chain rule.
        "meta_gradient": grad(lambda point: loss(adapt(point)))(x),
        "loss": loss(x),
        "loss_after": loss(phi),
    }


def quadratic_landscape(inputs: Tensors) -> Tensors:
    """f of the quadratic toy at each grid point, less its smallest value on the grid.

    f is negative on much of the plane (g^T x, and C may have negative eigenvalues), and the
    figures' landscapes draw log(v) of values clamped at zero (lib/landscape.js). Shifting by the
    grid minimum makes every value non-negative with the lowest point at exactly zero, and keeps
    the shape: the offset is returned so f itself is loss + offset.
    """
    a, b, c = inputs["a"], inputs["b"], inputs["c"]
    curvature = torch.stack([torch.stack([a, b]), torch.stack([b, c])])
    g = torch.tensor(toys.QUADRATIC_G, dtype=inputs["grid"].dtype)
    values = vmap(lambda point: toys.quadratic_loss(point, curvature, g))(inputs["grid"])
    offset = values.min()
    return {"loss": values - offset, "offset": offset}


def graph_specs() -> list[GraphSpec]:
    curvature = {k: scalar(v) for k, v in toys.QUADRATIC_DEFAULTS.items()}
    return [
        GraphSpec(
            name="quadratic_curvature",
            fn=quadratic_curvature,
            example_inputs={"x": torch.tensor([0.2, 0.9]), **curvature, "step_size": scalar(0.5)},
            outputs=(
                "curvature",
                "eigenvalues",
                "gradient",
                "phi",
                "first_order_meta_gradient",
                "meta_gradient",
                "loss",
                "loss_after",
            ),
            description=(
                f"The quadratic f(x) = 1/2 (x - 1/2)^T C (x - 1/2) + g^T x, g = {toys.QUADRATIC_G},"
                " C = [[a, b], [b, c]]: C, its eigenvalues (ascending), grad f(x), one step"
                " phi = x - alpha grad f(x), the first-order meta-gradient grad f(phi), the exact one"
                " (I - alpha C) grad f(phi) = d f(phi) / d x, and f(x), f(phi)."
            ),
        ),
        GraphSpec(
            name="quadratic_landscape",
            fn=quadratic_landscape,
            example_inputs={**grid(), **curvature},
            outputs=("loss", "offset"),
            dynamic={"grid": {0: "G"}},
            description=(
                "The quadratic of quadratic_curvature at each grid point x, shifted by its smallest value"
                " on the grid so it is >= 0 with minimum 0 (the landscapes draw it on a log scale):"
                " loss = f(x) - offset, offset = min over the grid of f."
            ),
        ),
    ]
