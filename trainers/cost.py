"""`article cost`: time and peak memory of one meta-iteration against the number of inner steps k.

What is measured: one call of the trainers' own `meta_iteration` (the method's meta-gradient and
its outer update, exactly what training runs) for the sinusoid network, for second-order MAML,
first-order MAML, Reptile and iMAML, with k = 1, 2, 5, 10, 20 inner SGD steps. iMAML also runs
its conjugate-gradient steps (cg_steps of its config; the loop has a fixed length, so it always
runs all of them). Every method gets the same meta-batch: 25 tasks (the configs' meta_batch),
K = 10 support and 10 query points, parameters init_params(0); the other hyperparameters are the
methods' configs.

How it is measured, so that each number means one thing:
- One fresh Python process per (method, k): no configuration inherits another's warm caches,
  allocator state or resident memory. One thread (torch.set_num_threads(1), OMP and MKL too).
- Eager, not torch.compile: the cost of the algorithm as the code listings show it, without a
  compiler's fusions, and with no compilation (minutes for k = 20 unrolled steps) to amortise.
  Training compiles the meta-iteration and runs faster than this.
- Time: `warmup` untimed iterations first (the first calls pay one-off costs: lazy imports,
  dispatcher and torch.func caches), then `repeats` iterations timed one by one with
  time.perf_counter; we report the median and the quartiles, in milliseconds.
- Memory, two numbers, both for one iteration and above what was resident just before it:
  `rss`: the process's peak resident memory. Freed heap goes back to the OS (malloc_trim(0)),
  VmRSS is read from /proc/self/status, the high-water mark is reset to it
  (`echo 5 > /proc/self/clear_refs`), one iteration runs, and VmHWM is read: everything the
  iteration touched counts (tensors, autograd's graph, Python objects, allocator overhead).
  Median over `memory_repeats` iterations.
  `tensors`: the peak of live tensor bytes, from torch.profiler's memory events (every
  allocation and free of PyTorch's CPU allocator during the iteration, summed in time order).
  Deterministic; measured in its own iteration, since the profiler itself takes memory.
  Both in MiB.

Results go to static/models/measurements.json under `cost` (and into manifest.json's
`measurements`, so prose quotes `{{manifest:measurements.cost...}}`), with the machine they were
measured on. Timing is only as good as the machine is quiet: the load average before and after
is recorded with them.
"""
from __future__ import annotations

import argparse
import ctypes
import dataclasses
import datetime
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

METHOD_NAMES = ("maml", "fomaml", "reptile", "imaml")
INNER_STEPS = (1, 2, 5, 10, 20)
TASKS, SUPPORT, QUERY = 25, 10, 10
BATCH_SEED, PARAMS_SEED = 0, 0
MIB = 2**20
WORKER_TIMEOUT_S = 900

TIME_HOW = (
    "wall-clock time of one meta_iteration call (time.perf_counter), eager, one thread; median and"
    " quartiles of `repeats` calls after `warmup` untimed ones, in a fresh process per configuration"
)
RSS_HOW = (
    "peak resident memory during one iteration (VmHWM after resetting it with"
    " `echo 5 > /proc/self/clear_refs`) minus VmRSS just before it, after malloc_trim(0);"
    " median of `memory_repeats` iterations, MiB"
)
TENSORS_HOW = (
    "peak of live tensor bytes during one iteration above those live before it, from"
    " torch.profiler's memory events (PyTorch's CPU allocator), MiB"
)


# --- The worker: one configuration, in its own process -----------------------------------------


def _proc_status(key: str) -> int:
    """A VmRSS/VmHWM-style line of /proc/self/status, in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {key}")


def _release_free_memory() -> None:
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)


def _peak_rss(step: Callable[[], object]) -> int:
    """Bytes by which one call of `step` raised the resident set above where it started."""
    _release_free_memory()
    baseline = _proc_status("VmRSS")
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")  # reset the high-water mark VmHWM to the current VmRSS
    result = step()
    peak = _proc_status("VmHWM")
    del result
    return peak - baseline


def _peak_tensor_bytes(step: Callable[[], object]) -> int:
    """The most tensor bytes live at once during one call of `step`, above those live before it."""
    import torch

    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    events = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
    live = peak = 0
    for event in sorted(events, key=lambda e: e.start_ns()):  # allocations > 0, frees < 0
        live += event.nbytes()
        peak = max(peak, live)
    return peak


def _meta_iteration(method_name: str, steps: int) -> Callable[[], object]:
    """One meta-iteration of the method with k = `steps`, on the fixed batch, as a closure."""
    import torch

    from trainers.config import hyperparams, load_config
    from trainers.methods import METHODS, TaskBatch, meta_iteration
    from trainers.sinusoid_mlp import init_params
    from trainers.optim import adam_init
    from trainers.sinusoid import sample_batch

    config = load_config(method_name)
    hp = dataclasses.replace(hyperparams(config), inner_steps=steps)
    params = init_params(PARAMS_SEED)
    state = adam_init(params)
    batch = TaskBatch.of(sample_batch(TASKS, SUPPORT, QUERY, torch.Generator().manual_seed(BATCH_SEED)))
    outer_lr = torch.tensor(config["outer_lr"])
    method = METHODS[method_name]
    return lambda: meta_iteration(method, params, state, batch, hp, outer_lr)


def measure(method_name: str, steps: int, repeats: int, warmup: int, memory_repeats: int) -> dict:
    """Time and memory of one configuration, in this process (call it in a fresh one)."""
    import torch

    torch.set_num_threads(1)
    step = _meta_iteration(method_name, steps)
    for _ in range(warmup):
        step()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    rss = statistics.median(_peak_rss(step) for _ in range(memory_repeats))
    milliseconds = [1000 * s for s in seconds]
    quartiles = statistics.quantiles(milliseconds, n=4) if repeats > 1 else milliseconds * 3
    return {
        "time_ms": {
            "median": round(statistics.median(milliseconds), 3),
            "q1": round(quartiles[0], 3),
            "q3": round(quartiles[2], 3),
            "runs": repeats,
        },
        "memory_mib": {"rss": round(rss / MIB, 3), "tensors": round(_peak_tensor_bytes(step) / MIB, 4)},
    }


def _worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainers.cost", description="one configuration (internal)")
    parser.add_argument("method", choices=METHOD_NAMES)
    parser.add_argument("steps", type=int)
    parser.add_argument("--repeats", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--memory-repeats", type=int, required=True)
    args = parser.parse_args(argv)
    result = measure(args.method, args.steps, args.repeats, args.warmup, args.memory_repeats)
    print(json.dumps(result))
    return 0


# --- The driver: every configuration, each in a fresh process ----------------------------------

_ONE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def run_configuration(method_name: str, steps: int, args: argparse.Namespace) -> dict:
    command = [
        sys.executable, "-m", "trainers.cost", method_name, str(steps),
        "--repeats", str(args.repeats), "--warmup", str(args.warmup), "--memory-repeats", str(args.memory_repeats),
    ]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **_ONE_THREAD_ENV}, timeout=WORKER_TIMEOUT_S
    )
    if done.returncode != 0:
        raise RuntimeError(f"measuring {method_name} with k = {steps} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(threads: int = 1) -> dict:
    """What the numbers were measured on (part of every measurement file)."""
    import torch

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_available": len(os.sched_getaffinity(0)),
        "threads": threads,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "date": datetime.date.today().isoformat(),
    }


def _method_entry(method_name: str) -> dict:
    from trainers.config import hyperparams, load_config
    from trainers.methods import METHODS

    method = METHODS[method_name]
    fixed = dataclasses.asdict(hyperparams(load_config(method_name)))
    fixed = {k: v for k, v in fixed.items() if k in method.keys and k != "inner_steps"}
    return {"summary": method.summary, "hyperparams": fixed, "steps": {}}


def _load_average() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def measure_all(args: argparse.Namespace) -> dict:
    methods = {name: _method_entry(name) for name in args.methods}
    load_before = _load_average()
    # Methods side by side for each k, so the comparison at one k sees the same machine load.
    for steps in args.steps:
        for name in args.methods:
            result = run_configuration(name, steps, args)
            methods[name]["steps"][str(steps)] = result
            print(
                f"{name:8s} k = {steps:2d}: {result['time_ms']['median']:9.2f} ms,"
                f" peak {result['memory_mib']['rss']:7.2f} MiB resident, {result['memory_mib']['tensors']:7.3f} MiB tensors",
                file=sys.stderr,
            )
    return {
        "machine": {**machine(), "load_average_before": load_before, "load_average_after": _load_average()},
        "protocol": {
            "what": "one meta_iteration (meta-gradient and outer update) of the sinusoid network 1-40-40-1",
            "tasks": TASKS,
            "support": SUPPORT,
            "query": QUERY,
            "batch_seed": BATCH_SEED,
            "params": f"trainers.sinusoid_mlp.init_params({PARAMS_SEED})",
            "inner_steps": list(args.steps),
            "mode": "eager (no torch.compile)",
            "repeats": args.repeats,
            "warmup": args.warmup,
            "memory_repeats": args.memory_repeats,
            "process": "one fresh Python process per method and k",
            "time": TIME_HOW,
            "rss": RSS_HOW,
            "tensors": TENSORS_HOW,
        },
        "methods": methods,
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Time and peak memory of one meta-iteration of the sinusoid network (25 tasks, K = 10) for k inner"
        " steps, per method: one fresh process per method and k, one thread, eager. Time: median of"
        " --repeats timed calls after --warmup. Memory: peak resident memory above the baseline just before"
        " the iteration (VmHWM reset by /proc/self/clear_refs, after malloc_trim), and the peak of live tensor"
        " bytes (torch.profiler). Writes measurements.cost into MODELS/measurements.json and manifest.json."
        " Run it on a quiet machine."
    )
    parser.add_argument("--models", default="static/models", help="folder of measurements.json and manifest.json (default: static/models)")
    parser.add_argument("--methods", nargs="+", default=list(METHOD_NAMES), choices=METHOD_NAMES, metavar="METHOD", help="default: all four")
    parser.add_argument("--steps", nargs="+", type=int, default=list(INNER_STEPS), metavar="K", help="inner steps (default: 1 2 5 10 20)")
    parser.add_argument("--repeats", type=int, default=25, help="timed iterations per configuration (default 25)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed iterations first (default 3)")
    parser.add_argument("--memory-repeats", type=int, default=5, help="iterations for the resident-memory median (default 5)")


def run(args: argparse.Namespace) -> int:
    from trainers import manifest
    from trainers.errors import UserError

    if not Path("/proc/self/clear_refs").exists():
        raise UserError("article cost measures memory through Linux's /proc/self (clear_refs, status): run it on Linux")
    if min(args.steps) < 1 or args.repeats < 1 or args.warmup < 0 or args.memory_repeats < 1:
        raise UserError("--steps and --repeats must be >= 1, --warmup >= 0, --memory-repeats >= 1")
    args.steps = sorted(set(args.steps))
    result = measure_all(args)
    for path in manifest.write_measurement(Path(args.models), "cost", result):
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1:]))
