"""Computation graphs: one vocabulary of atomic ops for every space and every model."""

from nag.graph.builder import GraphBuilder
from nag.graph.compgraph import CompGraph, Node
from nag.graph.ops import NUMERIC_ATTRS, OPS, op_index

__all__ = ["CompGraph", "Node", "GraphBuilder", "OPS", "NUMERIC_ATTRS", "op_index", "from_module"]


def __getattr__(name: str):
    # from_module pulls in torch.fx / torch.export; import it only when asked for.
    if name == "from_module":
        from nag.graph.trace import from_module

        return from_module
    raise AttributeError(f"module 'nag.graph' has no attribute {name!r}")
