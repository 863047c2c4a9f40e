"""``GraphBuilder``: append nodes one by one, then freeze them into a ``CompGraph``."""

from __future__ import annotations

from collections.abc import Iterable

from nag.graph.compgraph import CompGraph, Node


class GraphBuilder:
    """Mutable scratch pad for building a :class:`CompGraph` in topological order.

    Example:
        >>> b = GraphBuilder()
        >>> x = b.add("input")
        >>> y = b.add("relu", [x])
        >>> b.add("output", [y])
        2
        >>> b.build().ops
        ('input', 'relu', 'output')
    """

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.edges: list[tuple[int, int]] = []

    def add(self, op: str, inputs: Iterable[int] = (), **attrs) -> int:
        """Append a node fed by ``inputs``; returns its index."""
        self.nodes.append(Node(op, **attrs))
        index = len(self.nodes) - 1
        self.edges.extend((i, index) for i in inputs)
        return index

    def chain(self, source: int, nodes: Iterable[Node]) -> int:
        """Append ``nodes`` as a path starting after ``source``; returns the last index."""
        last = source
        for node in nodes:
            self.nodes.append(node)
            self.edges.append((last, len(self.nodes) - 1))
            last = len(self.nodes) - 1
        return last

    def build(self) -> CompGraph:
        return CompGraph(self.nodes, self.edges)
