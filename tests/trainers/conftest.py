"""Shared fixtures for the trainers' tests: small float64 problems, one torch thread."""
from __future__ import annotations

import pytest
import torch

from trainers.methods import TaskBatch
from trainers.sinusoid import sample_batch
from trainers.sinusoid_mlp import init_params


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def params64():
    return {name: p.double() for name, p in init_params(3).items()}


@pytest.fixture
def batch64():
    batch = TaskBatch.of(sample_batch(4, 5, 6, torch.Generator().manual_seed(11)))
    return TaskBatch(*(t.double() for t in batch))
