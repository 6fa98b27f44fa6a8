"""`article record-meta-train`: a recorded run of the figure "Meta-train in your browser".

The figure meta-trains the sinusoid network live, every method from the same initialisation and
on the same seeded meta-batches, with the exported graphs (static/figures/meta-train/trainer.js).
Before the reader presses "Start", it shows this recording faintly: the same graphs run here in
Python's onnxruntime (one thread), on the same seeded uniform numbers (mulberry32, drawn in the
worker's order and layout), from the same parameters, with the same held-out evaluations and
training-curve windows. So on the meta-iteration axis the live run retraces the recording.

Like the worker, the methods share the wall-clock budget in turns of `slice_ms`: each gets about
the same time, and how far each gets shows what its iteration costs. Each method's training time
is the sum of its iterations' times (the worker's iterationMs): tasks, graph call and outputs.

Writes static/models/meta_train_recording.json (a few KB): the settings it ran with, and per
method the iterations and seconds it reached, its training curve [iteration, seconds, mean
meta-loss] and its held-out evaluations [iteration, seconds, MSE before, MSE after one step],
thinned to at most POINTS points each.
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from trainers.errors import UserError

FIGURE = "meta-train"
OUT = "meta_train_recording.json"
PARAM_PREFIXES = ("m", "v")
BATCH = ("support_x", "support_y", "query_x", "query_y")
TASK_OUTPUTS = ("amplitude", "phase", "support_x", "support_y", "query_x", "query_y")
# static/figures/meta-train/methods.js DEFAULTS: what the registry's params leave out.
DEFAULTS = {
    "methods": ["pretrained", "maml", "fomaml", "reptile", "imaml"],
    "init": "demo", "tasks": 25, "support": 10, "query": 10, "seed": 1, "chunk": 20,
    "log_every": 25, "eval_every": 200, "step_size": 0.01, "slice_ms": 25,
    "heldout": {"seed": 2, "tasks": 100, "support": 5, "query": 100},
}
# The settings that decide the numbers; the figure draws a recording only if they are its own.
RECORDED_SETTINGS = ("methods", "init", "tasks", "support", "query", "seed", "chunk", "log_every",
                     "eval_every", "step_size", "slice_ms", "heldout")
POINTS = 60
DIGITS = 5  # significant digits kept in the file

MASK = 0xFFFFFFFF
GOLDEN = 0x6D2B79F5


# ---- the page's random numbers -------------------------------------------------------------


class Mulberry32:
    """static/figures/lib/random.js seededRandom, many draws at a time. Draw i depends only on
    seed + (i + 1) * GOLDEN (mod 2^32), so a block of draws is a vectorised function of counters."""

    def __init__(self, seed: int) -> None:
        self.seed = seed & MASK
        self.position = 0

    def draw(self, count: int) -> np.ndarray:
        counters = np.arange(self.position + 1, self.position + count + 1, dtype=np.uint64)
        self.position += count
        t = (np.uint64(self.seed) + counters * np.uint64(GOLDEN)) & np.uint64(MASK)
        mask = np.uint64(MASK)

        def imul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return (a * b) & mask  # both below 2^32: the product is exact in 64 bits

        t = imul(t ^ (t >> np.uint64(15)), t | np.uint64(1))
        t ^= (t + imul(t ^ (t >> np.uint64(7)), t | np.uint64(61))) & mask
        return ((t ^ (t >> np.uint64(14))) & mask).astype(np.float64) / 4294967296.0


def draw_uniforms(random: Mulberry32, iterations: int, tasks: int, support: int, query: int) -> dict[str, np.ndarray]:
    """trainer.js drawUniforms: per meta-batch, T amplitudes, T phases, T*K support x, T*Q query
    x; meta-batch b is rows b*T .. (b+1)*T - 1. float32, as a Float32Array stores them."""
    per = {"amplitude_u": 1, "phase_u": 1, "support_u": support, "query_u": query}
    blocks: dict[str, list[np.ndarray]] = {name: [] for name in per}
    for _ in range(iterations):
        for name, n in per.items():
            blocks[name].append(random.draw(tasks * n))
    count = iterations * tasks
    return {name: np.concatenate(blocks[name]).astype(np.float32).reshape(count, per[name], 1) for name in per}


# ---- the graphs --------------------------------------------------------------------------------


class Graphs:
    """The manifest's graphs and models under `models`, in Python onnxruntime with one thread
    (the worker has one too)."""

    def __init__(self, models: Path) -> None:
        import onnxruntime as ort

        self.models = models
        self.manifest = json.loads((models / "manifest.json").read_text(encoding="utf-8"))
        self._ort = ort
        self._sessions: dict[str, object] = {}

    def session(self, graph: str):
        if graph not in self._sessions:
            entry = self.manifest["graphs"].get(graph)
            if entry is None:
                raise UserError(f"graph {graph} is not in {self.models / 'manifest.json'}: run `article export` first")
            options = self._ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            self._sessions[graph] = self._ort.InferenceSession(
                str(self.models / entry["file"]), options, providers=["CPUExecutionProvider"])
        return self._sessions[graph]

    def run(self, graph: str, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        session = self.session(graph)
        names = {i.name for i in session.get_inputs()}
        outputs = session.run(None, {k: v for k, v in feeds.items() if k in names})
        return dict(zip((o.name for o in session.get_outputs()), outputs))

    def params(self, model: str) -> dict[str, np.ndarray]:
        entry = self.manifest["models"][model]["params"]
        flat = np.fromfile(self.models / entry["file"], dtype="<f4")
        out = {}
        for item in entry["layout"]:
            size = int(np.prod(item["shape"])) if item["shape"] else 1
            out[item["name"]] = flat[item["offset"]:item["offset"] + size].reshape(item["shape"]).astype(np.float32)
        return out

    def hyperparameters(self, method: str, names: list[str]) -> dict[str, np.ndarray]:
        """The meta-step graph's inputs that are neither parameters, state nor tasks, from the
        method's trained configuration (models.<method>.config), as the worker feeds them."""
        taken = {*names, *(f"{p}_{n}" for p in PARAM_PREFIXES for n in names), "t", *BATCH}
        config = self.manifest["models"][method]["config"]
        graph = self.manifest["graphs"][f"meta_step_{method}"]
        return {i["name"]: np.asarray(config[i["name"]], np.float32) for i in graph["inputs"] if i["name"] not in taken}

    def tasks(self, uniforms: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return self.run("sinusoid_tasks", uniforms)


# ---- one method's run, as the worker's run object ------------------------------------------------


@dataclass
class MethodRun:
    """One method meta-training from the shared initialisation, an iteration at a time."""

    name: str
    graphs: Graphs
    settings: dict
    initial: dict[str, np.ndarray]
    heldout: dict[str, np.ndarray]
    iteration: int = 0
    seconds: float = 0.0  # the sum of its iterations' times
    losses: list[tuple[int, float, float]] = field(default_factory=list)  # [iteration, seconds, mean loss]
    evals: list[tuple[int, float, float, float]] = field(default_factory=list)  # [it, s, before, after]
    meta_losses: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.names = list(self.initial)
        self.params = {n: v.copy() for n, v in self.initial.items()}
        self.state = {f"{p}_{n}": np.zeros_like(v) for p in PARAM_PREFIXES for n, v in self.initial.items()}
        self.t = np.asarray(0.0, np.float32)
        self.hyper = self.graphs.hyperparameters(self.name, self.names)
        self.random = Mulberry32(self.settings["seed"])
        self.batches: dict[str, np.ndarray] | None = None
        self.graph = f"meta_step_{self.name}"
        self.graphs.session(self.graph)  # created before the clock starts, as the worker loads first

    def evaluate(self) -> None:
        out = self.graphs.run("sinusoid_heldout_mse", {**self.params, **self.heldout})
        before, after = (float(v) for v in out["mse"])
        self.evals.append((self.iteration, self.seconds, before, after))

    def step(self) -> None:
        """One meta-iteration: the next meta-batch (tasks for `chunk` iterations come from one
        sinusoid_tasks call), the meta-step graph, its outputs kept; timed as a whole."""
        started = time.perf_counter()
        s = self.settings
        position = self.iteration % s["chunk"]
        if position == 0:
            self.batches = self.graphs.tasks(draw_uniforms(self.random, s["chunk"], s["tasks"], s["support"], s["query"]))
        rows = slice(position * s["tasks"], (position + 1) * s["tasks"])
        feeds = {**self.params, **self.state, "t": self.t, **self.hyper,
                 **{k: self.batches[k][rows] for k in BATCH}}
        out = self.graphs.run(self.graph, feeds)
        self.params = {n: out[f"{n}_next"] for n in self.names}
        self.state = {f"{p}_{n}": out[f"{p}_{n}_next"] for p in PARAM_PREFIXES for n in self.names}
        self.t = out["t_next"]
        self.meta_losses.append(float(out["meta_loss"]))
        self.iteration += 1
        self.seconds += time.perf_counter() - started

    def advance(self) -> None:
        """trainer.js advance(): the evaluation at 0, one iteration, and the points that fall on it."""
        if not self.evals:
            self.evaluate()
        self.step()
        s = self.settings
        if self.iteration % s["log_every"] == 0:
            window = np.asarray(self.meta_losses[-s["log_every"]:], np.float32)
            (mean,) = self.graphs.run("window_mean", {"values": window}).values()
            self.losses.append((self.iteration, self.seconds, float(mean)))
        if self.iteration % s["eval_every"] == 0:
            self.evaluate()

    def finish(self) -> None:
        """Where it stopped, a held-out point (the worker evaluates every method when it pauses)."""
        if not self.evals or self.evals[-1][0] != self.iteration:
            self.evaluate()


# ---- the recording -------------------------------------------------------------------------


def figure_settings(figures_yaml: Path) -> dict:
    """The figure's params (content/figures.yaml) with methods.js DEFAULTS filled in."""
    registry = yaml.safe_load(figures_yaml.read_text(encoding="utf-8"))
    params = (registry.get(FIGURE) or {}).get("params") or {}
    settings = {**DEFAULTS, **params}
    settings["heldout"] = {**DEFAULTS["heldout"], **params.get("heldout", {})}
    return {key: settings[key] for key in RECORDED_SETTINGS}


def heldout_feeds(graphs: Graphs, settings: dict) -> dict[str, np.ndarray]:
    """The fixed held-out tasks, made once from their own seed, and the step size."""
    h = settings["heldout"]
    tasks = graphs.tasks(draw_uniforms(Mulberry32(h["seed"]), 1, h["tasks"], h["support"], h["query"]))
    return {**{k: tasks[k] for k in BATCH}, "step_size": np.asarray(settings["step_size"], np.float32)}


def start_runs(graphs: Graphs, settings: dict) -> list[MethodRun]:
    initial = graphs.params(settings["init"])
    heldout = heldout_feeds(graphs, settings)
    return [MethodRun(name, graphs, settings, initial, heldout) for name in settings["methods"]]


def share_time(runs: list[MethodRun], seconds: float, clock: Callable[[], float] = time.perf_counter,
               iterations: int | None = None) -> None:
    """The worker's schedule: each method in turn trains for `slice_ms`, until `seconds` of wall
    clock have passed (or, with `iterations`, until every method has done that many)."""
    slice_s = runs[0].settings["slice_ms"] / 1000 if runs else 0
    end = clock() + seconds
    while clock() < end:
        waiting = [run for run in runs if iterations is None or run.iteration < iterations]
        if not waiting:
            break
        for run in waiting:
            slice_end = clock() + slice_s
            while True:
                run.advance()
                if (iterations is not None and run.iteration >= iterations) or clock() >= slice_end:
                    break
    for run in runs:
        run.finish()


def _round(value: float) -> float:
    return float(f"{value:.{DIGITS}g}")


def thin(points: list[tuple], count: int = POINTS) -> list[list[float]]:
    """At most `count` of the points, evenly spread over the run, first and last kept."""
    if len(points) > count:
        keep = np.unique(np.round(np.linspace(0, len(points) - 1, count)).astype(int))
        points = [points[i] for i in keep]
    return [[p[0], *(_round(v) for v in p[1:])] for p in points]


def recording(runs: list[MethodRun], settings: dict, seconds: float) -> dict:
    import onnxruntime

    return {
        "settings": settings,
        "run": {"seconds": seconds, "onnxruntime": onnxruntime.__version__, "threads": 1,
                "machine": platform.machine()},
        "methods": {run.name: {"iterations": run.iteration, "seconds": _round(run.seconds),
                               "losses": thin(run.losses), "evals": thin(run.evals)} for run in runs},
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="wall-clock budget of the whole run, shared by the methods (default: 60)")
    parser.add_argument("--models", type=Path, default=Path("static/models"),
                        help="folder of manifest.json and the graphs (default: static/models)")
    parser.add_argument("--figures", type=Path, default=Path("content/figures.yaml"),
                        help="the figure registry whose meta-train params to record (default: content/figures.yaml)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"where to write the recording (default: MODELS/{OUT})")


def run(args: argparse.Namespace) -> int:
    if args.seconds <= 0:
        raise UserError("--seconds must be positive")
    if not (args.models / "manifest.json").exists():
        raise UserError(f"no manifest.json in {args.models}")
    if not args.figures.exists():
        raise UserError(f"no figure registry at {args.figures}")
    settings = figure_settings(args.figures)
    graphs = Graphs(args.models)
    runs = start_runs(graphs, settings)
    share_time(runs, args.seconds)
    data = recording(runs, settings, args.seconds)
    out = args.out or args.models / OUT
    out.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    for r in runs:
        print(f"{r.name:<10} {r.iteration:>6} meta-iterations in {r.seconds:6.1f} s,"
              f" held-out MSE after one step {r.evals[-1][3]:.3f}")
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    return 0
