"""DARTS archs as computation graphs of atomic ops (built directly, not traced), and back.

Every edge op becomes its atomic ops: ``max_pool_3x3`` -> ``maxpool``; ``avg_pool_3x3`` ->
``avgpool``; ``skip_connect`` -> ``identity`` at stride 1, and at stride 2 the
``FactorizedReduce`` subgraph ``relu`` -> two 1x1 stride-2 ``conv`` -> ``concat`` ->
``batchnorm`` (the one-pixel shift of its second branch is not an op); ``sep_conv_kxk`` ->
twice ``relu``, ``dwconv`` (kernel k), ``conv`` (1x1), ``batchnorm``; ``dil_conv_kxk`` ->
once ``relu``, ``dwconv`` (kernel k, dilation 2: the vocabulary has no dilation
attribute, so dilated and separable convolutions differ by their length), ``conv``,
``batchnorm``. Each intermediate node is an ``add`` of its two edges; a cell ends in a
``concat`` of nodes 2..5.

* Cell level (:func:`cell_graph`): the normal cell followed by the reduction cell, as in
  the network (the reduction cell reads c_{k-1} and the normal cell's output). Inputs
  c_{k-2} and c_{k-1}, one ``output`` after the reduction cell; kernels and strides on the
  nodes, no channels or sizes, no preprocessing (it is fixed). :func:`read_cell_graph`
  reads it back.
* Network level (:func:`network_graph`): the whole evaluation network (stem,
  preprocessing, cells, global pooling, classifier; not the training-only auxiliary head)
  with channels and spatial sizes on every node.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache

from nag.errors import InvalidArchitecture
from nag.graph import CompGraph, GraphBuilder, Node
from nag.spaces.darts.choices import CONV_OPS, NODES, OPS, Edge
from nag.spaces.darts.plan import CellPlan, network_plan

#: A subgraph: its nodes (the last one is its sink) and its edges; source -1 is the node it hangs from.
Block = tuple[tuple[Node, ...], tuple[tuple[int, int], ...]]


@cache
def plain(op: str, c_in: int | None = None, c_out: int | None = None, spatial: int | None = None) -> Node:
    """A node without kernel (shared: nodes are immutable)."""
    return Node(op, in_channels=c_in, out_channels=c_out, spatial=spatial)


@cache
def conv(kernel: int, stride: int, c_in: int | None, c_out: int | None, spatial: int | None, depthwise: bool = False) -> Node:
    """A ``conv`` (or ``dwconv``) node; ``spatial`` is its output size."""
    groups = c_in if depthwise else 1
    return Node("dwconv" if depthwise else "conv", kernel=kernel, stride=stride, groups=groups,
                in_channels=c_in, out_channels=c_out, spatial=spatial)  # fmt: skip


def _chain(nodes: Sequence[Node]) -> Block:
    return tuple(nodes), tuple((i - 1, i) for i in range(len(nodes)))


def _scaled(spatial: int | None, stride: int) -> int | None:
    return None if spatial is None else spatial * stride


@lru_cache(maxsize=4096)
def relu_conv_bn(c_in: int | None, c_out: int | None, spatial: int | None) -> Block:
    """ReLU, 1x1 conv, BN."""
    nodes = [plain("relu", c_in, c_in, spatial), conv(1, 1, c_in, c_out, spatial), plain("batchnorm", c_out, c_out, spatial)]
    return _chain(nodes)


@lru_cache(maxsize=4096)
def factorized_reduce(c_in: int | None, c_out: int | None, spatial: int | None) -> Block:
    """ReLU, two 1x1 stride-2 convs to ``c_out // 2``, concat, BN; ``spatial`` is the output size."""
    half = None if c_out is None else c_out // 2
    branch = conv(1, 2, c_in, half, spatial)
    nodes = (plain("relu", c_in, c_in, _scaled(spatial, 2)), branch, branch,
             plain("concat", half, c_out, spatial), plain("batchnorm", c_out, c_out, spatial))  # fmt: skip
    return nodes, ((-1, 0), (0, 1), (0, 2), (1, 3), (2, 3), (3, 4))


@lru_cache(maxsize=4096)
def edge_block(op: str, stride: int, c: int | None = None, spatial: int | None = None) -> Block:
    """The atomic ops of edge op ``op`` on ``c`` channels, producing ``spatial``-sized maps."""
    if op in ("max_pool_3x3", "avg_pool_3x3"):
        return _chain([Node(op[:3] + "pool", kernel=3, stride=stride, in_channels=c, out_channels=c, spatial=spatial)])
    if op == "skip_connect":
        return factorized_reduce(c, c, spatial) if stride == 2 else _chain([plain("identity", c, c, spatial)])
    kernel, units, _ = CONV_OPS[op]
    nodes = []
    for unit in range(units):
        s = stride if unit == 0 else 1
        nodes += [plain("relu", c, c, _scaled(spatial, s)), conv(kernel, s, c, c, spatial, depthwise=True),
                  conv(1, 1, c, c, spatial), plain("batchnorm", c, c, spatial)]  # fmt: skip
    return _chain(nodes)


def attach(b: GraphBuilder, source: int, block: Block) -> int:
    """Append ``block`` hanging from node ``source``; returns the index of its sink."""
    nodes, edges = block
    base = len(b.nodes)
    b.nodes.extend(nodes)
    b.edges.extend((source if s < 0 else base + s, base + t) for s, t in edges)
    return base + len(nodes) - 1


def join(b: GraphBuilder, node: Node, inputs: Sequence[int]) -> int:
    """Append ``node`` fed by ``inputs``; returns its index."""
    b.nodes.append(node)
    index = len(b.nodes) - 1
    b.edges.extend((i, index) for i in inputs)
    return index


def add_cell(b: GraphBuilder, s0: int, s1: int, edges: Sequence[Edge], reduction: bool,
             c: int | None = None, spatial: int | None = None) -> int:  # fmt: skip
    """Append a cell's edges, adds and output concat on (preprocessed) inputs ``s0, s1``;
    returns the concat's index."""
    states = [s0, s1]
    node_add = plain("add", c, c, spatial)
    for j in range(len(NODES)):
        ends = [attach(b, states[source], edge_block(op, 2 if reduction and source < 2 else 1, c, spatial))
                for op, source in edges[2 * j : 2 * j + 2]]  # fmt: skip
        states.append(join(b, node_add, ends))
    return join(b, plain("concat", c, None if c is None else len(NODES) * c, spatial), states[2:])


def cell_graph(normal: Sequence[Edge], reduce: Sequence[Edge]) -> CompGraph:
    """The normal cell followed by the reduction cell (see the module docstring)."""
    b = GraphBuilder()
    c_k2, c_k1 = join(b, plain("input"), ()), join(b, plain("input"), ())
    normal_out = add_cell(b, c_k2, c_k1, normal, reduction=False)
    join(b, plain("output"), [add_cell(b, c_k1, normal_out, reduce, reduction=True)])
    return b.build()


def _preprocess(b: GraphBuilder, s0: int, s1: int, p: CellPlan) -> tuple[int, int]:
    """Append a cell's preprocessing of its two inputs; returns the two results."""
    first = factorized_reduce if p.reduction_prev else relu_conv_bn
    pre0 = attach(b, s0, first(p.c_prev_prev, p.channels, p.spatial_in))
    return pre0, attach(b, s1, relu_conv_bn(p.c_prev, p.channels, p.spatial_in))


def network_graph(normal: Sequence[Edge], reduce: Sequence[Edge], C: int = 36, layers: int = 20, num_classes: int = 10,
                  in_channels: int = 3, resolution: int = 32) -> CompGraph:  # fmt: skip
    """The whole evaluation network (see the module docstring)."""
    plan = network_plan(C, layers, in_channels, resolution)
    b = GraphBuilder()
    x = join(b, plain("input", None, in_channels, resolution), ())
    stem = plan.stem_channels
    x = attach(b, x, _chain([conv(3, 1, in_channels, stem, resolution), plain("batchnorm", stem, stem, resolution)]))
    s0 = s1 = x
    for p in plan.cells:
        pre0, pre1 = _preprocess(b, s0, s1, p)
        s0, s1 = s1, add_cell(b, pre0, pre1, reduce if p.reduction else normal, p.reduction, p.channels, p.spatial)
    c = plan.out_channels
    x = attach(b, s1, _chain([plain("globalpool", c, c, 1), Node("linear", in_channels=c, out_channels=num_classes)]))
    join(b, plain("output"), [x])
    return b.build()


# ----------------------------------------------------------------- reading back
def _signature(nodes: Sequence[Node]) -> tuple[tuple[str, int | None, int | None], ...]:
    return tuple((n.op, n.kernel, n.stride) for n in nodes)


#: atomic-op signature of an edge -> (op, stride)
_EDGE_OPS = {_signature(edge_block(op, stride)[0]): (op, stride) for op in OPS for stride in (1, 2)}


def read_cell_graph(graph: CompGraph) -> tuple[list[Edge], list[Edge]]:
    """The normal and reduction edges of a graph shaped like :func:`cell_graph`'s output
    (intermediate nodes read in topological order); :class:`InvalidArchitecture` naming
    where it differs."""
    inputs, outputs = graph.inputs(), graph.outputs()
    if len(inputs) != 2 or len(outputs) != 1:
        raise InvalidArchitecture(f"a DARTS cell graph has 2 inputs and 1 output, got {len(inputs)} and {len(outputs)}")
    order = {v: i for i, v in enumerate(graph.topological_order())}
    concats = [v for v, n in enumerate(graph.nodes)
               if n.op == "concat" and len(graph.predecessors(v)) == len(NODES)
               and all(graph.nodes[u].op == "add" for u in graph.predecessors(v))]  # fmt: skip
    last = graph.predecessors(outputs[0])
    if len(concats) != 2 or len(last) != 1 or last[0] not in concats:
        raise InvalidArchitecture("a DARTS cell graph has two cell outputs (a concat of 4 adds each), "
                                  "the second feeding the output")  # fmt: skip
    reduce_out = last[0]
    normal_out = next(v for v in concats if v != reduce_out)
    claimed: set[int] = set()
    reduce_adds = sorted(graph.predecessors(reduce_out), key=order.__getitem__)
    reduce_reads = _read_cell(graph, reduce_adds, {*inputs, normal_out}, order, claimed)
    c_k1 = {s for pairs in reduce_reads for _, s, _ in pairs} & set(inputs)
    if len(c_k1) != 1:
        raise InvalidArchitecture("the reduction cell must read exactly one graph input (c_{k-1})")
    (c_k1,) = c_k1
    c_k2 = next(v for v in inputs if v != c_k1)
    normal_adds = sorted(graph.predecessors(normal_out), key=order.__getitem__)
    normal_reads = _read_cell(graph, normal_adds, set(inputs), order, claimed)
    outside = graph.num_nodes - len(claimed) - 2 * len(NODES) - 5
    if outside:
        raise InvalidArchitecture(f"the graph has {outside} node(s) outside the two cells' edges, adds and concats")
    normal = _edges(normal_reads, [c_k2, c_k1, *normal_adds], reduction=False)
    return normal, _edges(reduce_reads, [c_k1, normal_out, *reduce_adds], reduction=True)


def _read_cell(graph: CompGraph, adds: list[int], sources: set[int], order: dict[int, int],
               claimed: set[int]) -> list[list[tuple[str, int, int]]]:  # fmt: skip
    """Per add node, its two edges as ``(op, source graph node, stride)``."""
    stops = sources | set(adds)
    out = []
    for a in adds:
        ends = graph.predecessors(a)
        if len(ends) != 2:
            raise InvalidArchitecture(f"add node {a} sums {len(ends)} inputs; a DARTS node sums two edges")
        out.append([_read_edge(graph, end, a, stops, order, claimed) for end in ends])
    return out


def _read_edge(graph: CompGraph, end: int, add: int, stops: set[int], order: dict[int, int],
               claimed: set[int]) -> tuple[str, int, int]:  # fmt: skip
    """The op, source node and stride of the edge whose last node is ``end``."""
    body, found, stack = set(), set(), [end]
    while stack:
        v = stack.pop()
        if v in stops:
            found.add(v)
            continue
        if v in body:
            continue
        if v in claimed or not graph.predecessors(v):
            raise InvalidArchitecture(f"node {v} ({graph.nodes[v].op}) on the edge into add node {add} belongs to no single edge")
        body.add(v)
        stack.extend(graph.predecessors(v))
    nodes = sorted(body, key=order.__getitem__)
    key = _EDGE_OPS.get(_signature([graph.nodes[v] for v in nodes]))
    leaks = [v for v in body for w in graph.successors(v) if w not in body and w != add]
    if len(found) != 1 or key is None or leaks:
        raise InvalidArchitecture(f"the ops {[graph.nodes[v].op for v in nodes]} into add node {add} are not one DARTS edge op "
                                  f"from one cell node")  # fmt: skip
    claimed |= body
    return key[0], found.pop(), key[1]


def _edges(reads: list[list[tuple[str, int, int]]], cell_nodes: list[int], reduction: bool) -> list[Edge]:
    """``(op, input)`` pairs from edges read off the graph, checking each edge's stride."""
    index = {v: i for i, v in enumerate(cell_nodes)}
    edges = []
    for op, source, stride in (e for pairs in reads for e in pairs):
        if source not in index:
            raise InvalidArchitecture(f"graph node {source} is not a node of this cell")
        expected = 2 if reduction and index[source] < 2 else 1
        if stride != expected:
            raise InvalidArchitecture(f"the {op} edge from cell node {index[source]} has stride {stride}; expected {expected}")
        edges.append((op, index[source]))
    return edges
