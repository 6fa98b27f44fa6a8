"""iMAML (Rajeswaran et al. 2019): implicit meta-gradients of a proximal inner problem.

Inner problem per task: phi = argmin_phi L_support(phi) + lambda/2 ||phi - theta||^2, solved
approximately by k steps of the shared inner loop (with the proximal term). At the solution,
d phi / d theta = (I + H / lambda)^-1 with H the Hessian of L_support at phi, so the meta-gradient
is (I + H / lambda)^-1 grad L_query(phi), whatever path the inner solver took. It is found by
conjugate gradient on Hessian-vector products, never forming H.

H need not be positive definite (a ReLU network's loss is not convex), so the system is damped,
((1 + delta) I + H / lambda) x = g; CG also stops where it meets (near-)non-positive curvature
and returns its iterate with the smallest residual. The curvature floor is half the damping: at a
true minimiser no direction curves less than the damping, so CG stops only where phi is not one.
The stopping rule is written with masks: after convergence the iterates freeze, so the loop has
a fixed length and stays traceable (no `.item()`, no Python `if` on tensor values).

Two additions keep meta-training stable with the explicit SGD that solves the inner problem
(and that the evaluation and the figures use, alpha = 0.01):
- The overshoot guard. The implicit gradient assumes an exact proximal step, and an exact step
  only gets better as the support loss gets sharper (in a linearised network, scaling the
  kernel up is the same as lowering lambda), so plain iMAML drifts towards initialisations where
  one explicit step of alpha overshoots, and the inner loop then diverges. With `stability` > 0
  the meta-gradient gains `stability` times the gradient of relu(L(theta - alpha grad L(theta))
  - L(theta)): zero while the first step lowers the support loss, a push back when it raises it.
- Tasks whose inner solve failed (the proximal objective ended above where it started, or
  overflowed) are left out of the mean: at such a phi the implicit-function theorem says nothing.
"""
from __future__ import annotations

from typing import Callable, Iterator

import torch
from torch.func import grad, grad_and_value, vjp

from trainers.inner import Forward, adapt, sgd_step, support_loss, task_loss
from trainers.methods.common import HyperParams, MetaStep, TaskBatch, over_tasks
from trainers.params import Params
from trainers.sinusoid_mlp import forward

LinearOperator = Callable[[Params], Params]

# CG's curvature floor, as a share of the damping delta. At a minimum of the proximal objective
# H + lam I is positive semi-definite, so the damped operator (1 + delta) I + H / lam has every
# Rayleigh quotient p.Ap / p.p >= delta: a quotient below delta shows that phi is not such a
# minimum along p (the loss curves down faster than the proximal term curves up), and a CG step
# there would blow the solution up rather than improve it. Half of delta leaves room for rounding
# and for a phi that only approximately minimises. A floor above delta would also stop CG on
# well-posed systems, returning a truncated answer (down to x = 0 when the first step raised the
# residual).
CURVATURE_FLOOR_SHARE = 0.5


def curvature_floor(damping: torch.Tensor | float) -> torch.Tensor | float:
    """The smallest Rayleigh quotient CG accepts on iMAML's damped operator (see CURVATURE_FLOOR_SHARE)."""
    return CURVATURE_FLOOR_SHARE * damping


def _dot(a: Params, b: Params) -> torch.Tensor:
    return sum((a[name] * b[name]).sum() for name in a)


def _combine(a: Params, scale: torch.Tensor, b: Params) -> Params:
    """a + scale * b, parameter by parameter."""
    return {name: a[name] + scale * b[name] for name in a}


def conjugate_gradient_iterates(
    apply_a: LinearOperator,
    b: Params,
    max_steps: int,
    tol: float,
    min_curvature: torch.Tensor | float = 0.0,
) -> Iterator[tuple[Params, torch.Tensor, torch.Tensor]]:
    """Solve A x = b for symmetric A (given as x -> A x) by conjugate gradient, from x = 0, and
    yield, before the first iteration and after each, the answer CG with that budget returns.

    Stops once ||r|| <= tol * ||b||, or on low or negative curvature p.Ap <= min_curvature p.p
    (by default on non-positive curvature only; iMAML passes `curvature_floor` of its damping);
    at most `max_steps` iterations. An answer is the iterate with the smallest residual so far,
    the number of iterations taken (a float tensor), and that iterate's relative residual
    ||r|| / ||b|| (r is CG's recursive estimate of b - A x). CG with a budget of c takes the first
    c iterations of a longer run, so one run gives every budget's answer: the comparison figure
    draws iMAML's update for 1 to 5 CG iterations from one run of 5.
    """
    x = {name: torch.zeros_like(v) for name, v in b.items()}
    r, p = b, b
    rs = _dot(r, r)
    b_norm = torch.sqrt(rs)
    threshold = tol * b_norm
    safe_b_norm = torch.where(b_norm > 0, b_norm, torch.ones_like(b_norm))
    iterations = torch.zeros_like(rs)
    best, best_rs = x, rs
    yield best, iterations, torch.sqrt(best_rs) / safe_b_norm
    for _ in range(max_steps):
        ap = apply_a(p)
        curvature = _dot(p, ap)
        # Near-zero curvature would make the step rs / curvature explode: treat a Rayleigh
        # quotient p.Ap / p.p below min_curvature like a negative one, and stop.
        active = (torch.sqrt(rs) > threshold) & (curvature > min_curvature * _dot(p, p))
        # Inactive iterations use a step of zero; the safe denominators keep 0/0 out of the graph.
        alpha = torch.where(active, rs / torch.where(active, curvature, torch.ones_like(curvature)), 0.0)
        x = _combine(x, alpha, p)
        r = _combine(r, -alpha, ap)
        rs_new = _dot(r, r)
        beta = torch.where(active, rs_new / torch.where(active, rs, torch.ones_like(rs)), 0.0)
        p = {name: torch.where(active, r[name] + beta * p[name], p[name]) for name in p}
        rs = torch.where(active, rs_new, rs)
        iterations = iterations + active.to(iterations.dtype)
        # Keep the iterate with the smallest residual: on an indefinite system the residual can
        # grow, and a late iterate can be worse than none (x = 0 has relative residual 1).
        better = active & (rs_new < best_rs)
        best = {name: torch.where(better, x[name], best[name]) for name in x}
        best_rs = torch.where(better, rs_new, best_rs)
        yield best, iterations, torch.sqrt(best_rs) / safe_b_norm


def conjugate_gradient(
    apply_a: LinearOperator,
    b: Params,
    max_steps: int,
    tol: float,
    min_curvature: torch.Tensor | float = 0.0,
) -> tuple[Params, torch.Tensor, torch.Tensor]:
    """CG with a budget of `max_steps`: the last answer of `conjugate_gradient_iterates`."""
    *_, last = conjugate_gradient_iterates(apply_a, b, max_steps, tol, min_curvature)
    return last


def overshoot(
    params: Params, x: torch.Tensor, y: torch.Tensor, step_size: torch.Tensor | float, model: Forward = forward
) -> torch.Tensor:
    """How much one plain SGD step of `step_size` *raises* the support MSE (0 when it lowers it)."""
    after, before = sgd_step(params, x, y, step_size, model)
    return torch.relu(task_loss(after, x, y, model) - before)


def implicit_system(
    phi: Params,
    support_x: torch.Tensor,
    support_y: torch.Tensor,
    query_x: torch.Tensor,
    query_y: torch.Tensor,
    hp: HyperParams,
    model: Forward = forward,
) -> tuple[LinearOperator, Params, torch.Tensor]:
    """The linear system whose solution is one task's implicit meta-gradient at its inner solution
    phi: the operator u -> (1 + delta) u + H u / lambda (H the Hessian of the support loss at phi),
    the right-hand side grad L_query(phi), and L_query(phi) itself."""
    query_grad, query_loss = grad_and_value(task_loss)(phi, query_x, query_y, model)
    # The support gradient's vector-Jacobian product at phi is a Hessian-vector product (H is
    # symmetric). Reverse-over-reverse rather than jvp: make_fx traces it with symbolic shapes.
    _, gradient_vjp = vjp(lambda p: grad(task_loss)(p, support_x, support_y, model), phi)

    def apply_a(u: Params) -> Params:
        (hvp,) = gradient_vjp(u)
        return {name: (1 + hp.cg_damping) * u[name] + hvp[name] / hp.lam for name in u}

    return apply_a, query_grad, query_loss


def imaml_task(
    params: Params,
    support_x: torch.Tensor,
    support_y: torch.Tensor,
    query_x: torch.Tensor,
    query_y: torch.Tensor,
    hp: HyperParams,
    model: Forward = forward,
) -> tuple[Params, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """One task: the implicit meta-gradient, the query loss at phi, CG iterations and residual, and
    whether the inner solve succeeded (see `imaml_meta_gradient`)."""
    phi = adapt(params, support_x, support_y, hp.inner_lr, hp.inner_steps, model, anchor=params, lam=hp.lam)
    apply_a, query_grad, query_loss = implicit_system(phi, support_x, support_y, query_x, query_y, hp, model)
    meta_grad, iterations, residual = conjugate_gradient(
        apply_a, query_grad, hp.cg_steps, hp.cg_tol, curvature_floor(hp.cg_damping)
    )
    guard = grad(overshoot)(params, support_x, support_y, hp.inner_lr, model)
    meta_grad = {name: g + hp.stability * guard[name] for name, g in meta_grad.items()}
    # The implicit gradient is the derivative of a *minimiser* of the proximal objective. When
    # explicit SGD overshoots on a task (the objective ends higher than where it started, or
    # overflows), phi minimises nothing and its "gradient" points anywhere: flag the task.
    start = support_loss(params, support_x, support_y, model)
    end = support_loss(phi, support_x, support_y, model, anchor=params, lam=hp.lam)
    solved = torch.isfinite(query_loss) & torch.isfinite(end) & (end <= start)
    for tensor in meta_grad.values():
        solved = solved & torch.isfinite(tensor).all()
    return meta_grad, query_loss, iterations, residual, solved


def imaml_meta_gradient(
    params: Params, batch: TaskBatch, hp: HyperParams, *, model: Forward = forward
) -> MetaStep:
    """Mean implicit meta-gradient over the tasks whose inner solve succeeded.

    A task whose inner SGD diverged is left out of the mean (its gradient is replaced by zeros
    through `torch.where`, so a NaN cannot leak into the sum): one exploding task would otherwise
    throw theta far off in a single Adam step, and every later task with it. If every task
    failed, the loss is NaN and training stops.
    stats: mean CG iterations and relative residual, and the fraction of tasks solved.
    """
    grads, losses, iterations, residuals, solved = over_tasks(
        lambda p, *task: imaml_task(p, *task, hp, model), *batch, params=params
    )
    weight = solved.to(losses.dtype)
    count = torch.clamp(weight.sum(), min=1.0)

    def masked_mean(values: torch.Tensor) -> torch.Tensor:
        shape = (-1,) + (1,) * (values.dim() - 1)
        kept = torch.where(solved.reshape(shape), values, torch.zeros_like(values))
        return kept.sum(dim=0) / count

    direction = {name: masked_mean(g) for name, g in grads.items()}
    stats = {
        "cg_iterations": masked_mean(iterations),
        "cg_residual": masked_mean(residuals),
        "solved": weight.mean(),
    }
    # With no task solved there is nothing to learn from: report the loss as NaN, so that
    # training's NaN guard stops the run instead of it drifting on with zero gradients.
    loss = torch.where(weight.sum() > 0, masked_mean(losses), torch.full_like(losses[0], float("nan")))
    return MetaStep(direction, loss, stats)
