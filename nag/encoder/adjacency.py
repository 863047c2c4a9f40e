"""The adjacency-with-ops encoding of graphs, read off a featurized batch.

Each graph becomes one 0/1 row: the op of each of its first :data:`ADJACENCY_NODES` nodes
(one-hot over :data:`~nag.graph.ops.OPS`, node by node in the graph's build order), then
its directed edges among those nodes (a flattened ``[ADJACENCY_NODES, ADJACENCY_NODES]``
adjacency matrix). This is the flat "adjacency matrix + op list" kind of encoding NAS
predictors have long used for cell spaces (BANANAS, White et al. 2021), over nag's one op
vocabulary: node attributes are not in it, so NAS-Bench-201's 1x1 and 3x3 convolutions
(both ``conv``, told apart by ``kernel``) look the same here; the path statistics'
receptive-field counts carry that. For the NAS-Bench-Graph cells, whose choices are an
input and an op per node, distinct archs get distinct rows (tested on a sample). Nodes
past the first :data:`ADJACENCY_NODES` (large traced models) are left out.

It is computed from the tensors every featurized batch already holds (``op``,
``edge_index``, ``batch``, ``ptr``), so it costs nothing per graph in Python.
"""

from __future__ import annotations

import torch
from torch_geometric.data import Batch

from nag.graph.ops import OPS

#: nodes encoded per graph (the largest NAS-Bench-201 cell graphs have 23)
ADJACENCY_NODES = 24
#: width of one encoded graph
ADJACENCY_WIDTH = ADJACENCY_NODES * len(OPS) + ADJACENCY_NODES * ADJACENCY_NODES


def adjacency_encoding(batch: Batch) -> torch.Tensor:
    """``[num_graphs, ADJACENCY_WIDTH]`` float32 0/1 rows, one per graph of ``batch``."""
    n, width = ADJACENCY_NODES, len(OPS)
    out = torch.zeros(batch.num_graphs, ADJACENCY_WIDTH)
    position = torch.arange(batch.op.numel()) - batch.ptr[batch.batch]  # each node's index in its graph
    kept = position < n
    out[batch.batch[kept], position[kept] * width + batch.op[kept]] = 1.0
    source, target = batch.edge_index
    both = kept[source] & kept[target]
    out[batch.batch[source[both]], n * width + position[source[both]] * n + position[target[both]]] = 1.0
    return out
