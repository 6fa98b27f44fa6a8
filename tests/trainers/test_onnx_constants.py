"""export_graph refuses a graph from which the exporter dropped a small constant of the function."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch
from torch.fx.experimental.proxy_tensor import make_fx

from trainers.onnx_constants import FoldedConstant, traced_small_constants
from trainers.onnx_export import GraphSpec, export_graph


def _spec(fn) -> GraphSpec:
    x = torch.rand(5, generator=torch.Generator().manual_seed(0)) + 0.5
    return GraphSpec(name="tiny", fn=fn, example_inputs={"x": x}, outputs=("y",), description="", dynamic={"x": {0: "N"}})


def test_an_eps_the_exporter_folds_away_is_refused_before_the_file_is_written(tmp_path):
    # The Adam bug: sqrt(v) + eps with eps a Python number. On these inputs the graph without eps
    # agrees with torch to float32 rounding, so only the structural check can see the loss.
    spec = _spec(lambda inputs: {"y": 1.0 / (torch.sqrt(inputs["x"]) + 1e-8)})
    path = tmp_path / "tiny.onnx"
    with pytest.raises(FoldedConstant, match=r"graph tiny: the exporter dropped the constant\(s\) 1e-08"):
        export_graph(spec, path)
    assert not path.exists()


def test_the_same_eps_as_a_one_element_tensor_survives(tmp_path):
    spec = _spec(lambda inputs: {"y": 1.0 / (torch.sqrt(inputs["x"]) + torch.tensor([1e-8]))})
    path = tmp_path / "tiny.onnx"
    export_graph(spec, path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (y,) = session.run(["y"], {"x": np.zeros(3, dtype=np.float32)})
    np.testing.assert_allclose(y, np.float32(1e8))  # 1 / eps, not 1 / 0


def test_small_constants_are_found_in_arguments_and_small_tensors_but_not_in_dead_code():
    def fn(x: torch.Tensor) -> torch.Tensor:
        unused = x * 3e-7  # noqa: F841 (traced, but no output depends on it)
        return torch.clamp(x, min=1e-30) * 2e-6 + torch.tensor([4e-9]) + 0.5

    traced = make_fx(fn)(torch.rand(3))
    assert sorted(traced_small_constants(traced)) == pytest.approx([1e-30, 4e-9, 2e-6], rel=1e-6, abs=0)
