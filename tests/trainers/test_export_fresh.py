"""Every committed graph is what the current code exports, byte for byte.

Fails when a step function changed and `article export` was not re-run, or when export stopped
being deterministic. Exporting all of them takes about six minutes on one core (the iMAML
meta-step alone about five: onnxscript's pattern rewriter is slow on its 4,000-node graph), more
than the suite's budget, so it runs on request: `make check-exports`. Every run of the suite
still checks every committed graph against torch numerically (test_export.py, which also checks a
few quick graphs byte for byte), so a stale graph fails there too.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from trainers import manifest as mf
from trainers.graphs import catalogue
from trainers.onnx_export import export_graph

MODELS = Path(__file__).resolve().parents[2] / "static" / "models"


pytestmark = pytest.mark.skipif(
    not os.environ.get("ARTICLE_EXPORT_CHECK"), reason="re-exports every graph (minutes): `make check-exports`"
)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(catalogue()))
def test_committed_graph_is_fresh(name, tmp_path):
    path = tmp_path / f"{name}.onnx"
    export_graph(catalogue()[name], path)
    assert mf.sha256(path) == mf.load(MODELS)["graphs"][name]["sha256"]
