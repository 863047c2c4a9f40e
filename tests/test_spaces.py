"""Search spaces: registry, NAS-Bench-201 and NAS-Bench-Graph encodings, graphs and builds."""

import collections
import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nag import CompGraph, ConfigError, InvalidArchitecture, UnknownNameError, bench, count_flops, count_params, spaces
from nag.spaces.nb201 import NB201Arch
from nag.spaces.nb201.network import CELL_EDGES, NB201_OPS
from nag.spaces.nbgraph import GNN_OPS, LINK_PATTERNS, PROTEINS_OPS, NBGraphArch

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"
BEST_TUPLE = (2, 2, 0, 2, 3, 2)
ALL_NONE = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"

nb201_ops = st.tuples(*[st.sampled_from(NB201_OPS)] * 6)


@pytest.fixture(scope="module")
def nb201():
    return spaces.get("nb201")


@pytest.fixture(scope="module")
def nbgraph():
    return spaces.get("nbgraph")


@pytest.fixture(scope="module")
def proteins():
    return spaces.get("nbgraph-proteins")


def permuted(graph: CompGraph, perm) -> CompGraph:
    nodes = [None] * graph.num_nodes
    for i, node in enumerate(graph.nodes):
        nodes[perm[i]] = node
    return CompGraph(nodes, [(perm[s], perm[t]) for s, t in graph.edges])


def edge_differences(a, b) -> int:
    return sum(x != y for x, y in zip(a.ops, b.ops))


# ====================================================================== registry
def test_registry_names():
    names = spaces.names()
    assert {"nb201", "nbgraph", "nbgraph-proteins"} <= set(names)
    assert names == sorted(names)


def test_registry_returns_one_instance_per_name():
    assert spaces.get("nb201") is spaces.get("nb201")
    assert spaces.get("nbgraph") is not spaces.get("nbgraph-proteins")
    assert spaces.get("nb201").name == "nb201"
    assert spaces.get("nbgraph").name == "nbgraph"
    assert spaces.get("nbgraph-proteins").name == "nbgraph-proteins"


def test_registry_unknown_name_lists_choices():
    with pytest.raises(UnknownNameError) as info:
        spaces.get("nb301")
    message = str(info.value)
    assert "nb301" in message
    for name in ("nb201", "nbgraph", "nbgraph-proteins"):
        assert name in message
    assert isinstance(info.value, ConfigError) and isinstance(info.value, KeyError)
    assert "nb201" in info.value.choices


# ====================================================================== NAS-Bench-201
def test_nb201_size(nb201):
    assert nb201.size == 15_625
    assert len(nb201) == 15_625
    archs = nb201.all_archs()
    assert len(archs) == 15_625 and len(set(archs)) == 15_625
    assert archs == list(nb201.enumerate())
    assert all(isinstance(a, NB201Arch) for a in archs[:10])


@settings(max_examples=100, deadline=None, derandomize=True)
@given(ops=nb201_ops)
def test_nb201_round_trips(nb201, ops):
    arch = nb201.from_ops(ops)
    text = nb201.to_str(arch)
    assert text == str(arch)
    assert nb201.from_str(text) == arch
    key = nb201.to_tuple(arch)
    assert len(key) == 6 and all(0 <= k <= 4 for k in key)
    assert nb201.from_tuple(key) == arch
    graph = nb201.to_graph(arch)
    assert nb201.from_graph(graph) == arch
    assert nb201.coerce(graph) == nb201.coerce(text) == nb201.coerce(arch) == arch
    assert nb201.from_choices(nb201.choices(arch)) == arch


@settings(max_examples=100, deadline=None, derandomize=True)
@given(key=st.tuples(*[st.integers(0, 4)] * 6))
def test_nb201_tuple_round_trip(nb201, key):
    arch = nb201.from_tuple(key)
    assert nb201.to_tuple(arch) == key
    assert nb201.to_tuple(nb201.from_str(str(arch))) == key


@settings(max_examples=60, deadline=None, derandomize=True)
@given(ops=nb201_ops, data=st.data())
def test_nb201_from_graph_ignores_node_numbering(nb201, ops, data):
    arch = nb201.from_ops(ops)
    graph = nb201.to_graph(arch)
    perm = data.draw(st.permutations(range(graph.num_nodes)))
    shuffled = permuted(graph, perm)
    assert nb201.from_graph(shuffled) == arch
    assert nb201.contains(shuffled)


def test_nb201_best_cell_of_the_benchmark_data(nb201):
    arch = nb201.from_str(BEST)
    assert nb201.to_tuple(arch) == BEST_TUPLE
    assert nb201.from_tuple(BEST_TUPLE) == arch
    assert arch.ops == ("nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_1x1", "nor_conv_3x3")


def test_nb201_tuple_positions_follow_the_data(nb201):
    """data.md: only position 2 alone gives an input -> output path; (0, 4) and (1, 5)
    are the two-edge paths (op id 1 is 'none', 0 is 'skip_connect')."""

    def cell(*skips):
        return nb201.from_tuple(tuple(0 if i in skips else 1 for i in range(6)))

    assert [cell(i).connected for i in range(6)] == [False, False, True, False, False, False]
    assert cell(0, 4).connected and cell(1, 5).connected
    assert not cell(0, 5).connected and not cell(1, 4).connected
    assert cell(2).ops == ("none", "none", "none", "skip_connect", "none", "none")


def test_nb201_connected_count(nb201):
    disconnected = [a for a in nb201.all_archs() if not a.connected]
    assert len(disconnected) == 341
    assert nb201.from_str(ALL_NONE) in disconnected
    assert nb201.from_str(BEST).connected


def test_nb201_disconnected_cells_are_those_at_chance_accuracy(nb201):
    b = bench.load("nb201-cifar10")
    archs, accuracy = b.table("accuracy")
    at_chance = {a for a, v in zip(archs, accuracy) if v == 10.0}
    assert at_chance == {a for a in nb201.all_archs() if not a.connected}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|", r"edge 1<-0 has unknown op 'conv_5x5'.*nor_conv_3x3"),
        ("|none~0|+|none~0|none~1|+|none~0|none~1|zero~2|", r"edge 3<-2 has unknown op 'zero'"),
        ("|none~0|+|none~0|none~1|+|none~0|none~1|", r"not a NAS-Bench-201 arch string.*expected"),
        ("|none~0|+|none~0|+|none~0|none~1|none~2|", r"not a NAS-Bench-201 arch string"),
        ("|none~1|+|none~0|none~1|+|none~0|none~1|none~2|", r"not a NAS-Bench-201 arch string"),
        ("garbage", r"'garbage' is not a NAS-Bench-201 arch string.*avg_pool_3x3"),
        ("", r"not a NAS-Bench-201 arch string"),
    ],
)
def test_nb201_malformed_strings(nb201, text, message):
    with pytest.raises(InvalidArchitecture, match=message):
        nb201.from_str(text)
    assert not nb201.contains(text)


def test_nb201_string_tolerates_quotes_and_spaces(nb201):
    assert nb201.from_str(f"  '{BEST}' ") == nb201.from_str(BEST)
    assert nb201.from_str(BEST.replace("|+|", "| + |")) == nb201.from_str(BEST)


def test_nb201_bad_tuples_and_ops(nb201):
    for key in [(0, 1, 2), (0, 1, 2, 3, 4, 5), (0, 0, 0, 0, 0, -1), (0, 0, 0, 0, 0, "1")]:
        with pytest.raises(InvalidArchitecture, match="analog-nasbench key"):
            nb201.from_tuple(key)
    with pytest.raises(InvalidArchitecture, match="6 edge ops"):
        nb201.from_ops(["none"] * 5)


def test_nb201_from_graph_rejects_non_cells(nb201):
    not_cells = {
        "chain": CompGraph(["input", "relu", "output"], [(0, 1), (1, 2)]),
        "network": nb201.to_graph(BEST, "network"),
        "two inputs": CompGraph(["input", "input", "add", "add", "add", "output"], [(0, 2), (1, 2), (2, 3), (3, 4), (4, 5)]),
    }
    # a cell whose 1<-0 edge is a 5x5 conv
    cell = nb201.to_graph(BEST)
    conv = cell.ops.index("conv")
    not_cells["5x5 edge"] = cell.with_node(conv, kernel=5)
    # a cell with one edge chain (the 3<-0 skip) removed
    skip = cell.ops.index("identity")
    keep = [i for i in range(cell.num_nodes) if i != skip]
    index = {v: i for i, v in enumerate(keep)}
    not_cells["missing edge"] = CompGraph(
        [cell.nodes[i] for i in keep], [(index[s], index[t]) for s, t in cell.edges if s in index and t in index]
    )
    for name, graph in not_cells.items():
        with pytest.raises(InvalidArchitecture):
            nb201.from_graph(graph)
        assert not nb201.contains(graph), name


def test_nb201_missing_edge_message_names_it(nb201):
    cell = nb201.to_graph(BEST)
    skip = cell.ops.index("identity")  # the 3<-0 edge
    keep = [i for i in range(cell.num_nodes) if i != skip]
    index = {v: i for i, v in enumerate(keep)}
    graph = CompGraph([cell.nodes[i] for i in keep], [(index[s], index[t]) for s, t in cell.edges if s in index and t in index])
    with pytest.raises(InvalidArchitecture, match=r"\(3, 0\).*missing"):
        nb201.from_graph(graph)


def test_nb201_unknown_level(nb201):
    with pytest.raises(ConfigError, match="cell, network"):
        nb201.to_graph(BEST, level="macro")


def test_nb201_contains(nb201):
    arch = nb201.from_str(BEST)
    assert nb201.contains(arch) and nb201.contains(BEST) and nb201.contains(nb201.to_graph(arch))
    for garbage in ["garbage", 42, None, 3.5, ("none",) * 6, "0,0,1,2:gcn,gat,skip,fc"]:
        assert not nb201.contains(garbage)
    with pytest.raises(InvalidArchitecture, match="cannot read"):
        nb201.coerce(42)


def test_nb201_contains_rejects_malformed_arch_objects(nb201):
    assert not nb201.contains(NB201Arch(("foo",) * 6))
    assert not nb201.contains(NB201Arch(("none",) * 5))


@pytest.mark.parametrize("choices", [[0] * 5, [-1, 0, 0, 0, 0, 0], [5, 0, 0, 0, 0, 0]])
def test_nb201_from_choices_validates(nb201, choices):
    with pytest.raises(InvalidArchitecture):
        nb201.from_choices(choices)


def _op_counts(arch):
    return collections.Counter(arch.ops)


@pytest.mark.parametrize(
    "text", [BEST, ALL_NONE, "|avg_pool_3x3~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|avg_pool_3x3~1|skip_connect~2|"]
)
def test_nb201_network_graph_counts(nb201, text):
    arch = nb201.from_str(text)
    graph = nb201.to_graph(arch, "network")
    ops = collections.Counter(graph.ops)
    c = _op_counts(arch)
    convs = c["nor_conv_1x1"] + c["nor_conv_3x3"]
    cells = 15
    assert ops["conv"] == 1 + 2 * 3 + cells * convs  # stem, two reductions of three convs, cells
    assert ops["relu"] == 2 * 2 + cells * convs + 1
    assert ops["batchnorm"] == 1 + 2 * 2 + cells * convs + 1
    assert ops["add"] == 2 + cells * 3
    assert ops["avgpool"] == 2 + cells * c["avg_pool_3x3"]
    assert ops["identity"] == cells * c["skip_connect"]
    assert ops["zero"] == cells * c["none"]
    assert ops["input"] == ops["output"] == ops["globalpool"] == ops["linear"] == 1
    assert sum(ops.values()) == graph.num_nodes


def test_nb201_network_graph_attributes(nb201):
    graph = nb201.to_graph(BEST, "network")
    first = graph.nodes[graph.inputs()[0]]
    assert (first.out_channels, first.spatial) == (3, 32)
    linear = graph.nodes[graph.ops.index("linear")]
    assert (linear.in_channels, linear.out_channels) == (64, 10)
    convs = [n for n in graph.nodes if n.op == "conv"]
    stem = convs[0]
    assert (stem.kernel, stem.stride, stem.in_channels, stem.out_channels, stem.spatial) == (3, 1, 3, 16, 32)
    reduction = collections.Counter(
        (n.kernel, n.stride, n.in_channels, n.out_channels, n.spatial)
        for n in convs
        if n.in_channels != n.out_channels or n.stride != 1
    )
    assert reduction == {
        (3, 1, 3, 16, 32): 1,
        (3, 2, 16, 32, 16): 1, (1, 1, 16, 32, 16): 1,
        (3, 2, 32, 64, 8): 1, (1, 1, 32, 64, 8): 1,
    }  # fmt: skip
    # cell nodes carry their stage's channels and spatial size: 16@32, 32@16, 64@8
    cell_ops = ("add", "identity", "zero")
    stages = collections.Counter((n.out_channels, n.spatial) for n in graph.nodes if n.op in cell_ops)
    # per cell 3 adds + 1 identity (its skip edge); stages 2 and 3 add their reduction's add
    assert stages == {(16, 32): 5 * 4, (32, 16): 5 * 4 + 1, (64, 8): 5 * 4 + 1}
    assert all(n.groups == 1 for n in convs)


def test_nb201_network_graph_costs_match_the_built_network(nb201):
    """Params and MACs computed from the graph's attributes equal the real network's."""
    for text in (BEST, "|avg_pool_3x3~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|avg_pool_3x3~1|skip_connect~2|"):
        graph = nb201.to_graph(text, "network")
        params = macs = 0
        for n in graph.nodes:
            if n.op == "conv":
                weights = n.kernel**2 * n.in_channels * n.out_channels // n.groups
                params += weights
                macs += weights * n.spatial**2
            elif n.op == "batchnorm":
                params += 2 * n.out_channels
            elif n.op == "linear":
                params += n.in_channels * n.out_channels + n.out_channels
                macs += n.in_channels * n.out_channels
        net = nb201.build(text)
        assert params == count_params(net)
        assert macs == count_flops(net, torch.zeros(1, 3, 32, 32))


def test_nb201_network_graph_options(nb201):
    graph = nb201.to_graph(BEST, "network", num_classes=100, C=8, N=2, resolution=64)
    assert graph.nodes[graph.ops.index("linear")].out_channels == 100
    assert graph.nodes[graph.ops.index("linear")].in_channels == 32
    assert graph.nodes[0].spatial == 64
    assert collections.Counter(graph.ops)["conv"] == 1 + 6 + 3 * 2 * 5
    assert {n.spatial for n in graph.nodes if n.op == "add"} == {64, 32, 16}


@settings(max_examples=50, deadline=None, derandomize=True)
@given(ops=nb201_ops, seed=st.integers(0, 2**32 - 1))
def test_nb201_mutate_changes_exactly_one_edge(nb201, ops, seed):
    arch = nb201.from_ops(ops)
    child = nb201.mutate(arch, seed)
    assert child != arch
    assert edge_differences(arch, child) == 1
    assert nb201.mutate(arch, seed) == child  # same seed, same child
    assert nb201.mutate(str(arch), np.random.default_rng(seed)) == child


def test_nb201_mutate_explores_all_neighbours(nb201):
    arch = nb201.from_str(BEST)
    rng = np.random.default_rng(0)
    children = {nb201.mutate(arch, rng) for _ in range(400)}
    assert children == set(nb201.neighbours(arch))


@settings(max_examples=50, deadline=None, derandomize=True)
@given(ops=nb201_ops)
def test_nb201_neighbours(nb201, ops):
    arch = nb201.from_ops(ops)
    found = nb201.neighbours(arch)
    assert len(found) == 24 == len(set(found))
    assert found == sorted(found)
    assert arch not in found
    assert all(edge_differences(arch, n) == 1 for n in found)
    assert nb201.neighbours(str(arch)) == found


def test_nb201_sample(nb201):
    a = nb201.sample(200, seed=123)
    assert a == nb201.sample(200, seed=123)
    assert a != nb201.sample(200, seed=124)
    assert a == nb201.sample(200, seed=np.random.default_rng(123))
    assert len(a) == 200 and all(nb201.contains(x) for x in a)
    assert nb201.sample(0, seed=1) == []
    with pytest.raises(ConfigError):
        nb201.sample(-1, seed=1)
    # roughly uniform: every op on every edge near 1/5 of 5,000 draws
    draws = nb201.sample(5000, seed=7)
    for position in range(6):
        freq = collections.Counter(x.ops[position] for x in draws)
        assert set(freq) == set(NB201_OPS)
        assert all(800 < v < 1200 for v in freq.values()), freq
    assert len(set(draws)) > 4000


def test_nb201_build_best_cell_costs(nb201):
    net = nb201.build(BEST)
    assert count_params(net) == 1_073_466
    assert count_flops(net, torch.zeros(1, 3, 32, 32)) == 153_272_960
    assert count_params(nb201.build(nb201.from_str(BEST))) == 1_073_466


def test_nb201_build_matches_benchmark_costs_on_a_sample(nb201):
    b = bench.load("nb201-cifar10")
    x = torch.zeros(1, 3, 32, 32)
    for arch in nb201.sample(20, seed=2024):
        net = nb201.build(arch)
        assert count_params(net) == b.query(arch, "params"), str(arch)
        assert count_flops(net, x) == b.query(arch, "flops"), str(arch)


@pytest.mark.slow
def test_nb201_build_matches_benchmark_params_on_1000_cells(nb201):
    # Building all 15,625 networks takes ~2.5 min here; a seeded 1,000 cover every op on
    # every edge many times over (test_nb201_cell_params_over_whole_space covers all cells).
    b = bench.load("nb201-cifar10")
    archs = nb201.sample(1000, seed=99)
    built = np.array([count_params(nb201.build(a)) for a in archs], dtype=np.float64)
    assert np.array_equal(built, b.query_many(archs, "params"))


def test_nb201_cell_params_over_whole_space(nb201):
    """Every cell's params, measured on real Cell modules, plus the measured rest of the
    network, equals the benchmark's params column for all 15,625 cells."""
    from nag.spaces.nb201.network import Cell

    b = bench.load("nb201-cifar10")
    rest = count_params(nb201.build(ALL_NONE))  # no parameter inside all-none cells
    per_stage = {}
    archs = nb201.all_archs()
    expected = b.query_many(archs, "params")
    for arch, want in zip(archs, expected):
        total = rest
        for op in arch.ops:
            if op not in per_stage:
                per_stage[op] = sum(5 * count_params(Cell([op] + ["none"] * 5, c)) for c in (16, 32, 64))
            total += per_stage[op]
        assert total == want, str(arch)
    # and check the per-op decomposition against whole cells on a sample
    for arch in nb201.sample(300, seed=5):
        cells = sum(5 * count_params(Cell(arch.ops, c)) for c in (16, 32, 64))
        assert rest + cells == b.query(arch, "params")


def test_nb201_forward(nb201):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 32, 32)
    net = nb201.build(BEST).eval()
    out = net(x)
    assert out.shape == (2, 10)
    assert torch.isfinite(out).all()
    assert nb201.build(BEST, num_classes=100)(x).shape == (2, 100)


def test_nb201_disconnected_cell_runs_and_ignores_its_input(nb201):
    torch.manual_seed(0)
    for text in (ALL_NONE, "|skip_connect~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|none~2|"):
        arch = nb201.from_str(text)
        assert not arch.connected
        net = nb201.build(arch).eval()
        a, b = net(torch.randn(2, 3, 32, 32)), net(torch.randn(2, 3, 32, 32))
        assert a.shape == (2, 10) and torch.isfinite(a).all()
        # no path from input to output: the logits do not depend on the image
        assert torch.allclose(a, b)
        assert torch.allclose(a[0], a[1])


# ====================================================================== NAS-Bench-Graph
def test_nbgraph_sizes(nbgraph, proteins):
    assert len(nbgraph) == 26_206 and nbgraph.size == 26_206
    assert len(proteins) == 2_021
    archs = nbgraph.all_archs()
    assert len(set(archs)) == 26_206
    assert [a.key for a in archs] == sorted(a.key for a in archs)
    assert {a.link for a in archs} == set(LINK_PATTERNS)
    assert all(set(a.ops) <= set(PROTEINS_OPS) for a in proteins.all_archs())


def _check_round_trip(space, arch):
    assert space.from_str(str(arch)) == arch
    assert space.to_str(arch) == str(arch)
    assert space.from_key(arch.key) == arch
    assert NBGraphArch.from_key(arch.key) == arch  # archs of the space are the canonical ones
    assert space.from_graph(space.to_graph(arch)) == arch
    assert space.from_link_ops(arch.link, arch.ops) == arch
    assert space.from_choices(space.choices(arch)) == arch


def test_nbgraph_round_trips_on_a_sample(nbgraph):
    for arch in nbgraph.sample(500, seed=11):
        _check_round_trip(nbgraph, arch)


def test_nbgraph_proteins_round_trips_every_arch(proteins):
    for arch in proteins.all_archs():
        _check_round_trip(proteins, arch)


@pytest.mark.slow
def test_nbgraph_round_trips_every_arch(nbgraph):
    for arch in nbgraph.all_archs():
        _check_round_trip(nbgraph, arch)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(arch_index=st.integers(0, 26_205), data=st.data())
def test_nbgraph_from_graph_ignores_node_numbering(nbgraph, arch_index, data):
    arch = nbgraph.all_archs()[arch_index]
    graph = nbgraph.to_graph(arch)
    perm = data.draw(st.permutations(range(graph.num_nodes)))
    assert nbgraph.from_graph(permuted(graph, perm)) == arch


@pytest.mark.parametrize("name", ["nbgraph", "nbgraph-proteins"])
def test_nbgraph_keys_equal_the_package_hash_for_every_pair(name):
    """nag's canonical key of every (link, ops) pair equals nas_bench_graph's own
    ``Arch(link, ops).valid_hash()`` (157,440 pairs; 14,976 for proteins; ~3 s)."""
    from nas_bench_graph.architecture import Arch

    space = spaces.get(name)
    pairs = list(space.raw_pairs())
    assert len(pairs) == {"nbgraph": 157_440, "nbgraph-proteins": 14_976}[name]
    assert len(set(pairs)) == len(pairs)
    mismatches = [
        (link, ops) for link, ops in pairs if space.from_link_ops(link, ops).key != Arch(list(link), list(ops)).valid_hash()
    ]
    assert mismatches == []


def test_nbgraph_every_pair_lands_in_the_space(nbgraph):
    members = set(nbgraph.all_archs())
    keys = collections.Counter(nbgraph.from_link_ops(link, ops) for link, ops in nbgraph.raw_pairs())
    assert set(keys) == members  # every arch is reachable, and from nowhere else


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    link=st.tuples(st.just(0), st.integers(0, 1), st.integers(0, 2), st.integers(0, 3)),
    ops=st.tuples(*[st.sampled_from(GNN_OPS)] * 4).filter(lambda o: set(o) != {"skip"}),
)
def test_nbgraph_canonicalisation_is_idempotent(nbgraph, link, ops):
    arch = nbgraph.from_link_ops(link, ops)
    assert nbgraph.from_link_ops(arch.link, arch.ops) == arch
    assert nbgraph.from_str(f"{','.join(map(str, link))}:{','.join(ops)}") == arch
    assert nbgraph.coerce(NBGraphArch(tuple(link), tuple(ops))) == arch


def test_nbgraph_non_canonical_inputs(nbgraph):
    a = nbgraph.from_str("0,0,0,0:gcn,gat,skip,skip")
    assert a == nbgraph.from_str("0,0,0,0:gat,gcn,skip,skip")
    assert a == nbgraph.from_str("0,0,0,0:skip,gat,skip,gcn")
    # the three branches of 0,0,0,1 that feed from the input commute
    b = nbgraph.from_str("0,0,0,1:gcn,gat,sage,fc")
    assert b == nbgraph.from_str("0,0,0,2:gat,gcn,sage,fc")
    assert b == nbgraph.from_str(" '0, 0, 0, 1 : gcn, gat, sage, fc' ")
    assert b != nbgraph.from_str("0,0,0,1:gat,gcn,sage,fc")  # fc now follows gat, not gcn
    # a chain's order matters
    assert nbgraph.from_str("0,1,2,3:gcn,gat,sage,fc") != nbgraph.from_str("0,1,2,3:gat,gcn,sage,fc")


@pytest.mark.parametrize(
    ("space_name", "link", "ops", "message"),
    [
        ("nbgraph", (0, 0, 0, 0), ("skip",) * 4, "only 'skip'"),
        ("nbgraph", (0, 2, 0, 0), ("gcn",) * 4, r"link \[0, 2, 0, 0\] is invalid"),
        ("nbgraph", (1, 0, 0, 0), ("gcn",) * 4, "is invalid"),
        ("nbgraph", (0, 0, 0), ("gcn",) * 3, "is invalid"),
        ("nbgraph", (0, 0, 0, 0), ("gcn", "gcn", "gcn", "transformer"), "transformer"),
        (
            "nbgraph-proteins",
            (0, 0, 0, 0),
            ("gat", "gcn", "skip", "skip"),
            r"invalid for nbgraph-proteins.*gcn, sage, arma, fc, skip",
        ),
    ],
)
def test_nbgraph_invalid_link_ops(space_name, link, ops, message):
    space = spaces.get(space_name)
    with pytest.raises(InvalidArchitecture, match=message):
        space.from_link_ops(link, ops)
    text = ",".join(map(str, link)) + ":" + ",".join(ops)
    with pytest.raises(InvalidArchitecture):
        space.from_str(text)
    assert not space.contains(text)


def test_nbgraph_from_str_keeps_the_specific_reason(proteins):
    with pytest.raises(InvalidArchitecture, match="invalid for nbgraph-proteins"):
        proteins.from_str("0,0,0,0:gat,gcn,skip,skip")


@pytest.mark.parametrize(
    "text", ["garbage", "", "0,0,0,0", "0,0,0,0:gcn,gcn,gcn", "a,b,c,d:gcn,gcn,gcn,gcn", "0,0,0,0:gcn,gcn,gcn,gcn:x"]
)
def test_nbgraph_malformed_strings(nbgraph, text):
    with pytest.raises(InvalidArchitecture, match="not a NAS-Bench-Graph arch string|ops .* are invalid"):
        nbgraph.from_str(text)


def test_nbgraph_bad_keys(nbgraph):
    for key in (99_999, 90_000, 123_456):
        with pytest.raises(InvalidArchitecture, match="not a NAS-Bench-Graph key"):
            nbgraph.from_key(key)


def test_nbgraph_negative_key_is_invalid_architecture(nbgraph):
    with pytest.raises(InvalidArchitecture):
        nbgraph.from_key(-1)


def test_nbgraph_contains(nbgraph, proteins):
    arch = nbgraph.from_str("0,1,2,2:fc,gat,gcn,graph")
    assert nbgraph.contains(arch) and nbgraph.contains(str(arch)) and nbgraph.contains(nbgraph.to_graph(arch))
    assert nbgraph.contains("0,0,0,0:gat,gcn,skip,skip")  # non-canonical strings name members
    for garbage in ["garbage", 42, None, BEST, spaces.get("nb201").to_graph(BEST), "0,0,0,0:skip,skip,skip,skip"]:
        assert not nbgraph.contains(garbage)
    assert not proteins.contains(str(arch))  # gat, graph are not proteins ops
    assert proteins.contains("0,0,1,2:gcn,sage,arma,fc")


def test_nbgraph_cell_graph(nbgraph):
    arch = nbgraph.from_str("0,1,1,2:gcn,fc,skip,sage")
    graph = nbgraph.to_graph(arch)
    assert graph.num_nodes == 6
    assert collections.Counter(graph.ops) == collections.Counter(["input", "output", "gcn", "linear", "identity", "sage"])
    # a graph with a fifth computing node or a non-GNN op is not a cell
    with pytest.raises(InvalidArchitecture):
        nbgraph.from_graph(graph.with_node(graph.ops.index("gcn"), op="conv"))
    with pytest.raises(InvalidArchitecture):
        nbgraph.from_graph(CompGraph(["input", "gcn", "output"], [(0, 1), (1, 2)]))


@pytest.mark.parametrize("text", ["0,1,2,3:gcn,gat,sage,fc", "0,0,1,1:gat,sage,gat,fc"])
def test_nbgraph_cell_graph_structure(nbgraph, text):
    arch = nbgraph.from_str(text)
    graph = nbgraph.to_graph(arch)
    # computing node i+1 is fed by link[i]; the leaves (nodes no one links to) feed the output
    body = [i for i in graph.topological_order() if graph.ops[i] not in ("input", "output")]
    position = {graph.inputs()[0]: 0, **{node: k + 1 for k, node in enumerate(body)}}
    assert [position[graph.predecessors(n)[0]] for n in body] == list(arch.link)
    leaves = {k for k in range(1, 5) if k not in arch.link}
    assert {position[p] for p in graph.predecessors(graph.outputs()[0])} == leaves


def test_nbgraph_network_graph(nbgraph):
    graph = nbgraph.to_graph("0,0,1,1:gat,sage,gat,fc", "network", in_dim=1433, num_classes=7, hidden=64)
    linears = [n for n in graph.nodes if n.op == "linear"]
    assert (linears[0].in_channels, linears[0].out_channels) == (1433, 64)
    assert (linears[-1].in_channels, linears[-1].out_channels) == (64, 7)
    assert collections.Counter(graph.ops)["relu"] == 4  # one after every non-skip op


def test_nbgraph_mutate_and_neighbours(nbgraph, proteins):
    for space in (nbgraph, proteins):
        for arch in space.sample(20, seed=3):
            found = space.neighbours(arch)
            assert found and arch not in found and len(set(found)) == len(found)
            assert all(space.contains(n) for n in found)
            child = space.mutate(arch, 8)
            assert child != arch and child in found
            assert space.mutate(arch, 8) == child


def test_nbgraph_sample_is_reproducible(nbgraph, proteins):
    assert nbgraph.sample(50, seed=1) == nbgraph.sample(50, seed=1)
    assert nbgraph.sample(50, seed=1) != nbgraph.sample(50, seed=2)
    assert all(proteins.contains(a) for a in proteins.sample(50, seed=1))


def test_nbgraph_build(nbgraph):
    pytest.importorskip("nag.spaces.nbgraph.network")
    torch.manual_seed(0)
    arch = nbgraph.from_str("0,0,1,1:gat,sage,gat,fc")
    net = nbgraph.build(arch, in_dim=8, num_classes=3)
    x = torch.randn(10, 8)
    edge_index = torch.tensor([[i for i in range(10)] + [(i + 1) % 10 for i in range(10)],
                               [(i + 1) % 10 for i in range(10)] + [i for i in range(10)]])  # fmt: skip
    out = net.eval()(x, edge_index)
    assert out.shape == (10, 3) and torch.isfinite(out).all()
    assert nbgraph.build(str(arch), in_dim=8, num_classes=3, hidden=16)(x, edge_index).shape == (10, 3)


@pytest.mark.slow
def test_nbgraph_cell_graphs_hash_distinctly(nbgraph, proteins):
    """No two archs of the space have isomorphic cell graphs (and WL separates them)."""
    assert len({nbgraph.to_graph(a).canonical_hash() for a in nbgraph.all_archs()}) == 26_206
    assert len({proteins.to_graph(a).canonical_hash() for a in proteins.all_archs()}) == 2_021


def test_choice_sizes(nb201, nbgraph, proteins):
    assert nb201.choice_sizes() == (5,) * 6
    assert nbgraph.choice_sizes() == (1, 2, 3, 4, 9, 9, 9, 9)
    assert proteins.choice_sizes() == (1, 2, 3, 4, 5, 5, 5, 5)
    assert all(len(nb201.choices(a)) == 6 for a in itertools.islice(nb201.enumerate(), 10))
    assert CELL_EDGES == ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))


def test_nb201_coerce_accepts_analog_tuples():
    space = spaces.get("nb201")
    best = space.from_str("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|")
    assert space.coerce((2, 2, 0, 2, 3, 2)) == best
    assert space.contains([2, 2, 0, 2, 3, 2])
    assert not space.contains((2, 2, 0, 2, 3, 9))
