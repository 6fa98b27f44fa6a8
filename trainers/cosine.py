"""`article cosine`: how well first-order MAML's meta-gradient points where the exact one does.

On the sinusoid network, with the maml run's own settings (its config in the manifest: meta-batch,
K, inner steps and step size), we compute for each of a fixed, seeded set of meta-batches both
meta-gradients with the trainers' code (maml_meta_gradient, with and without first_order), flatten
them over all 1,761 parameters and take their cosine similarity. Twice: at the initialisation the
maml run started from (init_params of its seed) and at its end (the committed maml parameters).
We report the mean over batches with a 95% confidence interval (1.96 standard errors), the
minimum, the number of batches, and the same for the length ratio |exact| / |first-order|.

Results go to static/models/measurements.json under `cosine` and into manifest.json's
`measurements` (quoted as `{{manifest:measurements.cosine.end.mean:.4f}}`).
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Callable

import torch

from trainers import manifest as mf
from trainers.config import hyperparams
from trainers.errors import UserError
from trainers.methods import HyperParams, TaskBatch
from trainers.methods.maml import maml_meta_gradient
from trainers.params import Params
from trainers.sinusoid import sample_batch
from trainers.sinusoid_mlp import init_params

MODEL = "maml"
BATCHES = 200
BATCH_SEED = 4321  # not the training seed: these batches are not the first ones training saw


def _flat(params: Params) -> torch.Tensor:
    return torch.cat([p.reshape(-1) for p in params.values()]).double()


def gradient_agreement(params: Params, batch: TaskBatch, hp: HyperParams) -> tuple[float, float]:
    """Cosine between the first-order and the exact meta-gradient, and |exact| / |first-order|."""
    exact = _flat(maml_meta_gradient(params, batch, hp).direction)
    first_order = _flat(maml_meta_gradient(params, batch, hp, first_order=True).direction)
    cosine = exact @ first_order / (exact.norm() * first_order.norm())
    return float(cosine), float(exact.norm() / first_order.norm())


def fixed_batches(config: dict, count: int, seed: int = BATCH_SEED) -> list[TaskBatch]:
    gen = torch.Generator().manual_seed(seed)
    return [
        TaskBatch.of(sample_batch(config["meta_batch"], config["k_support"], config["k_query"], gen))
        for _ in range(count)
    ]


def summarise(values: list[float]) -> dict:
    tensor = torch.tensor(values, dtype=torch.float64)
    half_width = 1.96 * float(tensor.std()) / math.sqrt(len(values)) if len(values) > 1 else float("nan")
    return {
        "mean": round(float(tensor.mean()), 6),
        "ci95": round(half_width, 6),
        "min": round(float(tensor.min()), 6),
        "max": round(float(tensor.max()), 6),
    }


def agreement_over(params: Params, batches: list[TaskBatch], hp: HyperParams) -> dict:
    cosines, ratios = zip(*(gradient_agreement(params, batch, hp) for batch in batches))
    return {"cosine": summarise(list(cosines)), "norm_ratio": summarise(list(ratios)), "batches": len(batches)}


def committed_model(models: Path) -> tuple[Params, dict]:
    exported = mf.load(models)
    entry = (exported or {}).get("models", {}).get(MODEL)
    if entry is None:
        raise UserError(f"no model {MODEL!r} in {models / mf.MANIFEST}: run `article export` first")
    arrays = mf.read_params(models / entry["params"]["file"], entry["params"]["layout"])
    return {name: torch.from_numpy(a) for name, a in arrays.items()}, entry


def measure(models: Path, batches: int, seed: int = BATCH_SEED) -> dict:
    """Cosine statistics at the start and the end of the committed maml run."""
    return at_start_and_end(models, batches, seed, agreement_over, tasks_per_batch=True, what=(
        "cosine similarity between the first-order and the exact (second-order) MAML meta-gradient of"
        " one meta-batch, flattened over all parameters; norm_ratio = |exact| / |first-order|;"
        " mean, 95% CI (1.96 standard errors), min and max over the batches"
    ))


def at_start_and_end(models: Path, batches: int, seed: int, statistic: Callable[..., dict], *,
                     what: str, tasks_per_batch: bool) -> dict:
    """`statistic(params, fixed batches, hyper-parameters)` at the maml run's initialisation and at
    its committed parameters, with the protocol that says what was measured on what. `tasks` is
    the meta-batch size when the statistic is per batch, else every task measured."""
    trained, entry = committed_model(models)
    config = entry["config"]
    hp = hyperparams(config)
    fixed = fixed_batches(config, batches, seed)
    return {
        "protocol": {
            "model": MODEL,
            "batches": batches,
            "batch_seed": seed,
            "tasks": config["meta_batch"] if tasks_per_batch else batches * config["meta_batch"],
            "support": config["k_support"],
            "query": config["k_query"],
            "inner_steps": hp.inner_steps,
            "inner_lr": hp.inner_lr,
            "what": what,
            "start": f"trainers.sinusoid_mlp.init_params({config['seed']}), where the maml run started",
            "end": f"{entry['params']['file']}, the committed maml parameters ({entry['iterations']} iterations)",
        },
        "start": statistic(init_params(config["seed"]), fixed, hp),
        "end": statistic(trained, fixed, hp),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Cosine similarity between first-order and exact MAML meta-gradients of the sinusoid network over a"
        " fixed seeded set of meta-batches, at the maml run's initialisation and at its committed parameters."
        " Writes measurements.cosine into MODELS/measurements.json and manifest.json."
    )
    add_batch_arguments(parser, BATCHES)


def add_batch_arguments(parser: argparse.ArgumentParser, batches: int) -> None:
    """The options of the measurements over seeded meta-batches (this one and `article curvature`)."""
    parser.add_argument("--models", default="static/models", help="folder of manifest.json and maml.params.bin (default: static/models)")
    parser.add_argument("--batches", type=int, default=batches, help=f"meta-batches (default {batches})")
    parser.add_argument("--seed", type=int, default=BATCH_SEED, help=f"seed of the batches (default {BATCH_SEED})")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")


def models_folder(args: argparse.Namespace) -> Path:
    """Check the batch options and set torch's threads; the models folder to measure."""
    if args.batches < 2:
        raise UserError("--batches must be at least 2 (a confidence interval needs two)")
    torch.set_num_threads(max(args.threads, 1))
    return Path(args.models)


def run(args: argparse.Namespace) -> int:
    models = models_folder(args)
    result = measure(models, args.batches, args.seed)
    for when in ("start", "end"):
        c = result[when]["cosine"]
        print(f"{when}: cosine {c['mean']:.5f} ± {c['ci95']:.5f} (min {c['min']:.5f}) over {args.batches} batches", file=sys.stderr)
    for path in mf.write_measurement(models, "cosine", result):
        print(f"wrote {path}", file=sys.stderr)
    return 0

