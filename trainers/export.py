"""`article export`: write every graph, model and toy data set the figures use, and the manifest.

Into --out (static/models, committed): <graph>.onnx for each graph of trainers.graphs, the
parameters of each trained model (runs/<model>/final.pt, one model per config of
trainers/configs/) as <model>.params.bin, toys.json (the
seeded toy data), the few-shot game's sprite sheets (omniglot-sheet-<s>.png), and manifest.json, which merges the results of `article evaluate`
(evaluation.json in the same folder). Missing runs are skipped with a note; only --only turns a
missing run into an error. The model `demo` is the network's seeded initialisation, untrained, so
the figures have parameters before any training has run; it is never evaluated.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from trainers import manifest as mf
from trainers.errors import UserError

DEMO_MODEL = "demo"
DEMO_SEED = 0
TOYS = "toys"
SPRITES = "omniglot_sprites"  # the game's sprite sheets (trainers/omniglot/sprites.py)
EVALUATION = "evaluation.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="static/models", help="output folder (default: static/models)")
    parser.add_argument("--runs", default="runs", help="folder holding <MODEL>/final.pt (default: runs)")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="export only these graphs, models or data (toys); the rest of the manifest is kept",
    )


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _kb(path: Path) -> str:
    return f"{path.stat().st_size / 1024:.1f} KB"


def _export_graphs(names: list[str], out: Path, manifest: dict) -> None:
    from trainers.graphs import catalogue
    from trainers.onnx_export import export_graph

    specs = catalogue()
    for name in names:
        path = out / f"{name}.onnx"
        signature = export_graph(specs[name], path)
        manifest["graphs"][name] = {**mf.file_entry(path), **signature, "description": specs[name].description}
        _say(f"wrote {path} ({_kb(path)})")


def _model_entry(out: Path, name: str, params: dict, info: dict) -> dict:
    path = out / f"{name}.params.bin"
    layout = mf.write_params(params, path)
    _say(f"wrote {path} ({_kb(path)})")
    return {**info, "params": {**mf.file_entry(path), "layout": layout}}


def _export_demo(out: Path) -> dict:
    from trainers.sinusoid_mlp import LAYER_SIZES, init_params

    params = {name: p.numpy() for name, p in init_params(DEMO_SEED).items()}
    info = {
        "method": "untrained-initialisation",
        "config": {"layer_sizes": list(LAYER_SIZES), "init": "trainers.sinusoid_mlp.init_params"},
        "seed": DEMO_SEED,
        "iterations": 0,
        "train_seconds": 0.0,
    }
    return _model_entry(out, DEMO_MODEL, params, info)


def _load_run(runs: Path, name: str) -> dict:
    from trainers import run_folder

    final = run_folder.load_final(runs / name, name)
    _say(f"{name}: {run_folder.describe_final(runs / name, final)}")
    return final


def _export_run(out: Path, name: str, final: dict) -> dict:
    from trainers.sinusoid_mlp import PARAM_NAMES

    rank = {n: i for i, n in enumerate(PARAM_NAMES)}
    order = sorted(final["params"], key=lambda n: (rank.get(n, len(rank)), n))
    params = {n: final["params"][n].detach().cpu().numpy() for n in order}
    info = {key: final[key] for key in ("method", "config", "seed", "iterations", "train_seconds")}
    return _model_entry(out, name, params, json.loads(json.dumps(info, default=str)))


def _export_toys(out: Path) -> dict:
    from trainers.toys import toys_json

    path = out / "toys.json"
    path.write_text(json.dumps(toys_json(), sort_keys=True, separators=(",", ":")) + "\n")
    _say(f"wrote {path} ({_kb(path)})")
    return mf.file_entry(path)


def _export_sprites(out: Path, manifest: dict) -> None:
    from trainers.omniglot import sprites as omniglot_sprites

    for index, name in enumerate(omniglot_sprites.sheet_names()):
        path, layout = omniglot_sprites.write_sheet(out, index)
        manifest["data"][name] = {**mf.file_entry(path), **layout}
        _say(f"wrote {path} ({_kb(path)})")


def _merge_evaluation(out: Path, manifest: dict) -> None:
    """models.<m>.evaluation from `article evaluate`'s results, for every model that has them."""
    path = out / EVALUATION
    results = json.loads(path.read_text()) if path.is_file() else {}
    for name, model in manifest["models"].items():
        model.pop("evaluation", None)
        if name != DEMO_MODEL and name in results:
            model["evaluation"] = results[name]


def _merge_training(manifest: dict) -> None:
    """models.<m>.training: each trained model's budget, from its config and time (trainers.budget)."""
    from trainers.budget import training_budget

    for model in manifest["models"].values():
        model.pop("training", None)
        budget = training_budget(model)
        if budget is not None:
            model["training"] = budget


def _merge_measurements(out: Path, manifest: dict) -> None:
    """measurements.<key> from `article cost` and `article cosine` (measurements.json)."""
    measurements = mf.load_measurements(out)
    manifest.pop("measurements", None)
    if measurements:
        manifest["measurements"] = measurements


def run(args: argparse.Namespace) -> int:
    from trainers.config import config_names
    from trainers.graphs import catalogue

    out, runs = Path(args.out), Path(args.runs)
    models = config_names()  # the article's models: the methods and their variants (maml5)
    graph_names = list(catalogue())

    def has_run(name: str) -> bool:
        return name != DEMO_MODEL and (runs / name / "final.pt").is_file()

    if args.only:
        known = {*graph_names, *models, DEMO_MODEL, TOYS, SPRITES}
        unknown = [n for n in args.only if n not in known and not has_run(n)]
        if unknown:
            raise UserError(
                f"nothing called {', '.join(unknown)} to export; graphs: {', '.join(graph_names)}; "
                f"models: {DEMO_MODEL} or a run under {runs}/ (e.g. {', '.join(models)}); data: {TOYS}, {SPRITES}"
            )
        untrained = [n for n in args.only if n in models and not has_run(n)]
        if untrained:
            from trainers.run_folder import missing_final

            raise UserError("; ".join(missing_final(runs / name, name) for name in untrained))
        selected = list(dict.fromkeys(args.only))
    else:
        # By default the runs of the article's configs only; experiments under other names need --only.
        skipped = [m for m in models if not has_run(m)]
        if skipped:
            _say(f"no trained model for {', '.join(skipped)} under {runs}: exported without them")
            from trainers.run_folder import CHECKPOINT, missing_final

            for name in skipped:  # a run that stopped before its end: say how to finish it
                if (runs / name / CHECKPOINT).is_file():
                    _say(missing_final(runs / name, name))
        selected = [*graph_names, DEMO_MODEL, *(m for m in models if has_run(m)), TOYS, SPRITES]

    # Read every checkpoint before writing anything, so a bad one leaves the folder as it was.
    runs_to_export = [n for n in selected if has_run(n)]
    finals = {name: _load_run(runs, name) for name in runs_to_export}

    previous = mf.load(out)
    if args.only and previous is not None:
        manifest = previous
        manifest["versions"] = mf.versions()
        manifest.setdefault("data", {})
    else:
        manifest = mf.empty()

    out.mkdir(parents=True, exist_ok=True)
    _export_graphs([n for n in graph_names if n in selected], out, manifest)
    if DEMO_MODEL in selected:
        manifest["models"][DEMO_MODEL] = _export_demo(out)
    for name, final in finals.items():
        manifest["models"][name] = _export_run(out, name, final)
    if TOYS in selected:
        manifest["data"][TOYS] = _export_toys(out)
    if SPRITES in selected:
        _export_sprites(out, manifest)
    _merge_evaluation(out, manifest)
    _merge_training(manifest)
    _merge_measurements(out, manifest)
    manifest["models"] = dict(sorted(manifest["models"].items()))

    if previous is not None and not args.only:
        for stale in sorted(mf.files(previous) - mf.files(manifest)):
            (out / stale).unlink(missing_ok=True)
            _say(f"removed {out / stale} (no longer exported)")
    _say(f"wrote {mf.write(out, manifest)}")
    return 0
