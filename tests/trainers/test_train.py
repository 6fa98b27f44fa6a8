"""The training loop: it learns, it resumes exactly, it stops on divergence, it rejects bad input."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from trainers import checkpoint
from trainers.config import load_config
from trainers.errors import TrainingDiverged, UserError
from trainers.methods import METHODS
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
