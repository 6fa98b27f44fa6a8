"""Each method's meta-gradient against an independent construction of the same quantity."""
from __future__ import annotations

import dataclasses

import pytest
import torch
from torch.fx.experimental.proxy_tensor import make_fx

from trainers.inner import task_loss
from trainers.methods import METHODS, HyperParams, TaskBatch, meta_iteration
from trainers.methods.fomaml import fomaml_meta_gradient
from trainers.methods.imaml import conjugate_gradient, curvature_floor, imaml_meta_gradient, overshoot
from trainers.methods.maml import maml_meta_gradient, maml_meta_loss
from trainers.methods.reptile import reptile_direction
from trainers.optim import adam_init, adam_update
from trainers.sinusoid_mlp import init_params


def _tree_dot(a, b):
    return sum((a[k] * b[k]).sum() for k in a)


def _manual_adapt(params, x, y, lr, steps, create_graph):
    """SGD on one task with plain autograd: a second implementation, for comparison only."""
    phi = {k: v if v.requires_grad else v.clone().requires_grad_() for k, v in params.items()}
    for _ in range(steps):
        loss = task_loss(phi, x, y)
        grads = torch.autograd.grad(loss, list(phi.values()), create_graph=create_graph)
        phi = {k: v - lr * g for (k, v), g in zip(phi.items(), grads)}
        if not create_graph:
            phi = {k: v.detach().requires_grad_() for k, v in phi.items()}
    return phi


@pytest.mark.parametrize("steps", [1, 3])
def test_maml_meta_gradient_matches_finite_differences(params64, batch64, steps):
    hp = HyperParams(inner_lr=0.05, inner_steps=steps)
    step = maml_meta_gradient(params64, batch64, hp)
    assert torch.allclose(step.loss, maml_meta_loss(params64, batch64, hp))
    gen = torch.Generator().manual_seed(5)
    eps = 1e-6
    for _ in range(3):
        v = {k: torch.randn(p.shape, generator=gen, dtype=p.dtype) for k, p in params64.items()}
        plus = maml_meta_loss({k: p + eps * v[k] for k, p in params64.items()}, batch64, hp)
        minus = maml_meta_loss({k: p - eps * v[k] for k, p in params64.items()}, batch64, hp)
        numeric = (plus - minus) / (2 * eps)
        analytic = _tree_dot(step.direction, v)
        assert torch.allclose(analytic, numeric, rtol=1e-6, atol=1e-8), (analytic, numeric)
    # The check is sensitive to the second-order terms: the first-order gradient differs.
    first = fomaml_meta_gradient(params64, batch64, hp).direction
    gap = max((first[k] - step.direction[k]).abs().max() for k in first)
    assert gap > 1e-4


@pytest.mark.parametrize("steps", [1, 3])
def test_fomaml_is_query_gradient_at_adapted_params(params64, batch64, steps):
    hp = HyperParams(inner_lr=0.05, inner_steps=steps)
    step = fomaml_meta_gradient(params64, batch64, hp)
    expected = {k: torch.zeros_like(p) for k, p in params64.items()}
    for sx, sy, qx, qy in zip(*batch64):
        phi = _manual_adapt(params64, sx, sy, hp.inner_lr, steps, create_graph=False)
        phi = {k: v.detach().requires_grad_() for k, v in phi.items()}
        grads = torch.autograd.grad(task_loss(phi, qx, qy), list(phi.values()))
        for k, g in zip(phi, grads):
            expected[k] += g / len(batch64.support_x)
    for k in expected:
        torch.testing.assert_close(step.direction[k], expected[k], rtol=1e-10, atol=1e-12)


def test_maml_equals_second_order_autograd(params64, batch64):
    """MAML through 2 steps against plain autograd with create_graph (a second implementation)."""
    hp = HyperParams(inner_lr=0.05, inner_steps=2)
    theta = {k: v.clone().requires_grad_() for k, v in params64.items()}
    total = 0
    for sx, sy, qx, qy in zip(*batch64):
        phi = _manual_adapt(theta, sx, sy, hp.inner_lr, 2, create_graph=True)
        total = total + task_loss(phi, qx, qy) / len(batch64.support_x)
    grads = dict(zip(theta, torch.autograd.grad(total, list(theta.values()))))
    step = maml_meta_gradient(params64, batch64, hp)
    for k in grads:
        torch.testing.assert_close(step.direction[k], grads[k], rtol=1e-9, atol=1e-12)


def test_reptile_direction_and_update_follow_the_formula(params64, batch64):
    hp = HyperParams(inner_lr=0.02, inner_steps=4)
    step = reptile_direction(params64, batch64, hp)
    phis = [_manual_adapt(params64, sx, sy, hp.inner_lr, 4, False) for sx, sy, _, _ in zip(*batch64)]
    for k, p in params64.items():
        expected = torch.stack([p - phi[k] for phi in phis]).mean(0)
        torch.testing.assert_close(step.direction[k], expected, rtol=1e-10, atol=1e-12)
    epsilon = 0.3
    opt = adam_init(params64)
    new, new_opt, _ = meta_iteration(METHODS["reptile"], params64, opt, batch64, hp, epsilon)
    for k, p in params64.items():
        mean_phi = torch.stack([phi[k] for phi in phis]).mean(0)
        torch.testing.assert_close(new[k], p + epsilon * (mean_phi - p), rtol=1e-10, atol=1e-12)
    assert new_opt is opt


def _linear(params, x):
    return x @ params["w"]


def test_imaml_implicit_gradient_on_a_quadratic_is_exact():
    """Linear regression: the inner problem is quadratic and its solution is known in closed form.

    Support loss L(w) = mean((X w - y)^2) has Hessian H = 2/N X^T X; with the proximal term the
    solution is phi* = (H + lam I)^-1 (2/N X^T y + lam theta), so d phi*/d theta = (I + H/lam)^-1
    and the meta-gradient is (I + H/lam)^-1 grad L_query(phi*).
    """
    gen = torch.Generator().manual_seed(0)
    tasks, n, d, lam = 3, 8, 4, 0.7
    sx = torch.randn(tasks, n, d, generator=gen, dtype=torch.float64)
    sy = torch.randn(tasks, n, 1, generator=gen, dtype=torch.float64)
    qx = torch.randn(tasks, n, d, generator=gen, dtype=torch.float64)
    qy = torch.randn(tasks, n, 1, generator=gen, dtype=torch.float64)
    theta = {"w": torch.randn(d, 1, generator=gen, dtype=torch.float64)}
    hp = HyperParams(inner_lr=0.05, inner_steps=2000, lam=lam, cg_steps=10, cg_tol=1e-10, cg_damping=0.0)
    step = imaml_meta_gradient(theta, TaskBatch(sx, sy, qx, qy), hp, model=_linear)
    expected = torch.zeros(d, 1, dtype=torch.float64)
    for t in range(tasks):
        hessian = 2 / n * sx[t].T @ sx[t]
        phi = torch.linalg.solve(hessian + lam * torch.eye(d, dtype=torch.float64), 2 / n * sx[t].T @ sy[t] + lam * theta["w"])
        query_grad = 2 / n * qx[t].T @ (qx[t] @ phi - qy[t])
        expected += torch.linalg.solve(torch.eye(d, dtype=torch.float64) + hessian / lam, query_grad) / tasks
        # ... which is also the derivative of the query loss at phi*(theta), by the chain rule.
    torch.testing.assert_close(step.direction["w"], expected, rtol=1e-8, atol=1e-10)
    assert step.stats["cg_iterations"] <= d < hp.cg_steps  # stopped on tolerance, not on the cap
    assert step.stats["cg_residual"] < 1e-10


def test_overshoot_guard_is_zero_until_a_step_raises_the_loss_and_its_gradient_is_exact(params64, batch64):
    x, y = batch64.support_x[0], batch64.support_y[0]
    assert overshoot(params64, x, y, 1e-4).item() == 0.0  # a small step lowers the loss
    assert overshoot(params64, x, y, 10.0).item() > 0.0  # a huge one overshoots
    # Where it is active, its gradient (second order, through the step) against central
    # finite differences along a random direction.
    step_size = 10.0
    direction = {k: torch.randn_like(p) for k, p in params64.items()}
    analytic = _tree_dot(torch.func.grad(overshoot)(params64, x, y, step_size), direction)
    h = 1e-6
    shifted = lambda sign: {k: p + sign * h * direction[k] for k, p in params64.items()}  # noqa: E731
    numeric = (overshoot(shifted(1), x, y, step_size) - overshoot(shifted(-1), x, y, step_size)) / (2 * h)
    torch.testing.assert_close(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_imaml_adds_the_weighted_guard_to_the_implicit_gradient(params64, batch64):
    hp = HyperParams(inner_lr=0.01, inner_steps=3, lam=10.0, cg_steps=3, cg_damping=0.1)
    plain = imaml_meta_gradient(params64, batch64, hp)
    guarded = imaml_meta_gradient(params64, batch64, dataclasses.replace(hp, stability=2.0))
    guard = torch.func.vmap(torch.func.grad(overshoot), in_dims=(None, 0, 0, None))(
        params64, batch64.support_x, batch64.support_y, hp.inner_lr
    )
    for k in plain.direction:
        torch.testing.assert_close(guarded.direction[k] - plain.direction[k], 2.0 * guard[k].mean(0))


def test_imaml_leaves_out_tasks_whose_inner_solve_diverged(params64, batch64):
    """A task whose inner SGD blows up contributes nothing (and no NaN) to the meta-gradient."""
    hp = HyperParams(inner_lr=0.01, inner_steps=3, lam=10.0, cg_steps=3, cg_damping=0.1)
    wild = batch64.support_y.clone()
    wild[0] = 1e30  # SGD on this task overflows
    broken = TaskBatch(batch64.support_x, wild, batch64.query_x, batch64.query_y)
    step = imaml_meta_gradient(params64, broken, hp)
    rest = imaml_meta_gradient(params64, TaskBatch(*(t[1:] for t in batch64)), hp)
    tasks = batch64.support_x.shape[0]
    assert step.stats["solved"].item() == (tasks - 1) / tasks
    for k in step.direction:
        torch.testing.assert_close(step.direction[k], rest.direction[k])
    torch.testing.assert_close(step.loss, rest.loss)
    # With every task diverging nothing is learnt, and the loss says so (the NaN guard stops training).
    hopeless = TaskBatch(batch64.support_x, torch.full_like(wild, 1e30), batch64.query_x, batch64.query_y)
    step = imaml_meta_gradient(params64, hopeless, hp)
    assert step.stats["solved"].item() == 0 and torch.isnan(step.loss)
    assert all(torch.equal(g, torch.zeros_like(g)) for g in step.direction.values())


def test_conjugate_gradient_stops_on_tolerance_and_freezes():
    gen = torch.Generator().manual_seed(1)
    m = torch.randn(6, 6, generator=gen, dtype=torch.float64)
    a = m @ m.T + 6 * torch.eye(6, dtype=torch.float64)
    b = {"v": torch.randn(6, generator=gen, dtype=torch.float64)}
    x, iterations, residual = conjugate_gradient(lambda u: {"v": a @ u["v"]}, b, max_steps=30, tol=1e-9)
    torch.testing.assert_close(x["v"], torch.linalg.solve(a, b["v"]))
    assert 1 <= iterations.item() <= 6 < 30
    assert residual.item() <= 1e-9
    # The cap binds when the tolerance is out of reach.
    _, capped, _ = conjugate_gradient(lambda u: {"v": a @ u["v"]}, b, max_steps=2, tol=1e-12)
    assert capped.item() == 2


def test_conjugate_gradient_solves_damped_systems_with_low_curvature():
    """A positive definite system whose smallest eigenvalue (0.3) is above the damping's floor but
    below 0.5: CG runs to the solution. A floor of 0.5 would stop it after one step, and since that
    step raised the residual, return x = 0."""
    a = torch.diag(torch.tensor([0.3, 30.0], dtype=torch.float64))
    b = {"v": torch.tensor([1.0, 0.3], dtype=torch.float64)}
    x, iterations, residual = conjugate_gradient(lambda u: {"v": a @ u["v"]}, b, 3, 1e-9, curvature_floor(0.1))
    torch.testing.assert_close(x["v"], torch.linalg.solve(a, b["v"]))
    assert iterations.item() == 2 and residual.item() <= 1e-9
    truncated, _, _ = conjugate_gradient(lambda u: {"v": a @ u["v"]}, b, 3, 1e-9, min_curvature=0.5)
    assert torch.equal(truncated["v"], torch.zeros(2, dtype=torch.float64))


def test_conjugate_gradient_is_safe_on_zero_and_indefinite_systems():
    zero = {"v": torch.zeros(3)}
    x, iterations, residual = conjugate_gradient(lambda u: u, zero, 5, 1e-6)
    assert torch.equal(x["v"], zero["v"]) and iterations.item() == 0 and residual.item() == 0
    negative = torch.diag(torch.tensor([-1.0, -2.0, -3.0]))
    x, iterations, _ = conjugate_gradient(lambda u: {"v": negative @ u["v"]}, {"v": torch.ones(3)}, 5, 1e-6)
    assert iterations.item() == 0 and torch.isfinite(x["v"]).all()


def test_adam_matches_torch_optim(params64):
    grads_seq = [{k: torch.randn_like(p) for k, p in params64.items()} for _ in range(4)]
    ours, state = dict(params64), adam_init(params64)
    reference = {k: p.clone().requires_grad_() for k, p in params64.items()}
    optimizer = torch.optim.Adam(list(reference.values()), lr=0.01)
    for grads in grads_seq:
        ours, state = adam_update(ours, grads, state, 0.01)
        for k, p in reference.items():
            p.grad = grads[k].clone()
        optimizer.step()
    for k in ours:
        torch.testing.assert_close(ours[k], reference[k].detach(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", list(METHODS))
def test_meta_iteration_traces_with_make_fx(name):
    """The browser's meta-step graphs are traced from meta_iteration (symbolic shapes, as the
    exporter does): it must stay traceable, and the trace must compute what eager code does."""
    params = init_params(0)
    batch = TaskBatch(*(torch.randn(3, k, 1) for k in (5, 5, 4, 4)))
    hp = HyperParams(inner_lr=0.01, inner_steps=1, cg_steps=2)  # small graphs: tracing is slow
    method = METHODS[name]

    def fn(params, opt_state, sx, sy, qx, qy, lr):
        return meta_iteration(method, params, opt_state, TaskBatch(sx, sy, qx, qy), hp, lr)

    lr = torch.tensor(1e-3)
    graph = make_fx(fn, tracing_mode="symbolic")(params, adam_init(params), *batch, lr)
    traced = graph(params, adam_init(params), *batch, lr)
    eager = fn(params, adam_init(params), *batch, lr)
    for k in params:
        torch.testing.assert_close(traced[0][k], eager[0][k])
