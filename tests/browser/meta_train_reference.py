"""Python onnxruntime replaying what the figure "Meta-train in your browser" computes.

The page draws uniform numbers with mulberry32 (static/figures/lib/random.js), turns them
into tasks with the graph sinusoid_tasks and meta-trains with the graphs meta_step_<method>
(static/figures/meta-train/trainer.js). This module draws the same numbers from the same seeds,
in the same order and layout, and runs the same graphs on them, so the browser test and the
benchmark can compare the worker's parameters, curves and timings with Python's.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .reference import _session, load_params, read_manifest, run

MASK = 0xFFFFFFFF
PARAM_PREFIXES = ("m", "v")
BATCH = ("support_x", "support_y", "query_x", "query_y")


def mulberry32(seed: int):
    """The page's generator (lib/random.js seededRandom), in unsigned 32-bit arithmetic."""
    state = seed & MASK

    def imul(a: int, b: int) -> int:
        return (a * b) & MASK

    def draw() -> float:
        nonlocal state
        state = (state + 0x6D2B79F5) & MASK
        t = state
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & MASK
        return ((t ^ (t >> 14)) & MASK) / 4294967296

    return draw


def draw_uniforms(draw, iterations: int, tasks: int, support: int, query: int) -> dict[str, np.ndarray]:
    """trainer.js drawUniforms: per meta-batch, T amplitudes, T phases, T*K support x, T*Q query x;
    meta-batch b is rows b*T .. (b+1)*T - 1. Stored as float32, as a Float32Array stores them."""
    per = {"amplitude_u": 1, "phase_u": 1, "support_u": support, "query_u": query}
    out = {name: np.empty(iterations * tasks * n, dtype=np.float64) for name, n in per.items()}
    for b in range(iterations):
        for name, n in per.items():
            block = out[name][b * tasks * n:(b + 1) * tasks * n]
            for i in range(len(block)):
                block[i] = draw()
    count = iterations * tasks
    return {name: values.astype(np.float32).reshape(count, per[name], 1) for name, values in out.items()}


def make_tasks(models: Path, uniforms: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    names = ("amplitude", "phase", "support_x", "support_y", "query_x", "query_y")
    return dict(zip(names, run(models, "sinusoid_tasks", uniforms)))


def settings_of(figure_params: dict) -> dict:
    """The figure's params with methods.js DEFAULTS filled in for what the registry leaves out."""
    defaults = {"init": "demo", "tasks": 25, "support": 10, "query": 10, "seed": 1, "chunk": 20,
                "log_every": 25, "eval_every": 200, "step_size": 0.01,
                "heldout": {"seed": 2, "tasks": 100, "support": 5, "query": 100}}
    settings = {**defaults, **figure_params}
    settings["heldout"] = {**defaults["heldout"], **figure_params.get("heldout", {})}
    return settings


def heldout_feeds(models: Path, settings: dict) -> dict[str, np.ndarray]:
    h = settings["heldout"]
    uniforms = draw_uniforms(mulberry32(h["seed"]), 1, h["tasks"], h["support"], h["query"])
    tasks = make_tasks(models, uniforms)
    return {**{k: tasks[k] for k in BATCH}, "step_size": np.asarray(settings["step_size"], np.float32)}


def hyperparameters(models: Path, method: str) -> dict[str, np.ndarray]:
    """What the worker feeds besides parameters, state and tasks: models.<method>.config values."""
    manifest = read_manifest(models)
    graph = manifest["graphs"][f"meta_step_{method}"]
    layout = [entry["name"] for entry in manifest["models"]["demo"]["params"]["layout"]]
    taken = {*layout, *(f"{p}_{n}" for p in PARAM_PREFIXES for n in layout), "t", *BATCH}
    config = manifest["models"][method]["config"]
    return {i["name"]: np.asarray(config[i["name"]], np.float32) for i in graph["inputs"] if i["name"] not in taken}


@dataclass
class Replay:
    """One method meta-trained for some iterations, as the worker does it."""

    params: dict[str, np.ndarray]
    state: dict[str, np.ndarray]
    t: float
    meta_losses: list[float] = field(default_factory=list)
    losses: list[tuple[int, float]] = field(default_factory=list)  # the training curve's points
    evals: list[tuple[int, float, float]] = field(default_factory=list)
    graph_seconds: list[float] = field(default_factory=list)  # each meta_step run, timed


def replay(models: Path, figure_params: dict, method: str, iterations: int, *, evaluate: bool = True) -> Replay:
    """`iterations` meta-iterations of `method` from the shared initialisation, with the held-out
    evaluations at 0, every eval_every iterations and at the end (where the worker pauses)."""
    s = settings_of(figure_params)
    params = load_params(models, s["init"])
    names = list(params)
    fresh_state = {f"{p}_{n}": np.zeros_like(v) for p in PARAM_PREFIXES for n, v in params.items()}
    result = Replay(params=dict(params), state=fresh_state, t=0.0)
    hyper = hyperparameters(models, method)
    heldout = heldout_feeds(models, s) if evaluate else None

    def evaluate_at(iteration: int) -> None:
        if heldout is not None:
            (mse,) = run(models, "sinusoid_heldout_mse", {**result.params, **heldout})
            result.evals.append((iteration, float(mse[0]), float(mse[1])))

    step = _meta_step_session(models, method)
    output_names = [o.name for o in step.get_outputs()]
    input_names = {i.name for i in step.get_inputs()}
    draw = mulberry32(s["seed"])
    T, K, Q = s["tasks"], s["support"], s["query"]
    tasks = None
    evaluate_at(0)
    for iteration in range(iterations):
        position = iteration % s["chunk"]
        if position == 0:
            tasks = make_tasks(models, draw_uniforms(draw, s["chunk"], T, K, Q))
        batch = {k: tasks[k][position * T:(position + 1) * T] for k in BATCH}
        feeds = {**result.params, **result.state, "t": np.asarray(result.t, np.float32), **batch, **hyper}
        feeds = {k: v for k, v in feeds.items() if k in input_names}
        started = time.perf_counter()  # the graph call alone, as the worker's graphMs
        outputs = step.run(None, feeds)
        result.graph_seconds.append(time.perf_counter() - started)
        out = dict(zip(output_names, outputs))
        result.params = {n: out[f"{n}_next"] for n in names}
        result.state = {f"{p}_{n}": out[f"{p}_{n}_next"] for p in PARAM_PREFIXES for n in names}
        result.t = float(out["t_next"])
        result.meta_losses.append(float(out["meta_loss"]))
        done = iteration + 1
        if done % s["log_every"] == 0:
            window = np.asarray(result.meta_losses[-s["log_every"]:], np.float32)
            (mean,) = run(models, "window_mean", {"values": window})
            result.losses.append((done, float(mean)))
        if done % s["eval_every"] == 0:
            evaluate_at(done)
    if not result.evals or result.evals[-1][0] != iterations:
        evaluate_at(iterations)
    return result


def _meta_step_session(models: Path, method: str):
    """Python onnxruntime's session of the method's meta-step graph (one thread, cached)."""
    path = models / read_manifest(models)["graphs"][f"meta_step_{method}"]["file"]
    return _session(str(path), path.stat().st_mtime_ns)


def fine_tune_given(models: Path, weights: dict[str, np.ndarray], amplitude: float, phase: float,
                    samples: list[float], steps: int, step_size: float) -> dict:
    """The fine-tuning figure's computation (reference.fine_tune) from given parameters."""
    grid = np.linspace(-5.0, 5.0, 1000, dtype=np.float32).reshape(-1, 1)
    target = {"amplitude": np.asarray(amplitude, np.float32), "phase": np.asarray(phase, np.float32)}
    sample_x = np.asarray(samples, dtype=np.float32).reshape(-1, 1)
    _, sample_y, _ = run(models, "sinusoid_curves", {**weights, **target, "x": sample_x})
    _, _, mse0 = run(models, "sinusoid_curves", {**weights, **target, "x": grid})
    mse, current, names = [float(mse0)], dict(weights), list(weights)
    for _ in range(steps):
        outputs = run(models, "sinusoid_finetune_step", {
            **current, **target, "x": grid, "support_x": sample_x, "support_y": sample_y,
            "step_size": np.asarray(step_size, np.float32)})
        current = dict(zip(names, outputs[: len(names)]))
        mse.append(float(outputs[-1]))
    return {"sample_y": sample_y[:, 0], "mse": mse, "params": current}
