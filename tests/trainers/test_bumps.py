"""The bumps graphs of the iMAML chapter (trainers/graphs/bumps.py) against independent references.

- the closed-form derivatives and the landscapes against autograd and toys.bumps_loss;
- phi* against torch's minimiser: plain gradient descent in float64, for a long time, from every
  local minimum of a dense grid, the lowest result kept;
- CG against a direct solve, the exact implicit gradient against finite differences of
  L(phi*(theta)), and CG's iteration count varying with theta and lambda;
- every output of every committed bumps graph finite over a 50 x 50 grid of theta times every
  lambda of the figures' slider (the original article's CG gave NaN for about a quarter of its
  draws), and the ONNX files against torch on the figures' own inputs.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from torch.func import grad, hessian, vmap

from trainers import toys
from trainers.graphs import bumps, catalogue
from trainers.methods.imaml import curvature_floor

MODELS = Path(__file__).resolve().parents[2] / "static" / "models"
LAMBDAS = toys.BUMP_LAMBDAS
DAMPINGS = (0.0, 0.1, 1.0)  # both ends and the default of the figure's damping slider
WEIGHTS = torch.tensor(toys.BUMP_WEIGHTS)
CENTRES = torch.tensor([toys.BUMP_CENTRES["A"], toys.BUMP_CENTRES["B"]])


def _plane(n: int, dtype=torch.float32) -> torch.Tensor:
    """n x n points of the unit square, (n * n, 2), x fastest."""
    xs = torch.linspace(0.0, 1.0, n, dtype=dtype)
    return torch.stack(torch.meshgrid(xs, xs, indexing="xy"), -1).reshape(-1, 2)


def _rows(n: int, dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Every point of an n x n grid of theta paired with each task: theta (2 n^2, 2), centres."""
    theta = _plane(n, dtype)
    return theta.repeat(2, 1), CENTRES.to(dtype).repeat_interleave(len(theta), 0)


def _session(name: str) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(MODELS / f"{name}.onnx"), options, providers=["CPUExecutionProvider"])


def _f32(value: float) -> np.ndarray:
    return np.asarray(value, dtype=np.float32)


def _objective(phi: torch.Tensor, theta: torch.Tensor, centres: torch.Tensor, lam: float) -> torch.Tensor:
    """G(phi) = L(phi) + lam/2 ||phi - theta||^2 for one row, from toys.bumps_loss (not bumps.py)."""
    return toys.bumps_loss(phi, centres, WEIGHTS.to(phi.dtype)) + 0.5 * lam * ((phi - theta) ** 2).sum()


# --- Closed forms and landscapes --------------------------------------------------------------


def test_closed_form_derivatives_match_autograd():
    gen = torch.Generator().manual_seed(0)
    phi = torch.rand(12, 2, generator=gen, dtype=torch.float64) * 1.4 - 0.2
    centres = CENTRES.double()[torch.arange(12) % 2]
    value, gradient, hess = bumps.loss_derivatives(phi, centres, WEIGHTS.double())
    for i in range(12):
        loss = lambda p: toys.bumps_loss(p, centres[i], WEIGHTS.double())  # noqa: E731
        torch.testing.assert_close(value[i], loss(phi[i]))
        torch.testing.assert_close(gradient[i], grad(loss)(phi[i]))
        torch.testing.assert_close(hess[i], hessian(loss)(phi[i]))


def test_landscapes_are_the_bumps_and_the_proximal_objective():
    grid = _plane(9, torch.float64)
    theta, lam = torch.tensor([0.3, 0.7], dtype=torch.float64), torch.tensor(2.5, dtype=torch.float64)
    out = bumps.landscapes({"grid": grid, "centres": CENTRES.double(), "weights": WEIGHTS.double(), "theta": theta, "lam": lam})
    for t in range(2):
        plain = torch.stack([toys.bumps_loss(p, CENTRES.double()[t], WEIGHTS.double()) for p in grid])
        torch.testing.assert_close(out["loss"][t], plain)
        torch.testing.assert_close(out["regularised"][t], plain + 1.25 * ((grid - theta) ** 2).sum(-1))
        for name in ("loss", "regularised"):
            shade, values = out[f"{name}_shade"][t], out[name][t]
            # Monotone in the value, 1 at the maximum, exp(-SHADE) at the minimum.
            order = values.argsort()
            assert (shade[order].diff() >= 0).all()
            torch.testing.assert_close(shade.max(), torch.tensor(1.0, dtype=torch.float64))
            torch.testing.assert_close(shade.min(), torch.exp(torch.tensor(-bumps.SHADE, dtype=torch.float64)))


# --- The inner solver -------------------------------------------------------------------------


def _descend(start: torch.Tensor, theta: torch.Tensor, centres: torch.Tensor, lam: float, steps: int) -> torch.Tensor:
    """Plain gradient descent on every row's G, float64, step 1/(lam + 16) (16 exceeds every
    eigenvalue of the bumps' Hessians, so no step overshoots)."""
    phi = start.clone().requires_grad_()
    optimiser = torch.optim.SGD([phi], lr=1.0 / (lam + 16.0))
    for _ in range(steps):
        optimiser.zero_grad()
        vmap(lambda p, t, c: _objective(p, t, c, lam))(phi, theta, centres).sum().backward()
        optimiser.step()
    return phi.detach()


def _reference_minimiser(theta: torch.Tensor, centres: torch.Tensor, lam: float, steps: int = 3000):
    """torch's minimiser of each row's G: gradient descent from every local minimum of a 41 x 41
    grid over [-0.25, 1.25]^2 (at most 6, lowest first), the lowest end point kept. Returns phi,
    G(phi) and ||grad G(phi)||."""
    n, rows = 41, len(theta)
    axis = torch.linspace(-0.25, 1.25, n, dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(axis, axis, indexing="xy"), -1).reshape(-1, 2)
    values = vmap(lambda t, c: vmap(lambda p: _objective(p, t, c, lam))(grid))(theta, centres).reshape(rows, n, n)
    padded = torch.nn.functional.pad(values, (1, 1, 1, 1), value=float("inf"))
    neighbours = torch.stack([padded[:, 1 + i : 1 + i + n, 1 + j : 1 + j + n]
                              for i in (-1, 0, 1) for j in (-1, 0, 1) if i or j]).amin(0)
    score = torch.where(values <= neighbours, values, torch.inf).reshape(rows, -1)
    starts = grid[score.topk(6, largest=False).indices]  # (rows, 6, 2); non-minima only if fewer
    ends = _descend(starts.reshape(-1, 2), theta.repeat_interleave(6, 0), centres.repeat_interleave(6, 0), lam, steps)
    ends = ends.reshape(rows, 6, 2)
    end_values = vmap(vmap(lambda p, t, c: _objective(p, t, c, lam), in_dims=(0, None, None)))(ends, theta, centres)
    best = end_values.argmin(1)
    phi = ends[torch.arange(rows), best]
    gradients = vmap(grad(lambda p, t, c: _objective(p, t, c, lam)))(phi, theta, centres)
    return phi, end_values[torch.arange(rows), best], gradients.norm(dim=-1)


@pytest.mark.parametrize("lam", [0.1, 0.32, 1.0, 2.0, 5.0, 12.5, 40.0, 100.0])
def test_inner_solution_is_torchs_minimiser(lam):
    theta, centres = _rows(11)
    solved = bumps.inner_solve({"theta": theta, "centres": centres, "weights": WEIGHTS, "lam": torch.tensor(lam)})
    phi_ref, value_ref, gradient_ref = _reference_minimiser(theta.double(), centres.double(), lam)
    converged = gradient_ref < 1e-8
    assert converged.float().mean() > 0.97, "the reference itself did not converge"
    phi = solved["phi"].double()
    value = vmap(lambda p, t, c: _objective(p, t, c, lam))(phi, theta.double(), centres.double())
    # Never worse than the reference (up to float32 rounding of phi*) ...
    assert (value <= value_ref + 1e-6).all(), (value - value_ref).max()
    # ... and the same point, except where two minima are level within float32 resolution.
    distance = (phi - phi_ref).norm(dim=-1)
    tied = (value - value_ref).abs() <= 1e-5
    assert (distance[converged & ~tied] <= 1e-4).all(), distance[converged & ~tied].max()
    assert (distance[converged] <= 1e-4).float().mean() >= 0.99
    # What the graph reports about its solution is true.
    torch.testing.assert_close(solved["objective"].double(), value, rtol=0, atol=1e-5)


def test_inner_solutions_are_minima_inside_the_search_range():
    """Over the figures' whole range: grad G(phi*) ~ 0, Hessian of G positive semi-definite there,
    and phi* well inside the searched square (so no minimiser was cut off by its edge)."""
    theta, centres = _rows(25)
    for lam in LAMBDAS:
        solved = bumps.inner_solve({"theta": theta, "centres": centres, "weights": WEIGHTS, "lam": torch.tensor(lam)})
        phi = solved["phi"]
        assert (solved["gradient_norm"] < 1e-3).all(), (lam, solved["gradient_norm"].max())
        assert (solved["gradient_norm"] < 1e-4).float().mean() > 0.995, lam
        _, _, hess = bumps.loss_derivatives(phi.double(), centres.double(), WEIGHTS.double())
        lowest = bumps.smallest_eigenvalue_2x2(hess + lam * torch.eye(2, dtype=torch.float64))
        assert (lowest > -1e-3).all(), (lam, lowest.min())
        low, high = bumps.SEARCH_RANGE
        assert (phi > low + bumps.COARSE_STEP).all() and (phi < high - bumps.COARSE_STEP).all(), lam


# --- The implicit meta-gradient ---------------------------------------------------------------


def _gradient_inputs(theta, phi, centres, lam, **extra) -> dict[str, torch.Tensor]:
    return {"theta": theta, "phi": phi, "centres": centres, "weights": WEIGHTS.to(theta.dtype),
            "lam": torch.tensor(lam, dtype=theta.dtype), "meta_step_size": torch.tensor(0.5, dtype=theta.dtype),
            **{k: torch.tensor(v, dtype=theta.dtype) for k, v in extra.items()}}


@pytest.mark.parametrize("lam, damping", [(0.5, 0.0), (2.0, 0.1), (4.0, 0.0), (20.0, 1.0), (100.0, 0.1)])
def test_cg_matches_a_direct_solve(lam, damping):
    theta, centres = _rows(9, torch.float64)
    phi = bumps.inner_solve({"theta": theta, "centres": centres, "weights": WEIGHTS.double(),
                             "lam": torch.tensor(lam, dtype=torch.float64)})["phi"]
    out = bumps.implicit_gradient_cg(_gradient_inputs(theta, phi, centres, lam, damping=damping, tol=1e-12))
    converged = out["residual"] <= 1e-9
    assert converged.double().mean() > 0.95
    for r in range(len(theta)):
        loss = lambda p: toys.bumps_loss(p, centres[r], WEIGHTS.double())  # noqa: E731
        system = (1 + damping) * torch.eye(2, dtype=torch.float64) + hessian(loss)(phi[r]) / lam
        if converged[r]:
            direct = torch.linalg.solve(system, grad(loss)(phi[r]))
            torch.testing.assert_close(out["gradient"][r], direct, rtol=1e-8, atol=1e-10)
        else:  # stopped on low curvature, which only a system curving less than the floor has
            assert torch.linalg.eigvalsh(system).min() <= curvature_floor(damping) + 1e-12
    assert (out["iterations"] < bumps.CG_MAX_STEPS).all(), "CG should stop before its cap"
    torch.testing.assert_close(out["theta_next"], theta - 0.5 * out["gradient"])
    # Undamped, CG and the direct 2x2 solve of the exact graph agree.
    if damping == 0.0:
        exact = bumps.implicit_gradient_exact(_gradient_inputs(theta, phi, centres, lam))
        torch.testing.assert_close(out["gradient"][converged], exact["gradient"][converged], rtol=1e-8, atol=1e-10)


FIGURE_GRID = 41  # imaml-implicit-gradient's grid (content/figures.yaml)
FIGURE_TOL = 1e-3  # its CG tolerance


@pytest.mark.parametrize("damping", [0.1, 1.0])  # the figure's default and the top of its slider
def test_committed_cg_is_within_the_damping_bias_over_the_figures_grid(damping):
    """At every theta of the figure's 41 x 41 grid, both tasks and every lambda of its slider, the
    committed CG graph stops on its tolerance (the damped operator is positive definite at phi*,
    so a curvature stop would cut off a well-posed solve) and its arrow differs from the exact,
    undamped one by no more than the damping itself moves the solution: |g_cg - g_exact| <=
    |g_damped - g_exact| + what the tolerance allows, g_damped the damped system solved directly
    in float64."""
    sessions = {name: _session(name) for name in ("bumps_inner_solve", "bumps_implicit_cg", "bumps_implicit_exact")}
    theta, centres = (t.numpy() for t in _rows(FIGURE_GRID))
    for lam in LAMBDAS:
        base = {"theta": theta, "centres": centres, "weights": WEIGHTS.numpy(), "lam": _f32(lam)}
        phi, _, _ = sessions["bumps_inner_solve"].run(None, base)
        feeds = {**base, "phi": phi, "meta_step_size": _f32(0.5)}
        cg, _, residual, _ = sessions["bumps_implicit_cg"].run(
            None, {**feeds, "damping": _f32(damping), "tol": _f32(FIGURE_TOL)}
        )
        exact, _ = sessions["bumps_implicit_exact"].run(None, feeds)
        _, gradient, hess = bumps.loss_derivatives(torch.from_numpy(phi).double(), torch.from_numpy(centres).double(),
                                                   WEIGHTS.double())
        system = (1 + damping) * torch.eye(2, dtype=torch.float64) + hess / lam
        damped = torch.linalg.solve(system, gradient)
        lowest = torch.linalg.eigvalsh(system)[:, 0]
        assert (lowest >= damping - 1e-3).all(), (lam, lowest.min())
        assert (residual <= FIGURE_TOL * (1 + 1e-3)).all(), (lam, residual.max())
        # CG's error on the damped system is at most |A^-1| |r| <= tol |b| / lowest (plus float32).
        allowed = FIGURE_TOL * gradient.norm(dim=-1) / lowest + 1e-5 * (1 + damped.norm(dim=-1))
        cg, exact = torch.from_numpy(cg).double(), torch.from_numpy(exact).double()
        assert ((cg - damped).norm(dim=-1) <= allowed).all(), lam
        bias = (damped - exact).norm(dim=-1)
        assert ((cg - exact).norm(dim=-1) <= bias + allowed).all(), lam


@pytest.mark.parametrize("lam", [1.0, 4.0, 25.0])
def test_exact_implicit_gradient_is_the_derivative_of_the_loss_at_the_solution(lam):
    """(I + H/lam)^-1 grad L(phi*) = d L(phi*(theta)) / d theta, by central differences of the
    solver itself (float64): the implicit gradient needs only phi*, not the solver's path."""
    theta = torch.tensor([[0.35, 0.4], [0.35, 0.4], [0.6, 0.55], [0.6, 0.55]], dtype=torch.float64)
    centres = CENTRES.double().repeat(2, 1, 1)
    lam_t = torch.tensor(lam, dtype=torch.float64)

    def loss_at_solution(t: torch.Tensor) -> torch.Tensor:
        phi = bumps.inner_solve({"theta": t, "centres": centres, "weights": WEIGHTS.double(), "lam": lam_t})["phi"]
        return bumps.loss_derivatives(phi, centres, WEIGHTS.double())[0]

    phi = bumps.inner_solve({"theta": theta, "centres": centres, "weights": WEIGHTS.double(), "lam": lam_t})["phi"]
    exact = bumps.implicit_gradient_exact(_gradient_inputs(theta, phi, centres, lam))["gradient"]
    h = 1e-5
    for axis in range(2):
        step = torch.zeros_like(theta)
        step[:, axis] = h
        numeric = (loss_at_solution(theta + step) - loss_at_solution(theta - step)) / (2 * h)
        torch.testing.assert_close(exact[:, axis], numeric, rtol=1e-5, atol=1e-7)


def test_cg_is_finite_on_zero_and_indefinite_systems():
    """No gradient at all (phi far from every bump) and a hill top with a tiny lambda, where
    I + H/lam is strongly indefinite: CG stops at once and returns finite values."""
    theta = torch.tensor([[5.0, 5.0], [0.6, 0.2]])
    phi = theta.clone()
    centres = CENTRES[[0, 0]]
    for damping in DAMPINGS:
        out = bumps.implicit_gradient_cg(_gradient_inputs(theta, phi, centres, 0.1, damping=damping, tol=1e-3))
        assert all(torch.isfinite(v).all() for v in out.values())
        assert out["iterations"].tolist() == [0.0, 0.0]
    exact = bumps.implicit_gradient_exact(_gradient_inputs(theta, phi, centres, 0.1))
    assert all(torch.isfinite(v).all() for v in exact.values())


# --- The committed graphs ---------------------------------------------------------------------


def _run_all(theta: np.ndarray, centres: np.ndarray, lam: float, sessions) -> list[tuple[str, np.ndarray]]:
    """Every output of the solver, CG (each damping of the slider) and exact graphs for one lambda."""
    weights = WEIGHTS.numpy()
    base = {"theta": theta, "centres": centres, "weights": weights, "lam": _f32(lam)}
    phi, objective, gradient_norm = sessions["bumps_inner_solve"].run(None, base)
    outputs = [("phi", phi), ("objective", objective), ("gradient_norm", gradient_norm)]
    gradient_feeds = {**base, "phi": phi, "meta_step_size": _f32(0.5)}
    for damping in DAMPINGS:
        cg = sessions["bumps_implicit_cg"].run(None, {**gradient_feeds, "damping": _f32(damping), "tol": _f32(1e-3)})
        outputs += [(f"cg[{damping}].{i}", value) for i, value in enumerate(cg)]
    exact = sessions["bumps_implicit_exact"].run(None, gradient_feeds)
    return outputs + [(f"exact.{i}", value) for i, value in enumerate(exact)]


def test_every_output_is_finite_over_the_plane_and_every_lambda():
    """A 50 x 50 grid of theta over the plane, both tasks, every lambda of the slider, every
    damping end of its slider: no output of any bumps graph is NaN or infinite."""
    sessions = {name: _session(name) for name in ("bumps_inner_solve", "bumps_implicit_cg", "bumps_implicit_exact")}
    theta, centres = (t.numpy() for t in _rows(50))
    landscape = _session("bumps_landscape")
    grid = _plane(41).numpy()
    for lam in LAMBDAS:
        for name, value in _run_all(theta, centres, lam, sessions):
            assert np.isfinite(value).all(), f"{name} at lambda = {lam}"
        # The landscapes for every theta of the grid, in one call per theta.
        for point in theta[: len(theta) // 2]:
            maps = landscape.run(None, {"grid": grid, "centres": CENTRES.numpy(), "weights": WEIGHTS.numpy(),
                                        "theta": point, "lam": _f32(lam)})
            assert all(np.isfinite(m).all() for m in maps), f"landscape at theta = {point}, lambda = {lam}"


def test_cg_iteration_count_varies_with_theta_and_lambda():
    """CG stops on its tolerance: over the plane, and along the lambda slider at one theta, it
    takes different numbers of iterations (with the figure's tolerance 1e-3 and damping 0.1)."""
    sessions = {name: _session(name) for name in ("bumps_inner_solve", "bumps_implicit_cg")}
    theta, centres = (t.numpy() for t in _rows(50))

    def iterations(theta_rows, centre_rows, lam):
        base = {"theta": theta_rows, "centres": centre_rows, "weights": WEIGHTS.numpy(), "lam": _f32(lam)}
        phi, _, _ = sessions["bumps_inner_solve"].run(None, base)
        feeds = {**base, "phi": phi, "damping": _f32(0.1), "tol": _f32(1e-3), "meta_step_size": _f32(0.5)}
        return sessions["bumps_implicit_cg"].run(None, feeds)[1]

    counts = {lam: iterations(theta, centres, lam) for lam in LAMBDAS}
    # With theta: at several single lambdas the count differs from one theta to another.
    assert sum(len(np.unique(c)) > 1 for c in counts.values()) >= 5
    # With lambda: for many single (theta, task) rows the count differs from one lambda to another.
    per_row = np.stack(list(counts.values()))  # (lambda, row)
    assert ((per_row != per_row[:1]).any(0)).mean() > 0.02
    assert set(np.unique(per_row)) <= set(range(bumps.CG_MAX_STEPS + 1))
    assert bumps.CG_MAX_STEPS not in np.unique(per_row), "CG should stop on tolerance, not on its cap"


FIGURE_INPUTS = [((0.35, 0.4), 4.0, 0.1), ((0.35, 0.4), 2.0, 0.0), ((0.8, 0.1), 0.1, 1.0), ((0.5, 0.5), 100.0, 0.1)]


@pytest.mark.parametrize("point, lam, damping", FIGURE_INPUTS)
def test_committed_graphs_match_torch_on_the_figures_inputs(point, lam, damping):
    specs = catalogue()
    theta = torch.tensor([point, point])
    scalars = {"lam": lam, "damping": damping, "tol": 1e-3, "meta_step_size": 0.5}
    inputs = {"theta": theta, "centres": CENTRES, "weights": WEIGHTS, "grid": _plane(41),
              **{k: torch.tensor(v) for k, v in scalars.items()}}
    inputs["phi"] = specs["bumps_inner_solve"].run_torch(inputs)["phi"]
    for name in ("bumps_landscape", "bumps_inner_solve", "bumps_implicit_cg", "bumps_implicit_exact"):
        spec = specs[name]
        feeds = {k: inputs[k] for k in spec.inputs}
        if name == "bumps_landscape":
            feeds["theta"] = theta[0]
        got = _session(name).run(list(spec.outputs), {k: v.numpy() for k, v in feeds.items()})
        want = spec.run_torch(feeds)
        for output, value in zip(spec.outputs, got):
            np.testing.assert_allclose(value, want[output].numpy(), rtol=1e-5, atol=1e-5, err_msg=f"{name}.{output}")
