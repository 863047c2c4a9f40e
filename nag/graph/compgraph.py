"""``CompGraph``: an immutable, validated DAG of atomic operations."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cached_property, lru_cache
from typing import Any

import networkx as nx
import numpy as np
import torch

from nag.errors import InvalidArchitecture
from nag.graph.ops import NUMERIC_ATTRS, OP_INDEX, OPS


@dataclass(frozen=True)
class Node:
    """One atomic operation and its attributes (``None`` where unknown).

    Args:
        op: a name from :data:`nag.graph.ops.OPS`.
        kernel, stride, groups: convolution / pooling geometry.
        in_channels, out_channels: channel (or feature) counts.
        spatial: spatial size (height, assumed square) of the node's output.
        name: where the node came from (a module path, a traced function); informative
            only, never part of equality-by-structure or :meth:`CompGraph.canonical_hash`.
    """

    op: str
    kernel: int | None = None
    stride: int | None = None
    groups: int | None = None
    in_channels: int | None = None
    out_channels: int | None = None
    spatial: int | None = None
    name: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # numpy / torch integers become Python ints; anything else is left to validate()
        for key in NUMERIC_ATTRS:
            value = getattr(self, key)
            if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
                object.__setattr__(self, key, int(value))

    def attrs(self) -> dict[str, int]:
        """The known numeric attributes."""
        return {k: getattr(self, k) for k in NUMERIC_ATTRS if getattr(self, k) is not None}

    def label(self) -> str:
        """A string holding the op and its numeric attributes (used for hashing)."""
        return self.op + "".join(f"|{k}={v}" for k, v in self.attrs().items())


_NODE_FIELDS = {f.name for f in fields(Node)}


def _as_node(item: Node | str | Mapping[str, Any]) -> Node:
    if isinstance(item, Node):
        return item
    if isinstance(item, str):
        return Node(item)
    unknown = set(item) - _NODE_FIELDS
    if unknown:
        raise InvalidArchitecture(f"unknown node attribute(s) {sorted(unknown)}; known: {sorted(_NODE_FIELDS)}")
    return Node(**item)


@dataclass(frozen=True, eq=True)
class CompGraph:
    """A computation graph: nodes are atomic ops, edges carry tensors from source to target.

    The graph is immutable and validated on construction: ops come from the global
    vocabulary, edges point to existing nodes, there is no cycle, ``input`` nodes have
    no predecessors, ``output`` nodes have no successors, and there is at least one of
    each. Edges are kept sorted, so two graphs are ``==`` when they have the same nodes
    in the same numbering and the same edge set; use :meth:`canonical_hash` to compare
    graphs up to renumbering.

    Args:
        nodes: one :class:`Node`, op name, or attribute mapping per node.
        edges: ``(source, target)`` node-index pairs.

    Example:
        >>> g = CompGraph(["input", "relu", "output"], [(0, 1), (1, 2)])
        >>> g.ops
        ('input', 'relu', 'output')
    """

    nodes: tuple[Node, ...]
    edges: tuple[tuple[int, int], ...]

    def __init__(self, nodes: Iterable[Node | str | Mapping[str, Any]], edges: Iterable[Sequence[int]]):
        object.__setattr__(self, "nodes", tuple(_as_node(n) for n in nodes))
        object.__setattr__(self, "edges", tuple(sorted(_as_edge(e) for e in edges)))
        self.validate()

    # ------------------------------------------------------------------ structure
    @property
    def ops(self) -> tuple[str, ...]:
        return tuple(n.op for n in self.nodes)

    @property
    def num_nodes(self) -> int:
        return len(self.nodes)

    @cached_property
    def _adjacency(self) -> tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]:
        preds: list[list[int]] = [[] for _ in self.nodes]
        succs: list[list[int]] = [[] for _ in self.nodes]
        for s, t in self.edges:
            succs[s].append(t)
            preds[t].append(s)
        return tuple(map(tuple, preds)), tuple(map(tuple, succs))

    @cached_property
    def _runs_forward(self) -> bool:
        """Every edge goes from a lower to a higher node index (so the graph is acyclic)."""
        return all(s < t for s, t in self.edges)

    def predecessors(self, i: int) -> tuple[int, ...]:
        return self._adjacency[0][i]

    def successors(self, i: int) -> tuple[int, ...]:
        return self._adjacency[1][i]

    def inputs(self) -> tuple[int, ...]:
        return tuple(i for i, n in enumerate(self.nodes) if n.op == "input")

    def outputs(self) -> tuple[int, ...]:
        return tuple(i for i, n in enumerate(self.nodes) if n.op == "output")

    def topological_order(self) -> list[int]:
        """The lexicographically smallest topological order of the node indices (the index
        order itself, found without networkx, when every edge runs forward)."""
        if self._runs_forward:
            return list(range(len(self.nodes)))
        return list(nx.lexicographical_topological_sort(self._digraph()))

    # ----------------------------------------------------------------- validation
    def validate(self) -> None:
        """Raise :class:`InvalidArchitecture` naming the first offending node or edge."""
        for i, node in enumerate(self.nodes):
            problem = _node_problem(node)
            if problem:
                raise InvalidArchitecture(f"node {i} {problem}")
        if not self._edges_fine():
            self._name_bad_edge()
        if not self.inputs():
            raise InvalidArchitecture("the graph has no 'input' node")
        if not self.outputs():
            raise InvalidArchitecture("the graph has no 'output' node")
        if self._runs_forward:
            return  # no cycle is possible
        cycle = _find_cycle(self._digraph())
        if cycle:
            raise InvalidArchitecture(f"edge {cycle[0]} closes a cycle through nodes {[e[0] for e in cycle]}")

    def _edges_fine(self) -> bool:
        """Whether every edge is valid (one pass of builtins; :meth:`_name_bad_edge` says which is not)."""
        if not self.edges:
            return True
        n, (sources, targets) = len(self.nodes), zip(*self.edges)
        inputs, outputs = set(self.inputs()), set(self.outputs())
        return (min(sources) >= 0 and min(targets) >= 0 and max(sources) < n and max(targets) < n
                and len(set(self.edges)) == len(self.edges) and not any(s == t for s, t in self.edges)
                and inputs.isdisjoint(targets) and outputs.isdisjoint(sources))  # fmt: skip

    def _name_bad_edge(self) -> None:
        """Raise :class:`InvalidArchitecture` naming the first invalid edge."""
        n = len(self.nodes)
        seen: set[tuple[int, int]] = set()
        for s, t in self.edges:
            if not (0 <= s < n and 0 <= t < n):
                raise InvalidArchitecture(f"edge ({s}, {t}) points outside the graph's {n} nodes")
            if s == t:
                raise InvalidArchitecture(f"edge ({s}, {t}) is a self-loop on node {s} ({self.nodes[s].op})")
            if (s, t) in seen:
                raise InvalidArchitecture(f"edge ({s}, {t}) is listed twice")
            seen.add((s, t))
            if self.nodes[t].op == "input":
                raise InvalidArchitecture(f"edge ({s}, {t}) enters input node {t}; input nodes take no predecessors")
            if self.nodes[s].op == "output":
                raise InvalidArchitecture(f"edge ({s}, {t}) leaves output node {s}; output nodes have no successors")

    # ---------------------------------------------------------------- conversions
    def _digraph(self) -> nx.DiGraph:
        g = nx.DiGraph()
        g.add_nodes_from(range(len(self.nodes)))
        g.add_edges_from(self.edges)
        return g

    def to_networkx(self) -> nx.DiGraph:
        """A ``networkx.DiGraph`` with node ids 0..n-1; attribute ``op`` holds the op name,
        the known numeric attributes (and ``name`` when set) stand beside it."""
        g = nx.DiGraph()
        for i, node in enumerate(self.nodes):
            extra = {"name": node.name} if node.name is not None else {}
            g.add_node(i, op=node.op, **node.attrs(), **extra)
        g.add_edges_from(self.edges)
        return g

    @classmethod
    def from_networkx(cls, g: nx.DiGraph) -> CompGraph:
        """Build from a ``networkx.DiGraph`` whose nodes carry an ``op`` attribute.

        Node ids may be anything; they are renumbered in a deterministic topological order
        (ties broken by id: numbers numerically, then everything else by ``str``). Raises :class:`InvalidArchitecture` for cycles,
        missing ``op`` attributes or unknown attributes.
        """
        if not isinstance(g, nx.DiGraph) or g.is_multigraph():
            raise InvalidArchitecture(f"expected a networkx.DiGraph, got {type(g).__name__}")
        cycle = _find_cycle(g)
        if cycle:
            raise InvalidArchitecture(f"edge {cycle[0]} closes a cycle through nodes {[e[0] for e in cycle]}")
        order = list(nx.lexicographical_topological_sort(g, key=_node_sort_key))
        index = {v: i for i, v in enumerate(order)}
        nodes = []
        for v in order:
            data = dict(g.nodes[v])
            if "op" not in data:
                raise InvalidArchitecture(f"node {v!r} has no 'op' attribute")
            nodes.append(_as_node(data))
        return cls(nodes, [(index[s], index[t]) for s, t in g.edges])

    def to_pyg(self):
        """A ``torch_geometric.data.Data`` view of the graph.

        Fields:
            x: ``[num_nodes, len(OPS) + 2 * len(NUMERIC_ATTRS)]`` float features: the op's
               one-hot over :data:`OPS`, then ``log2(1 + value)`` of each numeric attribute
               in :data:`NUMERIC_ATTRS` order (0 where unknown), then one 0/1 flag per
               attribute saying whether it is known.
            op: ``[num_nodes]`` long, the op indices.
            edge_index: ``[2, num_edges]`` long, source row then target row.
            num_nodes: the node count.
        """
        from torch_geometric.data import Data

        return Data(x=self.node_features(), op=self.op_tensor(), edge_index=self.edge_index(), num_nodes=len(self.nodes))

    def op_tensor(self) -> torch.Tensor:
        return torch.tensor([OP_INDEX[n.op] for n in self.nodes], dtype=torch.long)

    def edge_index(self) -> torch.Tensor:
        if not self.edges:
            return torch.zeros(2, 0, dtype=torch.long)
        return torch.tensor(self.edges, dtype=torch.long).t().contiguous()

    def node_features(self) -> torch.Tensor:
        return torch.tensor([feature_row(node) for node in self.nodes], dtype=torch.float32).reshape(-1, NODE_FEATURES)

    # -------------------------------------------------------------------- hashing
    def canonical_hash(self) -> str:
        """A hash equal for isomorphic graphs (same ops and attributes, any numbering).

        The Weisfeiler-Lehman hash of networkx (>= 3.5 aggregates predecessors and
        successors separately on directed graphs), each node labelled by its op and numeric
        attributes, run for as many rounds as the graph has nodes (capped at 64), so every
        node's label sees its whole ancestry and descendance. Isomorphic graphs always hash equal; WL can in principle give two
        non-isomorphic graphs the same hash, which does not happen on the spaces nag ships
        (tested over all of NAS-Bench-201 and NAS-Bench-Graph).
        """
        g = self.to_networkx()
        for i, node in enumerate(self.nodes):
            g.nodes[i]["label"] = node.label()
        rounds = max(1, min(len(self.nodes), 64))
        with warnings.catch_warnings():  # networkx notes that directed hashes changed in 3.5
            warnings.simplefilter("ignore", UserWarning)
            return nx.weisfeiler_lehman_graph_hash(g, node_attr="label", iterations=rounds, digest_size=16)

    # ---------------------------------------------------------------- transforms
    def live_nodes(self) -> list[int]:
        """The nodes :meth:`pruned` keeps: those on a path from an input to an output that
        avoids ``zero`` nodes, and every input and output (ascending)."""
        blocked = {i for i, n in enumerate(self.nodes) if n.op == "zero"}
        preds, succs = self._adjacency
        live_from_in = _reachable(self.inputs(), succs, blocked)
        live_to_out = _reachable(self.outputs(), preds, blocked)
        return sorted((live_from_in & live_to_out) | set(self.inputs()) | set(self.outputs()))

    def pruned(self) -> CompGraph:
        """The graph without ``zero`` nodes and without nodes that lie on no path from an
        input to an output (they cannot change the result). Inputs and outputs stay."""
        keep = self.live_nodes()
        if len(keep) == len(self.nodes):
            return self  # nothing to prune (graphs are immutable, so self is the answer)
        index = {v: i for i, v in enumerate(keep)}
        edges = [(index[s], index[t]) for s, t in self.edges if s in index and t in index]
        return CompGraph([self.nodes[v] for v in keep], edges)

    def with_node(self, i: int, **changes: Any) -> CompGraph:
        """A copy with node ``i``'s fields changed (the graph itself never changes)."""
        nodes = list(self.nodes)
        nodes[i] = replace(nodes[i], **changes)
        return CompGraph(nodes, self.edges)

    def __repr__(self) -> str:
        return f"CompGraph(num_nodes={len(self.nodes)}, num_edges={len(self.edges)}, ops={_op_summary(self.ops)})"


def _node_sort_key(v: Any) -> tuple:
    if isinstance(v, numbers.Real) and not isinstance(v, bool):
        return (0, float(v), "")
    return (1, 0.0, str(v))


def _as_edge(edge: Sequence[int]) -> tuple[int, int]:
    if type(edge) is tuple and len(edge) == 2 and type(edge[0]) is int and type(edge[1]) is int:
        return edge  # the common case (builders), without conversions
    try:
        s, t = edge
        if isinstance(s, bool) or isinstance(t, bool):
            raise TypeError
        return int(s), int(t)
    except (TypeError, ValueError):
        raise InvalidArchitecture(f"edge {edge!r} is not a (source, target) pair of node indices") from None


#: id(node) -> (node, its problem): builders reuse their immutable nodes across graphs. Keyed
#: by identity (the node is kept, so its id stays its own), not by equality: Node(kernel=3.0)
#: equals Node(kernel=3) but only one of them is valid.
_CHECKED: dict[int, tuple[Node, str | None]] = {}


def _node_problem(node: Node) -> str | None:
    """:func:`_check_node`, remembered for the nodes seen last."""
    entry = _CHECKED.get(id(node))
    if entry is not None and entry[0] is node:
        return entry[1]
    if len(_CHECKED) >= 65536:
        _CHECKED.clear()
    problem = _check_node(node)
    _CHECKED[id(node)] = (node, problem)
    return problem


def _check_node(node: Node) -> str | None:
    """What makes ``node`` invalid on its own (None when nothing)."""
    if node.op not in OP_INDEX:
        return f"has unknown op {node.op!r}; use one of nag.graph.OPS (or 'other')"
    for key in NUMERIC_ATTRS:
        value = getattr(node, key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            return f"({node.op}) has {key}={value!r}; expected a non-negative int"
    return None


#: width of :meth:`CompGraph.node_features`
NODE_FEATURES = len(OPS) + 2 * len(NUMERIC_ATTRS)


@lru_cache(maxsize=65536)
def feature_row(node: Node) -> tuple[float, ...]:
    """One row of :meth:`CompGraph.node_features` (nodes are immutable, so rows are cached)."""
    row = [0.0] * NODE_FEATURES
    row[OP_INDEX[node.op]] = 1.0
    k = len(NUMERIC_ATTRS)
    for j, key in enumerate(NUMERIC_ATTRS):
        value = getattr(node, key)
        if value is not None:
            row[len(OPS) + j] = math.log2(1 + value)
            row[len(OPS) + k + j] = 1.0
    return tuple(row)


def _reachable(starts: Iterable[int], neighbours: Sequence[Sequence[int]], blocked: set[int]) -> set[int]:
    """Nodes reachable from ``starts`` along ``neighbours`` without entering ``blocked``."""
    seen = {i for i in starts if i not in blocked}
    stack = list(seen)
    while stack:
        for j in neighbours[stack.pop()]:
            if j not in seen and j not in blocked:
                seen.add(j)
                stack.append(j)
    return seen


def _find_cycle(g: nx.DiGraph) -> list[tuple[Any, Any]]:
    try:
        return [tuple(e[:2]) for e in nx.find_cycle(g)]
    except nx.NetworkXNoCycle:
        return []


def _op_summary(ops: Sequence[str]) -> str:
    counts: dict[str, int] = {}
    for op in ops:
        counts[op] = counts.get(op, 0) + 1
    return "{" + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + "}"
