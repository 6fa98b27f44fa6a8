"""The catalogue of ONNX graphs: every computation a figure runs, written once in torch.

One module per family of graphs, each ending with its `graph_specs()`: a list of `GraphSpec`s, each
a step function over named tensors (built from the trainers' own pieces: trainers.sinusoid_mlp,
trainers.inner, trainers.methods, trainers.sinusoid, trainers.toys), example inputs, the output
names and the dynamic dimensions. Graphs take parameters and data as inputs, so one graph serves
every model and every toy data set. A new graph goes into its family's list; the catalogue is
those lists, in this order, and nothing else.
"""
from __future__ import annotations

from trainers.graphs import bumps, comparison, line, meta_step, meta_train, omniglot, quadratic, sinusoid
from trainers.onnx_export import GraphSpec

FAMILIES = (sinusoid, line, quadratic, comparison, meta_step, meta_train, bumps, omniglot)


def catalogue() -> dict[str, GraphSpec]:
    """Every graph `article export` writes, by name (the file is <name>.onnx)."""
    specs: dict[str, GraphSpec] = {}
    for family in FAMILIES:
        for spec in family.graph_specs():
            if spec.name in specs:
                raise ValueError(f"two graphs are called {spec.name} (the second in {family.__name__})")
            specs[spec.name] = spec
    return specs
