"""The exported graphs, parameters and manifest in static/models, checked against torch.

The committed files are what the browser runs, so those are the ones checked: every graph of the
catalogue against the torch function it came from (Python onnxruntime, several dynamic shapes),
every file against its sha256 and signature in the manifest. Re-exporting a few quick graphs here
must reproduce the committed bytes exactly: export is deterministic across processes, and the
committed graphs are up to date (test_export_fresh.py does it for every graph, slowly).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from trainers import export, manifest as mf, toys
from trainers.errors import UserError
from trainers.graphs import catalogue, line
from trainers.onnx_export import GraphSpec, export_graph, signature
from trainers.sinusoid_mlp import PARAM_NAMES, init_params

MODELS = Path(__file__).resolve().parents[2] / "static" / "models"
CATALOGUE = catalogue()
# Three sizes per dynamic dimension, used together: case i takes the i-th size of each.
SIZES = {"K": (1, 3, 10), "N": (1, 7, 200), "T": (1, 2, 4), "G": (1, 5, 50), "Q": (1, 4, 15), "W": (2, 5, 20)}
QUICK = ("sinusoid_predict", "sinusoid_sgd_step", "line_landscape")


@pytest.fixture(scope="module")
def manifest() -> dict:
    loaded = mf.load(MODELS)
    assert loaded is not None, "static/models/manifest.json is missing: run `article export`"
    return loaded


def _inputs(spec: GraphSpec, case: int) -> dict[str, torch.Tensor]:
    """Example values for static inputs; fresh random values, resized per `case`, for dynamic ones."""
    gen = torch.Generator().manual_seed(100 + case)
    inputs = {}
    for name, example in spec.example_inputs.items():
        axes = spec.dynamic.get(name)
        if not axes:
            inputs[name] = example
            continue
        shape = [SIZES[axes[i]][case] if i in axes else n for i, n in enumerate(example.shape)]
        low, high = (0.0, 1.0) if name == "grid" else (-3.0, 3.0)
        inputs[name] = low + (high - low) * torch.rand(shape, generator=gen, dtype=example.dtype)
    return inputs


def test_every_graph_is_exported(manifest):
    assert sorted(manifest["graphs"]) == sorted(CATALOGUE)


def test_files_match_manifest(manifest):
    for name in mf.files(manifest):
        assert (MODELS / name).is_file(), name
    for name, entry in manifest["graphs"].items():
        path = MODELS / entry["file"]
        assert mf.sha256(path) == entry["sha256"], name
        assert signature(path) == {k: entry[k] for k in ("opset", "inputs", "outputs")}, name
        spec = CATALOGUE[name]
        assert [i["name"] for i in entry["inputs"]] == list(spec.inputs)
        assert [o["name"] for o in entry["outputs"]] == list(spec.outputs)
    for entry in [*manifest["models"].values(), *manifest["data"].values()]:
        record = entry.get("params", entry)
        assert mf.sha256(MODELS / record["file"]) == record["sha256"]
    assert manifest["schema"] == 1
    assert set(manifest["versions"]) == {"torch", "onnx", "onnxscript", "onnxruntime"}


@pytest.mark.parametrize("case", range(3))
@pytest.mark.parametrize("name", list(CATALOGUE))
def test_graph_matches_torch(name, case):
    spec = CATALOGUE[name]
    inputs = _inputs(spec, case)
    session = ort.InferenceSession(str(MODELS / f"{name}.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(list(spec.outputs), {k: v.numpy() for k, v in inputs.items()})
    want = spec.run_torch(inputs)
    for output, value in zip(spec.outputs, got):
        assert value.shape == tuple(want[output].shape), output
        np.testing.assert_allclose(value, want[output].numpy(), rtol=1e-5, atol=1e-5, err_msg=output)


@pytest.mark.parametrize("name", QUICK)
def test_fresh_export_reproduces_committed_bytes(name, manifest, tmp_path):
    path = tmp_path / f"{name}.onnx"
    export_graph(CATALOGUE[name], path)
    assert mf.sha256(path) == manifest["graphs"][name]["sha256"]


def test_params_round_trip(tmp_path):
    params = {name: p.numpy() for name, p in init_params(3).items()}
    layout = mf.write_params(params, tmp_path / "p.bin")
    assert (tmp_path / "p.bin").stat().st_size == 4 * 1761
    back = mf.read_params(tmp_path / "p.bin", layout)
    assert list(back) == list(PARAM_NAMES)
    for name in params:
        np.testing.assert_array_equal(back[name], params[name])


def test_models_load_and_predict(manifest):
    assert manifest["models"]["demo"]["method"] == "untrained-initialisation"
    assert "evaluation" not in manifest["models"]["demo"]
    demo = mf.read_params(MODELS / "demo.params.bin", manifest["models"]["demo"]["params"]["layout"])
    for name, p in init_params(export.DEMO_SEED).items():
        np.testing.assert_array_equal(demo[name], p.numpy())
    session = ort.InferenceSession(str(MODELS / "sinusoid_predict.onnx"), providers=["CPUExecutionProvider"])
    x = np.linspace(-5, 5, 9, dtype=np.float32)[:, None]
    for name, model in manifest["models"].items():
        if model["config"].get("task") == "omniglot":
            continue  # the classifier: tests/trainers/test_omniglot_training.py
        params = mf.read_params(MODELS / model["params"]["file"], model["params"]["layout"])
        assert [e["name"] for e in model["params"]["layout"]] == list(PARAM_NAMES), name
        (y,) = session.run(["y"], {**params, "x": x})
        assert y.shape == (9, 1) and np.isfinite(y).all(), name


def test_toys_json_matches_trainers(manifest):
    data = json.loads((MODELS / manifest["data"]["toys"]["file"]).read_text())
    maml = data["line"]["datasets"]["maml"]
    assert [(t["a"], t["b"]) for t in maml["tasks"]] == [(0.3, 0.05), (0.83, 0.75)]
    samples = toys.LINE_DATASETS["maml"].samples()
    for key, values in samples.items():
        committed = np.asarray(maml[key], dtype=np.float32)
        if key.startswith("x_"):  # drawn from a seeded generator: the same bits everywhere
            np.testing.assert_array_equal(committed, values.numpy())
        else:  # softplus's last bit depends on the CPU's vector maths: one ulp apart at most
            np.testing.assert_allclose(committed, values.numpy(), rtol=2.5e-7, atol=0)
        assert values.shape == (2, 25)


def _maml_inputs(theta: torch.Tensor) -> dict[str, torch.Tensor]:
    return {
        "theta": theta,
        **toys.LINE_DATASETS["maml"].samples(),
        "step_size": torch.tensor(0.8),
        "meta_step_size": torch.tensor(0.1),
    }


def test_line_maml_meta_gradient_is_the_gradient_of_the_meta_loss():
    """The graph's meta-gradient (MAML's, rescaled to the figure's summed loss) against torch.func."""
    theta = torch.tensor([0.2, 0.7])
    result = line.line_maml_step(_maml_inputs(theta))
    direct = torch.func.grad(lambda t: line.line_maml_step(_maml_inputs(t))["meta_loss"])(theta)
    torch.testing.assert_close(result["meta_gradient"], direct)
    # phi_i is one step on task i's own train loss.
    x, y = _maml_inputs(theta)["x_train"][1], _maml_inputs(theta)["y_train"][1]
    step = torch.func.grad(lambda t: toys.line_loss(toys.as_params(t), x, y))(theta)
    torch.testing.assert_close(result["phi"][1], theta - 0.8 * step)


def test_accumulated_loss_starts_at_the_sum_of_the_landscapes():
    data = toys.LINE_DATASETS["maml"].samples()
    grid = torch.rand(30, 2, generator=torch.Generator().manual_seed(0))
    accumulated = line.line_accumulated({"grid": grid, **data, "step_size": torch.tensor(0.5)})
    landscape = line.line_landscape({"grid": grid, "x": data["x_test"], "y": data["y_test"]})
    torch.testing.assert_close(accumulated["loss"][0], landscape["loss"].sum(0))
    assert accumulated["loss"].shape == (line.ACCUMULATED_STEPS + 1, 30)
    torch.testing.assert_close(accumulated["minimum"], grid[accumulated["loss"].argmin(1)])


def _args(**kwargs) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    export.add_arguments(parser)
    args = parser.parse_args([])
    for key, value in kwargs.items():
        setattr(args, key, value)
    return args


def test_cli_only_merges_evaluation_and_rejects_bad_names(tmp_path):
    out, runs = tmp_path / "models", tmp_path / "runs"
    out.mkdir()
    (out / "evaluation.json").write_text(json.dumps({"demo": {"K5": {}}}))
    assert export.run(_args(out=str(out), runs=str(runs), only=["sinusoid_predict", "demo", "toys"])) == 0
    written = mf.load(out)
    assert list(written["graphs"]) == ["sinusoid_predict"]
    assert list(written["models"]) == ["demo"] and "evaluation" not in written["models"]["demo"]
    assert (out / "manifest.json").read_text() == mf.dumps(written)
    with pytest.raises(UserError, match="nothing called"):
        export.run(_args(out=str(out), runs=str(runs), only=["no_such_graph"]))
    with pytest.raises(UserError, match="no trained model reptile"):
        export.run(_args(out=str(out), runs=str(runs), only=["reptile"]))


def test_line_reptile_update_interpolates_toward_the_adapted_parameters():
    data = toys.LINE_DATASETS["comparison"].samples()
    theta, eps = torch.tensor([0.9, 0.8]), 0.3
    inputs = {"theta": theta, "x": data["x_train"], "y": data["y_train"]}
    result = line.line_reptile_step({**inputs, "step_size": torch.tensor(0.7), "interpolation_rate": torch.tensor(eps)})
    path = result["path"]  # (T, k + 1, 2), starting at theta
    assert path.shape == (4, line.REPTILE_STEPS + 1, 2)
    torch.testing.assert_close(path[:, 0], theta.expand(4, 2))
    torch.testing.assert_close(result["theta_next"], theta + eps * (path[:, 1:].mean(0) - theta))


def test_measurements_survive_a_full_export_and_reach_the_manifest(tmp_path):
    """`article cost` / `cosine` write measurements.json (and the manifest); export merges it back."""
    out = tmp_path / "models"
    mf.write_measurement(out, "cosine", {"end": {"cosine": {"mean": 0.5}}})
    assert not (out / mf.MANIFEST).exists()  # no manifest yet: only the measurements file
    assert export.run(_args(out=str(out), runs=str(tmp_path / "runs"), only=["sinusoid_predict"])) == 0
    assert mf.load(out)["measurements"] == {"cosine": {"end": {"cosine": {"mean": 0.5}}}}
    mf.write_measurement(out, "cost", {"machine": {"cpu": "x"}})
    written = mf.load(out)
    assert sorted(written["measurements"]) == ["cosine", "cost"]
    assert written["graphs"]["sinusoid_predict"]  # the rest of the manifest is kept
    assert json.loads((out / mf.MEASUREMENTS).read_text()) == written["measurements"]


def test_an_export_that_does_not_compute_its_torch_function_is_refused(tmp_path):
    """The exporter's output is checked against torch on the example inputs (onnx_export.py)."""
    from trainers.onnx_export import ExportMismatch, check_against_torch

    double = GraphSpec("double", lambda t: {"y": 2 * t["x"]}, {"x": torch.rand(4, 3)}, ("y",), "2x", {"x": {0: "N"}})
    triple = GraphSpec("double", lambda t: {"y": 3 * t["x"]}, {"x": torch.rand(4, 3)}, ("y",), "3x", {"x": {0: "N"}})
    path = tmp_path / "double.onnx"
    export_graph(double, path)  # checks itself: passes
    with pytest.raises(ExportMismatch, match="graph double: output y"):
        check_against_torch(triple, path)
