"""Many computation graphs featurized at once, equal to collating :func:`~nag.encoder.featurize.to_data`
of each (the same tensors bit for bit).

Graphs that share a *structure* (node count, edges, and which nodes are inputs, outputs
or ``zero``) share everything the path statistics' dynamic program and the pruning read
from the structure: path counts, which nodes survive pruning, the ends of the paths. So
they are grouped, and the program runs once per group on arrays ``[graphs, nodes,
quantities]``; what differs between the graphs of a group (their ops and attributes) only
enters as array values. In a space whose archs have a few structures and many attribute
choices (OFA's MobileNetV3: 243 structures), this is several times faster than one graph
at a time. Quantities are counts and kernel sizes, so every sum is exact in float64 and
the order of additions cannot change a result.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import torch
from torch_geometric.data import Batch

from nag.graph import OPS, CompGraph, Node
from nag.graph.compgraph import NODE_FEATURES, feature_row
from nag.graph.ops import OP_INDEX
from nag.graph.paths import PATH_QUANTITIES, quantity_rows
from nag.graph.pyg_batch import assemble_batch

_ROLES = {"input": 1, "output": 2, "zero": 3}
_LENGTH_Q = PATH_QUANTITIES.index("length")


def featurize_graphs(graphs: Sequence[CompGraph]) -> Batch:
    """The encoder's and predictor's inputs for ``graphs``: a PyG ``Batch`` with ``x``,
    ``op``, ``edge_index``, ``batch``, ``ptr``, ``stats`` and ``paths``."""
    sizes = np.array([g.num_nodes for g in graphs], dtype=np.int64)
    ptr = np.concatenate([[0], np.cumsum(sizes)])
    unique, index = _distinct_nodes(graphs)
    x = np.array([feature_row(n) for n in unique], dtype=np.float32).reshape(-1, NODE_FEATURES)[index]
    op_of, quantities = np.array([OP_INDEX[n.op] for n in unique], dtype=np.int64), quantity_rows(unique)
    edges = [np.array(g.edges, dtype=np.int64).reshape(-1, 2) + offset for g, offset in zip(graphs, ptr[:-1])]
    edge_index = np.concatenate(edges).T.copy() if edges else np.zeros((2, 0), dtype=np.int64)
    stats = np.zeros((len(graphs), len(OPS) + 4))
    paths = np.zeros((len(graphs), 1 + 3 * len(PATH_QUANTITIES)))
    for members in _groups(graphs).values():
        rows = np.stack([index[ptr[i] : ptr[i + 1]] for i in members])  # [B, N]: each node's distinct-node row
        stats[members], paths[members] = _group_features(graphs[members[0]], quantities[rows], op_of[rows])
    return assemble_batch(x, op_of[index], edge_index, ptr, stats=torch.log1p(torch.from_numpy(stats.astype(np.float32))),
                          paths=torch.from_numpy(paths.astype(np.float32)))  # fmt: skip


def _distinct_nodes(graphs: Sequence[CompGraph]) -> tuple[list[Node], np.ndarray]:
    """The distinct node objects of ``graphs`` (builders reuse theirs), and for every node of
    every graph, in order, its position among them."""
    position: dict[int, int] = {}
    unique: list[Node] = []
    index = []
    for g in graphs:
        for node in g.nodes:
            j = position.get(id(node))
            if j is None:
                j = position[id(node)] = len(unique)
                unique.append(node)
            index.append(j)
    return unique, np.array(index, dtype=np.int64)


def _groups(graphs: Sequence[CompGraph]) -> dict[tuple, list[int]]:
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, g in enumerate(graphs):
        groups[(g.edges, tuple(_ROLES.get(n.op, 0) for n in g.nodes))].append(i)
    return groups


def _group_features(graph: CompGraph, values: np.ndarray, ops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(stats before log1p, path statistics)`` of graphs of the structure of ``graph``,
    given their path quantities ``[B, N, Q]`` and op indices ``[B, N]``."""
    b = len(values)
    count, reach, high, low, ends = _path_program(graph, values)
    if count == 0.0:
        mean = high_end = low_end = np.zeros((b, values.shape[2]))
    else:
        mean = np.einsum("n,bnq->bq", reach, values) / count
        high_end, low_end = high[:, ends].max(axis=1), low[:, ends].min(axis=1)
    paths = np.concatenate([np.full((b, 1), np.log1p(count)), mean, high_end, low_end], axis=1)
    keep, kept_edges = _pruned(graph)
    hist = np.zeros((b, len(OPS)))
    np.add.at(hist, (np.arange(b)[:, None], ops[:, keep]), 1.0)
    structure = np.tile([len(keep), kept_edges, 0.0, count], (b, 1))
    structure[:, 2] = high_end[:, _LENGTH_Q]
    return np.concatenate([hist, structure], axis=1), paths


def _path_program(graph: CompGraph, values: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """:func:`nag.graph.paths.path_summary` for every graph of one structure at once: the
    number of paths, each node's weight in the mean (paths through it), the running
    maxima and minima ``[B, N, Q]`` and the outputs that paths reach."""
    n, order = graph.num_nodes, graph.topological_order()
    passable = [node.op != "zero" for node in graph.nodes]
    reach_in = [0.0] * n
    high = np.full(values.shape, -np.inf)
    low = np.full(values.shape, np.inf)
    for v in order:
        if not passable[v]:
            continue
        preds = [p for p in graph.predecessors(v) if reach_in[p] > 0]
        if graph.nodes[v].op == "input":
            reach_in[v], high[:, v], low[:, v] = 1.0, values[:, v], values[:, v]
        elif len(preds) == 1:
            reach_in[v] = reach_in[preds[0]]
            high[:, v] = values[:, v] + high[:, preds[0]]
            low[:, v] = values[:, v] + low[:, preds[0]]
        elif preds:
            reach_in[v] = sum(reach_in[p] for p in preds)
            high[:, v] = values[:, v] + high[:, preds].max(axis=1)
            low[:, v] = values[:, v] + low[:, preds].min(axis=1)
    reach_out = [0.0] * n
    for v in reversed(order):
        if passable[v]:
            reach_out[v] = float(graph.nodes[v].op == "output") + sum(reach_out[w] for w in graph.successors(v))
    ends = [o for o in graph.outputs() if reach_in[o] > 0]
    count = float(sum(reach_in[o] for o in ends))
    return count, np.asarray(reach_in) * np.asarray(reach_out), high, low, ends


def _pruned(graph: CompGraph) -> tuple[list[int], int]:
    """The nodes :meth:`CompGraph.pruned` keeps, and how many edges join them."""
    keep = graph.live_nodes()
    kept = set(keep)
    return keep, sum(1 for s, t in graph.edges if s in kept and t in kept)
