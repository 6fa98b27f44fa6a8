"""trainers.budget: each model's meta-training budget, as the results table shows it."""
from __future__ import annotations

import json
from pathlib import Path

from trainers.budget import training_budget
from trainers.config import load_config

MODELS = Path(__file__).resolve().parents[2] / "static" / "models"


def _entry(name: str, seconds: float) -> dict:
    config = load_config(name)
    return {"method": config["method"], "config": config, "iterations": config["iterations"], "train_seconds": seconds}


def test_points_per_task_follow_what_each_update_reads():
    maml = training_budget(_entry("maml", 140.0))
    assert (maml["support_points"], maml["query_points"], maml["pooled"], maml["inner_steps"]) == (5, 10, False, 1)
    assert maml["tasks"] == 70000 * 25 and maml["ms_per_iteration"] == 2.0
    reptile = training_budget(_entry("reptile", 216.0))
    assert (reptile["support_points"], reptile["query_points"], reptile["inner_steps"]) == (10, 0, 10)
    pretrained = training_budget(_entry("pretrained", 117.0))
    assert (pretrained["support_points"], pretrained["query_points"], pretrained["pooled"]) == (10, 10, True)
    assert pretrained["inner_steps"] == 0
    imaml = training_budget(_entry("imaml", 60.0))
    assert (imaml["iterations"], imaml["support_points"], imaml["query_points"], imaml["inner_steps"]) == (15000, 5, 10, 10)


def test_untrained_models_have_no_budget():
    assert training_budget({"method": "untrained-initialisation", "config": {}, "iterations": 0, "train_seconds": 0.0}) is None


def test_the_manifest_carries_every_trained_models_budget():
    models = json.loads((MODELS / "manifest.json").read_text())["models"]
    for name, model in models.items():
        assert model.get("training") == training_budget(model), name
