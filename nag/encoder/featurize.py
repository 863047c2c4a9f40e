"""From archs and computation graphs to batched PyG tensors the encoder reads."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from typing import Any

import torch
from torch_geometric.data import Batch, Data

from nag.errors import ConfigError
from nag.graph import OPS, CompGraph
from nag.graph.ops import OP_INDEX

#: Whole-graph statistics appended to the pooled embedding, in this order: the op
#: histogram of the pruned graph, then log(1 + x) of its node count, edge count, longest
#: input-to-output path (in nodes) and number of input-to-output paths.
GRAPH_STATS = len(OPS) + 4


def to_graphs(items: Iterable[Any], space: Any = None, level: str = "cell") -> list[CompGraph]:
    """``CompGraph``s for ``items`` (``CompGraph``s pass through; archs and arch strings
    need ``space``, a ``SearchSpace``)."""
    graphs = []
    for item in items:
        if isinstance(item, CompGraph):
            graphs.append(item)
        elif space is None:
            raise ConfigError(f"{item!r} is not a CompGraph; pass space= to read archs")
        else:
            graphs.append(space.to_graph(space.coerce(item), level))
    return graphs


def _paths(graph: CompGraph) -> tuple[int, int]:
    """(longest path in nodes, number of paths) from any input to any output."""
    longest = {i: 1 if graph.nodes[i].op == "input" else -math.inf for i in range(graph.num_nodes)}
    count = {i: 1 if graph.nodes[i].op == "input" else 0 for i in range(graph.num_nodes)}
    for node in graph.topological_order():
        for pred in graph.predecessors(node):
            longest[node] = max(longest[node], longest[pred] + 1)
            count[node] += count[pred]
    outs = graph.outputs()
    best = max(longest[o] for o in outs)
    return (0 if best == -math.inf else int(best)), sum(count[o] for o in outs)


def graph_stats(graph: CompGraph) -> torch.Tensor:
    """The :data:`GRAPH_STATS` whole-graph features of ``graph``."""
    pruned = graph.pruned()
    hist = torch.zeros(len(OPS))
    for node in pruned.nodes:
        hist[OP_INDEX[node.op]] += 1
    longest, paths = _paths(pruned)
    extra = torch.tensor([pruned.num_nodes, len(pruned.edges), longest, paths], dtype=torch.float32)
    return torch.cat([torch.log1p(hist), torch.log1p(extra)])


def to_data(graph: CompGraph) -> Data:
    """``graph.to_pyg()`` plus ``stats`` ``[1, GRAPH_STATS]`` and the reversed edges."""
    data = graph.to_pyg()
    data.stats = graph_stats(graph).unsqueeze(0)
    return data


@functools.lru_cache(maxsize=200_000)
def graph_data(graph: CompGraph) -> Data:
    """:func:`to_data` of ``graph``, cached (a shared, read-only result: do not modify it)."""
    return to_data(graph)


@functools.lru_cache(maxsize=200_000)
def arch_data(space_name: str, arch: Any, level: str = "cell") -> Data:
    """:func:`to_data` of an arch of the registered space ``space_name``, cached and shared
    by every encoder and predictor in the process (read-only: do not modify it)."""
    from nag import spaces

    space = spaces.get(space_name)
    return to_data(space.to_graph(space.coerce(arch), level))


def item_data(item: Any, space: Any = None, level: str = "cell") -> Data:
    """Featurized ``item``: a ``CompGraph``, or an arch / arch string of ``space``."""
    if isinstance(item, CompGraph):
        return graph_data(item)
    if space is None:
        raise ConfigError(f"{item!r} is not a CompGraph; pass space= to read archs")
    arch = space.coerce(item)
    if _registered(space):
        return arch_data(space.name, arch, level)
    return to_data(space.to_graph(arch, level))


def _registered(space: Any) -> bool:
    from nag import spaces

    return space.name in spaces.names() and spaces.get(space.name) is space


def collate(datas: Sequence[Data]) -> Batch:
    return Batch.from_data_list(list(datas))
