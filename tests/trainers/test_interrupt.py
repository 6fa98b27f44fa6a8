"""Ctrl-C and SIGTERM during training: a checkpoint at a clean iteration, a message that says how to
go on, a resumed run equal bit for bit to an uninterrupted one; and no stale final.pt."""
from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import trainers.train as training
from sitegen.cli import main as article
from trainers import checkpoint, run_folder
from trainers.config import load_config
from trainers.errors import UserError
from trainers.interrupt import TrainingInterrupted
from trainers.progress import LOG_NAME
from trainers.train import CHECKPOINT, FINAL, train

ARTICLE = Path(sys.executable).parent / "article"
REPO = Path(__file__).resolve().parents[2]
# A run long enough to be stopped in the middle, short enough to finish in a second or two.
TINY = {"meta_batch": 4, "k_support": 5, "k_query": 5, "log_every": 5, "checkpoint_every": 1000}
SETTINGS = [word for key, value in TINY.items() for word in ("--set", f"{key}={value}")]
ITERATIONS = 80


def _tiny_config():
    return load_config("maml", overrides={**TINY, "iterations": ITERATIONS})


def _equal_params(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for name in a:
        assert torch.equal(a[name], b[name]), name


def _default_sigint() -> None:
    # A child of a shell that ignores SIGINT (a background job) would inherit the ignoring.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(out: Path, stderr: Path) -> subprocess.Popen:
    command = [str(ARTICLE), "train", "maml", *SETTINGS, "--iterations", str(ITERATIONS), "--out", str(out), "--no-compile"]
    with stderr.open("w") as handle:  # the child writes to its own copy of the file descriptor
        return subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=handle,
                                preexec_fn=_default_sigint)


def _stop_after_first_report(process: subprocess.Popen, log: Path, signum: int) -> None:
    """Send `signum` once the log says the run is past iteration 5 (its first report)."""
    deadline = time.monotonic() + 60
    while not (log.is_file() and "first report" in log.read_text()):
        assert process.poll() is None, "the run ended before its first report"
        assert time.monotonic() < deadline, "no first report within 60 s"
        time.sleep(0.02)
    process.send_signal(signum)
    process.wait(timeout=60)


def _stopped_run(tmp_path: Path, signum: int, exit_status: int) -> tuple[Path, str]:
    """Start a run, send `signum` after its first report; its folder and what it printed."""
    out, stderr = tmp_path / "run", tmp_path / "stderr.txt"
    process = _start(out, stderr)
    _stop_after_first_report(process, out / LOG_NAME, signum)
    said = stderr.read_text()
    assert process.returncode == exit_status, said
    return out, said


def test_ctrl_c_saves_says_how_to_go_on_and_the_resumed_run_is_bitwise_equal(tmp_path):
    out, said = _stopped_run(tmp_path, signal.SIGINT, exit_status=130)
    stopped = re.search(rf"maml: stopped by Ctrl-C \(SIGINT\) after iteration (\d+) of {ITERATIONS}; saved in (\S+)\n"
                        r"continue with: (.+)\n", said)
    assert stopped, said
    iteration = int(stopped[1])
    assert 5 <= iteration < ITERATIONS and Path(stopped[2]) == out / CHECKPOINT
    assert checkpoint.load(out / CHECKPOINT)["iteration"] == iteration
    assert not (out / FINAL).exists()
    assert f"stopped by Ctrl-C (SIGINT) after iteration {iteration} of {ITERATIONS}" in (out / LOG_NAME).read_text()
    assert "Traceback" not in said

    command = shlex.split(stopped[3])
    assert command[1:] == ["train", "maml", *SETTINGS, "--iterations", str(ITERATIONS), "--out", str(out), "--no-compile", "--resume"]
    resumed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming at iteration {iteration} of {ITERATIONS}" in (out / LOG_NAME).read_text()

    whole = train(_tiny_config(), tmp_path / "whole", compile=False, show_progress=False)
    final = checkpoint.load(out / FINAL)
    _equal_params(whole.params, final["params"])
    assert final["history"] == whole.history  # the losses around the stop are averaged as without it


def test_sigterm_saves_too_and_exits_143(tmp_path):
    out, said = _stopped_run(tmp_path, signal.SIGTERM, exit_status=143)
    stopped = re.search(rf"stopped by SIGTERM after iteration (\d+) of {ITERATIONS}", said)
    assert stopped and "--resume" in said, said
    assert checkpoint.load(out / CHECKPOINT)["iteration"] == int(stopped[1])
    assert stopped[0] in (out / LOG_NAME).read_text()


def _signal_inside_the_step(monkeypatch, at_iteration: int, times: int) -> None:
    """Make the step of iteration `at_iteration` (1-based) send SIGTERM `times` times to this
    process while it runs: a deterministic Ctrl-C in the middle of a meta-iteration."""
    make_step = training.make_step

    def make_signalling_step(config, compile):
        step, calls = make_step(config, compile), [0]

        def signalling_step(*args):
            calls[0] += 1
            result = step(*args)
            if calls[0] == at_iteration:
                for _ in range(times):
                    os.kill(os.getpid(), signal.SIGTERM)
            return result

        return signalling_step

    monkeypatch.setattr(training, "make_step", make_signalling_step)


@pytest.mark.parametrize("times, saved", [(1, 12), (2, 11)])
def test_one_signal_finishes_the_iteration_a_second_drops_it(monkeypatch, tmp_path, times, saved):
    config = load_config("reptile", overrides={**TINY, "iterations": 30, "inner_steps": 2})
    whole = train(config, tmp_path / "whole", compile=False, show_progress=False)
    usual = signal.getsignal(signal.SIGTERM)
    with monkeypatch.context() as patch:
        _signal_inside_the_step(patch, at_iteration=12, times=times)
        with pytest.raises(TrainingInterrupted) as stopped:
            train(config, tmp_path / "parts", compile=False, show_progress=False, continue_with="go on")
    assert stopped.value.iteration == saved and stopped.value.exit_code == 143
    assert ("the iteration under way was dropped" in str(stopped.value)) == (times == 2)
    assert checkpoint.load(tmp_path / "parts" / CHECKPOINT)["iteration"] == saved
    assert signal.getsignal(signal.SIGTERM) == usual  # the usual handler is back
    resumed = train(config, tmp_path / "parts", resume=True, compile=False, show_progress=False)
    _equal_params(whole.params, resumed.params)
    assert whole.history == resumed.history


def test_signals_while_the_checkpoint_is_written_do_not_cut_it(monkeypatch, tmp_path):
    config = load_config("maml", overrides={**TINY, "iterations": 20})
    save_atomic = checkpoint.save_atomic

    def save_under_fire(payload, path):
        for _ in range(2):  # Ctrl-C pressed again and again while saving
            os.kill(os.getpid(), signal.SIGTERM)
        save_atomic(payload, path)

    _signal_inside_the_step(monkeypatch, at_iteration=7, times=1)
    monkeypatch.setattr(training.checkpoint, "save_atomic", save_under_fire)
    with pytest.raises(TrainingInterrupted) as stopped:
        train(config, tmp_path, compile=False, show_progress=False)
    assert stopped.value.iteration == 7 and "dropped" not in str(stopped.value)
    assert checkpoint.load(tmp_path / CHECKPOINT)["iteration"] == 7
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_a_fresh_run_refuses_a_folder_that_holds_a_run(tmp_path):
    config = load_config("maml", overrides={**TINY, "iterations": 10, "checkpoint_every": 2})
    train(config, tmp_path, compile=False, show_progress=False)
    with pytest.raises(UserError, match="already holds a finished run .*final.pt.*--fresh"):
        train(config, tmp_path, compile=False, show_progress=False)
    # Replaced by a fresh run that dies before its first checkpoint: nothing of the old run is left
    # for evaluate or export to pick up.
    train(config, tmp_path, fresh=True, compile=False, show_progress=False, stop_after=1)
    assert not (tmp_path / FINAL).exists() and not (tmp_path / CHECKPOINT).exists()
    train(config, tmp_path, compile=False, show_progress=False, stop_after=5)
    with pytest.raises(UserError, match=r"holds an unfinished run \(.*checkpoint.pt at iteration 4 of 10\); "
                                        r"continue it with `article train maml --resume`"):
        train(config, tmp_path, compile=False, show_progress=False, continue_with="article train maml --resume")
    with pytest.raises(SystemExit):  # argparse refuses the pair
        article(["train", "maml", "--out", str(tmp_path), "--fresh", "--resume"])


def test_evaluate_and_export_say_which_model_is_missing_and_how_to_get_it(tmp_path, capsys):
    config = load_config("maml", overrides={**TINY, "iterations": 10, "checkpoint_every": 4})
    train(config, tmp_path / "maml", compile=False, show_progress=False, stop_after=9)
    for command in (["evaluate", "maml"], ["export", "--only", "maml", "--out", str(tmp_path / "models")]):
        assert article([*command, "--runs", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert f"no trained model maml: {tmp_path / 'maml' / FINAL} does not exist" in err, err
        assert "its run stopped at iteration 8 of 10" in err and "--resume" in err


def test_the_final_model_is_named_with_its_iterations_and_an_unfinished_continuation_is_flagged(tmp_path):
    config = load_config("maml", overrides={**TINY, "iterations": 6, "checkpoint_every": 2})
    train(config, tmp_path, compile=False, show_progress=False)
    final = run_folder.load_final(tmp_path, "maml")
    assert re.fullmatch(rf"{re.escape(str(tmp_path / FINAL))}, 6 iterations, \d+ s of training, written [0-9-]+ [0-9:]+",
                        run_folder.describe_final(tmp_path, final))
    longer = load_config("maml", overrides={**TINY, "iterations": 10, "checkpoint_every": 2})
    train(longer, tmp_path, resume=True, compile=False, show_progress=False, stop_after=9)
    assert "is at iteration 8 of 10, past it" in run_folder.describe_final(tmp_path, final)
