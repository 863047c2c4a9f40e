"""The NAS-Bench-201 search space: 15,625 cells of six edges with five ops each."""

from __future__ import annotations

import itertools
import numbers
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from nag.errors import InvalidArchitecture
from nag.graph import CompGraph
from nag.spaces.base import SearchSpace, SpaceDefaults
from nag.spaces.nb201 import graph as nb201_graph
from nag.spaces.nb201.network import CELL_EDGES, NB201_OPS, NB201Network

#: analog-nasbench op id -> NAS-Bench-201 op (its own order, see docs/data).
ANALOG_OPS: tuple[str, ...] = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
#: analog-nasbench tuple position -> cell edge (target, source).
ANALOG_EDGES: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (3, 0), (2, 1), (3, 1), (3, 2))

_OP_SET = frozenset(NB201_OPS)


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


#: the standard string; spaces may surround the ``+`` between nodes, never split an op name
_STR_PATTERN = re.compile(r"\|(\w+)~0\| *\+ *\|(\w+)~0\|(\w+)~1\| *\+ *\|(\w+)~0\|(\w+)~1\|(\w+)~2\|", re.ASCII)


@dataclass(frozen=True, order=True)
class NB201Arch:
    """A NAS-Bench-201 cell: the ops of its six edges in :data:`CELL_EDGES` order
    (``1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2``)."""

    ops: tuple[str, ...]
    #: the space every NB201Arch belongs to (:func:`nag.spaces.of`)
    space_name: ClassVar[str] = "nb201"

    def __str__(self) -> str:
        o = self.ops
        return f"|{o[0]}~0|+|{o[1]}~0|{o[2]}~1|+|{o[3]}~0|{o[4]}~1|{o[5]}~2|"

    @property
    def connected(self) -> bool:
        """Whether some path of non-``none`` edges leads from the cell input to its output.

        Cells without one are in the benchmark (their accuracy is chance level); they are
        members of the space, flagged here rather than rejected.
        """
        reach = {0}
        for (target, source), op in sorted(zip(CELL_EDGES, self.ops)):
            if op != "none" and source in reach:
                reach.add(target)
        return 3 in reach


class NB201Space(SearchSpace[NB201Arch]):
    """NAS-Bench-201 cells (Dong & Yang, ICLR 2020).

    Text form: the standard string ``|nor_conv_3x3~0|+|...|`` (surrounding whitespace
    and quotes, and spaces around each ``+``, are allowed). Also converts to and from
    the 6-tuple of analog-nasbench (:meth:`to_tuple` / :meth:`from_tuple`) and to a
    :class:`CompGraph` at ``level="cell"`` or ``level="network"``.
    """

    name = "nb201"
    description = "NAS-Bench-201 cells: six edges, five ops each (15,625 archs), with CIFAR-10 results"
    levels = ("cell", "network")
    defaults = SpaceDefaults(bench="nb201-cifar10", predictor="nb201-cifar10", generator="nb201", trace_options={"C": 8, "N": 1})

    def arch_type(self) -> type:
        return NB201Arch

    @property
    def size(self) -> int:
        return len(NB201_OPS) ** len(CELL_EDGES)

    # ------------------------------------------------------------- text, tuples
    def to_str(self, arch: NB201Arch) -> str:
        return str(arch)

    def from_str(self, text: str) -> NB201Arch:
        match = _STR_PATTERN.fullmatch(self.arch_text(text))
        if not match:
            raise InvalidArchitecture(
                f"{text!r} is not a NAS-Bench-201 arch string; expected "
                "'|op~0|+|op~0|op~1|+|op~0|op~1|op~2|' with op in " + ", ".join(NB201_OPS)
            )
        return self.from_ops(match.groups())

    def from_ops(self, ops: Sequence[str]) -> NB201Arch:
        ops = tuple(ops)
        if len(ops) != len(CELL_EDGES):
            raise InvalidArchitecture(f"a NAS-Bench-201 cell has 6 edge ops, got {len(ops)}")
        for edge, op in zip(CELL_EDGES, ops):
            if op not in NB201_OPS:
                raise InvalidArchitecture(
                    f"edge {edge[0]}<-{edge[1]} has unknown op {op!r}; choose one of: {', '.join(NB201_OPS)}"
                )
        return NB201Arch(ops)

    def to_tuple(self, arch: NB201Arch) -> tuple[int, ...]:
        """The analog-nasbench key of ``arch``."""
        by_edge = dict(zip(CELL_EDGES, arch.ops))
        return tuple(ANALOG_OPS.index(by_edge[e]) for e in ANALOG_EDGES)

    def from_tuple(self, key: Sequence[int]) -> NB201Arch:
        key = tuple(key)
        if len(key) != 6 or not all(_is_int(k) and 0 <= k < len(ANALOG_OPS) for k in key):
            raise InvalidArchitecture(f"{key!r} is not an analog-nasbench key (6 ints in 0..4)")
        by_edge = {e: ANALOG_OPS[int(k)] for e, k in zip(ANALOG_EDGES, key)}
        return NB201Arch(tuple(by_edge[e] for e in CELL_EDGES))

    def coerce(self, item: Any) -> NB201Arch:
        """Also accepts analog-nasbench 6-tuples (see :meth:`from_tuple`)."""
        if isinstance(item, (tuple, list)) and not isinstance(item, NB201Arch):
            return self.from_tuple(item)
        return super().coerce(item)

    # ------------------------------------------------------------------- graphs
    def to_graph(self, arch: NB201Arch | str, level: str = "cell", **network_kwargs: Any) -> CompGraph:
        """The arch as a computation graph; ``network_kwargs`` (num_classes, C, N,
        resolution) apply to ``level="network"``."""
        arch = self.coerce(arch)
        self.check_level(level)
        if level == "cell":
            return nb201_graph.cell_graph(arch.ops)
        return nb201_graph.network_graph(arch.ops, **network_kwargs)

    def from_graph(self, graph: CompGraph) -> NB201Arch:
        """The arch of a cell-level graph (any node numbering)."""
        return self.from_ops(nb201_graph.ops_from_cell_graph(graph))

    # ------------------------------------------------------------------ choices
    def choice_sizes(self) -> tuple[int, ...]:
        return (len(NB201_OPS),) * len(CELL_EDGES)

    def choices(self, arch: NB201Arch) -> tuple[int, ...]:
        return tuple(NB201_OPS.index(op) for op in arch.ops)

    def from_choices(self, choices: Sequence[int]) -> NB201Arch:
        return NB201Arch(tuple(NB201_OPS[c] for c in self.check_choices(choices)))

    def canonical(self, arch: NB201Arch) -> NB201Arch:
        if len(arch.ops) == len(CELL_EDGES) and all(op in _OP_SET for op in arch.ops):  # hot path in searches
            return arch
        return self.from_ops(arch.ops)

    def enumerate(self) -> Iterator[NB201Arch]:
        for ops in itertools.product(NB201_OPS, repeat=len(CELL_EDGES)):
            yield NB201Arch(ops)

    # -------------------------------------------------------------------- build
    def build(self, arch: NB201Arch | str, num_classes: int = 10, C: int = 16, N: int = 5, in_channels: int = 3) -> NB201Network:
        """The NAS-Bench-201 network for ``arch`` (same modules as the reference)."""
        return NB201Network(self.coerce(arch).ops, num_classes=num_classes, C=C, N=N, in_channels=in_channels)

    # ------------------------------------------------------- what it answers for
    def example_input(self, batch: int = 1, resolution: int = 32, in_channels: int = 3, **ignored: Any) -> tuple:
        """Images ``[batch, in_channels, resolution, resolution]`` for :meth:`build`'s network."""
        import torch

        return (torch.zeros(batch, in_channels, resolution, resolution),)

    def latency_plan(self, batch: int = 1, **options: Any) -> Any:
        """Each op at each stage's cell shape (:mod:`nag.spaces.nb201.latency`); ``options``:
        C, N, resolution, in_channels, num_classes."""
        from nag.build.limits import check_options
        from nag.spaces.nb201.latency import latency_plan

        check_options(latency_plan, options, "the nb201 latency plan", fixed=("batch",))
        return latency_plan(batch, **options)

    @property
    def cost_names(self) -> tuple[str, ...]:
        return ("params", "flops")

    def cost(self, archs: Sequence[Any], name: str, **options: Any) -> np.ndarray:
        """Params or MACs (one image of ``resolution``) of each arch's network built with
        ``options`` (num_classes, C, N, resolution), from the per-edge cost model."""
        from nag.build.limits import check_options
        from nag.spaces.nb201.benchmark import analytic_costs, cost_model

        if name not in self.cost_names:
            return super().cost(archs, name, **options)
        check_options(cost_model, options, "the nb201 cost model")
        return analytic_costs([self.coerce(a) for a in archs], **options)[name]

    def choice_labels(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """``op{target}_{source}`` per edge (kind ``op``), options the op names."""
        return tuple((f"op{target}_{source}", NB201_OPS) for target, source in CELL_EDGES)

    def layout(self) -> Any:
        """The cell's four nodes; each of the six edges is a slot whose type is one of the
        five ops (``none`` = no edge), so the topology diffuses with the ops."""
        from nag.diffusion.layout import GraphLayout, Slot

        return GraphLayout(4, tuple(Slot("edge", (source, target), len(NB201_OPS)) for target, source in CELL_EDGES))

    def benchmarks(self) -> dict[str, Any]:
        from nag.spaces.nb201.benchmark import load

        return {"nb201-cifar10": load}

    def graph_batch(self, archs: Sequence[NB201Arch], level: str) -> Any:
        """Cell graphs featurized a whole batch at a time (:mod:`nag.spaces.nb201.features`)."""
        if level != "cell":
            return None
        from nag.spaces.nb201.features import featurize_archs

        return featurize_archs(archs)
