"""static/models/manifest.json and the parameter files it describes (schema: README.md, "What static/models/manifest.json holds").

No torch here: parameters are written and read as numpy arrays, so the site build and the tests
can read them without the trainers' dependencies. Everything is written deterministically (sorted
keys, no timestamps): re-exporting unchanged models and graphs leaves the bytes as they were.
"""
from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Mapping

import numpy as np

SCHEMA = 1
MANIFEST = "manifest.json"
# What `article cost` and `article cosine` measured, by key; `article export` merges it into the
# manifest's `measurements`, as it merges evaluation.json into the models.
MEASUREMENTS = "measurements.json"
# Little-endian float32, parameters back to back in layout order; offsets count floats.
PARAMS_DTYPE = np.dtype("<f4")
VERSIONED_PACKAGES = ("torch", "onnx", "onnxscript", "onnxruntime")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def versions() -> dict[str, str]:
    """Versions of the packages that produced the graphs (installed distributions)."""
    return {name: metadata.version(name) for name in VERSIONED_PACKAGES}


def write_params(params: Mapping[str, np.ndarray], path: Path) -> list[dict]:
    """Write `params` (in their order) as one float32 little-endian file; return the layout."""
    layout, chunks, offset = [], [], 0
    for name, value in params.items():
        array = np.ascontiguousarray(value, dtype=PARAMS_DTYPE)
        layout.append({"name": name, "shape": list(array.shape), "offset": offset})
        chunks.append(array.tobytes())
        offset += array.size
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(chunks))
    return layout


def read_params(path: Path, layout: list[dict]) -> dict[str, np.ndarray]:
    """The inverse of `write_params`: name -> float32 array, shaped per the layout."""
    flat = np.frombuffer(path.read_bytes(), dtype=PARAMS_DTYPE)
    params = {}
    for entry in layout:
        size = int(np.prod(entry["shape"], dtype=np.int64))
        chunk = flat[entry["offset"] : entry["offset"] + size]
        if chunk.size != size:
            raise ValueError(f"{path} is too short for parameter {entry['name']}")
        params[entry["name"]] = chunk.reshape(entry["shape"]).astype(np.float32)
    return params


def file_entry(path: Path) -> dict:
    return {"file": path.name, "sha256": sha256(path)}


def empty() -> dict:
    return {"schema": SCHEMA, "versions": versions(), "graphs": {}, "models": {}, "data": {}}


def load(directory: Path) -> dict | None:
    path = directory / MANIFEST
    return json.loads(path.read_text()) if path.is_file() else None


def dumps(manifest: dict) -> str:
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(directory: Path, manifest: dict) -> Path:
    path = directory / MANIFEST
    path.write_text(dumps(manifest))
    return path


def load_measurements(directory: Path) -> dict:
    path = directory / MEASUREMENTS
    return json.loads(path.read_text()) if path.is_file() else {}


def write_measurement(directory: Path, key: str, value: dict) -> list[Path]:
    """Store `value` as measurements.<key>: in measurements.json, and in the manifest beside it
    when there is one (so prose can quote it without a re-export). Returns the files written."""
    measurements = {**load_measurements(directory), key: value}
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / MEASUREMENTS
    path.write_text(dumps(measurements))
    written = [path]
    manifest = load(directory)
    if manifest is not None:
        manifest["measurements"] = measurements
        written.append(write(directory, manifest))
    return written


def files(manifest: dict) -> set[str]:
    """Every file the manifest points at."""
    names = {g["file"] for g in manifest.get("graphs", {}).values()}
    names |= {m["params"]["file"] for m in manifest.get("models", {}).values()}
    names |= {d["file"] for d in manifest.get("data", {}).values()}
    return names
