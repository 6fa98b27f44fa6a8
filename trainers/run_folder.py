"""A run folder (`runs/<model>/`): what it holds, and how commands talk about it.

Training writes `checkpoint.pt` (the state to continue from) and, once the run reaches its last
iteration, `final.pt` (the trained model that `article evaluate` and `article export` read). A
fresh run never trains into a folder that already holds a run, so a `final.pt` there is always
the last finished run's, never an older one beside a newer, unfinished run.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from trainers import checkpoint
from trainers.errors import UserError

CHECKPOINT = "checkpoint.pt"
FINAL = "final.pt"


def _written(path: Path) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime))


def _checkpoint_iteration(run_dir: Path) -> tuple[int, int] | None:
    """(iteration, configured iterations) of the folder's checkpoint, or None if it has none
    or it cannot be read."""
    path = run_dir / CHECKPOINT
    if not path.is_file():
        return None
    try:
        payload = checkpoint.load(path)
    except UserError:
        return None
    return payload["iteration"], payload["config"]["iterations"]


def describe_final(run_dir: Path, final: dict[str, Any]) -> str:
    """Which model a command uses: the file, its iterations, training time and date; and a
    warning when the folder's checkpoint has gone past it (a continuation that did not finish)."""
    path = run_dir / FINAL
    iterations, seconds = final.get("iterations"), final.get("train_seconds")
    parts = [str(path)]
    if iterations is not None:
        parts.append(f"{iterations} iterations")
    if seconds is not None:
        parts.append(f"{seconds:.0f} s of training")
    text = ", ".join([*parts, f"written {_written(path)}"])
    progress = _checkpoint_iteration(run_dir)
    if progress is not None and iterations is not None and progress[0] > iterations:
        text += (f" (note: {run_dir / CHECKPOINT} is at iteration {progress[0]} of {progress[1]}, past it: "
                 "a continued run has not finished)")
    return text


def missing_final(run_dir: Path, name: str) -> str:
    """Why there is no trained model `name`, and what gives one."""
    progress = _checkpoint_iteration(run_dir)
    if progress is not None:
        return (f"no trained model {name}: {run_dir / FINAL} does not exist; its run stopped at iteration "
                f"{progress[0]} of {progress[1]} ({run_dir / CHECKPOINT}): finish it with "
                f"`article train {name} --resume` (plus the options it was started with)")
    return f"no trained model {name}: {run_dir / FINAL} does not exist (train it with `article train {name}`)"


def load_final(run_dir: Path, name: str) -> dict[str, Any]:
    """The trained model of a run folder, or a UserError that says how to get one."""
    if not (run_dir / FINAL).is_file():
        raise UserError(missing_final(run_dir, name))
    return checkpoint.load(run_dir / FINAL, what=f"trained model '{name}'")


def held_run(run_dir: Path) -> str | None:
    """What a run folder already holds, in words, or None if it holds no run."""
    final, ckpt = run_dir / FINAL, run_dir / CHECKPOINT
    if final.is_file():
        return f"a finished run ({final}, written {_written(final)})"
    if ckpt.is_file():
        progress = _checkpoint_iteration(run_dir)
        where = f"at iteration {progress[0]} of {progress[1]}" if progress else "that cannot be read"
        return f"an unfinished run ({ckpt} {where})"
    return None


def start_fresh(run_dir: Path, replace: bool, continue_with: str | None = None) -> None:
    """Before a fresh run: refuse a folder that holds a run, or, if `replace`, remove that run's
    final.pt and checkpoint.pt (train.log is appended to, so it keeps the folder's history).
    `continue_with` is the command that would continue the held run, for the message."""
    held = held_run(run_dir)
    if held is None:
        return
    if not replace:
        if (run_dir / FINAL).is_file():
            go_on = "train it further with --resume and a larger --iterations"
        else:
            go_on = f"continue it with `{continue_with}`" if continue_with else "continue it with --resume"
        raise UserError(
            f"{run_dir} already holds {held}; {go_on}, replace it with --fresh, or train into another "
            "folder with --out"
        )
    for stale in (run_dir / FINAL, run_dir / CHECKPOINT):
        stale.unlink(missing_ok=True)
