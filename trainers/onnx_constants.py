"""Refuse an exported graph that lost a small constant of its torch function.

The exporter's optimiser rewrites `x + c` as `x` when the scalar c lies within 1e-8 of zero
(onnxscript's add_0 rule). Adam's eps vanished from the meta-step graphs that way. On the example
inputs the two graphs agreed to float32 rounding, so comparing their outputs could not see it; in
the browser a gradient of exactly zero then gave 0/0 = NaN. A constant that small matters only
where its partner is as small, which example inputs rarely are, so this check is structural:
every small constant the traced function uses must still be in the ONNX file, as an initializer,
a Constant node or an attribute.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import onnx
import torch
from onnx import numpy_helper

# Constants smaller than this in size are checked. Larger ones change a result visibly, and
# check_against_torch sees that on the example inputs.
SMALL = 1e-3
# Tensor constants with more elements than this are data (a lookup table, say), not a tolerance.
MAX_ELEMENTS = 64


class FoldedConstant(RuntimeError):
    """A small constant of the torch function is missing from the exported graph."""


def _is_small(value: float) -> bool:
    return 0.0 < abs(value) < SMALL


def _live_nodes(graph: torch.fx.Graph) -> list[torch.fx.Node]:
    """The nodes the outputs depend on: the exporter drops the others, with their constants."""
    live: set[torch.fx.Node] = set()
    stack = [node for node in graph.nodes if node.op == "output"]
    while stack:
        node = stack.pop()
        if node not in live:
            live.add(node)
            stack.extend(node.all_input_nodes)
    return [node for node in graph.nodes if node in live]


def _attribute(module: torch.nn.Module, target: str) -> object:
    for part in target.split("."):
        module = getattr(module, part)
    return module


def traced_small_constants(traced: torch.fx.GraphModule) -> set[float]:
    """The small float constants the traced function computes with: Python numbers among the
    arguments of its operations, and the elements of its small tensor constants."""
    found: set[float] = set()
    for node in _live_nodes(traced.graph):
        if node.op == "get_attr":
            value = _attribute(traced, str(node.target))
            if isinstance(value, torch.Tensor) and value.is_floating_point() and value.numel() <= MAX_ELEMENTS:
                found.update(v for v in value.detach().flatten().tolist() if _is_small(v))
        elif node.op == "call_function":
            torch.fx.node.map_aggregate(
                (node.args, node.kwargs),
                lambda arg: found.add(arg) if isinstance(arg, float) and _is_small(arg) else None,
            )
    return found


def _graph_values(graph: onnx.GraphProto) -> Iterator[np.ndarray]:
    for tensor in graph.initializer:
        yield numpy_helper.to_array(tensor)
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField("t"):
                yield numpy_helper.to_array(attribute.t)
            if attribute.type == onnx.AttributeProto.FLOAT:
                yield np.array(attribute.f)
            if attribute.floats:
                yield np.array(attribute.floats)
            if attribute.HasField("g"):
                yield from _graph_values(attribute.g)
            for subgraph in attribute.graphs:
                yield from _graph_values(subgraph)


def onnx_float_constants(model: onnx.ModelProto) -> set[np.float32]:
    """Every floating-point value the ONNX graph holds as a constant, in float32."""
    values: set[np.float32] = set()
    for array in _graph_values(model.graph):
        if np.issubdtype(array.dtype, np.floating) and array.size <= MAX_ELEMENTS:
            values.update(np.float32(v) for v in array.flatten())
    return values


def check_small_constants(name: str, traced: torch.fx.GraphModule, model: onnx.ModelProto) -> None:
    """Raise FoldedConstant if a small constant of `traced` (either sign) is not in `model`."""
    present = onnx_float_constants(model)
    missing = sorted(c for c in traced_small_constants(traced) if np.float32(c) not in present and np.float32(-c) not in present)
    if missing:
        raise FoldedConstant(
            f"graph {name}: the exporter dropped the constant(s) {', '.join(f'{c:g}' for c in missing)} of the torch"
            " function (it rewrites x + c as x for a scalar c this close to zero). Write such a constant as a"
            " one-element tensor, e.g. torch.tensor([1e-8], dtype=x.dtype), which the rewrite leaves alone."
        )
