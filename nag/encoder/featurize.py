"""From archs and computation graphs to batched PyG tensors the encoder reads."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch_geometric.data import Batch, Data

from nag.errors import ConfigError
from nag.graph import OPS, CompGraph
from nag.graph.ops import OP_INDEX
from nag.graph.paths import PATH_QUANTITIES, PathSummary, path_summary
from nag.registry import Registry

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


def to_graphs(items: Iterable[Any], space: Any = None, level: str = "cell") -> list[CompGraph]:
    """``CompGraph``s for ``items`` (``CompGraph``s pass through; archs and arch strings
    need ``space``, a ``SearchSpace`` or its name)."""
    space = resolve_space(space)
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


#: ``"<space name>/<level>"`` -> featurizer(archs) -> ``Batch``, for spaces whose graphs follow
#: a template: the whole batch at once, equal to collating :func:`to_data` of each arch
BATCH_FEATURIZERS: Registry[Callable[[Sequence[Any]], Batch]] = Registry("batch featurizer")


@BATCH_FEATURIZERS.register("nb201/cell")
def _nb201_cells() -> Callable[[Sequence[Any]], Batch]:
    from nag.encoder.nb201_batch import featurize_archs  # imported on first use

    return featurize_archs


def featurize(items: Iterable[Any], space: Any = None, level: str = "cell", batch_size: int = 2048) -> list[Batch]:
    """Featurized ``items`` (``CompGraph``s, or archs / arch strings of ``space``) as
    batches of at most ``batch_size`` graphs, in order.

    Archs of a registered space with a :data:`BATCH_FEATURIZERS` entry for ``level`` are
    featurized a batch at a time; anything else one graph at a time (:func:`item_data`).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size must be a positive int, got {batch_size!r}")
    space = resolve_space(space)
    items = list(items)
    chunks = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
    key = f"{getattr(space, 'name', None)}/{level}"
    if key in BATCH_FEATURIZERS and _registered(space) and not any(isinstance(i, CompGraph) for i in items):
        featurizer = BATCH_FEATURIZERS.get(key)
        return [featurizer([space.coerce(i) for i in chunk]) for chunk in chunks]
    return [collate([item_data(i, space, level) for i in chunk]) for chunk in chunks]
