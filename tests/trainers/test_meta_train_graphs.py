"""The graphs of the figure "Meta-train in your browser" against the trainers they stand in for.

sinusoid_tasks must build exactly the meta-batch trainers.sinusoid.sample_batch builds from the
same uniform draws: the generator is replayed here (torch.rand in the sampler's order, amplitude,
phase, support x, query x), so the page's seeded uniforms define tasks as training defines them.
sinusoid_heldout_mse is checked against a per-task loop with plain torch.autograd, and against
MAML's own meta-loss (one inner step); window_mean against numpy. The committed ONNX files are
checked on the figure's own sizes (test_export.py checks every graph on random shapes too).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from trainers.graphs import catalogue, meta_train
from trainers.methods.common import HyperParams, TaskBatch
from trainers.methods.maml import maml_meta_loss
from trainers.sinusoid import sample_batch
from trainers.sinusoid_mlp import PARAM_NAMES, forward, init_params

MODELS = Path(__file__).resolve().parents[2] / "static" / "models"
TASK_FIELDS = ("amplitude", "phase", "support_x", "support_y", "query_x", "query_y")


def _session(name: str) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(MODELS / f"{name}.onnx"), options, providers=["CPUExecutionProvider"])


def _replayed_uniforms(seed: int, tasks: int, support: int, query: int) -> dict[str, torch.Tensor]:
    """The uniforms sample_batch draws from a generator seeded with `seed`, in its order."""
    gen = torch.Generator().manual_seed(seed)
    return {
        "amplitude_u": torch.rand((tasks, 1, 1), generator=gen),
        "phase_u": torch.rand((tasks, 1, 1), generator=gen),
        "support_u": torch.rand((tasks, support, 1), generator=gen),
        "query_u": torch.rand((tasks, query, 1), generator=gen),
    }


# The figure's training batches (25 tasks, K = Q = 10), its held-out set (K = 5), and odd sizes.
SIZES = [(25, 10, 10), (100, 5, 100), (1, 1, 1), (3, 7, 2)]


@pytest.mark.parametrize("tasks, support, query", SIZES)
def test_tasks_are_the_samplers_tasks_from_the_same_uniforms(tasks, support, query):
    seed = 40 + tasks
    want = sample_batch(tasks, support, query, torch.Generator().manual_seed(seed))
    got = meta_train.sinusoid_tasks(_replayed_uniforms(seed, tasks, support, query))
    for name in TASK_FIELDS:
        torch.testing.assert_close(got[name], getattr(want, name), rtol=0, atol=0, msg=name)


@pytest.mark.parametrize("tasks, support, query", SIZES)
def test_committed_tasks_graph_matches_the_sampler(tasks, support, query):
    seed = 7 * tasks + support
    uniforms = _replayed_uniforms(seed, tasks, support, query)
    want = sample_batch(tasks, support, query, torch.Generator().manual_seed(seed))
    got = _session("sinusoid_tasks").run(list(TASK_FIELDS), {k: v.numpy() for k, v in uniforms.items()})
    for name, value in zip(TASK_FIELDS, got):
        np.testing.assert_allclose(value, getattr(want, name).numpy(), rtol=0, atol=2e-6, err_msg=name)


def test_uniform_extremes_reach_the_ends_of_the_ranges():
    ends = {k: torch.tensor([[[0.0]], [[1.0]]]) for k in ("amplitude_u", "phase_u", "support_u", "query_u")}
    out = meta_train.sinusoid_tasks(ends)
    torch.testing.assert_close(out["amplitude"].flatten(), torch.tensor([0.1, 5.0]))
    torch.testing.assert_close(out["phase"].flatten(), torch.tensor([0.0, np.pi]))
    torch.testing.assert_close(out["support_x"].flatten(), torch.tensor([-5.0, 5.0]))


def _heldout_by_hand(params: dict[str, torch.Tensor], batch: TaskBatch, alpha: float) -> torch.Tensor:
    """Query MSE before and after one SGD step, task by task, with torch.autograd (no torch.func)."""
    before, after = [], []
    for sx, sy, qx, qy in zip(*batch):
        theta = {n: p.clone().requires_grad_() for n, p in params.items()}
        loss = ((forward(theta, sx) - sy) ** 2).mean()
        grads = torch.autograd.grad(loss, [theta[n] for n in PARAM_NAMES])
        phi = {n: theta[n].detach() - alpha * g for n, g in zip(PARAM_NAMES, grads)}
        before.append(((forward(params, qx) - qy) ** 2).mean())
        after.append(((forward(phi, qx) - qy) ** 2).mean())
    return torch.stack([torch.stack(before).mean(), torch.stack(after).mean()])


def _batch(seed: int, tasks: int, support: int, query: int, dtype=torch.float64) -> TaskBatch:
    batch = TaskBatch.of(sample_batch(tasks, support, query, torch.Generator().manual_seed(seed)))
    return TaskBatch(*(t.to(dtype) for t in batch))


def _heldout_inputs(params, batch: TaskBatch, alpha: float) -> dict[str, torch.Tensor]:
    return {**params, **batch._asdict(), "step_size": torch.tensor(alpha, dtype=batch.support_x.dtype)}


@pytest.mark.parametrize("alpha", [0.01, 0.3])
def test_heldout_mse_is_the_query_mse_before_and_after_one_step(alpha):
    params = {n: p.double() for n, p in init_params(5).items()}
    batch = _batch(3, 6, 5, 20)
    got = meta_train.sinusoid_heldout_mse(_heldout_inputs(params, batch, alpha))["mse"]
    torch.testing.assert_close(got, _heldout_by_hand(params, batch, alpha))
    # After one step it is MAML's own meta-loss: the same objective the MAML model is trained on.
    maml = maml_meta_loss(params, batch, HyperParams(inner_lr=alpha, inner_steps=1))
    torch.testing.assert_close(got[1], maml)
    if alpha == 0.01:  # the evaluation's step size: one step on the support points helps
        assert got[1] < got[0]


def test_committed_heldout_graph_matches_torch_on_the_figures_sizes():
    params = dict(init_params(0))
    batch = _batch(11, 100, 5, 100, torch.float32)
    inputs = _heldout_inputs(params, batch, 0.01)
    (got,) = _session("sinusoid_heldout_mse").run(["mse"], {k: v.numpy() for k, v in inputs.items()})
    want = _heldout_by_hand({n: p.double() for n, p in params.items()}, _batch(11, 100, 5, 100), 0.01)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=0)


@pytest.mark.parametrize("count", [1, 25, 1000])
def test_window_mean(count):
    values = np.random.default_rng(count).uniform(0, 10, count).astype(np.float32)
    (got,) = _session("window_mean").run(["mean"], {"values": values})
    np.testing.assert_allclose(got, values.astype(np.float64).mean(), rtol=1e-6)
    torch.testing.assert_close(meta_train.window_mean({"values": torch.from_numpy(values)})["mean"],
                               torch.from_numpy(values).mean())


# --- The meta-step graphs from the figure's starting point ------------------------------------

ADAM_METHODS = ("pretrained", "maml", "fomaml", "imaml")


def _fresh_inputs(method: str) -> dict[str, torch.Tensor]:
    """The figure's first iteration: the shared initialisation with a fresh Adam state (t = 0,
    m = v = 0), on 25 tasks with K = Q = 10. Hidden unit 0 is made dead on all of [-5, 5], so
    its weights get exactly zero gradients, as dead ReLU units do at a random initialisation."""
    from trainers.config import load_config

    params = dict(init_params(0))
    params["w1"] = params["w1"].clone()
    params["b1"] = params["b1"].clone()
    params["w1"][0, 0], params["b1"][0] = 0.1, -10.0
    zeros = {f"{prefix}_{n}": torch.zeros_like(p) for prefix in ("m", "v") for n, p in params.items()}
    batch = TaskBatch.of(sample_batch(25, 10, 10, torch.Generator().manual_seed(5)))._asdict()
    spec = catalogue()[f"meta_step_{method}"]
    config = load_config(method)
    hyper = {k: torch.tensor(float(config[k])) for k in spec.inputs if k not in {*params, *zeros, *batch, "t"}}
    return {**params, **zeros, "t": torch.tensor(0.0), **batch, **hyper}


@pytest.mark.parametrize("method", ADAM_METHODS)
def test_committed_meta_steps_keep_adams_epsilon(method):
    """From a fresh Adam state a parameter whose gradient is exactly zero must not move: 0 / (0 +
    eps). The exporter's optimiser used to drop a Python-number eps of 1e-8 (it rewrites x + c as
    x for |c| <= 1e-8), which made those parameters 0/0 = NaN in the exported graphs."""
    inputs = _fresh_inputs(method)
    spec = catalogue()[f"meta_step_{method}"]
    want = spec.run_torch(inputs)
    feeds = {k: v.numpy() for k, v in inputs.items()}
    got = dict(zip(spec.outputs, _session(f"meta_step_{method}").run(list(spec.outputs), feeds)))
    for name in (f"{n}_next" for n in PARAM_NAMES):
        assert np.isfinite(got[name]).all(), name
        np.testing.assert_allclose(got[name], want[name].numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
    # The dead unit's weights have a zero gradient and stay where they were.
    np.testing.assert_array_equal(got["w1_next"][0], inputs["w1"][0].numpy())
    np.testing.assert_array_equal(got["w2_next"][:, 0], inputs["w2"][:, 0].numpy())
