"""Parameters as the trainers pass them: an ordered dict of named tensors.

Every model here is a function `forward(params, x)` of such a dict (trainers.sinusoid_mlp,
trainers.omniglot.convnet), so the inner loop and the methods work with any of them, and
`torch.func` differentiates and batches through the dict.
"""
from __future__ import annotations

import torch

Params = dict[str, torch.Tensor]
