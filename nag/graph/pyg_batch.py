"""A PyG ``Batch`` assembled from arrays, equal to collating the graphs one by one."""

from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data import Batch


def assemble_batch(x: np.ndarray, op: np.ndarray, edge_index: np.ndarray, ptr: np.ndarray, **per_graph: torch.Tensor) -> Batch:
    """The ``Batch`` that ``Batch.from_data_list`` would make of graphs whose nodes are rows
    ``ptr[i]:ptr[i + 1]`` of ``x`` (float32 features) and ``op`` (op indices), whose edges
    are the columns of ``edge_index`` (global node numbers, sorted by graph), with one row
    per graph of each ``per_graph`` tensor (e.g. ``stats``, ``paths``). It indexes and
    splits like a collated batch."""
    n = len(ptr) - 1
    batch = Batch(x=torch.from_numpy(x), op=torch.from_numpy(op), edge_index=torch.from_numpy(edge_index),
                  batch=torch.from_numpy(np.repeat(np.arange(n), np.diff(ptr))), ptr=torch.from_numpy(ptr),
                  num_nodes=int(ptr[-1]), **per_graph)  # fmt: skip
    # what Batch.from_data_list records, so the batch indexes and splits like a collated one
    nodes, edges = torch.from_numpy(ptr), torch.from_numpy(np.searchsorted(edge_index[0], ptr))
    graphs, zeros = torch.arange(n + 1), torch.zeros(n, dtype=torch.long)
    batch._slice_dict = {"x": nodes, "edge_index": edges, "op": nodes, **{k: graphs for k in per_graph}}
    batch._inc_dict = {"x": zeros, "edge_index": nodes[:-1], "op": zeros, **{k: zeros for k in per_graph}}
    batch._num_graphs = n
    batch._store._num_nodes = np.diff(ptr).tolist()
    return batch
