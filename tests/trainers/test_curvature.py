"""`article curvature`: extreme eigenvalues of alpha H, against direct computations."""
from __future__ import annotations

import torch
from torch.func import hessian

from trainers import cosine, curvature
from trainers.inner import task_loss
from trainers.methods import HyperParams, TaskBatch
from trainers.methods.maml import maml_meta_gradient
from trainers.sinusoid_mlp import init_params

from measurement_runs import measure_on_a_copy

CONFIG = {"meta_batch": 3, "k_support": 5, "k_query": 10}


def _float64_batch(count: int = 1) -> TaskBatch:
    return TaskBatch(*(t.double() for t in cosine.fixed_batches(CONFIG, count)[0]))


def test_lanczos_finds_the_extreme_eigenvalues_of_symmetric_matrices():
    """Several operators at once, one of full rank and one of rank 3 (its Krylov space closes
    after three steps, and Lanczos must restart rather than divide by zero)."""
    gen = torch.Generator().manual_seed(0)
    dim = 60
    m = torch.randn(dim, dim, generator=gen, dtype=torch.float64)
    full = m + m.T
    low = torch.randn(dim, 3, generator=gen, dtype=torch.float64)
    low_rank = low @ torch.diag(torch.tensor([-2.0, 0.5, 3.0], dtype=torch.float64)) @ low.T
    matrices = torch.stack([full, low_rank])
    lowest, highest = curvature.lanczos_extremes(lambda v: torch.einsum("tij,tj->ti", matrices, v), 2, dim, steps=dim)
    values = torch.linalg.eigvalsh(matrices)
    torch.testing.assert_close(lowest, values[:, 0])
    torch.testing.assert_close(highest, values[:, -1])


def test_extreme_eigenvalues_match_the_full_hessian_of_the_sinusoid_network():
    """Lanczos on Hessian-vector products against every eigenvalue of the support loss's Hessian,
    formed in full over the network's 1,761 parameters."""
    params = {name: p.double() for name, p in init_params(0).items()}
    batch = _float64_batch()
    alpha = 0.01
    hvp = curvature.support_hvp(params, batch)
    lowest, highest = curvature.lanczos_extremes(lambda v: alpha * hvp(v), CONFIG["meta_batch"], 1761)
    flat = curvature._flat(params)
    for i in range(CONFIG["meta_batch"]):
        full = hessian(lambda v: task_loss(curvature._unflatten(v, params), batch.support_x[i], batch.support_y[i]))(flat)
        values = torch.linalg.eigvalsh(alpha * full)
        torch.testing.assert_close(lowest[i], values[0], rtol=1e-6, atol=1e-9)
        torch.testing.assert_close(highest[i], values[-1], rtol=1e-6, atol=1e-9)


def test_task_vectors_average_to_the_trainers_meta_gradients():
    """mean_i (I - alpha H_i) g_i is MAML's meta-gradient and mean_i g_i first-order MAML's, as the
    trainers compute them by differentiating through the inner step."""
    params = {name: p.double() for name, p in init_params(1).items()}
    batch = _float64_batch()
    hp = HyperParams(inner_lr=0.05, inner_steps=1)
    first_order, exact = curvature.batch_vectors(params, batch, hp.inner_lr)
    want_exact = curvature._flat(maml_meta_gradient(params, batch, hp).direction)
    want_first = curvature._flat(maml_meta_gradient(params, batch, hp, first_order=True).direction)
    torch.testing.assert_close(exact.mean(0), want_exact)
    torch.testing.assert_close(first_order.mean(0), want_first)
    stats = curvature.batch_curvature(params, batch, hp)
    assert abs(stats["batch_norm_ratio"] - float(want_exact.norm() / want_first.norm())) < 1e-9
    assert all(lo <= r <= hi for lo, r, hi in zip(stats["lowest"], stats["rayleigh"], stats["highest"]))


def test_command_measures_the_committed_maml_run(tmp_path):
    written = measure_on_a_copy(curvature, "curvature", tmp_path, "--batches", "2")
    assert written["protocol"]["tasks"] == 50 and written["protocol"]["inner_lr"] == 0.01
    for when in ("start", "end"):
        r = written[when]
        assert r["tasks"] == 50 and r["batches"] == 2
        assert r["lowest"]["min"] <= r["lowest"]["mean"] <= r["highest"]["mean"] <= r["highest"]["max"]
