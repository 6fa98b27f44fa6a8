"""What each model's meta-training cost: its budget, derived from the config and time it was trained with.

The Comparison's results table sets the methods side by side, and they were not trained alike, so
every model entry of the manifest carries `training`:

- `iterations`, `meta_batch` and `tasks` (iterations x meta-batch, the tasks it learnt from);
- `inner_steps` (0 for the pretrained baseline, which has no inner loop);
- `support_points`, `query_points`: the points per task that its update uses. MAML, first-order
  MAML and iMAML adapt on the support points and differentiate the query loss; Reptile adapts on
  the support points and never looks at the query points (training only reports their loss);
  the baseline pools both into one training set (`pooled`);
- `seconds` (wall clock, compilation included) and `ms_per_iteration`.
"""
from __future__ import annotations

from typing import Any

# Methods whose update never reads the query points, and the one that pools them with the support.
SUPPORT_ONLY = {"reptile"}
POOLED = {"pretrained"}


def training_budget(model: dict[str, Any]) -> dict[str, Any] | None:
    """The budget of a manifest model entry, or None for one that was not meta-trained (demo)."""
    config = model.get("config") or {}
    iterations, seconds = model.get("iterations"), model.get("train_seconds")
    if not iterations or "meta_batch" not in config or seconds is None:
        return None
    method = model.get("method")
    pooled = method in POOLED
    return {
        "iterations": iterations,
        "meta_batch": config["meta_batch"],
        "tasks": iterations * config["meta_batch"],
        "inner_steps": 0 if pooled else config.get("inner_steps", 1),
        "support_points": config["k_support"],
        "query_points": 0 if method in SUPPORT_ONLY else config["k_query"],
        "pooled": pooled,
        "seconds": seconds,
        "ms_per_iteration": round(1000.0 * seconds / iterations, 3),
    }
