"""The graphs of the figure "Meta-train in your browser" besides the meta-steps: sinusoid tasks
drawn from the page's uniforms, the held-out MSE after fine-tuning, and a window's mean."""
from __future__ import annotations

import torch

from trainers.graphs.common import QUERY, K, N, T, examples, scalar, sinusoid_params
from trainers.graphs.sinusoid import network_params
from trainers.inner import task_loss, trajectory
from trainers.methods.common import over_tasks
from trainers.onnx_export import GraphSpec, Tensors
from trainers.sinusoid import AMPLITUDE_RANGE, X_RANGE, batch_from_uniforms

# Fine-tuning steps of the held-out evaluation: the figure reports the MSE after one SGD step.
HELDOUT_STEPS = 1


def sinusoid_tasks(inputs: Tensors) -> Tensors:
    """A meta-batch of sinusoid tasks from uniform draws: trainers.sinusoid.batch_from_uniforms,
    which sample_batch feeds torch.rand. The page draws the uniforms, the task family stays
    defined once, in Python."""
    batch = batch_from_uniforms(inputs["amplitude_u"], inputs["phase_u"], inputs["support_u"], inputs["query_u"])
    return {name: getattr(batch, name) for name in ("amplitude", "phase", "support_x", "support_y", "query_x", "query_y")}


def sinusoid_heldout_mse(inputs: Tensors) -> Tensors:
    """Mean over tasks of the query MSE after 0 .. HELDOUT_STEPS SGD steps on each support set."""

    def per_task(p, support_x, support_y, query_x, query_y) -> torch.Tensor:
        path = trajectory(p, support_x, support_y, inputs["step_size"], HELDOUT_STEPS)
        return torch.stack([task_loss(phi, query_x, query_y) for phi in path])

    batch = (inputs["support_x"], inputs["support_y"], inputs["query_x"], inputs["query_y"])
    return {"mse": over_tasks(per_task, *batch, params=network_params(inputs)).mean(0)}


def window_mean(inputs: Tensors) -> Tensors:
    """The mean of a window of values (the figure's training curves: meta-losses of N iterations)."""
    return {"mean": inputs["values"].mean()}


def graph_specs() -> list[GraphSpec]:
    uniforms = examples(6, amplitude_u=(T, 1, 1), phase_u=(T, 1, 1), support_u=(T, K, 1), query_u=(T, QUERY, 1))
    batch = examples(7, support_x=(T, K, 1), support_y=(T, K, 1), query_x=(T, QUERY, 1), query_y=(T, QUERY, 1))
    batch_dims = {
        **{k: {0: "T", 1: "K"} for k in ("support_x", "support_y", "support_u")},
        **{k: {0: "T", 1: "Q"} for k in ("query_x", "query_y", "query_u")},
        **{k: {0: "T"} for k in ("amplitude_u", "phase_u")},
    }
    return [
        GraphSpec(
            name="sinusoid_tasks",
            fn=sinusoid_tasks,
            example_inputs=uniforms,
            outputs=("amplitude", "phase", "support_x", "support_y", "query_x", "query_y"),
            dynamic={k: batch_dims[k] for k in uniforms},
            description=(
                f"T sinusoid tasks from uniform draws in [0, 1), as trainers.sinusoid.sample_batch makes them"
                f" from torch.rand: amplitude A in {list(AMPLITUDE_RANGE)} and phase in [0, pi] (T, 1, 1),"
                f" support and query x in {list(X_RANGE)} (T, K, 1), (T, Q, 1), and y = A sin(x + phase)."
            ),
        ),
        GraphSpec(
            name="sinusoid_heldout_mse",
            fn=sinusoid_heldout_mse,
            example_inputs={**sinusoid_params(), **batch, "step_size": scalar(0.01)},
            outputs=("mse",),
            dynamic={k: batch_dims[k] for k in batch},
            description=(
                f"The sinusoid network on T held-out tasks: mean over tasks of the query MSE after"
                f" 0..{HELDOUT_STEPS} SGD steps of size step_size on each task's K support points."
            ),
        ),
        GraphSpec(
            name="window_mean",
            fn=window_mean,
            example_inputs=examples(8, values=(N,)),
            outputs=("mean",),
            dynamic={"values": {0: "N"}},
            description="The mean of N values (the meta-train figure's training curves: a window of meta-losses).",
        ),
    ]
