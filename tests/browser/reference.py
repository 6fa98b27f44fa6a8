"""The independent reference for the figures: Python's onnxruntime on the committed graphs.

The page runs the exported graphs in onnxruntime-web; these helpers run the same graphs on the
same inputs in Python (no torch), so the browser tests can compare every number a figure shows.
The site build itself no longer needs Python's onnxruntime: only the tests do.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

GRID_POINTS = 1000  # the protocol grid of the fine-tuning figures (static/figures/finetune/compute.js)
REQUIRED = ("model", "amplitude", "phase", "samples", "steps", "step_size")


def read_manifest(models_dir: Path) -> dict:
    return json.loads((models_dir / "manifest.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=32)
def _session(path: str, mtime_ns: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def run(models_dir: Path, graph: str, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Run manifest graph `graph` with the inputs it declares (extra feeds are ignored)."""
    path = models_dir / read_manifest(models_dir)["graphs"][graph]["file"]
    session = _session(str(path), path.stat().st_mtime_ns)
    names = {i.name for i in session.get_inputs()}
    return session.run(None, {k: v for k, v in feeds.items() if k in names})


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


def line_data(models_dir: Path, dataset: str) -> tuple[dict, dict[str, np.ndarray]]:
    """(toys.json's line section, the data set's samples as float32 arrays (T, N))."""
    line = json.loads((models_dir / "toys.json").read_text(encoding="utf-8"))["line"]
    data = line["datasets"][dataset]
    arrays = {k: np.asarray(data[k], dtype=np.float32) for k in ("x_train", "y_train", "x_test", "y_test")}
    return {**line, "data": data}, arrays


def bumps(models_dir: Path) -> dict:
    """The iMAML toy of toys.json: two tasks' bump centres and weights, the plane, the lambdas."""
    return json.loads((models_dir / "toys.json").read_text(encoding="utf-8"))["bumps"]


def bumps_feeds(models_dir: Path, theta, lam: float) -> dict[str, np.ndarray]:
    """The inputs every bumps_* graph takes: theta once per task, the tasks' bumps, lambda."""
    toy = bumps(models_dir)
    centres = np.asarray([toy["centres"][task] for task in toy["centres"]], dtype=np.float32)
    rows = np.asarray([theta] * len(centres), dtype=np.float32)
    return {"theta": rows, "centres": centres, "weights": np.asarray(toy["weights"], dtype=np.float32),
            "lam": np.asarray(lam, dtype=np.float32)}


def plane_grid(plane: dict, n: int) -> np.ndarray:
    """n*n points (a, b), point k = j*n + i at (a_i, b_j): static/figures/lib/toys.js planeGrid."""
    (a0, a1), (b0, b1) = plane["a"], plane["b"]
    i = np.arange(n, dtype=np.float64)
    a = (a0 + i * (a1 - a0) / (n - 1)).astype(np.float32)
    b = (b0 + i * (b1 - b0) / (n - 1)).astype(np.float32)
    return np.stack([np.tile(a, n), np.repeat(b, n)], axis=1)


def accumulated_loss(models_dir: Path, dataset: str, n: int, step_size: float) -> tuple[np.ndarray, np.ndarray]:
    """line_accumulated on the n*n grid of the line toy's plane: (F_k on the grid for every k,
    F_k's minimum for every k)."""
    line, data = line_data(models_dir, dataset)
    loss, minimum = run(models_dir, "line_accumulated", {
        "grid": plane_grid(line["plane"], n), **data, "step_size": np.asarray(step_size, dtype=np.float32)})
    return loss, minimum


def _scalar(value: float) -> np.ndarray:
    return np.asarray(value, dtype=np.float32)


def fine_tune(models_dir: Path, params: dict) -> dict:
    """What the fine-tuning figures compute: `steps` SGD steps on the samples (their y from the
    true curve), one sinusoid_finetune_step call per step, and the MSE after each step."""
    missing = [key for key in REQUIRED if key not in params]
    if missing:
        raise ValueError(f"finetune figure params lack {', '.join(missing)}")
    grid = np.linspace(-5.0, 5.0, GRID_POINTS, dtype=np.float32).reshape(-1, 1)
    target = {"amplitude": _scalar(params["amplitude"]), "phase": _scalar(params["phase"])}
    weights = load_params(models_dir, params["model"])
    sample_x = np.asarray(params["samples"], dtype=np.float32).reshape(-1, 1)
    _, sample_y, _ = run(models_dir, "sinusoid_curves", {**weights, **target, "x": sample_x})
    before, true_curve, mse0 = run(models_dir, "sinusoid_curves", {**weights, **target, "x": grid})
    mse = [float(mse0)]
    current = weights
    names = list(weights)
    for _ in range(int(params["steps"])):
        outputs = run(models_dir, "sinusoid_finetune_step", {
            **current, **target, "x": grid, "support_x": sample_x, "support_y": sample_y,
            "step_size": _scalar(params["step_size"])})
        current = dict(zip(names, outputs[: len(names)]))
        mse.append(float(outputs[-1]))
    return {"sample_x": sample_x[:, 0], "sample_y": sample_y[:, 0], "mse": mse, "params": current,
            "before": before[:, 0], "target": true_curve[:, 0]}


# ---- the few-shot game (static/figures/few-shot-game.js, lib/omniglot.js) --------------------


@lru_cache(maxsize=8)
def _sheet(path: str) -> np.ndarray:
    """Ink (1) of a sprite sheet written by trainers/omniglot/sprites.py (1-bit grey, filter 0)."""
    import struct
    import zlib

    data = Path(path).read_bytes()
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (1, 0), "sprite sheets are 1-bit greyscale"
    chunks, at = [], 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        if kind == b"IDAT":
            chunks.append(data[at + 8 : at + 8 + length])
        at += 12 + length
    rows = np.frombuffer(zlib.decompress(b"".join(chunks)), dtype=np.uint8).reshape(height, -1)
    assert (rows[:, 0] == 0).all(), "every row unfiltered"
    return 1 - np.unpackbits(rows[:, 1:], axis=1)[:, :width]


def omniglot_mask(models_dir: Path, character: int, drawing: int) -> np.ndarray:
    """The (105, 105) ink mask of a held-out character's drawing, cut from its sprite sheet."""
    for name, entry in read_manifest(models_dir)["data"].items():
        if name.startswith("omniglot_sheet_") and drawing in entry["drawings"]:
            tile = character * len(entry["drawings"]) + entry["drawings"].index(drawing)
            row, col = divmod(tile, entry["columns"])
            side = entry["tile"]
            sheet = _sheet(str(models_dir / entry["file"]))
            return sheet[row * side : (row + 1) * side, col * side : (col + 1) * side].astype(np.float32)
    raise KeyError(f"no sprite sheet holds drawing {drawing}")


def omniglot_answer(models_dir: Path, model: str, trial: dict) -> np.ndarray:
    """The classifier's probabilities for a game trial: omniglot_adapt on the support drawings
    (one-hot labels, the model's step size), then omniglot_predict on the query."""
    manifest = read_manifest(models_dir)
    body = load_params(models_dir, model)
    ways = trial["ways"]
    support = np.stack([omniglot_mask(models_dir, s["character"], s["drawing"]) for s in trial["support"]])
    query = omniglot_mask(models_dir, trial["query"]["character"], trial["query"]["drawing"])[None]
    step = _scalar(manifest["models"][model]["config"]["inner_lr"])
    names = [o["name"] for o in manifest["graphs"]["omniglot_adapt"]["outputs"]]
    adapted = run(models_dir, "omniglot_adapt", {**body, "support_x": support, "support_y": np.eye(ways, dtype=np.float32), "step_size": step})
    params = {name[: -len("_next")]: value for name, value in zip(names, adapted)}
    (probabilities,) = run(models_dir, "omniglot_predict", {**params, "query_x": query})
    return probabilities[0]
