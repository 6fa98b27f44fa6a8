"""`article cosine`: the cosine between first-order and exact MAML meta-gradients."""
from __future__ import annotations

import math

import pytest
import torch

from trainers import cosine
from trainers.methods import HyperParams
from trainers.sinusoid_mlp import init_params

from measurement_runs import measure_on_a_copy

CONFIG = {"meta_batch": 4, "k_support": 5, "k_query": 6}


def test_cosine_is_one_without_curvature_and_below_one_with_it():
    params, batch = init_params(0), cosine.fixed_batches(CONFIG, 1)[0]
    # With a zero step the adapted parameters are theta itself, and both gradients coincide.
    same, ratio = cosine.gradient_agreement(params, batch, HyperParams(inner_lr=0.0, inner_steps=1))
    assert same == pytest.approx(1.0, abs=1e-6) and ratio == pytest.approx(1.0, abs=1e-6)
    # A large step makes I - alpha H far from I: the directions part.
    apart, _ = cosine.gradient_agreement(params, batch, HyperParams(inner_lr=0.5, inner_steps=3))
    assert apart < 0.99


def test_batches_are_fixed_by_the_seed():
    first, second = cosine.fixed_batches(CONFIG, 3), cosine.fixed_batches(CONFIG, 3)
    for a, b in zip(first, second):
        assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(first[0].support_x, first[1].support_x)


def test_summary_statistics():
    params = init_params(1)
    batches = cosine.fixed_batches(CONFIG, 4)
    hp = HyperParams(inner_lr=0.05, inner_steps=2)
    result = cosine.agreement_over(params, batches, hp)
    values = torch.tensor([cosine.gradient_agreement(params, b, hp)[0] for b in batches], dtype=torch.float64)
    assert result["batches"] == 4
    assert result["cosine"]["mean"] == pytest.approx(float(values.mean()), abs=1e-6)
    assert result["cosine"]["ci95"] == pytest.approx(1.96 * float(values.std()) / math.sqrt(4), abs=1e-6)
    assert result["cosine"]["min"] <= result["cosine"]["mean"] <= result["cosine"]["max"] <= 1.0


def test_command_measures_the_committed_maml_run(tmp_path):
    written = measure_on_a_copy(cosine, "cosine", tmp_path, "--batches", "6")
    protocol = written["protocol"]
    assert (protocol["batches"], protocol["tasks"], protocol["support"], protocol["inner_lr"]) == (6, 25, 5, 0.01)
    for when in ("start", "end"):
        assert written[when]["batches"] == 6
        assert -1.0 <= written[when]["cosine"]["mean"] <= 1.0
    # At the initialisation one step of 0.01 barely bends the gradient.
    assert written["start"]["cosine"]["mean"] > 0.95
