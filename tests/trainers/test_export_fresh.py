"""Every committed graph is what the current code exports, byte for byte (slow: exports them all).

Fails when a step function changed and `article export` was not re-run, or when export stopped
being deterministic. test_export.py checks a few quick graphs the same way on every run.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from trainers import graphs, manifest as mf
from trainers.onnx_export import export_graph

MODELS = Path(__file__).resolve().parents[2] / "static" / "models"


@pytest.mark.slow
@pytest.mark.parametrize("name", list(graphs.catalogue()))
def test_committed_graph_is_fresh(name, tmp_path):
    path = tmp_path / f"{name}.onnx"
    export_graph(graphs.catalogue()[name], path)
    assert mf.sha256(path) == mf.load(MODELS)["graphs"][name]["sha256"]
