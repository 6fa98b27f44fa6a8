"""The graphs of the few-shot game: the Omniglot classifier adapting to a trial, and answering.

`omniglot_adapt` is the inner loop of training (trainers.inner.adapt from a zero output layer,
the classifier's cross-entropy, as many steps as its config), on the N support drawings of one
trial. `omniglot_predict` turns the adapted parameters and query drawings into class
probabilities. Both use the shifted-slice convolution, whose gradient the exporter can translate
(conv2d's backward has no ONNX form), and take 105 x 105 ink masks: the downsampling to 28 x 28 is
inside the model, so the browser feeds the masks it decodes from the sprite sheets.

Dimension names: W classes (ways) of a trial, Q query drawings.
"""
from __future__ import annotations

import torch

from trainers.config import load_config
from trainers.inner import adapt
from trainers.omniglot import convnet
from trainers.omniglot.tasks import SIZE
from trainers.onnx_export import GraphSpec, Tensors

MODEL = "omniglot"  # the config (trainers/configs/omniglot.yaml) whose inner loop the graphs run
ALL_NAMES = (*convnet.PARAM_NAMES, *convnet.HEAD_NAMES)
# Example sizes for tracing: distinct from each other and from every static size (1, 3, 64, 105),
# so the tracer does not take one dimension for another.
_W, _Q = 6, 7


def adapt_trial(inputs: Tensors) -> Tensors:
    steps = load_config(MODEL)["inner_steps"]
    body = {name: inputs[name] for name in convnet.PARAM_NAMES}
    start = convnet.with_head(body, inputs["support_y"].shape[-1])
    phi = adapt(start, inputs["support_x"], inputs["support_y"], inputs["step_size"], steps,
                convnet.forward_shifted, loss=convnet.class_summed_cross_entropy)
    return {f"{name}_next": phi[name] for name in ALL_NAMES}


def predict_trial(inputs: Tensors) -> Tensors:
    params = {name: inputs[name] for name in ALL_NAMES}
    logits = convnet.forward_shifted(params, inputs["query_x"])
    return {"probabilities": torch.softmax(logits, dim=-1)}


def graph_specs() -> list[GraphSpec]:
    config = load_config(MODEL)
    body = dict(convnet.init_params(0, config["channels"]))
    gen = torch.Generator().manual_seed(3)
    ink = lambda count: (torch.rand(count, SIZE, SIZE, generator=gen) < 0.1).float()  # noqa: E731
    head = {"head_w": 0.1 * torch.randn(_W, convnet.feature_size(body), generator=gen), "head_b": torch.zeros(_W)}
    return [
        GraphSpec(
            name="omniglot_adapt",
            fn=adapt_trial,
            example_inputs={**body, "support_x": ink(_W), "support_y": torch.eye(_W), "step_size": torch.tensor(0.1)},
            outputs=tuple(f"{name}_next" for name in ALL_NAMES),
            dynamic={"support_x": {0: "W"}, "support_y": {0: "W", 1: "W"}},
            description=(
                f"The Omniglot classifier adapting to one N-way trial: {config['inner_steps']} SGD step(s) of size"
                " step_size on the class-summed cross-entropy of the support drawings (W masks of 105 x 105,"
                " one-hot labels), from the meta-learned body and a zero W-row output layer. Outputs every"
                " parameter after adaptation (<name>_next)."
            ),
        ),
        GraphSpec(
            name="omniglot_predict",
            fn=predict_trial,
            example_inputs={**body, **head, "query_x": ink(_Q)},
            outputs=("probabilities",),
            dynamic={"head_w": {0: "W"}, "head_b": {0: "W"}, "query_x": {0: "Q"}},
            description=(
                "Class probabilities (Q, W) of query drawings (Q masks of 105 x 105) under adapted"
                " parameters (the body and a W-row output layer, as omniglot_adapt returns them)."
            ),
        ),
    ]
