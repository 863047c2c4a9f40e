"""From archs and computation graphs to batched PyG tensors the encoder reads."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

import torch
from torch_geometric.data import Batch, Data

from nag.encoder.batched import featurize_graphs
from nag.errors import ConfigError
from nag.graph import OPS, CompGraph
from nag.graph.ops import OP_INDEX
from nag.graph.paths import PATH_QUANTITIES, PathSummary, path_summary

#: Whole-graph statistics appended to the pooled embedding, in this order: the op
#: histogram of the pruned graph, then log(1 + x) of its node count, edge count, longest
#: input-to-output path (in nodes) and number of input-to-output paths.
GRAPH_STATS = len(OPS) + 4


def resolve_space(space: Any) -> Any:
    """A ``SearchSpace`` from itself or its registered name (``None`` stays ``None``)."""
    if isinstance(space, str):
        from nag import spaces

        return spaces.get(space)
    if space is not None and not (hasattr(space, "coerce") and hasattr(space, "to_graph")):
        raise ConfigError(f"space must be a SearchSpace or its name, got {type(space).__name__} {space!r:.60}")
    return space


def level_of(space: Any, level: str | None) -> str:
    """``level``, or by default the space's first graph level (``"cell"`` without a space)."""
    if level is not None:
        return level
    return space.levels[0] if space is not None else "cell"


def to_graphs(items: Iterable[Any], space: Any = None, level: str | None = None) -> list[CompGraph]:
    """``CompGraph``s for ``items`` (``CompGraph``s pass through; archs and arch strings
    need ``space``, a ``SearchSpace`` or its name); ``level``: by default the space's first."""
    space = resolve_space(space)
    level = level_of(space, level)
    graphs = []
    for item in items:
        if isinstance(item, CompGraph):
            graphs.append(item)
        elif space is None:
            raise ConfigError(f"{item!r} is not a CompGraph; pass space= to read archs")
        else:
            graphs.append(space.to_graph(space.coerce(item), level))
    return graphs


def graph_stats(graph: CompGraph, paths: PathSummary | None = None) -> torch.Tensor:
    """The :data:`GRAPH_STATS` whole-graph features of ``graph`` (``paths``: its
    :func:`~nag.graph.paths.path_summary`, when already computed)."""
    pruned = graph.pruned()
    hist = [0.0] * len(OPS)
    for node in pruned.nodes:
        hist[OP_INDEX[node.op]] += 1
    paths = path_summary(graph) if paths is None else paths
    longest = paths.max[PATH_QUANTITIES.index("length")]
    return torch.log1p(torch.tensor([*hist, pruned.num_nodes, len(pruned.edges), longest, paths.count], dtype=torch.float32))


def to_data(graph: CompGraph) -> Data:
    """``graph.to_pyg()`` plus ``stats`` ``[1, GRAPH_STATS]`` (the encoder's input) and
    ``paths`` ``[1, len(PATH_STATS)]`` (:func:`nag.graph.paths.path_stats`, the predictor's)."""
    data, paths = graph.to_pyg(), path_summary(graph)
    data.stats = graph_stats(graph, paths).unsqueeze(0)
    data.paths = torch.as_tensor(paths.vector(), dtype=torch.float32).unsqueeze(0)
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


def item_data(item: Any, space: Any = None, level: str | None = None) -> Data:
    """Featurized ``item``: a ``CompGraph``, or an arch / arch string of ``space``."""
    level = level_of(space, level)
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


def featurize(items: Iterable[Any], space: Any = None, level: str | None = None, batch_size: int = 2048) -> list[Batch]:
    """Featurized ``items`` (``CompGraph``s, or archs / arch strings of ``space``) as
    batches of at most ``batch_size`` graphs, in order.

    Archs of a space that featurizes its graphs itself (:meth:`~nag.spaces.SearchSpace.graph_batch`)
    go that way; anything else becomes graphs featurized together
    (:func:`nag.encoder.batched.featurize_graphs`, equal to collating :func:`to_data` of each).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size must be a positive int, got {batch_size!r}")
    space = resolve_space(space)
    level = level_of(space, level)
    items = list(items)
    chunks = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
    if space is not None and not any(isinstance(i, CompGraph) for i in items):
        batches = [space.graph_batch([space.coerce(i) for i in chunk], level) for chunk in chunks[:1]]
        if batches and batches[0] is not None:  # None: the space has no batch featurizer for this level
            return batches + [space.graph_batch([space.coerce(i) for i in chunk], level) for chunk in chunks[1:]]
    return [featurize_graphs(to_graphs(chunk, space, level)) for chunk in chunks]
