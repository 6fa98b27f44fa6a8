"""The Omniglot task family: N-way 1-shot classification of handwritten characters.

Data: the 964 characters of Omniglot's background set, 20 drawings each, 105 x 105 ink masks
(trainers/data/omniglot/, see its README). Characters are split once, by a seeded permutation,
into meta-training characters and held-out characters; evaluation and the game in the
Introduction use only the held-out ones, so the model never trains on a character the reader sees.

An image enters the network as the 105 x 105 mask, padded to 112 x 112 and averaged over 4 x 4
blocks: a 28 x 28 grey image. That downsampling is part of `forward`, so the exported graphs take
the same masks the browser decodes from the sprite sheets, and no second copy of it exists in
JavaScript.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from trainers.errors import UserError

DATA_FILE = Path(__file__).parents[1] / "data" / "omniglot" / "omniglot_background.npz"
SIZE = 105  # the drawings' side in pixels
PADDED = 112  # 105 padded to a multiple of 4 ...
POOL = 4  # ... and averaged over 4 x 4 blocks:
INPUT = PADDED // POOL  # the network sees 28 x 28
HELD_OUT = 200  # characters kept out of meta-training
SPLIT_SEED = 2015  # the split is fixed, whatever seed a run uses


@lru_cache(maxsize=1)
def load_ink() -> np.ndarray:
    """All drawings as a uint8 array (964, 20, 105, 105), 1 where the pen drew."""
    if not DATA_FILE.is_file():
        raise UserError(f"{DATA_FILE} is missing: it is committed with the project; restore it with `git checkout -- {DATA_FILE.name}` in its folder")
    packed = np.load(DATA_FILE)["ink"]
    return np.unpackbits(packed, axis=-1)[..., :SIZE]


def split() -> tuple[np.ndarray, np.ndarray]:
    """Indices of the meta-training characters and of the held-out characters (sorted)."""
    order = np.random.default_rng(SPLIT_SEED).permutation(load_ink().shape[0])
    return np.sort(order[HELD_OUT:]), np.sort(order[:HELD_OUT])


@dataclass(frozen=True)
class EpisodeBatch:
    """T episodes of N-way classification: images (T, N*S, 105, 105) and one-hot labels
    (T, N*S, N) for the support (S shots a class) and the query (Q a class); `characters` (T, N)
    and `drawings` (T, N, S + Q) say which drawings were picked, for the game and the tests."""

    support_x: torch.Tensor
    support_y: torch.Tensor
    query_x: torch.Tensor
    query_y: torch.Tensor
    characters: torch.Tensor
    drawings: torch.Tensor


def sample_episodes(
    characters: np.ndarray, num_tasks: int, ways: int, shots: int, queries: int, gen: torch.Generator
) -> EpisodeBatch:
    """Episodes drawn from `characters` with `gen`: N distinct characters a task, in random order
    (the label of a character is its position), S + Q distinct drawings of each."""
    ink = load_ink()
    picked = torch.stack([torch.randperm(len(characters), generator=gen)[:ways] for _ in range(num_tasks)])
    draws = torch.stack(
        [torch.stack([torch.randperm(ink.shape[1], generator=gen)[: shots + queries] for _ in range(ways)])
         for _ in range(num_tasks)]
    )
    chars = torch.as_tensor(characters)[picked]  # (T, N)
    images = torch.from_numpy(ink[chars.numpy()[..., None], draws.numpy()]).float()  # (T, N, S+Q, 105, 105)
    eye = torch.eye(ways)

    def part(lo: int, hi: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = images[:, :, lo:hi].reshape(num_tasks, ways * (hi - lo), SIZE, SIZE)
        y = eye[:, None, :].expand(ways, hi - lo, ways).reshape(ways * (hi - lo), ways)
        return x, y.expand(num_tasks, -1, -1).contiguous()

    support_x, support_y = part(0, shots)
    query_x, query_y = part(shots, shots + queries)
    return EpisodeBatch(support_x, support_y, query_x, query_y, chars, draws)
