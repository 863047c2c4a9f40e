"""Statistics of a computation graph's input-to-output paths.

Every path from an input to an output that avoids ``zero`` nodes carries data; along
each one we count the nodes of every op, its length (in nodes) and its receptive-field
growth (``kernel - 1`` summed over convolutions and poolings, and over convolutions only).
:func:`path_summary` gives, for each such quantity, its mean over all paths (paths
weighted equally) and its maximum and minimum over paths, plus the number of paths.
These are the kind of hand-made cell features that rank NAS-Bench-201 cells well from few
labels (GRAF, Kadlecová et al. 2024, counts ops on paths); here they come from the graph
alone, so they exist for every space and every traced model.

All of it is one dynamic program over a topological order: linear in the edges, without
enumerating paths (whose number grows exponentially with depth).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nag.graph.compgraph import CompGraph, Node
from nag.graph.ops import OP_INDEX, OPS

#: quantities summed along a path: the count of each op, then the path's length and
#: its receptive-field growth (all kernel ops, convolutions only)
PATH_QUANTITIES: tuple[str, ...] = (*OPS, "length", "receptive_field", "conv_receptive_field")
#: names of :func:`path_stats`' entries, in order
PATH_STATS: tuple[str, ...] = (
    "log_paths",
    *(f"{s}_{q}" for s in ("mean", "max", "min") for q in PATH_QUANTITIES),
)
_KERNEL_OPS = frozenset({"conv", "dwconv", "maxpool", "avgpool"})
_CONV_OPS = frozenset({"conv", "dwconv"})


@dataclass(frozen=True)
class PathSummary:
    """Paths from inputs to outputs avoiding ``zero`` nodes.

    ``count`` is their number; ``mean``, ``max`` and ``min`` (each ``[len(PATH_QUANTITIES)]``)
    are each quantity's mean over paths and its extremes over paths (all zeros when there
    is no path).
    """

    count: float
    mean: np.ndarray
    max: np.ndarray
    min: np.ndarray

    def vector(self) -> np.ndarray:
        """The :data:`PATH_STATS` entries (the count as ``log(1 + count)``), float64."""
        return np.concatenate([[np.log1p(self.count)], self.mean, self.max, self.min])


def node_quantities(graph: CompGraph) -> np.ndarray:
    """``[num_nodes, len(PATH_QUANTITIES)]``: what each node adds to a path through it."""
    return quantity_rows(graph.nodes)


def quantity_rows(nodes: Sequence[Node]) -> np.ndarray:
    """``[len(nodes), len(PATH_QUANTITIES)]``: what each of ``nodes`` adds to a path through it."""
    n = len(nodes)
    out = np.zeros((n, len(PATH_QUANTITIES)))
    out[np.arange(n), [OP_INDEX[node.op] for node in nodes]] = 1.0
    out[:, len(OPS)] = 1.0
    for i, node in enumerate(nodes):
        growth = max((node.kernel or 1) - 1, 0)
        out[i, len(OPS) + 1] = growth if node.op in _KERNEL_OPS else 0.0
        out[i, len(OPS) + 2] = growth if node.op in _CONV_OPS else 0.0
    return out


def path_summary(graph: CompGraph) -> PathSummary:
    """The :class:`PathSummary` of ``graph`` (``zero`` nodes block the paths through them)."""
    values = node_quantities(graph)
    order = graph.topological_order()
    passable = [node.op != "zero" for node in graph.nodes]
    width = values.shape[1]
    # forward: paths from an input to each node, and the extremes of each quantity along them
    # (Python scalars and row-wise numpy: these graphs are small, so per-call overhead dominates)
    reach_in = [0.0] * graph.num_nodes
    high = np.full((graph.num_nodes, width), -np.inf)
    low = np.full((graph.num_nodes, width), np.inf)
    for v in order:
        if not passable[v]:
            continue
        preds = [p for p in graph.predecessors(v) if reach_in[p] > 0]
        if graph.nodes[v].op == "input":
            reach_in[v], high[v], low[v] = 1.0, values[v], values[v]
        elif len(preds) == 1:
            reach_in[v] = reach_in[preds[0]]
            high[v] = values[v] + high[preds[0]]
            low[v] = values[v] + low[preds[0]]
        elif preds:
            reach_in[v] = sum(reach_in[p] for p in preds)
            high[v] = values[v] + high[preds].max(axis=0)
            low[v] = values[v] + low[preds].min(axis=0)
    # backward: paths from each node to an output
    reach_out = [0.0] * graph.num_nodes
    for v in reversed(order):
        if passable[v]:
            reach_out[v] = float(graph.nodes[v].op == "output") + sum(reach_out[w] for w in graph.successors(v))
    ends = [o for o in graph.outputs() if reach_in[o] > 0]
    count = float(sum(reach_in[o] for o in ends))
    if count == 0.0:
        zeros = np.zeros(width)
        return PathSummary(0.0, zeros, zeros.copy(), zeros.copy())
    mean = (np.asarray(reach_in) * np.asarray(reach_out)) @ values / count
    return PathSummary(count, mean, high[ends].max(axis=0), low[ends].min(axis=0))


def path_stats(graph: CompGraph) -> np.ndarray:
    """``[len(PATH_STATS)]`` float64 path statistics of ``graph`` (:meth:`PathSummary.vector`)."""
    return path_summary(graph).vector()
