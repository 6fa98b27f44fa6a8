"""Python onnxruntime access to the exported graphs and parameter files (no torch).

The same graphs run in the browser; fallback pictures drawn from them therefore show exactly
what the live figure shows in its initial state.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np


def read_manifest(models_dir: Path) -> dict:
    return json.loads((models_dir / "manifest.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=32)
def _session(path: str, mtime_ns: int):
    import onnxruntime as ort  # heavy import, only when a fallback actually runs a graph

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def session(models_dir: Path, graph: str):
    """An InferenceSession for manifest graph `graph` (cached by file and mtime)."""
    entry = read_manifest(models_dir)["graphs"][graph]
    path = models_dir / entry["file"]
    return _session(str(path), path.stat().st_mtime_ns)


def load_params(models_dir: Path, model: str) -> dict[str, np.ndarray]:
    """A model's parameters by name, from its little-endian float32 file and layout."""
    entry = read_manifest(models_dir)["models"][model]["params"]
    flat = np.fromfile(models_dir / entry["file"], dtype="<f4")
    params = {}
    for item in entry["layout"]:
        size = int(np.prod(item["shape"])) if item["shape"] else 1
        start = item["offset"]
        params[item["name"]] = flat[start:start + size].reshape(item["shape"]).astype(np.float32)
    return params


def run(models_dir: Path, graph: str, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Run `graph` with the inputs it declares (extra feeds are ignored)."""
    sess = session(models_dir, graph)
    names = {i.name for i in sess.get_inputs()}
    return sess.run(None, {k: v for k, v in feeds.items() if k in names})
