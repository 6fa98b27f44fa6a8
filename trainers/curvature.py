"""`article curvature`: the spectrum of alpha H at the start and the end of MAML training.

With one inner step, task i's exact MAML meta-gradient is (I - alpha H_i) g_i, where H_i is the
Hessian of the support loss at theta and g_i = grad L_query(phi_i) is first-order MAML's gradient
of that task (trainers/methods/maml.py computes the same vector by differentiating through the
step). The extreme eigenvalues of alpha H_i come from Lanczos on Hessian-vector products of the
trainers' own task_loss (float64, full reorthogonalisation, LANCZOS_STEPS steps: far more than the
extremes need, and each step costs one product, where forming H_i in full would cost 1,761 of
them and an eigendecomposition; the tests check the two agree).

Over the first BATCHES of `article cosine`'s seeded meta-batches, at the maml run's initialisation and
at its committed parameters, we report, each as mean, 95% CI, min and max over the tasks:

- `lowest`, `highest`: the smallest and largest eigenvalue of alpha H_i;
- `task_norm_ratio`: |(I - alpha H_i) g_i| / |g_i|, how much the factor lengthens one task's vector;
- `rayleigh`: g_i . alpha H_i g_i / |g_i|^2, the curvature along that vector (negative: longer);
- `batch_norm_ratio`: per meta-batch, |mean_i (I - alpha H_i) g_i| / |mean_i g_i|, the length
  ratio `article cosine` reports, over these batches;
and the share of tasks whose alpha H_i has an eigenvalue below 0, or above 1 or 2.

Results go to static/models/measurements.json under `curvature` and into manifest.json's
`measurements`, as `article cosine` writes its own.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

import torch
from torch.func import grad, jvp, vmap

from trainers import manifest as mf
from trainers.cosine import BATCH_SEED, add_batch_arguments, at_start_and_end, models_folder, summarise
from trainers.errors import UserError
from trainers.inner import sgd_step, task_loss
from trainers.methods import HyperParams, TaskBatch
from trainers.params import Params

# The first 8 of cosine's seeded meta-batches (its BATCH_SEED, so both measurements describe the
# same tasks): 8 x 25 = 200 tasks, one Lanczos run each per checkpoint.
BATCHES = 8
THRESHOLDS = (0.0, 1.0, 2.0)  # shares of tasks with an eigenvalue of alpha H below 0, above 1 and 2
LANCZOS_STEPS = 120
LANCZOS_SEED = 0  # of the starting vector


def _flat(params: Params) -> torch.Tensor:
    return torch.cat([p.reshape(-1) for p in params.values()])


def _unflatten(vector: torch.Tensor, like: Params) -> Params:
    out, offset = {}, 0
    for name, p in like.items():
        out[name] = vector[offset : offset + p.numel()].reshape(p.shape)
        offset += p.numel()
    return out


def support_hvp(params: Params, batch: TaskBatch):
    """V -> H_i v_i for every task i of the batch, with H_i the Hessian of task i's support loss at
    `params` over the flattened parameters: V of shape (T, d) (forward-over-reverse, vmapped)."""
    flat = _flat(params)

    def one(v: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        gradient = grad(lambda u: task_loss(_unflatten(u, params), x, y))
        return jvp(gradient, (flat,), (v,))[1]

    return lambda vectors: vmap(one)(vectors, batch.support_x, batch.support_y)


def lanczos_extremes(apply: Callable[[torch.Tensor], torch.Tensor], count: int, dim: int,
                     steps: int = LANCZOS_STEPS, seed: int = LANCZOS_SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """The smallest and largest eigenvalue of each of `count` symmetric operators on R^dim, applied
    together (apply: (count, dim) -> (count, dim)), by Lanczos with full reorthogonalisation from
    seeded random starts. Where an operator's Krylov space closes (its rank is reached), Lanczos
    restarts from a fresh random vector orthogonal to the basis, with a zero coupling: the
    tridiagonal matrix splits into blocks, each exact on its invariant subspace."""
    gen = torch.Generator().manual_seed(seed)

    def fresh(basis: torch.Tensor) -> torch.Tensor:
        v = torch.randn(count, dim, generator=gen, dtype=torch.float64)
        if basis.shape[1]:
            for _ in range(2):
                v = v - torch.einsum("tjd,tj->td", basis, torch.einsum("tjd,td->tj", basis, v))
        return v / v.norm(dim=1, keepdim=True)

    basis = fresh(torch.zeros(count, 0, dim, dtype=torch.float64))[:, None, :]  # (T, j, d)
    diagonal, off_diagonal = [], []
    for _ in range(min(steps, dim)):
        w = apply(basis[:, -1])
        diagonal.append((w * basis[:, -1]).sum(1))
        for _ in range(2):  # twice is enough (Kahan's rule) to keep the basis orthogonal in floats
            w = w - torch.einsum("tjd,tj->td", basis, torch.einsum("tjd,td->tj", basis, w))
        norm = w.norm(dim=1)
        scale = torch.stack(diagonal).abs().amax(0).clamp(min=1.0)
        closed = norm <= 1e-10 * scale
        off_diagonal.append(torch.where(closed, 0.0, norm))
        following = torch.where(closed[:, None], fresh(basis), w / torch.where(closed, 1.0, norm)[:, None])
        basis = torch.cat([basis, following[:, None, :]], dim=1)
    diagonal, beta = torch.stack(diagonal, 1), torch.stack(off_diagonal[:-1], 1)
    tridiagonal = torch.diag_embed(diagonal) + torch.diag_embed(beta, 1) + torch.diag_embed(beta, -1)
    values = torch.linalg.eigvalsh(tridiagonal)
    return values[:, 0], values[:, -1]


def batch_vectors(params: Params, batch: TaskBatch, inner_lr: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Every task's first-order meta-gradient g_i (the query gradient at phi_i = theta - alpha grad
    L_support) and its exact one, (I - alpha H_i) g_i, flattened: two (T, d) tensors."""

    def first_order(x: torch.Tensor, y: torch.Tensor, qx: torch.Tensor, qy: torch.Tensor) -> torch.Tensor:
        phi, _ = sgd_step(params, x, y, inner_lr)
        return _flat(grad(task_loss)(phi, qx, qy))

    g = vmap(first_order)(*batch)
    return g, g - inner_lr * support_hvp(params, batch)(g)


def _as_float64(params: Params) -> Params:
    return {name: p.double() for name, p in params.items()}


def batch_curvature(params: Params, batch: TaskBatch, hp: HyperParams) -> dict[str, list[float] | float]:
    """Per-task extreme eigenvalues of alpha H and length ratios of one meta-batch, and its batch
    length ratio."""
    if hp.inner_steps != 1:
        raise UserError("the curvature measurement assumes one inner step (the maml config's)")
    params = _as_float64(params)
    batch = TaskBatch(*(t.double() for t in batch))
    alpha = float(hp.inner_lr)
    hvp = support_hvp(params, batch)
    lowest, highest = lanczos_extremes(lambda v: alpha * hvp(v), batch.support_x.shape[0], _flat(params).numel())
    first_order, exact = batch_vectors(params, batch, alpha)
    return {
        "lowest": lowest.tolist(),
        "highest": highest.tolist(),
        "task_norm_ratio": (exact.norm(dim=1) / first_order.norm(dim=1)).tolist(),
        "rayleigh": ((first_order * (first_order - exact)).sum(1) / (first_order * first_order).sum(1)).tolist(),
        "batch_norm_ratio": float(exact.mean(0).norm() / first_order.mean(0).norm()),
    }


def curvature_over(params: Params, batches: list[TaskBatch], hp: HyperParams) -> dict:
    per_batch = [batch_curvature(params, batch, hp) for batch in batches]
    per_task = {key: [v for b in per_batch for v in b[key]] for key in ("lowest", "highest", "task_norm_ratio", "rayleigh")}
    lowest, highest = torch.tensor(per_task["lowest"]), torch.tensor(per_task["highest"])
    return {
        "tasks": len(per_task["lowest"]),
        "batches": len(batches),
        **{key: summarise(values) for key, values in per_task.items()},
        "batch_norm_ratio": summarise([b["batch_norm_ratio"] for b in per_batch]),
        "share_below_0": round(float((lowest < THRESHOLDS[0]).double().mean()), 6),
        "share_above_1": round(float((highest > THRESHOLDS[1]).double().mean()), 6),
        "share_above_2": round(float((highest > THRESHOLDS[2]).double().mean()), 6),
    }


def measure(models: Path, batches: int, seed: int = BATCH_SEED) -> dict:
    """The spectra of alpha H at the start and the end of the committed maml run."""
    return at_start_and_end(models, batches, seed, curvature_over, tasks_per_batch=False, what=(
        "eigenvalues of alpha H, H the Hessian of a task's support MSE at theta over all 1761 parameters"
        f" (float64; Lanczos on Hessian-vector products, {LANCZOS_STEPS} steps): lowest and highest per task; task_norm_ratio = |(I - alpha H) g| / |g| and"
        " rayleigh = g . alpha H g / |g|^2 with g the task's first-order meta-gradient; batch_norm_ratio ="
        " |mean (I - alpha H_i) g_i| / |mean g_i| per meta-batch; mean, 95% CI (1.96 standard errors), min"
        " and max; share_below_0 / share_above_1 / share_above_2: fraction of tasks with lowest < 0, highest"
        " > 1, highest > 2"
    ))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Extreme eigenvalues of alpha times the support-loss Hessian (Lanczos on Hessian-vector products) over the first tasks of the cosine"
        " measurement's seeded meta-batches, at the maml run's initialisation and at its committed parameters,"
        " and how (I - alpha H) changes the length of each task's meta-gradient."
        " Writes measurements.curvature into MODELS/measurements.json and manifest.json."
    )
    add_batch_arguments(parser, BATCHES)


def run(args: argparse.Namespace) -> int:
    models = models_folder(args)
    result = measure(models, args.batches, args.seed)
    for when in ("start", "end"):
        r = result[when]
        print(
            f"{when}: alpha H from {r['lowest']['min']:.4f} (mean lowest {r['lowest']['mean']:.4f}) to"
            f" {r['highest']['max']:.4f} (mean highest {r['highest']['mean']:.4f}) over {r['tasks']} tasks;"
            f" batch length ratio {r['batch_norm_ratio']['mean']:.3f}, per task {r['task_norm_ratio']['mean']:.3f}",
            file=sys.stderr,
        )
    for path in mf.write_measurement(models, "curvature", result):
        print(f"wrote {path}", file=sys.stderr)
    return 0
