"""The Omniglot classifier through the shared trainer: config, training, resume, evaluation, the
game's graphs and sprite sheets."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from trainers import checkpoint, manifest as mf
from trainers.config import load_config
from trainers.errors import UserError
from trainers.families import family_of
from trainers.graphs import omniglot as omniglot_graphs
from trainers.omniglot import convnet, evaluation as omniglot_eval, sprites as omniglot_sprites, tasks as omniglot
from trainers.train import CHECKPOINT, FINAL, train

MODELS = Path(__file__).resolve().parents[2] / "static" / "models"
# Small and quick: 8 channels, 2 tasks a batch, 3-way.
TINY = {"channels": 8, "meta_batch": 2, "ways": 3, "k_query": 2, "log_every": 5, "checkpoint_every": 10}


def _config(**overrides):
    return load_config("omniglot", overrides={**TINY, **overrides})


def test_the_shipped_config_is_second_order_maml_on_omniglot():
    config = load_config("omniglot")
    assert (config["method"], config["task"], config["k_support"]) == ("maml", "omniglot", 1)
    assert family_of(config).name == "omniglot" and family_of(load_config("maml")).name == "sinusoid"


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"method": "reptile"}, ["reptile cannot train the omniglot task", "maml, fomaml"]),
        ({"ways": 1}, ["ways", ">= 2"]),
        ({"task": "mnist"}, ["task", "sinusoid, omniglot"]),
    ],
)
def test_bad_omniglot_configs_are_user_errors(overrides, words):
    config = {**load_config("omniglot"), **overrides}
    with pytest.raises(UserError) as error:
        from trainers.config import validate

        validate(config)
    for word in words:
        assert word in str(error.value)


def test_family_keys_are_refused_for_the_sinusoids():
    with pytest.raises(UserError, match="unknown config key 'ways'"):
        load_config("maml", overrides={"ways": 5})
    assert "task" not in load_config("maml", overrides={"task": "sinusoid"})  # the default, written out


@pytest.mark.parametrize("method", ["maml", "fomaml"])
def test_a_short_run_does_not_blow_up_and_resumes_bitwise(method, tmp_path):
    config = _config(method=method, iterations=20)
    whole = train(config, tmp_path / "whole", compile=False, show_progress=False)
    assert whole.history[-1][1] < whole.history[0][1] * 1.2  # a few noisy steps: no blow-up
    train(config, tmp_path / "split", compile=False, show_progress=False, stop_after=10)
    assert not (tmp_path / "split" / FINAL).exists() and (tmp_path / "split" / CHECKPOINT).exists()
    resumed = train(config, tmp_path / "split", resume=True, compile=False, show_progress=False)
    for name, value in whole.params.items():
        assert torch.equal(value, resumed.params[name]), name
    assert set(whole.params) == set(convnet.PARAM_NAMES)


def test_evaluation_is_reproducible_and_scores_chance_before_training():
    final = {"params": convnet.init_params(0, 8), "config": _config()}
    protocol = {**omniglot_eval.PROTOCOL, "tasks": 12, "ways": [5]}
    first = omniglot_eval.evaluate_classifier(final, protocol)
    assert first == omniglot_eval.evaluate_classifier(final, protocol)
    accuracy = first["ways"]["5"]["accuracy"]
    assert 0.0 <= accuracy <= 1.0 and first["ways"]["5"]["tasks"] == 12
    # Only the zero head's first step separates the classes of an untrained body: above chance.
    assert accuracy > 0.2


def test_the_adaptation_graph_is_the_trainers_inner_loop():
    """omniglot_adapt runs trainers.inner.adapt with the native convolution's numbers."""
    spec = next(s for s in omniglot_graphs.graph_specs() if s.name == "omniglot_adapt")
    body = convnet.init_params(4, load_config("omniglot")["channels"])
    _, held = omniglot.split()
    episode = omniglot.sample_episodes(held, 1, 5, 1, 1, torch.Generator().manual_seed(5))
    inputs = {**body, "support_x": episode.support_x[0], "support_y": episode.support_y[0], "step_size": torch.tensor(0.1)}
    session = ort.InferenceSession(str(MODELS / "omniglot_adapt.onnx"), providers=["CPUExecutionProvider"])
    got = dict(zip(spec.outputs, session.run(list(spec.outputs), {k: v.numpy() for k, v in inputs.items()})))
    from trainers.inner import adapt

    want = adapt(convnet.with_head(body, 5), inputs["support_x"], inputs["support_y"], 0.1, 1,
                 convnet.forward, loss=convnet.class_summed_cross_entropy)
    for name, value in want.items():
        np.testing.assert_allclose(got[f"{name}_next"], value.detach().numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


def _decode_png_1bit(data: bytes) -> np.ndarray:
    """The inverse of omniglot_sprites.png_1bit for its own files (filter 0, one IDAT)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (1, 0)
    start = data.index(b"IDAT") + 4
    length = struct.unpack(">I", data[start - 8 : start - 4])[0]
    raw = np.frombuffer(zlib.decompress(data[start : start + length]), dtype=np.uint8)
    rows = raw.reshape(height, -1)
    assert (rows[:, 0] == 0).all()
    return 1 - np.unpackbits(rows[:, 1:], axis=1)[:, :width]


def test_sprite_sheets_hold_every_held_out_drawing_where_the_manifest_says():
    manifest = mf.load(MODELS)
    ink, (_, held) = omniglot.load_ink(), omniglot.split()
    names = omniglot_sprites.sheet_names()
    assert len(names) == 5
    for name in names:
        entry = manifest["data"][name]
        path = MODELS / entry["file"]
        assert mf.sha256(path) == entry["sha256"]
        sheet = _decode_png_1bit(path.read_bytes())
        tile, columns = entry["tile"], entry["columns"]
        for character in (0, 77, omniglot.HELD_OUT - 1):
            for local, drawing in enumerate(entry["drawings"]):
                t = character * len(entry["drawings"]) + local
                row, col = divmod(t, columns)
                cut = sheet[row * tile : (row + 1) * tile, col * tile : (col + 1) * tile]
                assert np.array_equal(cut, ink[held[character], drawing]), (name, character, drawing)
