"""First-order MAML: MAML with the second-order terms dropped.

The inner gradients are detached, so d phi / d theta = I and the meta-gradient reduces to the
gradient of the query loss at the adapted parameters, grad L_query(phi). Same code as MAML.
"""
from __future__ import annotations

from trainers.methods.common import HyperParams, MetaStep, TaskBatch
from trainers.methods.maml import maml_meta_gradient
from trainers.params import Params


def fomaml_meta_gradient(params: Params, batch: TaskBatch, hp: HyperParams, **options) -> MetaStep:
    """`options` (model, loss, start) as for maml_meta_gradient."""
    return maml_meta_gradient(params, batch, hp, first_order=True, **options)
