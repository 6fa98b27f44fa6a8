"""The Omniglot classifier under the article's protocol: 1-shot accuracy on held-out characters.

Protocol: 600 tasks for each N (5-way and 20-way) from the 200 held-out characters, drawn with a
fixed seed; each task has one support drawing and five query drawings per character. The model
adapts as it was meta-trained (its config's inner steps and step size, from a zero output layer)
and answers each query with its most likely class. We report the mean over tasks of the fraction
of queries answered right, with a 95% confidence interval (1.96 standard errors over tasks), the
form in which Finn et al. (2017) report their Omniglot results.
"""
from __future__ import annotations

import math
from typing import Any

import torch

from trainers.inner import adapt
from trainers.methods.common import over_tasks
from trainers.omniglot import convnet, tasks as omniglot
from trainers.params import Params

PROTOCOL: dict[str, Any] = {
    "tasks": 600,
    "seed": 2017,
    "ways": [5, 20],
    "shots": 1,
    "queries": 5,
    "characters": f"the {omniglot.HELD_OUT} held-out characters (trainers.omniglot.tasks.split, seed {omniglot.SPLIT_SEED})",
    "accuracy": "fraction of query drawings classified right, averaged over tasks",
    "ci95": "1.96 * standard deviation over tasks / sqrt(tasks)",
}
CHUNK = 50  # tasks at once: 20-way chunks hold 50 x 120 drawings of 105 x 105 floats


def task_accuracies(params: Params, config: dict[str, Any], ways: int, protocol: dict[str, Any] = PROTOCOL) -> torch.Tensor:
    """(tasks,) accuracies of the model with meta-learned body `params` at N = `ways`."""
    gen = torch.Generator().manual_seed(protocol["seed"] + ways)
    held_out = omniglot.split()[1]
    step_size, steps = config["inner_lr"], config["inner_steps"]

    def accuracy(theta: Params, support_x, support_y, query_x, query_y) -> torch.Tensor:
        phi = adapt(convnet.with_head(theta, ways), support_x, support_y, step_size, steps,
                    convnet.forward, loss=convnet.class_summed_cross_entropy)
        guess = convnet.forward(phi, query_x).argmax(dim=-1)
        return (guess == query_y.argmax(dim=-1)).float().mean()

    chunks = []
    for start in range(0, protocol["tasks"], CHUNK):
        count = min(CHUNK, protocol["tasks"] - start)
        episodes = omniglot.sample_episodes(held_out, count, ways, protocol["shots"], protocol["queries"], gen)
        batch = (episodes.support_x, episodes.support_y, episodes.query_x, episodes.query_y)
        chunks.append(over_tasks(accuracy, *batch, params=params))
    return torch.cat(chunks)


def evaluate_classifier(final: dict[str, Any], protocol: dict[str, Any] = PROTOCOL) -> dict[str, Any]:
    """{"protocol", "ways": {"5": {"accuracy", "ci95", "tasks"}, "20": ...}}: the manifest's
    `evaluation` entry of an Omniglot model."""
    results: dict[str, Any] = {"protocol": protocol, "ways": {}}
    for ways in protocol["ways"]:
        acc = task_accuracies(final["params"], final["config"], ways, protocol).double()
        results["ways"][str(ways)] = {
            "accuracy": round(float(acc.mean()), 6),
            "ci95": round(float(1.96 * acc.std() / math.sqrt(len(acc))), 6),
            "tasks": len(acc),
        }
    return results


def summary_line(name: str, result: dict[str, Any]) -> str:
    parts = [f"{ways}-way {100 * r['accuracy']:.1f} ± {100 * r['ci95']:.1f} %" for ways, r in result["ways"].items()]
    return f"{name}: 1-shot accuracy on held-out characters " + ", ".join(parts)
