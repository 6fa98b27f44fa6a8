"""The Omniglot classifier: four convolutional blocks and a linear output layer, functional.

Each block is a 3 x 3 convolution with stride 2 (as Finn et al. (2017) used on Omniglot instead
of max-pooling), a per-image normalisation with a learned scale and shift per channel, and a
ReLU: 28 -> 14 -> 7 -> 4 -> 2 pixels. The normalisation uses each image's own statistics, not the
batch's, so the prediction for one drawing does not depend on which other drawings are in the
batch: the game classifies a single query.

The output layer is not meta-learned. Every task starts it at zero with one row per class
(`with_head`), so all classes begin equal, one network serves any N, and the first inner step
gives class c the row alpha * (f_c - mean f): a prototype of its support drawing's features.

Two interchangeable convolutions: `conv_native` (torch's conv2d, fast, for training) and
`conv_shifted` (nine strided slices and one matrix product), whose gradient the ONNX exporter can
translate (conv2d's backward has none). Tests check the two agree.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

from trainers.omniglot.tasks import PADDED, POOL, SIZE
from trainers.params import Params

Conv = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
BLOCKS = 4
EPS = 1e-5
# The meta-learned parameters, in init_params' order (the output layer is not among them).
PARAM_NAMES = tuple(
    f"{name}{block}_{part}"
    for block in range(1, BLOCKS + 1)
    for name, part in (("conv", "w"), ("conv", "b"), ("norm", "scale"), ("norm", "shift"))
)
HEAD_NAMES = ("head_w", "head_b")


def init_params(seed: int, channels: int = 32) -> Params:
    """He-normal convolution weights, zero biases, unit scales: a function of the seed alone."""
    gen = torch.Generator().manual_seed(seed)
    params: Params = {}
    fan_in = 1
    for block in range(1, BLOCKS + 1):
        std = math.sqrt(2.0 / (fan_in * 9))
        params[f"conv{block}_w"] = torch.randn(channels, fan_in, 3, 3, generator=gen) * std
        params[f"conv{block}_b"] = torch.zeros(channels)
        params[f"norm{block}_scale"] = torch.ones(channels)
        params[f"norm{block}_shift"] = torch.zeros(channels)
        fan_in = channels
    return params


def feature_size(params: Params) -> int:
    return params[f"conv{BLOCKS}_w"].shape[0] * 2 * 2


def with_head(params: Params, ways: int) -> Params:
    """The parameters a task starts from: the meta-learned body and a zero output layer."""
    like = params["conv1_w"]
    return {
        **params,
        "head_w": like.new_zeros(ways, feature_size(params)),
        "head_b": like.new_zeros(ways),
    }


def conv_native(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    return F.conv2d(x, weight, bias, stride=2, padding=1)


def conv_shifted(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """conv_native written as strided slices and one matrix product: the nine windows the kernel
    offsets see, stacked, against the kernel flattened to (C_out, C_in, 9). The weight enters only
    through a reshape, so its gradient needs no scatter (indexing it per offset made the exported
    backward carry megabytes of scatter indices)."""
    height, width = x.shape[-2:]
    out_h, out_w = (height + 1) // 2, (width + 1) // 2
    padded = F.pad(x, (1, 1, 1, 1))
    windows = torch.stack(
        [padded[:, :, i : i + 2 * out_h : 2, j : j + 2 * out_w : 2] for i in range(3) for j in range(3)], dim=2
    )  # (B, C_in, 9, out_h, out_w), offsets in the kernel's row-major order
    kernel = weight.reshape(weight.shape[0], weight.shape[1], 9)
    return torch.einsum("bckhw,ock->bohw", windows, kernel) + bias[:, None, None]


def downsample(ink: torch.Tensor) -> torch.Tensor:
    """105 x 105 masks (B, 105, 105) -> 28 x 28 grey images (B, 1, 28, 28): pad to 112, average
    4 x 4 blocks (a reshape and a mean, which every ONNX runtime has)."""
    low = (PADDED - SIZE) // 2
    x = F.pad(ink, (low, PADDED - SIZE - low, low, PADDED - SIZE - low))
    side = PADDED // POOL
    return x.reshape(-1, side, POOL, side, POOL).mean(dim=(2, 4))[:, None]


def normalise(h: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Per-image normalisation over channels and pixels, then a per-channel scale and shift."""
    mean = h.mean(dim=(1, 2, 3), keepdim=True)
    var = ((h - mean) ** 2).mean(dim=(1, 2, 3), keepdim=True)
    return (h - mean) / torch.sqrt(var + EPS) * scale[:, None, None] + shift[:, None, None]


def features(params: Params, ink: torch.Tensor, conv: Conv = conv_native) -> torch.Tensor:
    """(B, 105, 105) masks -> (B, F) features."""
    h = downsample(ink)
    for block in range(1, BLOCKS + 1):
        h = conv(h, params[f"conv{block}_w"], params[f"conv{block}_b"])
        h = torch.relu(normalise(h, params[f"norm{block}_scale"], params[f"norm{block}_shift"]))
    return h.flatten(1)


def forward(params: Params, ink: torch.Tensor, conv: Conv = conv_native) -> torch.Tensor:
    """Logits (B, N) of masks (B, 105, 105) under parameters that include a head (with_head)."""
    return features(params, ink, conv) @ params["head_w"].T + params["head_b"]


def forward_shifted(params: Params, ink: torch.Tensor) -> torch.Tensor:
    """`forward` with the exportable convolution."""
    return forward(params, ink, conv_shifted)


def class_summed_cross_entropy(logits: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
    """Cross-entropy summed over classes of each class's mean over its drawings (balanced tasks:
    the mean over drawings times N). Summing over classes keeps one step size right for any N:
    with a mean over all drawings, the zero head's first step would shrink as 1/N.

    Written with log-softmax and one-hot targets: the exported gradient of F.cross_entropy with
    class indices came out wrong when we checked it against torch's; this one matches torch."""
    log_p = logits - torch.logsumexp(logits, dim=-1, keepdim=True)
    return -(onehot * log_p).sum() * onehot.shape[-1] / onehot.shape[0]
