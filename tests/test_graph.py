"""CompGraph: validation, immutability, conversions, canonical hashing, pruning, GraphBuilder."""

import dataclasses
import math

import networkx as nx
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nag import CompGraph, InvalidArchitecture, NagError, Node, spaces
from nag.graph import NUMERIC_ATTRS, OPS, GraphBuilder
from nag.graph.ops import OP_INDEX, op_index
from nag.spaces.nb201.network import NB201_OPS


def chain(*ops):
    """A path graph input -> ops... -> output."""
    nodes = ["input", *ops, "output"]
    return CompGraph(nodes, [(i, i + 1) for i in range(len(nodes) - 1)])


def permuted(graph: CompGraph, perm) -> CompGraph:
    """The same graph with node ``i`` renumbered ``perm[i]``."""
    nodes = [None] * graph.num_nodes
    for i, node in enumerate(graph.nodes):
        nodes[perm[i]] = node
    return CompGraph(nodes, [(perm[s], perm[t]) for s, t in graph.edges])


def attributed_graph() -> CompGraph:
    """A small residual block whose two branches differ only in their attributes."""
    b = GraphBuilder()
    x = b.add("input", out_channels=16, spatial=32)
    left = b.chain(
        x,
        [
            Node("conv", kernel=3, stride=1, groups=1, in_channels=16, out_channels=16, spatial=32),
            Node("batchnorm", in_channels=16, out_channels=16, spatial=32),
            Node("relu", in_channels=16, out_channels=16, spatial=32),
        ],
    )
    right = b.chain(
        x,
        [
            Node("conv", kernel=1, stride=1, groups=1, in_channels=16, out_channels=16, spatial=32),
            Node("batchnorm", in_channels=16, out_channels=16, spatial=32),
            Node("relu", in_channels=16, out_channels=16, spatial=32),
        ],
    )
    y = b.add("add", [left, right, x], in_channels=16, out_channels=16, spatial=32)
    y = b.add("globalpool", [y], in_channels=16, out_channels=16, spatial=1)
    y = b.add("linear", [y], in_channels=16, out_channels=10)
    b.add("output", [y])
    return b.build()


def nb201_cell(ops=("nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_1x1", "nor_conv_3x3")):
    return spaces.get("nb201").to_graph(spaces.get("nb201").from_ops(ops))


# ---------------------------------------------------------------- validation
INVALID = [
    pytest.param(["input", "bogus", "output"], [(0, 1), (1, 2)], r"node 1 has unknown op 'bogus'", id="unknown-op"),
    pytest.param(
        ["input", "relu", "output"], [(0, 1), (1, 5)], r"edge \(1, 5\) points outside the graph's 3 nodes", id="edge-out-of-range"
    ),
    pytest.param(["input", "relu", "output"], [(0, 1), (-1, 2)], r"edge \(-1, 2\) points outside", id="negative-edge-index"),
    pytest.param(
        ["input", "relu", "output"], [(0, 1), (1, 1), (1, 2)], r"edge \(1, 1\) is a self-loop on node 1 \(relu\)", id="self-loop"
    ),
    pytest.param(["input", "relu", "output"], [(0, 1), (0, 1), (1, 2)], r"edge \(0, 1\) is listed twice", id="duplicate-edge"),
    pytest.param(
        ["input", "relu", "output"], [(1, 0), (0, 1), (1, 2)], r"edge \(1, 0\) enters input node 0", id="edge-into-input"
    ),
    pytest.param(
        ["input", "relu", "output"], [(0, 1), (1, 2), (2, 1)], r"edge \(2, 1\) leaves output node 2", id="edge-out-of-output"
    ),
    pytest.param(["relu", "output"], [(0, 1)], r"no 'input' node", id="no-input"),
    pytest.param(["input", "relu"], [(0, 1)], r"no 'output' node", id="no-output"),
    pytest.param(
        ["input", Node("conv", kernel=-3), "output"], [(0, 1), (1, 2)], r"node 1 \(conv\) has kernel=-3", id="negative-attr"
    ),
    pytest.param(
        ["input", Node("conv", stride=True), "output"], [(0, 1), (1, 2)], r"node 1 \(conv\) has stride=True", id="bool-attr"
    ),
    pytest.param(
        ["input", Node("conv", kernel=3.0), "output"], [(0, 1), (1, 2)], r"node 1 \(conv\) has kernel=3.0", id="float-attr"
    ),
    pytest.param(
        ["input", {"op": "conv", "colour": 1}, "output"],
        [(0, 1), (1, 2)],
        r"unknown node attribute.*colour",
        id="unknown-attr-key",
    ),
    pytest.param(["input", "relu", "output"], [(0, 1, 2), (1, 2)], r"not a \(source, target\) pair", id="edge-triple"),
    pytest.param(["input", "relu", "output"], [(True, 2)], r"not a \(source, target\) pair", id="bool-edge"),
]


@pytest.mark.parametrize(("nodes", "edges", "message"), INVALID)
def test_invalid_graphs_raise_naming_the_culprit(nodes, edges, message):
    with pytest.raises(InvalidArchitecture, match=message):
        CompGraph(nodes, edges)


def test_cycle_is_reported_with_its_nodes():
    nodes = ["input", "relu", "gelu", "silu", "output"]
    with pytest.raises(InvalidArchitecture, match="closes a cycle") as info:
        CompGraph(nodes, [(0, 1), (1, 2), (2, 3), (3, 1), (3, 4)])
    message = str(info.value)
    for node in ("1", "2", "3"):
        assert node in message.split("through nodes")[1]


def test_invalid_architecture_is_a_nag_error_and_a_value_error():
    with pytest.raises(NagError):
        CompGraph(["relu"], [])
    with pytest.raises(ValueError):
        CompGraph(["relu"], [])


def test_minimal_graphs_are_valid():
    g = CompGraph(["input", "output"], [(0, 1)])
    assert g.ops == ("input", "output")
    empty = CompGraph(["input", "output"], [])  # no edge at all is allowed
    assert empty.edges == () and empty.num_nodes == 2


# ---------------------------------------------------------------- immutability
def test_graph_is_frozen():
    g = chain("relu")
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.nodes = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.edges = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.nodes[1].op = "gelu"
    assert isinstance(g.nodes, tuple) and isinstance(g.edges, tuple)
    assert g.ops == ("input", "relu", "output")


def test_graph_does_not_alias_its_inputs():
    nodes, edges = ["input", "relu", "output"], [(0, 1), (1, 2)]
    g = CompGraph(nodes, edges)
    nodes[1] = "gelu"
    edges.append((0, 2))
    assert g.ops == ("input", "relu", "output")
    assert g.edges == ((0, 1), (1, 2))


def test_with_node_returns_a_changed_copy():
    g = chain(Node("conv", kernel=3))
    h = g.with_node(1, kernel=5)
    assert g.nodes[1].kernel == 3 and h.nodes[1].kernel == 5
    assert g != h and h.edges == g.edges
    with pytest.raises(InvalidArchitecture, match="kernel=-1"):
        g.with_node(1, kernel=-1)


def test_equality_and_hash_ignore_edge_order_and_node_names():
    a = CompGraph(["input", "relu", "gelu", "output"], [(0, 1), (0, 2), (1, 3), (2, 3)])
    b = CompGraph(["input", "relu", "gelu", "output"], [(2, 3), (1, 3), (0, 2), (0, 1)])
    named = CompGraph(["input", Node("relu", name="features.0"), "gelu", "output"], [(0, 1), (0, 2), (1, 3), (2, 3)])
    assert a == b == named
    assert len({a, b, named}) == 1
    assert a.canonical_hash() == named.canonical_hash()
    assert a != CompGraph(["input", "relu", "gelu", "output"], [(0, 1), (1, 2), (2, 3)])


def test_structure_accessors():
    g = CompGraph(["input", "relu", "gelu", "add", "output"], [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4)])
    assert g.inputs() == (0,) and g.outputs() == (4,)
    assert g.predecessors(3) == (1, 2) and g.successors(0) == (1, 2)
    assert g.predecessors(0) == () and g.successors(4) == ()
    order = g.topological_order()
    assert sorted(order) == list(range(5))
    assert all(order.index(s) < order.index(t) for s, t in g.edges)


# ---------------------------------------------------------------- networkx
def test_to_networkx_carries_ops_and_known_attributes():
    g = attributed_graph().with_node(1, name="block.conv1")
    nxg = g.to_networkx()
    assert isinstance(nxg, nx.DiGraph)
    assert list(nxg.nodes) == list(range(g.num_nodes))
    assert sorted(nxg.edges) == list(g.edges)
    for i, node in enumerate(g.nodes):
        data = nxg.nodes[i]
        assert data["op"] == node.op
        for key in NUMERIC_ATTRS:
            assert data.get(key) == getattr(node, key)  # unknown attributes are absent
    assert nxg.nodes[1]["name"] == "block.conv1"
    assert "name" not in nxg.nodes[2]


def test_networkx_round_trip_of_attributed_graph_is_exact():
    g = attributed_graph()
    back = CompGraph.from_networkx(g.to_networkx())
    assert back == g
    assert [n.attrs() for n in back.nodes] == [n.attrs() for n in g.nodes]


def test_networkx_round_trip_of_int_numbered_graph_keeps_numbering():
    g = nb201_cell()  # 21 nodes, numbered in topological order
    assert g.topological_order() == list(range(g.num_nodes))
    assert CompGraph.from_networkx(g.to_networkx()) == g


@settings(max_examples=40, deadline=None, derandomize=True)
@given(ops=st.tuples(*[st.sampled_from(NB201_OPS)] * 6))
def test_networkx_round_trip_preserves_structure(ops):
    g = nb201_cell(ops)
    back = CompGraph.from_networkx(g.to_networkx())
    assert back.canonical_hash() == g.canonical_hash()
    assert sorted(back.ops) == sorted(g.ops)
    assert spaces.get("nb201").from_graph(back).ops == tuple(ops)


def test_from_networkx_with_string_ids():
    nxg = nx.DiGraph()
    nxg.add_node("x", op="input", out_channels=3, spatial=8)
    nxg.add_node("stem.conv", op="conv", kernel=3, stride=2, groups=1, in_channels=3, out_channels=8, spatial=4)
    nxg.add_node("stem.act", op="relu")
    nxg.add_node("pool", op="globalpool", spatial=1)
    nxg.add_node("fc", op="linear", in_channels=8, out_channels=10)
    nxg.add_node("y", op="output")
    nxg.add_edges_from([("x", "stem.conv"), ("stem.conv", "stem.act"), ("stem.act", "pool"), ("pool", "fc"), ("fc", "y")])
    g = CompGraph.from_networkx(nxg)
    assert g.ops == ("input", "conv", "relu", "globalpool", "linear", "output")
    assert g.edges == ((0, 1), (1, 2), (2, 3), (3, 4), (4, 5))
    conv = g.nodes[1]
    assert (conv.kernel, conv.stride, conv.groups, conv.in_channels, conv.out_channels, conv.spatial) == (3, 2, 1, 3, 8, 4)
    assert g.nodes[0].attrs() == {"out_channels": 3, "spatial": 8}
    assert g.nodes[2].attrs() == {}
    # and back: the same structure with integer ids
    again = CompGraph.from_networkx(g.to_networkx())
    assert again == g


def test_from_networkx_is_deterministic_whatever_the_insertion_order():
    edges = [("in", "a"), ("in", "b"), ("a", "out"), ("b", "out")]
    ops = {"in": "input", "a": "relu", "b": "gelu", "out": "output"}
    g1, g2 = nx.DiGraph(), nx.DiGraph()
    for v in ["in", "a", "b", "out"]:
        g1.add_node(v, op=ops[v])
    for v in ["out", "b", "a", "in"]:
        g2.add_node(v, op=ops[v])
    g1.add_edges_from(edges)
    g2.add_edges_from(reversed(edges))
    assert CompGraph.from_networkx(g1) == CompGraph.from_networkx(g2)


def test_from_networkx_errors():
    missing = nx.DiGraph()
    missing.add_node("in", op="input")
    missing.add_node("mystery")
    missing.add_node("out", op="output")
    missing.add_edges_from([("in", "mystery"), ("mystery", "out")])
    with pytest.raises(InvalidArchitecture, match="'mystery' has no 'op' attribute"):
        CompGraph.from_networkx(missing)

    cyclic = nx.DiGraph()
    cyclic.add_nodes_from([(0, {"op": "input"}), (1, {"op": "relu"}), (2, {"op": "gelu"}), (3, {"op": "output"})])
    cyclic.add_edges_from([(0, 1), (1, 2), (2, 1), (2, 3)])
    with pytest.raises(InvalidArchitecture, match="cycle"):
        CompGraph.from_networkx(cyclic)

    extra = nx.DiGraph()
    extra.add_nodes_from([(0, {"op": "input"}), (1, {"op": "relu", "colour": "red"}), (2, {"op": "output"})])
    extra.add_edges_from([(0, 1), (1, 2)])
    with pytest.raises(InvalidArchitecture, match="colour"):
        CompGraph.from_networkx(extra)

    with pytest.raises(InvalidArchitecture, match="DiGraph"):
        CompGraph.from_networkx(nx.MultiDiGraph())
    with pytest.raises(InvalidArchitecture, match="DiGraph"):
        CompGraph.from_networkx(nx.Graph())


# ---------------------------------------------------------------- canonical hash
@settings(max_examples=60, deadline=None, derandomize=True)
@given(ops=st.tuples(*[st.sampled_from(NB201_OPS)] * 6), data=st.data())
def test_canonical_hash_ignores_numbering_of_nb201_cells(ops, data):
    g = nb201_cell(ops)
    perm = data.draw(st.permutations(range(g.num_nodes)))
    h = permuted(g, perm)
    assert h.canonical_hash() == g.canonical_hash()
    assert sorted(h.ops) == sorted(g.ops)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(perm=st.permutations(range(attributed_graph().num_nodes)))
def test_canonical_hash_ignores_numbering_of_attributed_graphs(perm):
    g = attributed_graph()
    assert permuted(g, perm).canonical_hash() == g.canonical_hash()


@settings(max_examples=5, deadline=None, derandomize=True)
@given(data=st.data())
def test_canonical_hash_ignores_numbering_of_network_graphs(data):
    arch = "|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"
    g = spaces.get("nb201").to_graph(arch, "network")
    perm = data.draw(st.permutations(range(g.num_nodes)))
    assert permuted(g, perm).canonical_hash() == g.canonical_hash()


def test_canonical_hash_differs_for_one_op_or_one_attribute():
    base = attributed_graph()
    h = base.canonical_hash()
    assert isinstance(h, str) and h
    relu = base.ops.index("relu")
    assert base.with_node(relu, op="gelu").canonical_hash() != h
    conv = base.ops.index("conv")
    assert base.with_node(conv, kernel=5).canonical_hash() != h
    assert base.with_node(conv, out_channels=17).canonical_hash() != h
    assert base.with_node(conv, spatial=None).canonical_hash() != h  # unknown differs from known
    assert base.with_node(conv, name="renamed").canonical_hash() == h  # names are informative only
    # the two branches differ only in kernel: swapping their kernels gives an isomorphic graph
    other = base.ops.index("conv", conv + 1)
    swapped = base.with_node(conv, kernel=1).with_node(other, kernel=3)
    assert swapped != base and swapped.canonical_hash() == h


@settings(max_examples=40, deadline=None, derandomize=True)
@given(ops=st.tuples(*[st.sampled_from(NB201_OPS)] * 6), edge=st.integers(0, 5), shift=st.integers(1, 4))
def test_canonical_hash_differs_between_nb201_cells_one_op_apart(ops, edge, shift):
    other = list(ops)
    other[edge] = NB201_OPS[(NB201_OPS.index(ops[edge]) + shift) % len(NB201_OPS)]
    assert nb201_cell(ops).canonical_hash() != nb201_cell(tuple(other)).canonical_hash()


def test_canonical_hash_separates_direction():
    a = CompGraph(["input", "relu", "gelu", "output"], [(0, 1), (1, 2), (2, 3)])
    b = CompGraph(["input", "gelu", "relu", "output"], [(0, 1), (1, 2), (2, 3)])
    assert a.canonical_hash() != b.canonical_hash()


# ---------------------------------------------------------------- to_pyg
def test_to_pyg_fields():
    g = attributed_graph()
    data = g.to_pyg()
    n, k = g.num_nodes, len(NUMERIC_ATTRS)
    assert data.num_nodes == n
    assert data.x.shape == (n, len(OPS) + 2 * k)
    assert data.x.dtype == torch.float32
    assert torch.equal(data.op, torch.tensor([op_index(o) for o in g.ops]))
    assert data.edge_index.dtype == torch.long
    assert data.edge_index.shape == (2, len(g.edges))
    assert [tuple(e) for e in data.edge_index.t().tolist()] == list(g.edges)
    onehot = data.x[:, : len(OPS)]
    assert torch.equal(onehot.sum(1), torch.ones(n))
    assert torch.equal(onehot.argmax(1), data.op)
    for i, node in enumerate(g.nodes):
        for j, key in enumerate(NUMERIC_ATTRS):
            value, known = data.x[i, len(OPS) + j].item(), data.x[i, len(OPS) + k + j].item()
            if getattr(node, key) is None:
                assert value == 0.0 and known == 0.0
            else:
                assert value == pytest.approx(math.log2(1 + getattr(node, key)))
                assert known == 1.0
    conv = g.ops.index("conv")
    kernel_col = len(OPS) + NUMERIC_ATTRS.index("kernel")
    assert data.x[conv, kernel_col].item() == pytest.approx(2.0)  # log2(1 + 3)
    assert data.x[conv, OP_INDEX["conv"]].item() == 1.0


def test_to_pyg_zero_valued_attribute_is_known():
    g = chain(Node("conv", groups=0, kernel=1))  # groups=0 is weird but valid: known, value log2(1)=0
    x = g.to_pyg().x
    j = NUMERIC_ATTRS.index("groups")
    assert x[1, len(OPS) + j].item() == 0.0
    assert x[1, len(OPS) + len(NUMERIC_ATTRS) + j].item() == 1.0
    assert x[1, len(OPS) + NUMERIC_ATTRS.index("kernel")].item() == 1.0


def test_to_pyg_without_edges():
    data = CompGraph(["input", "output"], []).to_pyg()
    assert data.edge_index.shape == (2, 0) and data.edge_index.dtype == torch.long


def test_ops_vocabulary_is_stable():
    assert OPS[:2] == ("input", "output") and OPS[-1] == "other"
    assert len(set(OPS)) == len(OPS)
    assert NUMERIC_ATTRS == ("kernel", "stride", "groups", "in_channels", "out_channels", "spatial")
    with pytest.raises(KeyError):
        op_index("bogus")


# ---------------------------------------------------------------- pruned
def test_pruned_removes_zero_and_dead_nodes():
    space = spaces.get("nb201")
    # 1<-0 none: node 1 is dead and so is the conv on 2<-1; 3<-1 and 3<-2 are none: node 2
    # cannot reach the output. Only the skip 3<-0 remains.
    arch = space.from_str("|none~0|+|skip_connect~0|nor_conv_3x3~1|+|skip_connect~0|none~1|none~2|")
    pruned = space.to_graph(arch).pruned()
    assert pruned.ops == ("input", "identity", "add", "output")
    assert pruned.edges == ((0, 1), (1, 2), (2, 3))


def test_pruned_keeps_live_nodes_and_is_idempotent():
    g = nb201_cell(("nor_conv_3x3", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "skip_connect", "nor_conv_3x3"))
    assert g.pruned() == g  # no zero, nothing dead
    g = nb201_cell(("nor_conv_3x3", "none", "avg_pool_3x3", "none", "skip_connect", "nor_conv_3x3"))
    p = g.pruned()
    assert "zero" not in p.ops
    assert p.num_nodes == g.num_nodes - 2
    assert p.pruned() == p
    assert (
        spaces.get("nb201").to_graph("|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|none~0|skip_connect~1|nor_conv_3x3~2|").pruned()
        == p
    )


def test_pruned_drops_branches_off_every_input_output_path():
    # 0 input -> 1 relu -> 5 output; 0 -> 2 gelu (dangling); 3 silu -> 4 add -> 5 (no input);
    # 1 -> 4 too, so the add is live but its silu input is not.
    g = CompGraph(
        ["input", Node("relu", out_channels=4), "gelu", "silu", "add", "output"],
        [(0, 1), (0, 2), (3, 4), (1, 4), (4, 5)],
    )
    p = g.pruned()
    assert p.ops == ("input", "relu", "add", "output")
    assert p.edges == ((0, 1), (1, 2), (2, 3))
    assert p.nodes[1].out_channels == 4


def test_pruned_disconnected_cell_keeps_boundary():
    space = spaces.get("nb201")
    p = space.to_graph(space.from_ops(["none"] * 6)).pruned()
    assert p.ops == ("input", "output") and p.edges == ()


# ---------------------------------------------------------------- GraphBuilder
def test_graph_builder():
    b = GraphBuilder()
    x = b.add("input", out_channels=3)
    assert x == 0
    y = b.chain(x, [Node("conv", kernel=3, in_channels=3, out_channels=8), Node("relu")])
    assert y == 2
    z = b.add("add", [x, y])
    out = b.add("output", [z])
    assert out == 4
    g = b.build()
    assert g.ops == ("input", "conv", "relu", "add", "output")
    assert g.edges == ((0, 1), (0, 3), (1, 2), (2, 3), (3, 4))
    assert g.nodes[1].kernel == 3 and g.nodes[0].out_channels == 3
    # the built graph does not change when the builder goes on
    b.add("relu", [out - 1])
    assert g.num_nodes == 5
    assert b.chain(out, []) == out  # an empty chain returns its source


def test_graph_builder_validates_on_build():
    b = GraphBuilder()
    x = b.add("input")
    b.add("relu", [x])
    with pytest.raises(InvalidArchitecture, match="no 'output' node"):
        b.build()
    b.add("output", [1, 1])
    with pytest.raises(InvalidArchitecture, match=r"edge \(1, 2\) is listed twice"):
        b.build()
    bad = GraphBuilder()
    bad.add("output", [bad.add("bogus", [bad.add("input")])])
    with pytest.raises(InvalidArchitecture, match="node 1 has unknown op 'bogus'"):
        bad.build()


def test_topological_order_is_the_lexicographic_one():
    forward = nb201_cell()
    backward = CompGraph(["output", "relu", "input", "conv"], [(2, 3), (3, 1), (1, 0), (2, 1)])
    for g in (forward, backward):
        assert g.topological_order() == list(nx.lexicographical_topological_sort(g.to_networkx()))
    assert forward.topological_order() == list(range(forward.num_nodes))
    assert backward.topological_order() == [2, 3, 1, 0]
