"""The NAS-Bench-Graph search space (Qin et al., NeurIPS 2022 datasets track).

An architecture has four computing nodes; ``link[i]`` is the input of computing node
``i + 1`` (0 is the graph input) and ``ops[i]`` its GNN operation. Leaves feed the output.
Many (link, ops) pairs compute the same thing; the benchmark keys each class by a
canonical representative. nag recognises the class by its structure: the rooted tree of
operations after contracting ``skip`` nodes, where a ``skip`` leaf that carries the raw
input contributes nothing (this equivalence reproduces the package's own canonical hash
on all 157,440 (link, ops) pairs: tested), and maps it to the benchmark's representative.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from torch import nn

from nag.errors import InvalidArchitecture
from nag.graph import CompGraph, GraphBuilder
from nag.spaces.base import SearchSpace, SpaceDefaults
from nag.spaces.nbgraph import source as nas_bench_graph

#: The benchmark's op order (its canonical hash writes op indices in this order).
GNN_OPS: tuple[str, ...] = ("gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip")
PROTEINS_OPS: tuple[str, ...] = ("gcn", "sage", "arma", "fc", "skip")
#: The nine canonical link patterns, indexed as in the benchmark's hash.
LINK_PATTERNS: tuple[tuple[int, ...], ...] = (
    (0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 1), (0, 0, 1, 2), (0, 0, 1, 3),
    (0, 1, 1, 1), (0, 1, 1, 2), (0, 1, 2, 2), (0, 1, 2, 3),
)  # fmt: skip
#: nag op of each NAS-Bench-Graph op in computation graphs.
GRAPH_OP = {**{op: op for op in GNN_OPS}, "fc": "linear", "skip": "identity"}
_FROM_GRAPH_OP = {v: k for k, v in GRAPH_OP.items()}
_VARIANTS = {"full": ("nbgraph", GNN_OPS, "cora"), "proteins": ("nbgraph-proteins", PROTEINS_OPS, "proteins")}
#: per variant: its datasets (benchmarks ``nbgraph-<dataset>``) and what it uses by default
_DATASETS = {"full": ("cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers", "arxiv"), "proteins": ("proteins",)}
_DEFAULTS = {
    "full": SpaceDefaults(bench="nbgraph-cora", predictor="nbgraph-cora", generator="nbgraph",
                          conditioned_generator="nbgraph-datasets"),
    "proteins": SpaceDefaults(bench="nbgraph-proteins", generator="nbgraph-proteins"),
}  # fmt: skip
#: the text form: four single-digit links, a colon, four op names (ASCII only); spaces may
#: surround a comma or the colon, never split a token
_STR_PATTERN = re.compile(r"([0-9](?: *, *[0-9]){3}) *: *([a-z]+(?: *, *[a-z]+){3})", re.ASCII)
_OUT = ("", ())  # marks "this value feeds the output"; sorts before every op


@dataclass(frozen=True, order=True)
class NBGraphArch:
    """A NAS-Bench-Graph architecture: ``link`` and ``ops`` of its four computing nodes."""

    link: tuple[int, ...]
    ops: tuple[str, ...]
    #: the space it belongs to (:func:`nag.spaces.of`); not part of its identity
    space_name: str = field(default="nbgraph", compare=False)

    def __str__(self) -> str:
        return ",".join(map(str, self.link)) + ":" + ",".join(self.ops)

    @property
    def key(self) -> int:
        """The benchmark's hash of this (canonical) arch: link pattern, then op indices."""
        value = LINK_PATTERNS.index(self.link)
        for op in self.ops:
            value = value * 10 + GNN_OPS.index(op)
        return value

    def __repr__(self) -> str:
        return f"NBGraphArch(link={self.link}, ops={self.ops})"

    @classmethod
    def from_key(cls, key: int) -> NBGraphArch:
        try:
            value = int(key)
        except (TypeError, ValueError):
            value = -1
        digits = f"{value:05d}"
        if (
            value < 0
            or isinstance(key, bool)
            or int(digits[:-4]) >= len(LINK_PATTERNS)
            or any(int(d) >= len(GNN_OPS) for d in digits[-4:])
        ):
            raise InvalidArchitecture(f"{key!r} is not a NAS-Bench-Graph key (link pattern 0-8, then four op digits 0-8)")
        pattern, ops = int(digits[:-4]), digits[-4:]
        return cls(LINK_PATTERNS[pattern], tuple(GNN_OPS[int(d)] for d in ops))


def structure(link: Sequence[int], ops: Sequence[str]) -> tuple:
    """What an arch computes, independent of how (link, ops) writes it down."""
    children: list[list[int]] = [[] for _ in range(len(link) + 1)]
    for i, parent in enumerate(link):
        children[parent].append(i + 1)

    def expand(node: int) -> list[tuple]:
        inner = [item for child in children[node] for item in expand(child)]
        if not children[node]:
            inner.append(_OUT)
        if node > 0 and ops[node - 1] == "skip":
            return inner  # a skip passes its input on: contract it
        return [(ops[node - 1] if node else "input", tuple(sorted(inner)))]

    ((_, items),) = expand(0)
    return tuple(item for item in items if item != _OUT)  # the raw input alone adds nothing


class NBGraphSpace(SearchSpace[NBGraphArch]):
    """NAS-Bench-Graph architectures, 9-op (``variant="full"``, 26,206 archs) or the
    5-op variant of its ``proteins`` dataset (``variant="proteins"``, 2,021 archs).

    Text form: links then ops, ``"0,0,1,2:gcn,gat,skip,fc"`` (surrounding whitespace and
    quotes, and spaces around a comma or the colon, are allowed); any (link, ops) pair is
    canonicalised to the benchmark's representative.
    """

    levels = ("cell", "network")
    task = "node_classification"

    def __init__(self, variant: str = "full"):
        if variant not in _VARIANTS:
            raise InvalidArchitecture(f"unknown NAS-Bench-Graph variant {variant!r}; choose one of: {', '.join(_VARIANTS)}")
        self.variant = variant
        self.name, self.op_names, self._dataset = _VARIANTS[variant]
        self.defaults = _DEFAULTS[variant]
        self.description = (f"NAS-Bench-Graph GNNs: four computing nodes, a link and one of {len(self.op_names)} ops each, "
                            f"with results on {', '.join(_DATASETS[variant])}")  # fmt: skip

    def arch_type(self) -> type:
        return NBGraphArch

    @cached_property
    def _canonical(self) -> dict[tuple, NBGraphArch]:
        keys = nas_bench_graph.load_table(self._dataset)["key"]
        archs = (replace(NBGraphArch.from_key(int(k)), space_name=self.name) for k in keys)
        return {structure(a.link, a.ops): a for a in archs}

    @property
    def size(self) -> int:
        return len(self._canonical)

    # --------------------------------------------------------------- (link, ops)
    def from_link_ops(self, link: Sequence[int], ops: Sequence[str]) -> NBGraphArch:
        """The canonical arch of any (link, ops) pair."""
        link, ops = tuple(int(x) for x in link), tuple(ops)
        if len(link) != 4 or any(not 0 <= parent <= i for i, parent in enumerate(link)):
            raise InvalidArchitecture(f"link {list(link)} is invalid: 4 ints with 0 <= link[i] <= i")
        if len(ops) != 4 or any(op not in self.op_names for op in ops):
            raise InvalidArchitecture(f"ops {list(ops)} are invalid for {self.name}: 4 of {', '.join(self.op_names)}")
        if all(op == "skip" for op in ops):
            raise InvalidArchitecture("an architecture of only 'skip' ops computes nothing and is not in the space")
        found = self._canonical.get(structure(link, ops))
        if found is None:
            raise InvalidArchitecture(f"{link}:{ops} is not in {self.name}")
        return found

    @cached_property
    def _members(self) -> dict[NBGraphArch, NBGraphArch]:
        return {a: a for a in self._canonical.values()}

    def canonical(self, arch: NBGraphArch) -> NBGraphArch:
        member = self._members.get(arch)  # the common case, and a hot path in searches
        if member is not None and member.space_name == arch.space_name:
            return arch
        return member if member is not None else self.from_link_ops(arch.link, arch.ops)

    def from_key(self, key: int) -> NBGraphArch:
        return self.canonical(NBGraphArch.from_key(key))

    def to_str(self, arch: NBGraphArch) -> str:
        return str(arch)

    def from_str(self, text: str) -> NBGraphArch:
        match = _STR_PATTERN.fullmatch(self.arch_text(text))
        if match is None:
            raise InvalidArchitecture(
                f"{text!r} is not a NAS-Bench-Graph arch string; expected 'l1,l2,l3,l4:op1,op2,op3,op4' "
                f"(e.g. '0,0,1,2:gcn,gat,skip,fc'), links single digits, ops from {', '.join(self.op_names)}"
            )
        links, ops = match.groups()
        return self.from_link_ops([int(x) for x in links.split(",")], [op.strip() for op in ops.split(",")])

    # ------------------------------------------------------------------- graphs
    def to_graph(self, arch: NBGraphArch | str, level: str = "cell", in_dim: int | None = None,
                 num_classes: int | None = None, hidden: int = 64) -> CompGraph:  # fmt: skip
        """Cell level: ``input``, one node per computing node (``fc`` -> ``linear``,
        ``skip`` -> ``identity``), ``output`` fed by the leaves. Network level adds the
        input projection, a ReLU after every non-skip op, the sum of the leaves and the
        classifier, with feature sizes where given."""
        arch = self.coerce(arch)
        self.check_level(level)
        network = level == "network"
        b = GraphBuilder()
        nodes = [b.add("input", out_channels=in_dim)]
        if network:
            nodes[0] = b.add("linear", nodes, in_channels=in_dim, out_channels=hidden)
        dims = {"in_channels": hidden, "out_channels": hidden} if network else {}
        for parent, op in zip(arch.link, arch.ops):
            node = b.add(GRAPH_OP[op], [nodes[parent]], **dims)
            nodes.append(b.add("relu", [node], **dims) if network and op != "skip" else node)
        leaves = [nodes[i + 1] for i in range(4) if (i + 1) not in arch.link]
        if network:
            leaves = [b.add("add", leaves, **dims)] if len(leaves) > 1 else leaves
            leaves = [b.add("linear", leaves, in_channels=hidden, out_channels=num_classes)]
        b.add("output", leaves)
        return b.build()

    def from_graph(self, graph: CompGraph) -> NBGraphArch:
        """The arch of a cell-level graph (any node numbering)."""
        order = graph.topological_order()
        body = [i for i in order if graph.nodes[i].op not in ("input", "output")]
        if len(graph.inputs()) != 1 or len(graph.outputs()) != 1 or len(body) != 4:
            raise InvalidArchitecture("a NAS-Bench-Graph cell has one input, four computing nodes and one output")
        position = {graph.inputs()[0]: 0, **{node: k + 1 for k, node in enumerate(body)}}
        link, ops = [], []
        for node in body:
            preds = graph.predecessors(node)
            op = _FROM_GRAPH_OP.get(graph.nodes[node].op)
            if len(preds) != 1 or op is None:
                raise InvalidArchitecture(
                    f"node {node} ({graph.nodes[node].op}) must be one of {sorted(_FROM_GRAPH_OP)} with exactly one input"
                )
            link.append(position[preds[0]])
            ops.append(op)
        out = graph.outputs()[0]
        leaves = {node for node in body if set(graph.successors(node)) <= {out}}
        if set(graph.predecessors(out)) != leaves:
            raise InvalidArchitecture("the output must be fed by exactly the leaf computing nodes")
        return self.from_link_ops(link, ops)

    # ------------------------------------------------------------------ choices
    def choice_sizes(self) -> tuple[int, ...]:
        return (1, 2, 3, 4) + (len(self.op_names),) * 4

    def choice_labels(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """``link0..3`` (the earlier node each node reads) then ``op0..3`` (its op)."""
        links = tuple((f"link{i}", tuple(str(j) for j in range(i + 1))) for i in range(4))
        return links + tuple((f"op{i}", tuple(self.op_names)) for i in range(4))

    def choices(self, arch: NBGraphArch) -> tuple[int, ...]:
        return tuple(arch.link) + tuple(self.op_names.index(op) for op in arch.ops)

    def from_choices(self, choices: Sequence[int]) -> NBGraphArch:
        choices = self.check_choices(choices)
        return self.from_link_ops(choices[:4], [self.op_names[c] for c in choices[4:]])

    def enumerate(self) -> Iterator[NBGraphArch]:
        return iter(sorted(self._canonical.values(), key=lambda a: a.key))

    def raw_pairs(self) -> Iterator[tuple[tuple[int, ...], tuple[str, ...]]]:
        """Every (link, ops) pair that names an arch of the space (canonical or not)."""
        for link in itertools.product(*(range(i + 1) for i in range(4))):
            for ops in itertools.product(self.op_names, repeat=4):
                if any(op != "skip" for op in ops):
                    yield link, ops

    # -------------------------------------------------------------------- build
    def build(self, arch: NBGraphArch | str, in_dim: int, num_classes: int, hidden: int = 64, dropout: float = 0.5) -> nn.Module:
        """A PyG model for ``arch`` (see :class:`nag.spaces.nbgraph.network.NBGraphNet`)."""
        from nag.spaces.nbgraph.network import NBGraphNet

        arch = self.coerce(arch)
        return NBGraphNet(arch.link, arch.ops, in_dim=in_dim, num_classes=num_classes, hidden=hidden, dropout=dropout)

    # ------------------------------------------------------- what it answers for
    def example_input(self, batch: int = 1, in_dim: int = 16, nodes: int = 8, **ignored: Any) -> tuple:
        """A ring graph of ``nodes`` nodes (edges both ways) with random ``in_dim`` features:
        ``(x [nodes, in_dim], edge_index [2, 2 * nodes])``; ``batch`` is unused (one graph)."""
        import torch

        i = torch.arange(nodes)
        j = (i + 1) % nodes
        return torch.randn(nodes, in_dim), torch.stack([torch.cat([i, j]), torch.cat([j, i])])

    def export_dims(self) -> tuple[dict[int, str], ...]:
        return ({0: "nodes"}, {1: "edges"})

    def layout(self) -> Any:
        """Input, four computing nodes, output; per computing node a ``parent`` slot (which
        earlier node feeds it: the link, i.e. edge presence under the one-input rule) and a
        ``node`` slot (its GNN op)."""
        from nag.diffusion.layout import GraphLayout, Slot

        parents = tuple(Slot("parent", (i + 1,), i + 1, tuple(range(i + 1))) for i in range(4))
        ops = tuple(Slot("node", (i + 1,), len(self.op_names)) for i in range(4))
        return GraphLayout(6, parents + ops)

    def benchmarks(self) -> dict[str, Any]:
        from nag.spaces.nbgraph.benchmark import load

        return {f"nbgraph-{dataset}": (lambda d=dataset: load(d, self)) for dataset in _DATASETS[self.variant]}
