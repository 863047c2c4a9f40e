"""``DartsSpace``: the DARTS / NAS-Bench-301 cell space as a declared space."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from nag.build.limits import MAX_PARAMS, check_dims, check_options
from nag.errors import ConfigError, InvalidArchitecture
from nag.graph import CompGraph
from nag.spaces.base import SpaceDefaults
from nag.spaces.darts import genotype as genotypes
from nag.spaces.darts.choices import CELLS, CONCAT, cell_edges, declare_choices, declare_rules
from nag.spaces.darts.costs import cost_terms, network_cost
from nag.spaces.darts.graph import cell_graph, network_graph, read_cell_graph
from nag.spaces.darts.network import DartsNetwork
from nag.spaces.darts.plan import check_resolution, network_plan
from nag.spaces.declared import DeclaredArch, DeclaredSpace


class DartsSpace(DeclaredSpace):
    """The DARTS (NAS-Bench-301) space: a normal and a reduction cell.

    In each cell, intermediate nodes 2..5 each take two *distinct* earlier nodes (0 =
    c_{k-2}, 1 = c_{k-1}, or an earlier intermediate node), each through one of seven ops
    (:data:`~nag.spaces.darts.choices.OPS`); the cell output concatenates nodes 2..5. The
    choices are ``normal.2.in0``, ``normal.2.op0``, ``normal.2.in1``, ``normal.2.op1``, ...,
    then ``reduce.*``.

    A node's two inputs are unordered, so each arch has one writing: ``in0 < in1`` (the
    pair with the smaller input first). Under that convention a cell has
    ``1 * 3 * 6 * 10 = 180`` input choices times ``49`` op pairs per node, and the space
    holds ``(180 * 7**8) ** 2 = 1,076,746,950,455,072,400`` archs. Archs that differ only
    by which of two independent intermediate nodes is numbered first are different members
    (their genotype strings differ).

    Text form: the DARTS genotype string (:mod:`~nag.spaces.darts.genotype`). Networks:
    the DARTS CIFAR evaluation network (:meth:`build`). Costs: ``params`` and ``flops``
    (multiply-accumulates), exact and additive, at any :meth:`build` options plus
    ``resolution``.
    """

    defaults = SpaceDefaults(generator="darts", trace_options={"C": 8, "layers": 5, "num_classes": 10})

    def __init__(self) -> None:
        super().__init__(
            "darts", declare_choices(), declare_rules(), costs=cost_terms, text=genotypes.template(),
            levels=("cell", "network"), task="image_classification",
            description=("DARTS / NAS-Bench-301: a normal and a reduction cell, "
                         "4 nodes each summing 2 distinct earlier nodes through 7 ops"),
        )  # fmt: skip

    def __reduce__(self):
        return (make_space, ())

    # ------------------------------------------------------------------ text
    def from_str(self, text: str) -> DeclaredArch:
        """The arch of a DARTS genotype string (see :mod:`~nag.spaces.darts.genotype`)."""
        return self._checked_arch(genotypes.parse(self.arch_text(text)))

    def from_genotype(self, normal: Sequence[Any], reduce: Sequence[Any], normal_concat: Sequence[int] = CONCAT,
                      reduce_concat: Sequence[int] = CONCAT) -> DeclaredArch:  # fmt: skip
        """The arch of each cell's 8 ``(op, input)`` pairs (a node's two pairs in either order)."""
        values = {**genotypes.cell_values("normal", normal, normal_concat),
                  **genotypes.cell_values("reduce", reduce, reduce_concat)}  # fmt: skip
        return self._checked_arch(values)

    def _checked_arch(self, values: dict[str, Any]) -> DeclaredArch:
        """The arch of every choice's value, already checked by :func:`genotypes.cell_values`
        (ops known, inputs earlier, distinct and increasing: exactly the space's rules)."""
        return DeclaredArch(self.name, tuple(c.index(values[c.name]) for c in self.declared_choices), self)

    def genotype(self, arch: Any) -> genotypes.Genotype:
        """The arch as a :class:`~nag.spaces.darts.genotype.Genotype` (canonical order)."""
        return genotypes.to_genotype(self.values(arch))

    def coerce(self, item: Any) -> DeclaredArch:
        """An arch from an arch, a genotype string, a ``Genotype`` named tuple (DARTS's own
        too), a mapping choice name -> value or a cell-level graph."""
        fields = getattr(item, "_fields", ())
        if isinstance(item, tuple) and "normal" in fields and "reduce" in fields:
            return self.from_genotype(item.normal, item.reduce, getattr(item, "normal_concat", CONCAT),
                                      getattr(item, "reduce_concat", CONCAT))  # fmt: skip
        return super().coerce(item)

    def edges(self, arch: Any) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]]:
        """The normal and reduction cells' ``(op, input)`` pairs, canonical order."""
        values = self.values(arch)
        return cell_edges(values, CELLS[0]), cell_edges(values, CELLS[1])

    # ---------------------------------------------------------------- build
    def build(self, arch: Any, C: int = 36, layers: int = 20, num_classes: int = 10, auxiliary: bool = False,
              in_channels: int = 3, drop_path: float = 0.0) -> DartsNetwork:  # fmt: skip
        """The DARTS CIFAR evaluation network of ``arch`` (:class:`~nag.spaces.darts.network.DartsNetwork`).

        Args:
            C: initial cell width (the stem has ``3 C`` channels; each reduction doubles it).
            layers: number of cells; cells ``layers // 3`` and ``2 * layers // 3`` reduce.
            num_classes: classifier outputs.
            auxiliary: add the auxiliary head after cell ``2 * layers // 3`` (32x32 inputs).
            in_channels: input image channels.
            drop_path: drop-path probability of the non-identity edges in training mode.
        """
        normal, reduce = self.edges(arch)
        check_dims(num_classes=num_classes)
        if not isinstance(auxiliary, bool):
            raise ConfigError(f"auxiliary must be True or False, got {auxiliary!r}")
        if isinstance(drop_path, bool) or not isinstance(drop_path, (int, float)) or not 0 <= drop_path < 1:
            raise ConfigError(f"drop_path must be a probability in [0, 1), got {drop_path!r}")
        plan = network_plan(C, layers, in_channels)
        params = network_cost(normal, reduce, plan, num_classes, auxiliary)[0]
        if params > MAX_PARAMS:
            raise ConfigError(f"this network would have {params:,} parameters, more than the {MAX_PARAMS:,} allowed; "
                              "choose a smaller C or fewer layers")  # fmt: skip
        return DartsNetwork(normal, reduce, plan, num_classes, auxiliary, float(drop_path))

    def example_input(self, batch: int = 1, resolution: int = 32, in_channels: int = 3,
                      **ignored: Any) -> tuple[torch.Tensor]:  # fmt: skip
        """``(zeros [batch, in_channels, resolution, resolution],)``; other build options are ignored."""
        check_dims(batch=batch, in_channels=in_channels)
        check_resolution(resolution)
        return (torch.zeros(batch, in_channels, resolution, resolution),)

    def latency_plan(self, batch: int = 1, **options: Any) -> Any:
        """Each op at each edge shape it meets (:mod:`nag.spaces.darts.latency`); ``options``:
        :meth:`build`'s plus ``resolution``."""
        from nag.spaces.darts.latency import latency_plan

        check_options(latency_plan, options, "the darts latency plan", fixed=("batch",))
        return latency_plan(batch, **options)

    def export_dims(self) -> tuple[dict[int, str], ...]:
        return ({0: "batch"},)

    # ---------------------------------------------------------------- graphs
    def to_graph(self, arch: Any, level: str = "cell", **options: Any) -> CompGraph:
        """The arch's :class:`CompGraph` (see :mod:`~nag.spaces.darts.graph`), built directly.

        ``level="cell"``: the normal cell followed by the reduction cell (options ignored).
        ``level="network"``: the evaluation network built with ``options`` (``C``, ``layers``,
        ``num_classes``, ``in_channels``, ``resolution``; ``auxiliary`` and ``drop_path`` change
        nothing in it).
        """
        normal, reduce = self.edges(arch)
        self.check_level(level)
        if level == "cell":
            return cell_graph(normal, reduce)
        check_options(_network_options, options, "darts to_graph")
        shape = {k: v for k, v in options.items() if k not in ("auxiliary", "drop_path")}
        return network_graph(normal, reduce, **shape)

    def from_graph(self, graph: CompGraph) -> DeclaredArch:
        """The arch of a cell-level graph (:meth:`to_graph` with ``level="cell"``); its
        intermediate nodes are numbered in the graph's topological order."""
        try:
            normal, reduce = read_cell_graph(graph)
        except InvalidArchitecture as e:
            raise InvalidArchitecture(f"{e} (darts reads back cell-level graphs only; else use the genotype string)") from None
        return self.from_genotype(normal, reduce)


def _network_options(C: int = 36, layers: int = 20, num_classes: int = 10, in_channels: int = 3, resolution: int = 32,
                     auxiliary: bool = False, drop_path: float = 0.0) -> None:  # fmt: skip
    """The options :meth:`DartsSpace.to_graph` takes at network level (a signature to check against)."""


def make_space() -> DartsSpace:
    """The DARTS space (register it as ``nag.spaces.get("darts")``)."""
    return DartsSpace()
