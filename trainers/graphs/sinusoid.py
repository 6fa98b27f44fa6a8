"""The sinusoid network's graphs: prediction, one SGD step, the curves a figure draws, and the
fine-tuning figures' whole frame in one call."""
from __future__ import annotations

from trainers.graphs.common import K, N, examples, scalar, sinusoid_params
from trainers.inner import mse, sgd_step
from trainers.onnx_export import GraphSpec, Tensors
from trainers.sinusoid import sinusoid
from trainers.sinusoid_mlp import PARAM_NAMES, forward


def network_params(inputs: Tensors) -> Tensors:
    """The network's parameters among a graph's inputs."""
    return {name: inputs[name] for name in PARAM_NAMES}


def sinusoid_predict(inputs: Tensors) -> Tensors:
    return {"y": forward(network_params(inputs), inputs["x"])}


def sinusoid_sgd_step(inputs: Tensors) -> Tensors:
    new, loss = sgd_step(network_params(inputs), inputs["support_x"], inputs["support_y"], inputs["step_size"])
    return {**{f"{name}_next": new[name] for name in PARAM_NAMES}, "loss": loss}


def sinusoid_curves(inputs: Tensors) -> Tensors:
    prediction = forward(network_params(inputs), inputs["x"])
    target = sinusoid(inputs["x"], inputs["amplitude"], inputs["phase"])
    return {"prediction": prediction, "target": target, "mse": mse(prediction, target)}


def sinusoid_finetune_step(inputs: Tensors) -> Tensors:
    """One SGD step and the curves after it: a whole frame of the fine-tuning figures in one call
    (each onnxruntime-web call costs about half a millisecond of fixed overhead)."""
    step = sinusoid_sgd_step(inputs)
    after = sinusoid_curves({**inputs, **{name: step[f"{name}_next"] for name in PARAM_NAMES}})
    return {**step, "prediction": after["prediction"], "mse": after["mse"]}


def graph_specs() -> list[GraphSpec]:
    params = sinusoid_params()
    return [
        GraphSpec(
            name="sinusoid_predict",
            fn=sinusoid_predict,
            example_inputs={**params, **examples(x=(N, 1))},
            outputs=("y",),
            dynamic={"x": {0: "N"}},
            description="The sinusoid network's prediction y at the points x.",
        ),
        GraphSpec(
            name="sinusoid_sgd_step",
            fn=sinusoid_sgd_step,
            example_inputs={**params, **examples(support_x=(K, 1), support_y=(K, 1)), "step_size": scalar(0.01)},
            outputs=tuple(f"{n}_next" for n in PARAM_NAMES) + ("loss",),
            dynamic={"support_x": {0: "K"}, "support_y": {0: "K"}},
            description="One SGD step of the sinusoid network on the support MSE; loss is the MSE before the step.",
        ),
        GraphSpec(
            name="sinusoid_curves",
            fn=sinusoid_curves,
            example_inputs={**params, "amplitude": scalar(2.0), "phase": scalar(0.5), **examples(x=(N, 1))},
            outputs=("prediction", "target", "mse"),
            dynamic={"x": {0: "N"}},
            description="The network's prediction, the true curve A sin(x + phase), and their MSE at the points x.",
        ),
        GraphSpec(
            name="sinusoid_finetune_step",
            fn=sinusoid_finetune_step,
            example_inputs={
                **params,
                **examples(support_x=(K, 1), support_y=(K, 1), x=(N, 1)),
                "step_size": scalar(0.01),
                "amplitude": scalar(2.0),
                "phase": scalar(0.5),
            },
            outputs=tuple(f"{n}_next" for n in PARAM_NAMES) + ("loss", "prediction", "mse"),
            dynamic={"support_x": {0: "K"}, "support_y": {0: "K"}, "x": {0: "N"}},
            description=(
                "sinusoid_sgd_step, then sinusoid_curves at the new parameters, in one call: new parameters,"
                " the support MSE before the step, the prediction at the points x and its MSE against the true curve."
            ),
        ),
    ]
