"""The training loop: it learns, it resumes exactly, it stops on divergence, it rejects bad input."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import torch

from trainers import checkpoint
from trainers.config import load_config
from trainers.errors import TrainingDiverged, UserError
from trainers.methods import METHODS
from trainers.progress import LOG_NAME, Progress
from sitegen.cli import main as article
from trainers.train import CHECKPOINT, FINAL, train

SMALL = {"meta_batch": 8, "log_every": 20, "checkpoint_every": 1000}
# Fewer inner steps keep the tests fast; Reptile needs a large rate to move in 100 iterations.
FAST_INNER = {"imaml": {"inner_steps": 2, "cg_steps": 3}, "reptile": {"inner_steps": 5, "inner_lr": 0.02, "outer_lr": 1.0}}


def _config(method: str, **overrides):
    return load_config(method, overrides={**SMALL, **FAST_INNER.get(method, {}), **overrides})


@pytest.mark.parametrize("method", list(METHODS))
def test_short_training_lowers_the_loss(method, tmp_path):
    config = _config(method, iterations=100)
    state = train(config, tmp_path, compile=False, show_progress=False)
    first, last = state.history[0][1], state.history[-1][1]
    assert last < 0.9 * first, state.history
    final = checkpoint.load(tmp_path / FINAL)
    assert final["iterations"] == 100 and final["method"] == method and final["seed"] == config["seed"]
    assert set(final) >= {"params", "config", "train_seconds", "torch"}


@pytest.mark.parametrize("method", ["maml", "reptile"])  # Adam state, and annealed interpolation
def test_interrupted_and_resumed_run_ends_bitwise_equal(method, tmp_path):
    config = _config(method, iterations=30, checkpoint_every=10, log_every=5)
    train(config, tmp_path / "whole", compile=False, show_progress=False)
    train(config, tmp_path / "parts", compile=False, show_progress=False, stop_after=25)
    assert not (tmp_path / "parts" / FINAL).exists()
    assert checkpoint.load(tmp_path / "parts" / CHECKPOINT)["iteration"] == 20
    train(config, tmp_path / "parts", resume=True, compile=False, show_progress=False)
    whole, parts = (checkpoint.load(tmp_path / d / FINAL) for d in ("whole", "parts"))
    for name in whole["params"]:
        assert torch.equal(whole["params"][name], parts["params"][name])
    assert whole["history"] == parts["history"]


def test_nan_guard_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    # Reptile with a huge, constant interpolation rate overshoots further at every step.
    config = _config("reptile", iterations=50, outer_lr=50.0, anneal="none", checkpoint_every=1, log_every=1)
    with pytest.raises(TrainingDiverged, match="NaN or infinite"):
        train(config, tmp_path, compile=False, show_progress=False)
    kept = checkpoint.load(tmp_path / CHECKPOINT)
    assert 1 <= kept["iteration"] < 50
    assert all(torch.isfinite(p).all() for p in kept["params"].values())
    assert not (tmp_path / FINAL).exists()


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"inner_stpes": 2}, ["inner_stpes", "allowed keys", "inner_steps"]),
        ({"inner_steps": 0}, ["inner_steps", "integer >= 1"]),
        ({"inner_steps": 1.5}, ["inner_steps", "integer"]),
        ({"outer_lr": "fast"}, ["outer_lr", "number > 0"]),
        ({"anneal": "cosine"}, ["anneal", "none, linear"]),
    ],
)
def test_bad_config_keys_and_values_are_user_errors(overrides, words):
    method = "reptile"
    with pytest.raises(UserError) as error:
        load_config(method, overrides=overrides)
    for word in words:
        assert word in str(error.value)


def test_keys_of_other_methods_and_unknown_methods_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="'inner_lr' for method pretrained"):
        load_config("pretrained", overrides={"inner_lr": 0.01})
    with pytest.raises(UserError, match="unknown method 'mamal'.*maml"):
        load_config("mamal")
    with pytest.raises(UserError, match="config file not found"):
        load_config("maml", tmp_path / "missing.yaml")
    with pytest.raises(UserError, match="no checkpoint"):
        train(_config("maml", iterations=2), tmp_path, resume=True, compile=False, show_progress=False)


def test_every_shipped_config_is_valid():
    for method in METHODS:
        assert load_config(method)["method"] == method


def test_command_line_reports_user_errors_without_traceback(tmp_path, capsys):
    assert article(["train", "maml", "--set", "inner_lr=-1", "--out", str(tmp_path)]) == 2
    assert article(["train", "maml", "--resume", "--out", str(tmp_path / "none"), "--no-compile"]) == 2
    err = capsys.readouterr().err
    assert "error: config key 'inner_lr'" in err and "error: no checkpoint" in err
    assert "Traceback" not in err
    assert article(["train", "fomaml", "--iterations", "3", "--set", "log_every=1", "--out", str(tmp_path / "ok"),
                 "--no-compile", "--quiet"]) == 0
    assert (Path(tmp_path) / "ok" / FINAL).is_file()


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_training_writes_readable_progress_lines_to_its_log(tmp_path):
    train(_config("maml", iterations=40), tmp_path, compile=False, show_progress=False)
    lines = (tmp_path / LOG_NAME).read_text().splitlines()
    assert "\r" not in "".join(lines) and "starting at iteration 0 of 40" in lines[0]
    assert re.search(r"first report after [0-9.]+ s \(20 iterations, warm-up and any compilation", lines[1]), lines
    # iteration, loss, rate and time left, the last line at the end of the run
    assert re.search(r" 100% 40/40 \[[0-9.]+it/s, loss=[0-9.]+, ETA 00:00\]$", lines[-1]), lines
    train(_config("maml", iterations=60), tmp_path, resume=True, compile=False, show_progress=False)
    assert "resuming at iteration 40 of 60" in (tmp_path / LOG_NAME).read_text()  # appended


def test_rate_and_time_left_are_measured_from_the_first_report(tmp_path):
    # The first iterations include torch.compile's compilation: the rate starts after them.
    progress = Progress(1000, "maml", tmp_path / LOG_NAME, show=False)
    progress.update(100, 0.75)
    base_time = progress.base[1]
    line = progress.line(200, 0.5, now=base_time + 2.0)
    assert "200/1000" in line and "50.00it/s" in line and "loss=0.5000" in line and "ETA 00:16" in line
    progress.close()


def test_a_bar_on_a_terminal_and_lines_elsewhere(tmp_path):
    terminal, pipe = FakeTerminal(), io.StringIO()
    for stream in (terminal, pipe):
        with Progress(100, "maml", stream=stream) as progress:
            progress.update(50, 0.25)
            progress.finish(100, 0.125)
    drawn = terminal.getvalue()  # redrawn in place; an ASCII bar, as a StringIO has no encoding
    assert drawn.startswith("\rmaml:") and "100%|##########| 100/100 [" in drawn and "loss=0.1250" in drawn
    lines = pipe.getvalue().splitlines()
    assert len(lines) == 3 and "first report" in lines[0] and "50/100" in lines[1] and "100/100" in lines[2]
    assert "|" not in pipe.getvalue()
    quiet = FakeTerminal()
    with Progress(100, "maml", stream=quiet, show=False) as progress:
        progress.update(50, 0.25)
        progress.finish(100, 0.125)
    assert quiet.getvalue() == ""


def test_a_diverged_run_says_so_in_its_log(tmp_path):
    config = _config("reptile", iterations=50, outer_lr=50.0, anneal="none", checkpoint_every=1, log_every=1)
    with pytest.raises(TrainingDiverged):
        train(config, tmp_path, compile=False, show_progress=False)
    assert "reptile: stopped: training diverged by iteration" in (tmp_path / LOG_NAME).read_text()
