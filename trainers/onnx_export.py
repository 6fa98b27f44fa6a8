"""Turn any step function written once in torch into an ONNX graph the browser can run.

A step function takes a dict of named tensors and returns a dict of named tensors. It may use
`torch.func` freely (`grad`, `vmap`, `functional_call`): the dynamo exporter cannot trace those
directly, so we first let `make_fx` flatten the function into plain aten ops with symbolic shapes,
then export that graph through a module whose `forward` has the inputs' names as parameters, so
`dynamic_shapes` can be keyed by name and the ONNX inputs and outputs carry stable names (the
figures address tensors by these names).

The returned signature is read back from the written file, so what the manifest says is what the
graph is.
"""
from __future__ import annotations

import contextlib
import inspect
import io
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import torch
from torch.fx.experimental.proxy_tensor import make_fx

from trainers.onnx_constants import check_small_constants

Tensors = dict[str, torch.Tensor]
StepFunction = Callable[[Tensors], Tensors]

# onnxruntime-web 1.30 (wasm) runs every standard ai.onnx op of this opset.
OPSET = 20


@dataclass(frozen=True)
class GraphSpec:
    """One graph of the catalogue: the torch function, example inputs and the dynamic axes.

    `dynamic` maps an input name to {axis: dimension name}; axes sharing a name must agree at run
    time (e.g. support_x and support_y both have K rows). The example inputs fix dtypes and the
    static sizes, and should give distinct dynamic dimensions distinct sizes above 1, so the
    tracer cannot mistake one for another or specialise a size of 1.
    """

    name: str
    fn: StepFunction
    example_inputs: Tensors
    outputs: tuple[str, ...]
    description: str
    dynamic: dict[str, dict[int, str]] = field(default_factory=dict)

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(self.example_inputs)

    def run_torch(self, inputs: Tensors) -> Tensors:
        """The reference: the same function evaluated eagerly by torch."""
        with torch.no_grad():
            result = self.fn({name: inputs[name] for name in self.inputs})
        return {name: result[name] for name in self.outputs}


def _flat(spec: GraphSpec) -> Callable[..., tuple[torch.Tensor, ...]]:
    """The step function with positional inputs and a tuple of outputs, in the spec's order."""

    def flat(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        result = spec.fn(dict(zip(spec.inputs, tensors)))
        missing = set(spec.outputs) - set(result)
        if missing:
            raise KeyError(f"graph {spec.name} does not produce {sorted(missing)}")
        return tuple(result[name] for name in spec.outputs)

    return flat


class _NamedInputs(torch.nn.Module):
    """Calls a traced graph; its `forward` advertises the input names to torch.export."""

    def __init__(self, graph: torch.fx.GraphModule, names: tuple[str, ...]) -> None:
        super().__init__()
        self.graph_module = graph

        def forward(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
            return self.graph_module(*tensors)

        forward.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
        )
        self.forward = forward  # type: ignore[method-assign]


def _dynamic_shapes(spec: GraphSpec) -> dict[str, dict[int, torch.export.Dim] | None]:
    dims: dict[str, torch.export.Dim] = {}
    shapes: dict[str, dict[int, torch.export.Dim] | None] = {}
    for name in spec.inputs:
        axes = spec.dynamic.get(name)
        if not axes:
            shapes[name] = None
            continue
        shapes[name] = {
            axis: dims.setdefault(dim, torch.export.Dim(dim, min=1)) for axis, dim in axes.items()
        }
    unknown = set(spec.dynamic) - set(spec.inputs)
    if unknown:
        raise KeyError(f"graph {spec.name}: dynamic axes for unknown inputs {sorted(unknown)}")
    return shapes


@contextlib.contextmanager
def _quiet():
    """The exporter narrates every stage and warns about optional packages; keep CLI output clean."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def export_graph(spec: GraphSpec, path: Path, opset: int = OPSET) -> dict:
    """Write `spec` as an ONNX file at `path` and return its signature for the manifest.

    Refused, before anything is written, if the exporter dropped a small constant of the function
    (trainers.onnx_constants); refused after writing if the file computes otherwise than torch.
    """
    examples = tuple(spec.example_inputs[name] for name in spec.inputs)
    with _quiet():
        traced = make_fx(_flat(spec), tracing_mode="symbolic")(*examples)
        program = torch.onnx.export(
            _NamedInputs(traced, spec.inputs),
            examples,
            dynamo=True,
            input_names=list(spec.inputs),
            output_names=list(spec.outputs),
            dynamic_shapes=_dynamic_shapes(spec),
            opset_version=opset,
            external_data=False,
            verbose=False,
        )
    model = program.model_proto
    check_small_constants(spec.name, traced, model)
    _strip(model.graph)
    del model.metadata_props[:]
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    check_against_torch(spec, path)
    return signature(path)


class ExportMismatch(RuntimeError):
    """The written graph does not compute what its torch function computes."""


def check_against_torch(spec: GraphSpec, path: Path, rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """Run the ONNX file on the spec's example inputs and compare every output with torch.

    The exporter's optimiser has silently changed graphs before (it folded `x + 1e-8` into `x`),
    and the browser would run the wrong maths with no error; this stops the export instead.
    """
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(list(spec.outputs), {name: value.numpy() for name, value in spec.example_inputs.items()})
    want = spec.run_torch(spec.example_inputs)
    for name, value in zip(spec.outputs, got):
        reference = want[name].numpy()
        if value.shape != reference.shape or not np.allclose(value, reference, rtol=rtol, atol=atol, equal_nan=True):
            worst = float(np.max(np.abs(value - reference))) if value.shape == reference.shape else float("nan")
            raise ExportMismatch(
                f"graph {spec.name}: output {name} of {path} differs from the torch function on the example"
                f" inputs (shapes {value.shape} / {reference.shape}, largest difference {worst:.3g}); the exporter"
                " changed the computation: look for a constant it may have folded away"
            )


def _strip(graph: onnx.GraphProto) -> None:
    """Drop what the exporter records for debugging and nothing needs at run time.

    Stack traces (with absolute paths and per-process counters), fx node texts and intermediate
    shape annotations make up most of a file's bytes and would make its sha256 depend on the
    machine, the checkout's path and what the process traced before.
    """
    del graph.metadata_props[:]
    del graph.value_info[:]
    graph.doc_string = ""
    for value in (*graph.input, *graph.output):
        del value.metadata_props[:]
        value.doc_string = ""
    for node in graph.node:
        del node.metadata_props[:]
        node.doc_string = ""
        for attribute in node.attribute:
            if attribute.HasField("g"):
                _strip(attribute.g)
            for subgraph in attribute.graphs:
                _strip(subgraph)


def _value_info(value: onnx.ValueInfoProto) -> dict:
    tensor = value.type.tensor_type
    shape = [d.dim_param if d.dim_param else d.dim_value for d in tensor.shape.dim]
    dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name
    return {"name": value.name, "dtype": dtype, "shape": shape}


def signature(path: Path) -> dict:
    """Opset, inputs and outputs (name, dtype, shape; symbolic dims as strings) of an ONNX file."""
    model = onnx.load(str(path))
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    return {
        "opset": opset,
        "inputs": [_value_info(v) for v in model.graph.input],
        "outputs": [_value_info(v) for v in model.graph.output],
    }
