"""Benchmark: one MAML meta-iteration four ways, on one CPU thread.

The update measured is the one of Finn et al.'s sinusoid experiment: 25 tasks, K = 10 support and
10 query points, one inner SGD step (alpha = 0.01), the exact second-order meta-gradient, then an
Adam step (1e-3). Written as
  1. trainers' `meta_iteration` compiled with torch.compile (what `article train` runs),
  2. the same function eagerly (torch.func: grad through a vmap over tasks),
  3. a plain Python loop over tasks with torch.autograd (create_graph=True) and torch.optim.Adam,
  4. the `higher` library (innerloop_ctx over an nn.Module) with torch.optim.Adam.
Each variant's meta-gradient is first checked against the compiled one; then each is timed.

Run: .venv/bin/python tests/benchmarks/bench_meta_iteration.py [--repeats N]
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

import higher
import torch
from torch import nn

from trainers.inner import task_loss
from trainers.methods import METHODS, HyperParams, TaskBatch, meta_iteration
from trainers.sinusoid_mlp import LAYER_SIZES, PARAM_NAMES, init_params
from trainers.optim import adam_init
from trainers.sinusoid import sample_batch

TASKS, SHOTS, ALPHA, LR = 25, 10, 0.01, 1e-3


def as_module(params: dict[str, torch.Tensor]) -> nn.Sequential:
    """The same network as an nn.Module (what `higher` and the plain loop work with)."""
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(LAYER_SIZES[:-1], LAYER_SIZES[1:]), start=1):
        linear = nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            linear.weight.copy_(params[f"w{i}"])
            linear.bias.copy_(params[f"b{i}"])
        layers += [linear, nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def loop_meta_gradient(model: nn.Sequential, batch: TaskBatch) -> None:
    """Per task: one differentiable SGD step, query loss, backward into .grad (mean over tasks)."""
    weights = list(model.parameters())
    for sx, sy, qx, qy in zip(*batch):
        loss = ((torch.func.functional_call(model, dict(model.named_parameters()), sx) - sy) ** 2).mean()
        grads = torch.autograd.grad(loss, weights, create_graph=True)
        adapted = {name: w - ALPHA * g for (name, w), g in zip(model.named_parameters(), grads)}
        query = ((torch.func.functional_call(model, adapted, qx) - qy) ** 2).mean()
        (query / len(batch.support_x)).backward()


def higher_meta_gradient(model: nn.Sequential, batch: TaskBatch) -> None:
    inner_opt = torch.optim.SGD(model.parameters(), lr=ALPHA)
    for sx, sy, qx, qy in zip(*batch):
        with higher.innerloop_ctx(model, inner_opt, copy_initial_weights=False) as (fmodel, diffopt):
            diffopt.step(((fmodel(sx) - sy) ** 2).mean())
            query = ((fmodel(qx) - qy) ** 2).mean()
            (query / len(batch.support_x)).backward()


def module_step(meta_gradient: Callable, params, batch) -> tuple[Callable[[], None], Callable[[], dict]]:
    """An Adam meta-iteration around an nn.Module meta-gradient, and a probe of its gradient."""
    model = as_module(params)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)

    def step() -> None:
        optimizer.zero_grad()
        meta_gradient(model, batch)
        optimizer.step()

    def probe() -> dict[str, torch.Tensor]:
        fresh = as_module(params)
        meta_gradient(fresh, batch)
        grads = [p.grad for p in fresh.parameters()]
        return dict(zip(PARAM_NAMES, grads))

    return step, probe


def time_per_call(step: Callable[[], None], repeats: int, inner: int) -> float:
    """Median over `repeats` of the mean time of `inner` consecutive calls, in ms."""
    step()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            step()
        samples.append((time.perf_counter() - start) / inner * 1e3)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    params = init_params(0)
    batch = TaskBatch.of(sample_batch(TASKS, SHOTS, SHOTS, torch.Generator().manual_seed(0)))
    hp = HyperParams(inner_lr=ALPHA, inner_steps=1)
    maml = METHODS["maml"]
    lr = torch.tensor(LR)

    def functional(params, opt_state, batch, lr):
        return meta_iteration(maml, params, opt_state, batch, hp, lr)

    compiled = torch.compile(functional, dynamic=False)
    start = time.perf_counter()
    compiled(params, adam_init(params), batch, lr)
    compile_seconds = time.perf_counter() - start
    state = {"params": params, "opt": adam_init(params)}

    def run(fn):
        def step():
            state["params"], state["opt"], _ = fn(state["params"], state["opt"], batch, lr)
        return step

    reference = maml.meta_gradient(params, batch, hp).direction
    compiled_grad = compiled(params, adam_init(params), batch, lr)[2].direction
    loop_step, loop_probe = module_step(loop_meta_gradient, params, batch)
    higher_step, higher_probe = module_step(higher_meta_gradient, params, batch)
    deviation = {
        "compiled torch.func": compiled_grad,
        "plain Python loop": loop_probe(),
        "higher": higher_probe(),
    }
    print(f"MAML meta-iteration: {TASKS} tasks, K = {SHOTS}, one inner step, second order, Adam; "
          f"1 thread, torch {torch.__version__}")
    print(f"torch.compile of the meta-iteration took {compile_seconds:.1f} s (once)")
    for name, grads in deviation.items():
        gap = max(float((grads[k] - reference[k]).abs().max()) for k in reference)
        print(f"  max |meta-gradient - eager torch.func| for {name}: {gap:.1e}")

    variants = {
        "compiled torch.func": (run(compiled), 200),
        "eager torch.func": (run(functional), 50),
        "plain Python loop": (loop_step, 10),
        "higher": (higher_step, 5),
    }
    times = {name: time_per_call(step, args.repeats, inner) for name, (step, inner) in variants.items()}
    base = times["compiled torch.func"]
    print(f"{'variant':<22}{'ms / meta-iteration':>22}{'x compiled':>12}")
    for name, ms in times.items():
        print(f"{name:<22}{ms:>22.3f}{ms / base:>12.1f}")
    print(f"70,000 meta-iterations at the compiled speed: {70000 * base / 1e3:.0f} s (+ compilation)")


if __name__ == "__main__":
    main()
