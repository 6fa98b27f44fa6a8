"""`article cost`, tiny: k = 1, 2, few repetitions, every method, each in its own process.

Time on a shared machine is noisy, so the assertions that could fail lean on memory (the tensor
peak is deterministic) and on gaps of an order of magnitude.
"""
from __future__ import annotations

import argparse
import json

import pytest

from trainers import cost, manifest as mf

pytestmark = pytest.mark.slow  # eight fresh processes that each import torch


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[dict, dict]:
    """The command's output for k = 1, 2, in a folder that also holds a manifest (to be merged)."""
    models = tmp_path_factory.mktemp("models")
    mf.write(models, mf.empty())
    parser = argparse.ArgumentParser()
    cost.add_arguments(parser)
    args = parser.parse_args(
        ["--models", str(models), "--steps", "2", "1", "--repeats", "3", "--warmup", "1", "--memory-repeats", "2"]
    )
    assert cost.run(args) == 0
    return json.loads((models / mf.MEASUREMENTS).read_text()), mf.load(models)


def _at(result: dict, method: str, steps: int) -> dict:
    return result["methods"][method]["steps"][str(steps)]


def test_schema_and_the_manifest_copy(tiny):
    measurements, manifest = tiny
    assert manifest["measurements"] == measurements
    result = measurements["cost"]
    assert set(result["machine"]) >= {"cpu", "cores", "threads", "torch", "date"}
    assert result["machine"]["threads"] == 1
    assert result["protocol"]["inner_steps"] == [1, 2]
    assert (result["protocol"]["tasks"], result["protocol"]["support"], result["protocol"]["query"]) == (25, 10, 10)
    assert set(result["methods"]) == set(cost.METHOD_NAMES)
    for method, entry in result["methods"].items():
        assert sorted(entry["steps"]) == ["1", "2"], method
        for at in entry["steps"].values():
            time_ms, memory = at["time_ms"], at["memory_mib"]
            assert 0 < time_ms["q1"] <= time_ms["median"] <= time_ms["q3"] and time_ms["runs"] == 3
            assert memory["tensors"] > 0 and memory["rss"] >= 0
    assert result["methods"]["imaml"]["hyperparams"]["cg_steps"] == 5


def test_maml_memory_grows_with_k_and_the_others_barely(tiny):
    result = tiny[0]["cost"]
    growth = {m: _at(result, m, 2)["memory_mib"]["tensors"] - _at(result, m, 1)["memory_mib"]["tensors"] for m in cost.METHOD_NAMES}
    # MAML keeps every inner step's activations for the backward pass through it: about 0.6 MiB a step.
    assert growth["maml"] > 0.3
    for method in ("fomaml", "reptile", "imaml"):
        assert growth[method] < 0.5 * growth["maml"], (method, growth)
    assert _at(result, "fomaml", 2)["memory_mib"]["tensors"] < _at(result, "maml", 2)["memory_mib"]["tensors"]
    # The operating system sees it too (resident memory is noisier: a wide margin).
    assert _at(result, "maml", 2)["memory_mib"]["rss"] > _at(result, "maml", 1)["memory_mib"]["rss"]


def test_reptile_is_much_cheaper_than_imaml(tiny):
    result = tiny[0]["cost"]
    for steps in (1, 2):  # iMAML's five CG steps are Hessian-vector products: ~10x Reptile's k steps
        assert _at(result, "reptile", steps)["time_ms"]["median"] < _at(result, "imaml", steps)["time_ms"]["median"]


def test_peak_tensor_bytes_sees_a_temporary():
    import torch

    def allocate() -> None:
        big = torch.empty(1_000_000, dtype=torch.float32)  # 4 MB, freed at once
        del big

    assert 4_000_000 <= cost._peak_tensor_bytes(allocate) < 4_200_000
