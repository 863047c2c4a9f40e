"""The choices of the DARTS space: per cell and per intermediate node, two inputs and two ops.

A DARTS cell has two inputs (node 0 = c_{k-2}, node 1 = c_{k-1}) and four intermediate
nodes 2..5; node ``n`` sums two *edges*, each an op applied to a distinct earlier node.
The choices of node ``n`` of cell ``c`` are ``c.n.in0``, ``c.n.op0``, ``c.n.in1``,
``c.n.op1`` (inputs ``0..n-1``, ops :data:`OPS`). A node's two edges are unordered, so
every arch is written one way only: ``in0 < in1`` (a :meth:`Rule.increasing`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nag.spaces.declared import Choice, Rule

#: The candidate operations of a DARTS edge (``none`` is not part of final genotypes).
OPS: tuple[str, ...] = (
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
#: The convolution ops: kernel, number of stacked (ReLU, depthwise, pointwise, BN) units, dilation.
CONV_OPS: dict[str, tuple[int, int, int]] = {
    "sep_conv_3x3": (3, 2, 1), "sep_conv_5x5": (5, 2, 1), "dil_conv_3x3": (3, 1, 2), "dil_conv_5x5": (5, 1, 2),
}  # fmt: skip
#: The two cell types, normal first.
CELLS: tuple[str, ...] = ("normal", "reduce")
#: The intermediate nodes of a cell.
NODES: tuple[int, ...] = (2, 3, 4, 5)
#: The nodes a cell's output concatenates (fixed).
CONCAT: tuple[int, ...] = NODES

#: An edge as DARTS writes it: ``(op, input node)``.
Edge = tuple[str, int]


def slot(cell: str, node: int, what: str, k: int) -> str:
    """The name of choice ``what`` (``"in"`` or ``"op"``) of edge ``k`` (0 or 1) of ``node``."""
    return f"{cell}.{node}.{what}{k}"


def declare_choices() -> list[Choice]:
    """Every choice, cell by cell, node by node: ``in0, op0, in1, op1``."""
    return [
        Choice(slot(cell, node, what, k), tuple(range(node)) if what == "in" else OPS)
        for cell in CELLS
        for node in NODES
        for k in (0, 1)
        for what in ("in", "op")
    ]


def declare_rules() -> list[Rule]:
    """Per node: its two inputs distinct and written in increasing order."""
    return [Rule.increasing(slot(cell, node, "in", 0), slot(cell, node, "in", 1)) for cell in CELLS for node in NODES]


def cell_edges(values: Mapping[str, Any], cell: str) -> tuple[Edge, ...]:
    """The 8 ``(op, input)`` edges of ``cell``, node by node, from choice values by name."""
    return tuple((values[slot(cell, node, "op", k)], values[slot(cell, node, "in", k)]) for node in NODES for k in (0, 1))


def edge_values(cell: str, edges: tuple[Edge, ...]) -> dict[str, Any]:
    """Choice values by name of ``cell``'s 8 edges (the inverse of :func:`cell_edges`)."""
    out: dict[str, Any] = {}
    for j, (op, source) in enumerate(edges):
        node, k = NODES[j // 2], j % 2
        out[slot(cell, node, "op", k)] = op
        out[slot(cell, node, "in", k)] = source
    return out
