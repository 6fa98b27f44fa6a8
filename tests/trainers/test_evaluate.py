"""The evaluation protocol: the numbers mean what the article says they mean."""
from __future__ import annotations

import argparse
import json

import pytest
import torch

from trainers import checkpoint
from trainers.errors import UserError
from trainers.evaluate import PROTOCOL, add_arguments, errors_per_step, protocol_tasks, run, summarise
from trainers.inner import sgd_step
from trainers.sinusoid import sinusoid
from trainers.sinusoid_mlp import forward, init_params

TINY = {**PROTOCOL, "tasks": 12, "steps": 3, "grid_points": 50}


def test_errors_follow_the_protocol_definition():
    params = init_params(1)
    errors = errors_per_step(params, TINY)
    assert set(errors) == {5, 10} and errors[5].shape == (4, 12)
    amplitude, phase, support_x = protocol_tasks(TINY)
    grid = torch.linspace(-5, 5, 50).reshape(-1, 1)
    t = 7
    truth = sinusoid(grid, amplitude[t], phase[t])
    x = support_x[t, :5]
    phi, _ = sgd_step(params, x, sinusoid(x, amplitude[t], phase[t]), 0.01)
    torch.testing.assert_close(errors[5][0, t], ((forward(params, grid) - truth) ** 2).mean())
    torch.testing.assert_close(errors[5][1, t], ((forward(phi, grid) - truth) ** 2).mean())
    # Step 0 does not depend on K: the same tasks, not yet adapted.
    torch.testing.assert_close(errors[5][0], errors[10][0])
    # The tasks are fixed by the protocol's seed.
    assert torch.equal(protocol_tasks(TINY)[2], support_x)


def test_summary_has_the_manifest_format():
    table = torch.tensor([[1.0, 3.0], [2.0, 2.0]])
    result = summarise({5: table, 10: table}, TINY)
    assert result["protocol"] == TINY
    assert result["K5"]["steps"] == [0, 1]
    assert result["K5"]["mean"] == [2.0, 2.0]
    assert result["K5"]["ci95"][1] == 0.0 and result["K5"]["ci95"][0] == pytest.approx(1.96 * 2**0.5 / 2**0.5)


def test_command_writes_json_and_markdown(tmp_path, monkeypatch):
    monkeypatch.setattr("trainers.evaluate.PROTOCOL", TINY)
    monkeypatch.setattr("trainers.evaluate.TABLE_STEPS", (0, 1, 3))
    for name in ("maml", "pretrained"):
        final = {"params": init_params(0), "train_seconds": 12.5, "method": name}
        checkpoint.save_atomic(final, tmp_path / "runs" / name / "final.pt")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out, table = tmp_path / "evaluation.json", tmp_path / "results.md"
    args = parser.parse_args(["--runs", str(tmp_path / "runs"), "--out", str(out), "--table", str(table)])
    monkeypatch.setattr("trainers.evaluate.errors_per_step", lambda params: errors_per_step(params, TINY))
    assert run(args) == 0
    results = json.loads(out.read_text())
    assert list(results) == ["pretrained", "maml"]  # registry order
    assert set(results["maml"]) == {"protocol", "K5", "K10"}
    text = table.read_text()
    assert "| maml | 5 |" in text and "| pretrained | 10 |" in text and "12 s" in text
    with pytest.raises(UserError, match="no trained model reptile: .*final.pt does not exist"):
        run(parser.parse_args(["reptile", "--runs", str(tmp_path / "runs"), "--out", str(out), "--table", str(table)]))


def test_a_model_evaluated_alone_keeps_the_others_training_times(tmp_path, monkeypatch):
    """Re-evaluating one model on a machine without the other runs: their rows stay, with the
    training times the exported manifest beside the results recorded."""
    monkeypatch.setattr("trainers.evaluate.PROTOCOL", TINY)
    monkeypatch.setattr("trainers.evaluate.TABLE_STEPS", (0, 1, 3))
    monkeypatch.setattr("trainers.evaluate.errors_per_step", lambda params: errors_per_step(params, TINY))
    checkpoint.save_atomic({"params": init_params(0), "train_seconds": 12.5, "method": "imaml"},
                           tmp_path / "runs" / "imaml" / "final.pt")
    models = tmp_path / "models"
    models.mkdir()
    earlier = summarise(errors_per_step(init_params(1), TINY), TINY)
    (models / "evaluation.json").write_text(json.dumps({"maml": earlier}))
    (models / "manifest.json").write_text(json.dumps({"models": {"maml": {"train_seconds": 140.3}}}))
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    table = tmp_path / "results.md"
    assert run(parser.parse_args(["imaml", "--runs", str(tmp_path / "runs"),
                                  "--out", str(models / "evaluation.json"), "--table", str(table)])) == 0
    assert list(json.loads((models / "evaluation.json").read_text())) == ["maml", "imaml"]
    text = table.read_text()
    assert "| maml | 5 |" in text and "140 s" in text and "12 s" in text
