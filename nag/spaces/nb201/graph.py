"""NAS-Bench-201 cells and networks as computation graphs of atomic ops, and back.

Cell level: node ``input`` (cell node 0), one ``add`` per cell node 1..3, one ``output``
fed by cell node 3, and for each of the six edges the atomic ops of its operation:
``none`` -> ``zero``; ``skip_connect`` -> ``identity``; ``nor_conv_kxk`` -> ``relu``,
``conv`` (kernel k), ``batchnorm``; ``avg_pool_3x3`` -> ``avgpool`` (kernel 3).

Network level: the whole :class:`~nag.spaces.nb201.network.NB201Network` in the same ops, with
channel counts and spatial sizes on every node.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from nag.errors import InvalidArchitecture
from nag.graph import CompGraph, GraphBuilder, Node
from nag.spaces.nb201.network import CELL_EDGES


@lru_cache(maxsize=1024)
def edge_nodes(op: str, channels: int | None = None, spatial: int | None = None) -> tuple[Node, ...]:
    """The atomic ops of one NAS-Bench-201 edge operation (nodes are immutable: shared)."""
    c = {"in_channels": channels, "out_channels": channels, "spatial": spatial}
    conv = {"stride": 1, "groups": 1, **c}
    table = {
        "none": [Node("zero", **c)],
        "skip_connect": [Node("identity", **c)],
        "nor_conv_1x1": [Node("relu", **c), Node("conv", kernel=1, **conv), Node("batchnorm", **c)],
        "nor_conv_3x3": [Node("relu", **c), Node("conv", kernel=3, **conv), Node("batchnorm", **c)],
        "avg_pool_3x3": [Node("avgpool", kernel=3, stride=1, **c)],
    }
    return tuple(table[op])


def _signature(nodes: Sequence[Node]) -> tuple[tuple[str, int | None], ...]:
    return tuple((n.op, n.kernel) for n in nodes)


#: (op, kernel) sequence of an edge chain -> NAS-Bench-201 op name.
_CHAIN_TO_OP = {_signature(edge_nodes(op)): op for op in ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")}


def add_cell(b: GraphBuilder, source: int, ops: Sequence[str], channels: int | None = None, spatial: int | None = None) -> int:
    """Append one cell fed by node ``source``; returns the index of its last ``add`` node."""
    cell_nodes = [source]
    for target in (1, 2, 3):
        ends = [b.chain(cell_nodes[s], edge_nodes(op, channels, spatial)) for (t, s), op in zip(CELL_EDGES, ops) if t == target]
        cell_nodes.append(b.add("add", ends, in_channels=channels, out_channels=channels, spatial=spatial))
    return cell_nodes[3]


def cell_graph(ops: Sequence[str]) -> CompGraph:
    b = GraphBuilder()
    b.add("output", [add_cell(b, b.add("input"), ops)])
    return b.build()


def _conv_bn(b: GraphBuilder, x: int, c_in: int, c_out: int, kernel: int, stride: int, spatial: int, relu: bool) -> int:
    out_spatial = spatial // stride
    nodes = [Node("relu", in_channels=c_in, out_channels=c_in, spatial=spatial)] if relu else []
    nodes += [
        Node("conv", kernel=kernel, stride=stride, groups=1, in_channels=c_in, out_channels=c_out, spatial=out_spatial),
        Node("batchnorm", in_channels=c_out, out_channels=c_out, spatial=out_spatial),
    ]
    return b.chain(x, nodes)


def network_graph(ops: Sequence[str], num_classes: int = 10, C: int = 16, N: int = 5, resolution: int = 32) -> CompGraph:
    """The whole NAS-Bench-201 network for ``ops`` at input ``resolution``."""
    b = GraphBuilder()
    x = b.add("input", out_channels=3, spatial=resolution)
    x = _conv_bn(b, x, 3, C, 3, 1, resolution, relu=False)
    spatial = resolution
    for stage, channels in enumerate((C, 2 * C, 4 * C)):
        if stage > 0:
            a = _conv_bn(b, x, channels // 2, channels, 3, 2, spatial, relu=True)
            a = _conv_bn(b, a, channels, channels, 3, 1, spatial // 2, relu=True)
            d = b.chain(
                x,
                [
                    Node(
                        "avgpool", kernel=2, stride=2, in_channels=channels // 2, out_channels=channels // 2, spatial=spatial // 2
                    ),
                    Node(
                        "conv",
                        kernel=1,
                        stride=1,
                        groups=1,
                        in_channels=channels // 2,
                        out_channels=channels,
                        spatial=spatial // 2,
                    ),
                ],
            )
            spatial //= 2
            x = b.add("add", [a, d], in_channels=channels, out_channels=channels, spatial=spatial)
        for _ in range(N):
            x = add_cell(b, x, ops, channels, spatial)
    c = 4 * C
    x = b.chain(
        x,
        [
            Node("batchnorm", in_channels=c, out_channels=c, spatial=spatial),
            Node("relu", in_channels=c, out_channels=c, spatial=spatial),
            Node("globalpool", in_channels=c, out_channels=c, spatial=1),
            Node("linear", in_channels=c, out_channels=num_classes),
        ],
    )
    b.add("output", [x])
    return b.build()


def ops_from_cell_graph(graph: CompGraph) -> tuple[str, ...]:
    """The six edge ops of a cell-level graph (any node numbering).

    Raises :class:`InvalidArchitecture` naming the node where the graph stops looking
    like a NAS-Bench-201 cell.
    """
    inputs, outputs = graph.inputs(), graph.outputs()
    if len(inputs) != 1 or len(outputs) != 1:
        raise InvalidArchitecture(f"a NAS-Bench-201 cell has one input and one output, got {len(inputs)} and {len(outputs)}")
    last = graph.predecessors(outputs[0])
    adds = [i for i in graph.topological_order() if graph.nodes[i].op == "add"]
    if len(adds) != 3 or last != (adds[-1],):
        raise InvalidArchitecture("a NAS-Bench-201 cell has three 'add' nodes, the last one feeding the output")
    cell_nodes = [inputs[0], *adds]
    position = {node: k for k, node in enumerate(cell_nodes)}
    ops: dict[tuple[int, int], str] = {}
    for target in (1, 2, 3):
        for end in graph.predecessors(cell_nodes[target]):
            chain = [end]
            while chain[0] not in position:
                preds = graph.predecessors(chain[0])
                if len(preds) != 1 or len(graph.successors(chain[0])) != 1:
                    raise InvalidArchitecture(f"node {chain[0]} ({graph.nodes[chain[0]].op}) is not part of a NAS-Bench-201 edge")
                chain.insert(0, preds[0])
            source, body = position[chain[0]], [graph.nodes[i] for i in chain[1:]]
            op = _CHAIN_TO_OP.get(_signature(body))
            if op is None or source >= target or (target, source) in ops:
                raise InvalidArchitecture(
                    f"the ops {[n.op for n in body]} from cell node {source} to {target} (graph node {end}) "
                    "are not one NAS-Bench-201 edge operation"
                )
            ops[(target, source)] = op
    missing = [e for e in CELL_EDGES if e not in ops]
    if missing:
        raise InvalidArchitecture(f"cell edge(s) {missing} (target, source) are missing; use 'zero' for 'none'")
    return tuple(ops[e] for e in CELL_EDGES)
