"""The meta-step graphs: one meta-training iteration of each method on the sinusoid network, the
trainers' own `meta_iteration` traced whole (inner loop, meta-gradient and Adam), so the
comparison chapter's figure meta-trains in the browser with the code that trained the models.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import torch

from trainers.config import hyperparams, load_config
from trainers.graphs.common import QUERY, K, T, examples, scalar, sinusoid_params
from trainers.graphs.sinusoid import network_params
from trainers.methods import METHODS, meta_iteration
from trainers.methods.common import HyperParams, TaskBatch
from trainers.onnx_export import GraphSpec, Tensors
from trainers.optim import AdamState
from trainers.sinusoid_mlp import PARAM_NAMES

# Hyperparameters a meta-step graph takes as inputs, where its method reads them. The others
# (inner_steps, cg_steps, cg_tol) shape the graph and are fixed at export from the method's config.
META_STEP_INPUTS = ("inner_lr", "lam", "cg_damping")
STATE_PREFIXES = ("m", "v")


def meta_step(method_name: str) -> tuple[Callable[[Tensors], Tensors], HyperParams, tuple[str, ...]]:
    """One meta-iteration of `method_name` (the trainers' `meta_iteration`) over named tensors.

    Returns the step function, the hyperparameters fixed in it, and the hyperparameter inputs.
    """
    method = METHODS[method_name]
    fixed = hyperparams(load_config(method_name))
    tunable = tuple(k for k in META_STEP_INPUTS if k in method.keys)

    def step(inputs: Tensors) -> Tensors:
        state = AdamState(
            m={n: inputs[f"m_{n}"] for n in PARAM_NAMES},
            v={n: inputs[f"v_{n}"] for n in PARAM_NAMES},
            t=inputs["t"],
        )
        batch = TaskBatch(inputs["support_x"], inputs["support_y"], inputs["query_x"], inputs["query_y"])
        hp = dataclasses.replace(fixed, **{k: inputs[k] for k in tunable})
        params, state, result = meta_iteration(method, network_params(inputs), state, batch, hp, inputs["outer_lr"])
        return {
            **{f"{n}_next": params[n] for n in PARAM_NAMES},
            **{f"{prefix}_{n}_next": getattr(state, prefix)[n] for prefix in STATE_PREFIXES for n in PARAM_NAMES},
            "t_next": state.t,
            "meta_loss": result.loss,
            **result.stats,
        }

    return step, fixed, tunable


def meta_step_spec(method_name: str) -> GraphSpec:
    fn, fixed, tunable = meta_step(method_name)
    gen = torch.Generator().manual_seed(3)
    params = sinusoid_params()
    state = {
        **{f"m_{n}": 0.01 * torch.randn(p.shape, generator=gen) for n, p in params.items()},
        **{f"v_{n}": 1e-4 * torch.rand(p.shape, generator=gen) for n, p in params.items()},
        "t": scalar(3.0),
    }
    batch = examples(4, support_x=(T, K, 1), support_y=(T, K, 1), query_x=(T, QUERY, 1), query_y=(T, QUERY, 1))
    config = load_config(method_name)
    hp_inputs = {k: scalar(float(config[k])) for k in tunable}
    example_inputs = {**params, **state, **batch, **hp_inputs, "outer_lr": scalar(float(config["outer_lr"]))}
    outputs = tuple(fn(example_inputs))
    frozen = {k: getattr(fixed, k) for k in ("inner_steps", "cg_steps", "cg_tol") if k in METHODS[method_name].keys}
    method = METHODS[method_name]
    outer = "interpolation rate epsilon (Adam state passed through)" if method.outer == "interpolate" else "Adam"
    return GraphSpec(
        name=f"meta_step_{method_name}",
        fn=fn,
        example_inputs=example_inputs,
        outputs=outputs,
        dynamic={
            **{k: {0: "T", 1: "K"} for k in ("support_x", "support_y")},
            **{k: {0: "T", 1: "Q"} for k in ("query_x", "query_y")},
        },
        description=(
            f"One meta-training iteration of {method.summary} on T sinusoid tasks, outer update by {outer}"
            f" with rate outer_lr; fixed at export: {frozen or 'nothing'}."
        ),
    )



def graph_specs() -> list[GraphSpec]:
    return [meta_step_spec(method) for method in METHODS]
