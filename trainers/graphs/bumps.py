"""The bumps toy of the iMAML chapter: proximal inner problems and implicit meta-gradients in 2-D.

A task's loss over the plane is L(phi) = sum_k w_k sigmoid(-10 ||phi - c_k||^2) (trainers.toys:
bumps_loss, BUMP_WEIGHTS, BUMP_CENTRES). iMAML adapts to a task by solving the proximal problem (its objective is G in the chapter)

    phi* = argmin_phi  F(phi) = L(phi) + lam/2 ||phi - theta||^2,

and differentiates the task's loss at phi* with respect to theta through the stationarity
condition grad L(phi*) + lam (phi* - theta) = 0, which gives d phi*/d theta = (I + H/lam)^-1
with H the Hessian of L at phi*. The implicit meta-gradient of one task is therefore

    g = (I + H/lam)^-1 grad L(phi*),

and it depends on phi* alone, not on the path the solver took to reach it. This module computes,
as functions of tensors that trace into ONNX graphs (no Python branching on values):

- the plain and regularised landscapes on a grid (`landscapes`);
- the inner solution phi* (`inner_solve`): F's lowest minimum, by grid searches refined by Newton;
- the implicit meta-gradient by the trainers' own conjugate gradient on Hessian-vector products,
  damped and stopped on tolerance (`implicit_gradient_cg`, trainers.methods.imaml);
- the same gradient by a direct 2x2 solve, undamped, for comparison (`implicit_gradient_exact`).

Every function works on rows: row r pairs an anchor theta_r with a task's centres c_r, so one call
solves the figures' two tasks, and the tests sweep thousands of (theta, task) pairs in one call.
Every division is guarded, so no output is NaN or infinite for any theta, lam > 0 and damping >= 0.
"""
from __future__ import annotations

import torch
from torch.func import grad, vjp, vmap

from trainers.graphs.common import G, T, identity_2x2, scalar
from trainers.methods.imaml import conjugate_gradient, curvature_floor
from trainers.onnx_export import GraphSpec
from trainers.toys import BUMP_CENTRES, BUMP_WEIGHTS, bumps_loss

# Inner solver, in three stages, all vectorised (a graph of a few hundred nodes, not a long
# unrolled loop, which onnxruntime-web takes seconds to load): (1) F on a coarse grid of
# COARSE_POINTS^2 points spanning SEARCH_RANGE on both axes (spacing COARSE_STEP), which holds
# every minimiser for theta in the plane (the tests check it); its CANDIDATES lowest local minima
# (grid points below their eight neighbours) are the candidates, so two valleys of nearly equal
# depth are both kept. (2) Around each candidate, F on the finer grids of FINE_GRIDS in turn, each
# centred on the last one's lowest point; the first reaches three coarse spacings either side,
# because in a long, nearly flat valley the coarse grid's minimum can lie that far from the true
# one. (3) POLISH_STEPS Newton steps from each refined point, F's Hessian shifted up to a smallest
# eigenvalue of MIN_CURVATURE where it is not positive definite, each step cut to one coarse
# spacing and taken only if it lowers F. phi* is the candidate with the lowest F: the lowest
# minimum, not merely one near theta.
SEARCH_RANGE = (-0.25, 1.25)
COARSE_POINTS = 31
COARSE_STEP = (SEARCH_RANGE[1] - SEARCH_RANGE[0]) / (COARSE_POINTS - 1)
CANDIDATES = 4
FINE_GRIDS = ((31, COARSE_STEP / 5), (11, COARSE_STEP / 25))  # (points a side, spacing)
POLISH_STEPS = 2
MIN_CURVATURE = 0.05
# Changes of F below LEVEL (1 + |F|) count as rounding (float32 resolves about 6e-8 of F).
LEVEL = 1e-6
# Added to F at grid points that are not local minima, so that they rank after every minimum.
NOT_A_MINIMUM = 1e6

# CG is unrolled for at most this many iterations. In two dimensions it converges in two, in
# exact arithmetic; the tolerance stop decides how many it actually takes.
CG_MAX_STEPS = 3

# A query gradient shorter than this is taken as zero by the CG graph (see cg_one).
NO_GRADIENT = 1e-6

# Colour maps: exp(SHADE (v - max) / max(max - min, FLAT)), which lib/landscape.js's log scale
# draws linear in v (its floor, 1e-3 of the maximum, sits below exp(-SHADE) = 0.018). A map whose
# values span less than FLAT is drawn with less contrast instead of amplifying rounding noise
# (every map of the figures spans more than 0.5).
SHADE = 4.0
FLAT = 0.1

# |det| below this (relative to the squared size of the matrix) counts as singular in the direct
# 2x2 solve, which then divides by the floor instead: huge but finite.
SINGULAR = 1e-6


def _square(x: torch.Tensor) -> torch.Tensor:
    # A product, not x ** 2: onnxruntime-web runs Mul faster than Pow.
    return x * x


def _safe_divide(numerator: torch.Tensor, denominator: torch.Tensor, floor: torch.Tensor | float) -> torch.Tensor:
    """numerator / denominator with |denominator| raised to at least `floor` (sign kept, 0 -> +)."""
    sign = torch.where(denominator < 0, -1.0, 1.0).to(denominator.dtype)
    return numerator / (sign * torch.clamp(denominator.abs(), min=floor))


def _entries(matrix: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """a, b, c of symmetric 2x2 matrices [[a, b], [b, c]] of shape (..., 2, 2)."""
    return matrix[..., 0, 0], matrix[..., 0, 1], matrix[..., 1, 1]


def solve_2x2(matrix: torch.Tensor, rhs: torch.Tensor) -> torch.Tensor:
    """matrix^-1 rhs for symmetric 2x2 matrices (..., 2, 2) and vectors (..., 2), by the adjugate;
    a (near-)singular determinant is raised to SINGULAR times the squared largest entry, so the
    result is always finite."""
    a, b, c = _entries(matrix)
    det = a * c - b * b
    scale = torch.clamp(torch.maximum(torch.maximum(a.abs(), c.abs()), b.abs()), min=1e-30)
    x, y = rhs[..., 0], rhs[..., 1]
    adjugate_rhs = torch.stack([c * x - b * y, a * y - b * x], dim=-1)
    return _safe_divide(adjugate_rhs, det[..., None], (SINGULAR * scale * scale)[..., None])


def smallest_eigenvalue_2x2(matrix: torch.Tensor) -> torch.Tensor:
    """The smaller eigenvalue of symmetric 2x2 matrices, in closed form (ONNX has no eigensolver)."""
    a, b, c = _entries(matrix)
    return 0.5 * (a + c) - torch.sqrt(_square(0.5 * (a - c)) + b * b)


# --- The landscapes ---------------------------------------------------------------------------


def _shade(values: torch.Tensor) -> torch.Tensor:
    """Per map (last axis): a monotone rescaling into [exp(-SHADE), 1] for the colour map."""
    high = values.amax(dim=-1, keepdim=True)
    span = torch.clamp(high - values.amin(dim=-1, keepdim=True), min=FLAT)
    return torch.exp(SHADE * (values - high) / span)


def landscapes(inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Each task's L and L + lam/2 ||phi - theta||^2 at every grid point, and their shades."""
    grid, centres, weights = inputs["grid"], inputs["centres"], inputs["weights"]
    theta, lam = inputs["theta"], inputs["lam"]
    # Coordinate by coordinate, so no (T, G, 4, 2) tensor of differences is built.
    squared = _square(grid[:, 0] - centres[..., 0, None]) + _square(grid[:, 1] - centres[..., 1, None])  # (T, 4, G)
    loss = (weights[:, None] * torch.sigmoid(-10.0 * squared)).sum(-2)  # (T, G)
    regularised = loss + 0.5 * lam * _square(grid - theta).sum(-1)
    return {
        "loss": loss,
        "regularised": regularised,
        "loss_shade": _shade(loss),
        "regularised_shade": _shade(regularised),
    }


# --- The inner solver -------------------------------------------------------------------------


def loss_derivatives(
    phi: torch.Tensor, centres: torch.Tensor, weights: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """L, grad L and the Hessian of L at phi (..., 2) for centres (..., 4, 2), in closed form.

    With d_k = phi - c_k and s_k = sigmoid(-10 ||d_k||^2): grad L = -20 sum_k w_k s_k' d_k and
    H = sum_k w_k (400 s_k'' d_k d_k^T - 20 s_k' I), where s' = s (1 - s) and s'' = s' (1 - 2 s).
    Written out because the solver needs all three at every step and autograd's trace of them is
    several times larger (the tests check them against autograd). The CG graph uses autograd's
    Hessian-vector products, as the trainers do.
    """
    d = phi[..., None, :] - centres
    s = torch.sigmoid(-10.0 * _square(d).sum(-1))
    slope = weights * s * (1 - s)
    bend = slope * (1 - 2 * s)
    gradient = -20.0 * (slope[..., None] * d).sum(-2)
    outer = (bend[..., None, None] * d[..., :, None] * d[..., None, :]).sum(-3)
    hessian = 400.0 * outer - 20.0 * slope.sum(-1)[..., None, None] * identity_2x2(phi)
    return (weights * s).sum(-1), gradient, hessian


def _proximal_derivatives(
    phi: torch.Tensor, theta: torch.Tensor, centres: torch.Tensor, weights: torch.Tensor, lam: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """F, grad F and the Hessian of F = L + lam/2 ||phi - theta||^2, for rows of phi and theta."""
    value, gradient, hessian = loss_derivatives(phi, centres, weights)
    offset = phi - theta
    return (
        value + 0.5 * lam * _square(offset).sum(-1),
        gradient + lam * offset,
        hessian + lam * identity_2x2(phi),
    )


def _grid_values(
    across: torch.Tensor, up: torch.Tensor, theta: torch.Tensor, centres: torch.Tensor, weights: torch.Tensor,
    lam: torch.Tensor,
) -> torch.Tensor:
    """F on the grids spanned by phi_1 values `across` (..., n) and phi_2 values `up` (..., n),
    for theta (..., 2) and centres (..., 4, 2): (..., n, n), row j holding phi_2 = up[j].

    Separable: squared distances are a row term plus a column term, so no tensor of grid points
    is ever built.
    """
    dx = across[..., None, :] - centres[..., 0, None]  # (..., 4, n)
    dy = up[..., None, :] - centres[..., 1, None]
    squared = _square(dy)[..., :, None] + _square(dx)[..., None, :]  # (..., 4, n, n)
    loss = (weights[:, None, None] * torch.sigmoid(-10.0 * squared)).sum(-3)
    proximal = _square(up - theta[..., 1, None])[..., :, None] + _square(across - theta[..., 0, None])[..., None, :]
    return loss + 0.5 * lam * proximal


def _at(across: torch.Tensor, up: torch.Tensor, index: torch.Tensor, n: int) -> torch.Tensor:
    """The grid points (..., 2) with flat indices `index` (...) of grids spanned by across, up."""
    x = torch.gather(across, -1, (index % n)[..., None])
    y = torch.gather(up, -1, torch.div(index, n, rounding_mode="floor")[..., None])
    return torch.cat([x, y], dim=-1)


def coarse_candidates(theta: torch.Tensor, centres: torch.Tensor, weights: torch.Tensor, lam: torch.Tensor) -> torch.Tensor:
    """Stage 1: the CANDIDATES lowest local minima of F on the coarse grid, (T, CANDIDATES, 2)."""
    n = COARSE_POINTS
    axis = SEARCH_RANGE[0] + COARSE_STEP * torch.arange(n, dtype=theta.dtype)
    rows = axis.expand(theta.shape[0], n)
    values = _grid_values(rows, rows, theta, centres, weights, lam)  # (T, n, n)
    padded = torch.nn.functional.pad(values, (1, 1, 1, 1), value=NOT_A_MINIMUM)
    neighbours = [padded[:, 1 + i : 1 + i + n, 1 + j : 1 + j + n] for i in (-1, 0, 1) for j in (-1, 0, 1) if i or j]
    lowest_neighbour = torch.stack(neighbours).amin(0)
    score = torch.where(values <= lowest_neighbour, values, values + NOT_A_MINIMUM).flatten(1)
    index = torch.topk(score, CANDIDATES, dim=-1, largest=False).indices  # (T, CANDIDATES)
    rows = rows[:, None, :].expand(-1, CANDIDATES, -1)
    return _at(rows, rows, index, n)


def fine_minima(points: torch.Tensor, theta: torch.Tensor, centres: torch.Tensor, weights: torch.Tensor,
                lam: torch.Tensor, size: int, spacing: float) -> torch.Tensor:
    """Stage 2: the lowest point of F on a size x size grid of `spacing` around each point (T, M, 2)."""
    half = (size - 1) // 2
    offsets = spacing * torch.arange(-half, half + 1, dtype=points.dtype)
    across = points[..., 0, None] + offsets  # (T, M, size)
    up = points[..., 1, None] + offsets
    values = _grid_values(across, up, theta[:, None, :], centres[:, None], weights, lam)  # (T, M, size, size)
    return _at(across, up, values.flatten(2).argmin(-1), size)


def _newton_direction(gradient: torch.Tensor, hessian: torch.Tensor) -> torch.Tensor:
    """-(H_F + shift I)^-1 grad F, the shift making the matrix positive definite (a descent step)."""
    shift = torch.relu(MIN_CURVATURE - smallest_eigenvalue_2x2(hessian))
    return -solve_2x2(hessian + shift[..., None, None] * identity_2x2(hessian), gradient)


def _within(step: torch.Tensor, radius: float) -> torch.Tensor:
    """Each step, shortened to `radius` if it is longer."""
    length = torch.sqrt(_square(step).sum(-1, keepdim=True))
    return step * torch.where(length > radius, radius / torch.clamp(length, min=1e-30), 1.0)


def _accept(
    value: torch.Tensor, gradient: torch.Tensor, candidate_value: torch.Tensor, candidate_gradient: torch.Tensor
) -> torch.Tensor:
    """Take a step that lowers F; or, once F's changes drown in rounding (near the minimum, in
    float32), one that leaves F level within rounding and shrinks its gradient (so Newton's
    quadratic convergence carries phi* to float precision rather than to its square root)."""
    level = (candidate_value - value).abs() <= LEVEL * (1 + value.abs())
    flatter = _square(candidate_gradient).sum(-1) < _square(gradient).sum(-1)
    return (candidate_value < value) | (level & flatter)


def polish(phi: torch.Tensor, theta: torch.Tensor, centres: torch.Tensor, weights: torch.Tensor, lam: torch.Tensor,
           steps: int | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Stage 3: safeguarded Newton steps from each point phi (T, M, 2): phi, F and grad F."""
    theta, centres = theta[:, None, :], centres[:, None]
    value, gradient, hessian = _proximal_derivatives(phi, theta, centres, weights, lam)
    for _ in range(POLISH_STEPS if steps is None else steps):
        candidate = phi + _within(_newton_direction(gradient, hessian), COARSE_STEP)
        candidate_value, candidate_gradient, candidate_hessian = _proximal_derivatives(
            candidate, theta, centres, weights, lam
        )
        better = _accept(value, gradient, candidate_value, candidate_gradient)
        phi = torch.where(better[..., None], candidate, phi)
        value = torch.where(better, candidate_value, value)
        gradient = torch.where(better[..., None], candidate_gradient, gradient)
        hessian = torch.where(better[..., None, None], candidate_hessian, hessian)
    return phi, value, gradient


def solve(theta: torch.Tensor, centres: torch.Tensor, weights: torch.Tensor, lam: torch.Tensor) -> dict[str, torch.Tensor]:
    """phi* for rows theta (T, 2), centres (T, 4, 2), with F(phi*) and ||grad F(phi*)||."""
    candidates = coarse_candidates(theta, centres, weights, lam)
    for size, spacing in FINE_GRIDS:
        candidates = fine_minima(candidates, theta, centres, weights, lam, size, spacing)
    phi, value, gradient = polish(candidates, theta, centres, weights, lam)
    # The lowest candidate; among candidates level with it within rounding (several often reach
    # the same minimum), the one with the smallest gradient.
    lowest = value.amin(-1, keepdim=True)
    level = value <= lowest + LEVEL * (1 + lowest.abs())
    best = torch.where(level, _square(gradient).sum(-1), NOT_A_MINIMUM).argmin(-1)[:, None]  # (T, 1)
    pick = lambda v: torch.gather(v, 1, best[..., None].expand(-1, -1, v.shape[-1])).squeeze(1)  # noqa: E731
    gradient = pick(gradient)
    return {
        "phi": pick(phi),
        "objective": torch.gather(value, 1, best).squeeze(1),
        "gradient_norm": torch.sqrt(_square(gradient).sum(-1)),
    }


def inner_solve(inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """phi* for every row: theta (T, 2), centres (T, 4, 2); weights and lam shared."""
    return solve(inputs["theta"], inputs["centres"], inputs["weights"], inputs["lam"])


# --- The implicit meta-gradient ---------------------------------------------------------------


def _loss_gradient_and_hvp(phi: torch.Tensor, centres: torch.Tensor, weights: torch.Tensor):
    """grad L(phi), and u -> H u (H the Hessian of L at phi, symmetric: a vjp of the gradient)."""
    gradient, pullback = vjp(lambda p: grad(bumps_loss)(p, centres, weights), phi)
    return gradient, lambda u: pullback(u)[0]


def cg_one(
    phi: torch.Tensor, centres: torch.Tensor, weights: torch.Tensor, lam: torch.Tensor,
    damping: torch.Tensor, tol: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """((1 + damping) I + H/lam)^-1 grad L(phi) by the trainers' CG: gradient, iterations, residual."""
    gradient, hvp = _loss_gradient_and_hvp(phi, centres, weights)
    # Far from every bump the gradient comes from the sigmoids' far tails, which runtimes round
    # differently (onnxruntime flushes denormals to zero): below NO_GRADIENT it is zero, exactly.
    # Within the figures' plane every gradient is over a hundred times longer.
    gradient = torch.where(_square(gradient).sum() < NO_GRADIENT**2, torch.zeros_like(gradient), gradient)

    def apply_a(u: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {"phi": (1 + damping) * u["phi"] + hvp(u["phi"]) / lam}

    solution, iterations, residual = conjugate_gradient(
        apply_a, {"phi": gradient}, CG_MAX_STEPS, tol, curvature_floor(damping)
    )
    return solution["phi"], iterations, residual


def implicit_gradient_cg(inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Every row's implicit meta-gradient by damped CG, and theta - meta_step_size times it."""
    cg = vmap(cg_one, in_dims=(0, 0, None, None, None, None))
    gradient, iterations, residual = cg(
        inputs["phi"], inputs["centres"], inputs["weights"], inputs["lam"], inputs["damping"], inputs["tol"]
    )
    return {
        "gradient": gradient,
        "iterations": iterations,
        "residual": residual,
        "theta_next": inputs["theta"] - inputs["meta_step_size"] * gradient,
    }


def exact_one(phi: torch.Tensor, centres: torch.Tensor, weights: torch.Tensor, lam: torch.Tensor) -> torch.Tensor:
    """(I + H/lam)^-1 grad L(phi), H formed from two Hessian-vector products, solved directly."""
    gradient, hvp = _loss_gradient_and_hvp(phi, centres, weights)
    hessian = torch.stack([hvp(row) for row in identity_2x2(phi)])
    return solve_2x2(identity_2x2(phi) + hessian / lam, gradient)


def implicit_gradient_exact(inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Every row's undamped implicit meta-gradient by a direct 2x2 solve, and theta minus a step."""
    exact = vmap(exact_one, in_dims=(0, 0, None, None))(inputs["phi"], inputs["centres"], inputs["weights"], inputs["lam"])
    return {"gradient": exact, "theta_next": inputs["theta"] - inputs["meta_step_size"] * exact}


# --- The graphs -------------------------------------------------------------------------------

def _bump_examples() -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(9)
    centres = torch.tensor([BUMP_CENTRES["A"], BUMP_CENTRES["B"], BUMP_CENTRES["A"]])
    return {
        "grid": torch.rand(G, 2, generator=gen),
        "theta_rows": torch.rand(T, 2, generator=gen),
        "phi": torch.rand(T, 2, generator=gen),
        "centres": centres + 0.05 * torch.rand(T, 4, 2, generator=gen),
        "weights": torch.tensor(BUMP_WEIGHTS),
    }


def graph_specs() -> list[GraphSpec]:
    ex = _bump_examples()
    rows = {"centres": {0: "T"}}
    return [
        GraphSpec(
            name="bumps_landscape",
            fn=landscapes,
            example_inputs={"grid": ex["grid"], "centres": ex["centres"][:2], "weights": ex["weights"],
                            "theta": torch.tensor([0.4, 0.6]), "lam": scalar(2.0)},
            outputs=("loss", "regularised", "loss_shade", "regularised_shade"),
            dynamic={"grid": {0: "G"}, **rows},
            description=(
                "Bumps toy: each task's loss L(phi) = sum_k w_k sigmoid(-10 ||phi - c_k||^2) (centres (T, 4, 2))"
                " and its proximal objective L(phi) + lam/2 ||phi - theta||^2 at every grid point phi, each (T, G);"
                f" and per map exp({SHADE:g} (v - max v) / max(max v - min v, {FLAT:g})), the colour weight that"
                " lib/landscape.js's log scale draws linear in v."
            ),
        ),
        GraphSpec(
            name="bumps_inner_solve",
            fn=inner_solve,
            example_inputs={"theta": ex["theta_rows"], "centres": ex["centres"], "weights": ex["weights"],
                            "lam": scalar(2.0)},
            outputs=("phi", "objective", "gradient_norm"),
            dynamic={"theta": {0: "T"}, **rows},
            description=(
                "Bumps toy, iMAML's inner problem for each row (anchor theta_r, task centres_r):"
                " phi* = argmin L(phi) + lam/2 ||phi - theta||^2: the objective's"
                f" {CANDIDATES} lowest local minima on a {COARSE_POINTS} x {COARSE_POINTS} grid over"
                f" {list(SEARCH_RANGE)}^2, each refined on finer grids around it"
                f" ({', '.join(f'{n} x {n} of spacing {h:g}' for n, h in FINE_GRIDS)}) and by {POLISH_STEPS}"
                f" Newton steps (Hessian shifted to eigenvalues >= {MIN_CURVATURE:g}, steps cut to {COARSE_STEP:g}"
                " and taken only if they lower the objective), the lowest one kept; the objective at phi* and"
                " the norm of its gradient there."
            ),
        ),
        GraphSpec(
            name="bumps_implicit_cg",
            fn=implicit_gradient_cg,
            example_inputs={"theta": ex["theta_rows"], "phi": ex["phi"], "centres": ex["centres"],
                            "weights": ex["weights"], "lam": scalar(2.0), "damping": scalar(0.1),
                            "tol": scalar(1e-4), "meta_step_size": scalar(0.05)},
            outputs=("gradient", "iterations", "residual", "theta_next"),
            dynamic={"theta": {0: "T"}, "phi": {0: "T"}, **rows},
            description=(
                "Bumps toy, iMAML's implicit meta-gradient for each row: ((1 + damping) I + H/lam)^-1 grad L(phi)"
                " (H the Hessian of L at phi) by the trainers' conjugate gradient on Hessian-vector products"
                f" (trainers.methods.imaml.conjugate_gradient, at most {CG_MAX_STEPS} iterations, stopped once"
                f" ||r|| <= tol ||grad L(phi)|| or on curvature below damping / 2; a gradient shorter than {NO_GRADIENT:g} counts"
                " as zero), the iterations it took, its relative"
                " residual, and theta - meta_step_size times the gradient (the arrow's tip)."
            ),
        ),
        GraphSpec(
            name="bumps_implicit_exact",
            fn=implicit_gradient_exact,
            example_inputs={"theta": ex["theta_rows"], "phi": ex["phi"], "centres": ex["centres"],
                            "weights": ex["weights"], "lam": scalar(2.0), "meta_step_size": scalar(0.05)},
            outputs=("gradient", "theta_next"),
            dynamic={"theta": {0: "T"}, "phi": {0: "T"}, **rows},
            description=(
                "Bumps toy, the exact implicit meta-gradient (I + H/lam)^-1 grad L(phi) for each row, undamped,"
                " H formed from two Hessian-vector products and the 2x2 system solved by its adjugate"
                f" (|det| floored at {SINGULAR:g} times the squared largest entry); and theta - meta_step_size"
                " times it."
            ),
        ),
    ]
