"""Task families: what a config's `task` key selects.

A family says how a run starts (its network's initial parameters), how it draws a meta-batch,
and which model, loss and task start the meta-gradient uses. The training loop, checkpoints and
methods are shared; only these three things differ between the sinusoid regression of the
figures and the Omniglot classifier of the game.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

import torch

from trainers import sinusoid_mlp
from trainers.methods import TaskBatch
from trainers.omniglot import convnet, tasks as omniglot
from trainers.params import Params
from trainers.sinusoid import sample_batch

Config = dict[str, Any]


@dataclass(frozen=True)
class Family:
    name: str
    init_params: Callable[[Config], Params]
    sample: Callable[[Config, torch.Generator], TaskBatch]
    options: Callable[[Config], dict[str, Any]]  # keyword arguments of the meta-gradient
    methods: tuple[str, ...]  # the methods a config of this family may use
    keys: tuple[str, ...]  # config keys of this family beyond the common ones


def _sinusoid_batch(config: Config, gen: torch.Generator) -> TaskBatch:
    return TaskBatch.of(sample_batch(config["meta_batch"], config["k_support"], config["k_query"], gen))


@lru_cache(maxsize=1)
def omniglot_training_characters():
    return omniglot.split()[0]


def _omniglot_batch(config: Config, gen: torch.Generator) -> TaskBatch:
    episodes = omniglot.sample_episodes(
        omniglot_training_characters(), config["meta_batch"], config["ways"], config["k_support"], config["k_query"], gen
    )
    return TaskBatch.of(episodes)


def omniglot_start(theta: Params, support_y: torch.Tensor) -> Params:
    """A task starts from the meta-learned body and a zero output layer with one row per class
    (the one-hot labels' width), so one model serves any N."""
    return convnet.with_head(theta, support_y.shape[-1])


OMNIGLOT_OPTIONS = {
    "model": convnet.forward,
    "loss": convnet.class_summed_cross_entropy,
    "start": omniglot_start,
}

FAMILIES: dict[str, Family] = {
    "sinusoid": Family(
        "sinusoid",
        lambda config: sinusoid_mlp.init_params(config["seed"]),
        _sinusoid_batch,
        lambda config: {},
        ("pretrained", "maml", "fomaml", "reptile", "imaml"),
        (),
    ),
    "omniglot": Family(
        "omniglot",
        lambda config: convnet.init_params(config["seed"], config["channels"]),
        _omniglot_batch,
        lambda config: dict(OMNIGLOT_OPTIONS),
        ("maml", "fomaml"),
        ("task", "ways", "channels"),
    ),
}


def family_of(config: Config) -> Family:
    """The family of a config: its `task` key, sinusoid when it has none."""
    return FAMILIES[config.get("task", "sinusoid")]
