"""The Omniglot task family and the classifier's building blocks (trainers.omniglot.tasks, trainers.omniglot.convnet)."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from trainers.inner import adapt
from trainers.methods.common import HyperParams, TaskBatch
from trainers.methods.maml import maml_meta_gradient
from trainers.omniglot import convnet, tasks as omniglot


def test_the_split_is_by_character_disjoint_and_fixed():
    train, held = omniglot.split()
    assert len(train) + len(held) == 964 and len(held) == omniglot.HELD_OUT
    assert not set(train.tolist()) & set(held.tolist())
    again_train, again_held = omniglot.split()
    assert np.array_equal(train, again_train) and np.array_equal(held, again_held)


def test_episodes_label_each_character_by_its_position():
    _, held = omniglot.split()
    batch = omniglot.sample_episodes(held, 2, 5, 1, 3, torch.Generator().manual_seed(0))
    assert batch.support_x.shape == (2, 5, 105, 105) and batch.query_x.shape == (2, 15, 105, 105)
    ink = omniglot.load_ink()
    for task in range(2):
        assert set(batch.characters[task].tolist()) <= set(held.tolist())
        for label in range(5):
            char, first_drawing = int(batch.characters[task, label]), int(batch.drawings[task, label, 0])
            assert torch.equal(batch.support_x[task, label], torch.from_numpy(ink[char, first_drawing]).float())
            assert batch.support_y[task, label].argmax() == label
            assert (batch.query_y[task, 3 * label : 3 * label + 3].argmax(-1) == label).all()


def test_shifted_convolution_equals_conv2d_with_its_gradient():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(3, 4, 7, 7, generator=gen, dtype=torch.float64)
    w = torch.randn(5, 4, 3, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    b = torch.randn(5, generator=gen, dtype=torch.float64)
    native, shifted = convnet.conv_native(x, w, b), convnet.conv_shifted(x, w, b)
    assert native.shape == shifted.shape == (3, 5, 4, 4)
    assert torch.allclose(native, shifted, atol=1e-12)
    grad_native, = torch.autograd.grad((native**2).sum(), w)
    grad_shifted, = torch.autograd.grad((shifted**2).sum(), w)
    assert torch.allclose(grad_native, grad_shifted, atol=1e-10)


def test_class_summed_cross_entropy_is_n_times_the_mean_cross_entropy():
    logits = torch.randn(20, 20, generator=torch.Generator().manual_seed(2))
    labels = torch.arange(20)
    expected = F.cross_entropy(logits, labels) * 20
    assert torch.allclose(convnet.class_summed_cross_entropy(logits, F.one_hot(labels, 20).float()), expected)


def test_the_zero_head_first_step_gives_each_class_its_centred_support_features():
    params = convnet.init_params(0, channels=8)
    _, held = omniglot.split()
    batch = omniglot.sample_episodes(held, 1, 5, 1, 1, torch.Generator().manual_seed(3))
    x, y = batch.support_x[0], batch.support_y[0]
    phi = adapt(convnet.with_head(params, 5), x, y, 0.1, 1, convnet.forward, loss=convnet.class_summed_cross_entropy)
    feats = convnet.features(params, x)
    assert torch.allclose(phi["head_w"], 0.1 * (feats - feats.mean(0)), atol=1e-6)
    assert torch.equal(phi["conv1_w"], params["conv1_w"])  # no gradient reaches the body through a zero head


def test_maml_meta_gradient_of_the_classifier_matches_finite_differences():
    params = {k: v.double() for k, v in convnet.init_params(0, channels=4).items()}
    _, held = omniglot.split()
    episodes = omniglot.sample_episodes(held, 2, 3, 1, 1, torch.Generator().manual_seed(4))
    batch = TaskBatch(*(t.double() for t in (episodes.support_x, episodes.support_y, episodes.query_x, episodes.query_y)))
    hp = HyperParams(inner_lr=0.3, inner_steps=2)
    options = dict(model=convnet.forward, loss=convnet.class_summed_cross_entropy,
                   start=lambda p, y: convnet.with_head(p, y.shape[-1]))
    step = maml_meta_gradient(params, batch, hp, **options)
    gen = torch.Generator().manual_seed(5)
    direction = {k: torch.randn(v.shape, generator=gen, dtype=v.dtype) for k, v in params.items()}
    eps = 1e-6
    plus = maml_meta_gradient({k: v + eps * direction[k] for k, v in params.items()}, batch, hp, **options).loss
    minus = maml_meta_gradient({k: v - eps * direction[k] for k, v in params.items()}, batch, hp, **options).loss
    numeric = (plus - minus) / (2 * eps)
    analytic = sum((step.direction[k] * direction[k]).sum() for k in params)
    assert torch.allclose(numeric, analytic, rtol=1e-5, atol=1e-8)
