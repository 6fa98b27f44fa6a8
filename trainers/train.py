"""`article train MODEL`: meta-train a config's network (the sinusoid regressor, or the Omniglot
classifier when its `task` is omniglot) with one of the methods.

The loop is deliberately thin: it draws a meta-batch from a seeded generator, calls the pure
`meta_iteration` (compiled with torch.compile unless --no-compile), and every `log_every`
iterations checks that loss and parameters are finite. Everything that decides the run's future
(parameters, Adam state, the generator's state, the iteration, the loss summed since the last
report) goes into the checkpoint, so a resumed run continues exactly where it stopped. Ctrl-C or
SIGTERM stops the run between two iterations, saves a checkpoint there and prints the command
that continues it (trainers.interrupt).
"""
from __future__ import annotations

import argparse
import math
import shlex
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch

from trainers import checkpoint, run_folder
from trainers.config import Config, config_names, hyperparams, load_config, parse_override
from trainers.errors import TrainingDiverged, UserError
from trainers.families import family_of
from trainers.interrupt import IterationDropped, StopSignals, TrainingInterrupted, signal_name
from trainers.methods import METHODS, TaskBatch, meta_iteration
from trainers.params import Params
from trainers.optim import AdamState, adam_init
from trainers.progress import LOG_NAME, Progress
from trainers.run_folder import CHECKPOINT, FINAL

# Config keys that say when to report, when to checkpoint and where the run ends: a resumed run may
# change them, since the parameters after a given iteration do not depend on them.
SCHEDULE_KEYS = ("iterations", "log_every", "checkpoint_every")


@dataclass
class TrainState:
    """Everything a run needs to continue: restored bit for bit by --resume."""

    params: Params
    opt_state: AdamState
    generator: torch.Generator
    iteration: int = 0
    elapsed: float = 0.0  # seconds of training so far, over all sessions
    history: list[tuple[int, float]] = field(default_factory=list)  # (iteration, mean loss)
    # The meta-losses since the last report, summed, and how many: an interrupt can save between
    # two reports, and the resumed run's next report must average the same losses.
    unreported_loss: torch.Tensor = field(default_factory=lambda: torch.zeros(()))
    unreported: int = 0

    def payload(self, config: Config) -> dict[str, Any]:
        return {
            "params": {k: v.detach().cpu() for k, v in self.params.items()},
            "opt_state": {
                "m": {k: v.cpu() for k, v in self.opt_state.m.items()},
                "v": {k: v.cpu() for k, v in self.opt_state.v.items()},
                "t": self.opt_state.t.cpu(),
            },
            "generator": self.generator.get_state(),
            "iteration": self.iteration,
            "elapsed": self.elapsed,
            "history": list(self.history),
            "unreported_loss": self.unreported_loss.detach().cpu(),
            "unreported": self.unreported,
            "config": dict(config),
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any], device: torch.device) -> "TrainState":
        on = lambda tensors: {k: v.to(device) for k, v in tensors.items()}  # noqa: E731
        opt = payload["opt_state"]
        generator = torch.Generator()
        generator.set_state(payload["generator"])
        return cls(
            params=on(payload["params"]),
            opt_state=AdamState(m=on(opt["m"]), v=on(opt["v"]), t=opt["t"].to(device)),
            generator=generator,
            iteration=payload["iteration"],
            elapsed=payload["elapsed"],
            history=[tuple(entry) for entry in payload["history"]],
            unreported_loss=payload.get("unreported_loss", torch.zeros(())).to(device),
            unreported=payload.get("unreported", 0),
        )


def fresh_state(config: Config, device: torch.device) -> TrainState:
    """Initial parameters from the seed; tasks from a generator seeded with the same seed."""
    params = {k: v.to(device) for k, v in family_of(config).init_params(config).items()}
    return TrainState(params, adam_init(params), torch.Generator().manual_seed(config["seed"]),
                      unreported_loss=torch.zeros((), device=device))


def outer_rate(config: Config, iteration: int) -> float:
    """The outer learning rate (Reptile: epsilon) at an iteration, with optional linear annealing."""
    if config.get("anneal") == "linear":
        return config["outer_lr"] * (1 - iteration / config["iterations"])
    return config["outer_lr"]


StepFn = Callable[[Params, AdamState, TaskBatch, torch.Tensor], tuple[Params, AdamState, Any]]


def make_step(config: Config, compile: bool) -> StepFn:
    """The meta-iteration with method and hyperparameters fixed; compiled once if asked."""
    method, hp = METHODS[config["method"]], hyperparams(config)
    options = family_of(config).options(config)

    def step(params: Params, opt_state: AdamState, batch: TaskBatch, outer_lr: torch.Tensor):
        return meta_iteration(method, params, opt_state, batch, hp, outer_lr, **options)

    return torch.compile(step, dynamic=False) if compile else step


def _finite(params: Params, loss_sum: torch.Tensor) -> bool:
    return bool(torch.isfinite(loss_sum)) and all(bool(torch.isfinite(p).all()) for p in params.values())


def _resumed_state(config: Config, ckpt_path: Path, device: torch.device) -> TrainState:
    payload = checkpoint.load(ckpt_path)
    saved = {k: v for k, v in payload["config"].items() if k not in SCHEDULE_KEYS}
    if saved != {k: v for k, v in config.items() if k not in SCHEDULE_KEYS}:
        raise UserError(f"--resume: the config differs from the one in {ckpt_path}")
    return TrainState.from_payload(payload, device)


def _diverged(config: Config, iteration: int, ckpt_path: Path, last_good: int | None) -> TrainingDiverged:
    where = f"the last good checkpoint is {ckpt_path} (iteration {last_good})" if last_good else "no checkpoint was written"
    return TrainingDiverged(
        f"training diverged by iteration {iteration}: the loss or the parameters became "
        f"NaN or infinite (outer_lr {config['outer_lr']}); {where}"
    )


def _interrupted(label: str, config: Config, state: TrainState, stop: StopSignals, ckpt_path: Path,
                 continue_with: str | None) -> TrainingInterrupted:
    assert stop.received is not None
    dropped = "; the iteration under way was dropped" if stop.dropped else ""
    how = f"continue with: {continue_with}" if continue_with else "continue it with --resume"
    return TrainingInterrupted(
        f"{label}: stopped by {signal_name(stop.received)} after iteration {state.iteration} "
        f"of {config['iterations']}{dropped}; saved in {ckpt_path}\n{how}",
        stop.received, state.iteration,
    )


def train(
    config: Config,
    out_dir: Path,
    *,
    resume: bool = False,
    fresh: bool = False,
    device: str = "cpu",
    compile: bool = True,
    stop_after: int | None = None,
    show_progress: bool = True,
    continue_with: str | None = None,
    label: str | None = None,
) -> TrainState:
    """Train per `config`, checkpointing into `out_dir`; write final.pt at the end.

    A fresh run (not `resume`) refuses a folder that already holds a run, unless `fresh`, which
    removes that run's final.pt and checkpoint.pt first.

    Progress goes to `out_dir`/train.log, and to stderr (a bar on a terminal) unless `show_progress`
    is False.

    Ctrl-C or SIGTERM saves a checkpoint after the last finished iteration and raises
    TrainingInterrupted, whose message (also in the log and on stderr) ends with `continue_with`,
    the command that continues the run.

    `label` names the run in progress lines and messages (default: the method).

    `stop_after` ends the session early after that many iterations in total (it simulates a crash
    in tests: what is on disk is the last periodic checkpoint, exactly as after a crash).
    """
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda: no CUDA device is available here (use --device cpu)")
    ckpt_path = out_dir / CHECKPOINT
    if resume:
        state = _resumed_state(config, ckpt_path, dev)
    else:
        run_folder.start_fresh(out_dir, replace=fresh, continue_with=continue_with)
        state = fresh_state(config, dev)

    family = family_of(config)
    step = make_step(config, compile)
    total = config["iterations"] if stop_after is None else min(stop_after, config["iterations"])
    log_every, checkpoint_every = config["log_every"], config["checkpoint_every"]
    session_start = time.perf_counter()
    elapsed_before = state.elapsed
    last_good = state.iteration if resume else None
    label = label or config["method"]

    progress = Progress(config["iterations"], label, out_dir / LOG_NAME, show=show_progress,
                        first_iteration=state.iteration)
    with StopSignals(label) as stop, progress:
        progress.note(
            f"{label}: {'resuming at' if resume else 'starting at'} iteration {state.iteration} "
            f"of {config['iterations']}, device {dev.type}, torch.compile {'on' if compile else 'off'}"
        )
        while state.iteration < total and stop.received is None:
            generator_before = state.generator.get_state()
            try:
                with stop.droppable():
                    tasks = TaskBatch(*(t.to(dev) for t in family.sample(config, state.generator)))
                    rate = torch.tensor(outer_rate(config, state.iteration), device=dev)
                    params, opt_state, out = step(state.params, state.opt_state, tasks, rate)
            except IterationDropped:
                state.generator.set_state(generator_before)  # as if the dropped batch was never drawn
                break
            loss_sum, count = state.unreported_loss + out.loss.detach(), state.unreported + 1
            iteration = state.iteration + 1
            # Schedules follow the configured run, not `stop_after`: an early stop leaves on disk
            # exactly what a crash at that point would.
            due_log = iteration % log_every == 0 or iteration == config["iterations"]
            due_checkpoint = iteration % checkpoint_every == 0 or iteration == config["iterations"]
            if (due_log or due_checkpoint) and not _finite(params, loss_sum):
                raise _diverged(config, iteration, ckpt_path, last_good)
            state.params, state.opt_state, state.iteration = params, opt_state, iteration
            state.unreported_loss, state.unreported = loss_sum, count
            state.elapsed = elapsed_before + time.perf_counter() - session_start
            if due_log:
                mean_loss = float(loss_sum) / count
                state.history.append((iteration, mean_loss))
                progress.update(iteration, mean_loss)
                state.unreported_loss, state.unreported = torch.zeros((), device=dev), 0
            if due_checkpoint:
                checkpoint.save_atomic(state.payload(config), ckpt_path)
                last_good = iteration
        if stop.received is not None and state.iteration < config["iterations"]:
            # Only finite states are saved: one that went bad since the last check stays a divergence.
            if not _finite(state.params, state.unreported_loss):
                raise _diverged(config, state.iteration, ckpt_path, last_good)
            checkpoint.save_atomic(state.payload(config), ckpt_path)
            raise _interrupted(label, config, state, stop, ckpt_path, continue_with)
        progress.finish(state.iteration, state.history[-1][1] if state.history else math.nan)
        if state.iteration == config["iterations"]:
            write_final(state, config, out_dir)  # with the signals held, so a Ctrl-C now cannot cut it
    return state


def write_final(state: TrainState, config: Config, out_dir: Path) -> Path:
    path = out_dir / FINAL
    checkpoint.save_atomic(
        {
            "method": config["method"],
            "params": {k: v.detach().cpu() for k, v in state.params.items()},
            "config": dict(config),
            "seed": config["seed"],
            "iterations": state.iteration,
            "train_seconds": round(state.elapsed, 2),
            "history": list(state.history),
            "torch": str(torch.__version__),
        },
        path,
    )
    return path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("method", metavar="MODEL", help="a method or a config of trainers/configs/: " + ", ".join(config_names()))
    parser.add_argument("--config", help="a YAML config file (default: trainers/configs/MODEL.yaml)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key")
    parser.add_argument("--iterations", type=int, help="override the number of meta-iterations")
    parser.add_argument("--seed", type=int, help="override the seed")
    parser.add_argument("--out", help="output folder (default: runs/MODEL)")
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--resume", action="store_true",
                       help="continue from OUT/checkpoint.pt (written every checkpoint_every iterations, and on Ctrl-C or SIGTERM)")
    start.add_argument("--fresh", action="store_true",
                       help="start afresh even if OUT holds a run, removing its final.pt and checkpoint.pt")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--no-compile", action="store_true", help="run eagerly (tests, debugging)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar on stderr (OUT/train.log is still written)")


def _program() -> str:
    """How to call `article` again: as typed when it was run by a path that is not the one on PATH."""
    typed = sys.argv[0] if sys.argv else ""
    if Path(typed).name != "article":
        return "article"  # run in-process or with python -m
    on_path = shutil.which("article")
    if on_path and Path(on_path).resolve() == Path(typed).resolve():
        return "article"
    return typed


def resume_command(args: argparse.Namespace) -> str:
    """The command line that continues this run: the same options, --resume instead of --fresh."""
    words = [_program(), "train", args.method]
    if args.config:
        words += ["--config", args.config]
    for text in args.set:
        words += ["--set", text]
    if args.iterations is not None:
        words += ["--iterations", str(args.iterations)]
    if args.seed is not None:
        words += ["--seed", str(args.seed)]
    if args.out:
        words += ["--out", args.out]
    if args.device != "cpu":
        words += ["--device", args.device]
    if args.no_compile:
        words.append("--no-compile")
    if args.threads != 1:
        words += ["--threads", str(args.threads)]
    if args.quiet:
        words.append("--quiet")
    return shlex.join([*words, "--resume"])


def run(args: argparse.Namespace) -> int:
    overrides = dict(parse_override(text) for text in args.set)
    if args.iterations is not None:
        overrides["iterations"] = args.iterations
    if args.seed is not None:
        overrides["seed"] = args.seed
    config = load_config(args.method, args.config, overrides)
    torch.set_num_threads(max(args.threads, 1))
    out_dir = Path(args.out or f"runs/{args.method}")
    try:
        state = train(
            config,
            out_dir,
            resume=args.resume,
            fresh=args.fresh,
            device=args.device,
            compile=not args.no_compile,
            show_progress=not args.quiet,
            continue_with=resume_command(args),
            label=args.method,
        )
    except TrainingInterrupted as stopped:
        return stopped.exit_code  # the message is on stderr and in the log already
    final_loss = state.history[-1][1] if state.history else math.nan
    print(
        f"{args.method}: {state.iteration} iterations in {state.elapsed:.1f} s, "
        f"final loss {final_loss:.4f} -> {out_dir / FINAL}",
        file=sys.stderr,
    )
    return 0
