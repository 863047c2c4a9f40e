"""The DARTS / NAS-Bench-301 space: exact size, uniform sampling, the genotype text form,
the evaluation network, analytic costs and computation graphs."""

import collections
import pickle
import random
import warnings

import networkx as nx
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from nag import CompGraph, ConfigError, InvalidArchitecture, count_flops, count_params
from nag.graph import from_module
from nag.spaces.darts import DARTS_V2, OPS, DartsSpace, Genotype, make_space
from nag.spaces.darts.choices import NODES
from nag.spaces.darts.costs import network_cost
from nag.spaces.darts.plan import network_plan

V2_TEXT = repr(DARTS_V2)


@pytest.fixture(scope="module")
def darts() -> DartsSpace:
    return make_space()


@st.composite
def cell_pairs(draw) -> list[tuple[str, int]]:
    """One cell's 8 (op, input) pairs from choice indices, each node's pairs in any order."""
    pairs = []
    for node in NODES:
        inputs = draw(st.lists(st.integers(0, node - 1), min_size=2, max_size=2, unique=True))
        pairs += [(OPS[draw(st.integers(0, len(OPS) - 1))], source) for source in inputs]
    return pairs


def canonical_pairs(pairs):
    return [p for j in range(0, 8, 2) for p in sorted(pairs[j : j + 2], key=lambda e: e[1])]


# ================================================================== the space
def test_size_is_exact(darts):
    assert darts.size == (180 * 7**8) ** 2 == 1_076_746_950_455_072_400
    assert len(darts.choice_sizes()) == 32


def test_metadata(darts):
    assert (darts.name, darts.levels, darts.task) == ("darts", ("cell", "network"), "image_classification")
    assert darts.description and "\n" not in darts.description
    assert darts.cost_names == ("params", "flops")
    assert darts.defaults.trace_options == {"C": 8, "layers": 5, "num_classes": 10}
    assert darts.export_dims() == ({0: "batch"},)
    names = [c.name for c in darts.declared_choices]
    assert names[:5] == ["normal.2.in0", "normal.2.op0", "normal.2.in1", "normal.2.op1", "normal.3.in0"]
    assert names[16] == "reduce.2.in0"


def test_sampling_is_uniform_over_node_5_input_pairs(darts):
    archs = darts.sample(20_000, seed=0)
    counts = collections.Counter((a["normal.5.in0"], a["normal.5.in1"]) for a in archs)
    assert len(counts) == 10  # C(5, 2) pairs, each in0 < in1
    assert all(i < j for i, j in counts)
    assert chisquare(list(counts.values())).pvalue > 1e-3
    ops = collections.Counter(a["reduce.3.op1"] for a in archs)
    assert chisquare([ops[o] for o in OPS]).pvalue > 1e-3


def test_rank_unrank_and_distinct_sampling(darts):
    for index in (0, darts.size // 3, darts.size - 1):
        assert darts.rank(darts.unrank(index)) == index
    assert len(set(darts.sample_distinct(50, seed=1))) == 50


def test_mutate_gives_a_different_member(darts):
    arch = darts.coerce(DARTS_V2)
    rng = random.Random(0)
    for _ in range(20):
        other = darts.mutate(arch, rng.randrange(2**31))
        assert other != arch and darts.contains(other)
        assert sum(a != b for a, b in zip(darts.choices(arch), darts.choices(other))) == 1


# ============================================================= genotype text
@settings(max_examples=150, deadline=None, derandomize=True)
@given(normal=cell_pairs(), reduce=cell_pairs(), quote=st.sampled_from(["'", '"']), concat=st.booleans())
def test_genotype_round_trips_and_canonical_order(darts, normal, reduce, quote, concat):
    arch = darts.from_genotype(normal, reduce)
    text = darts.to_str(arch)
    assert text == repr(darts.genotype(arch))
    assert darts.genotype(arch).normal == canonical_pairs(normal)
    assert darts.genotype(arch).reduce == canonical_pairs(reduce)
    assert darts.from_str(text) == arch and darts.coerce(text) == arch
    # the writing users paste: pairs in their order, other quotes, range(2, 6), spaces around
    tail = "range(2, 6)" if concat else "[2, 3, 4, 5]"
    pasted = f"Genotype(normal={normal}, normal_concat={tail}, reduce={reduce}, reduce_concat={tail})"
    pasted = "  " + pasted.replace("'", quote) + "\n"
    assert darts.from_str(pasted) == arch
    assert darts.from_choices(darts.choices(arch)) == arch
    assert darts.diagram.contains([arch.choices])[0]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(index=st.integers(0, (180 * 7**8) ** 2 - 1))
def test_every_rank_round_trips(darts, index):
    arch = darts.unrank(index)
    assert darts.rank(darts.from_str(str(arch))) == index


def test_darts_v2_reads_in_every_form(darts):
    arch = darts.from_str(V2_TEXT)
    assert isinstance(darts.genotype(arch), Genotype)
    assert darts.coerce(DARTS_V2) == arch  # a Genotype named tuple
    darts_own = collections.namedtuple("Genotype", "normal normal_concat reduce reduce_concat")
    assert darts.coerce(darts_own(DARTS_V2.normal, range(2, 6), DARTS_V2.reduce, range(2, 6))) == arch
    assert darts.coerce(darts.values(arch)) == arch  # a mapping choice -> value
    assert darts.from_genotype(normal=DARTS_V2.normal, reduce=DARTS_V2.reduce) == arch
    # DARTS_V2 lists node 4's normal pairs with input 1 first; the canonical form sorts them
    assert darts.genotype(arch).normal[4:6] == [("skip_connect", 0), ("sep_conv_3x3", 1)]


def _v2_with(**changes) -> str:
    fields = {"normal": DARTS_V2.normal, "normal_concat": [2, 3, 4, 5], "reduce": DARTS_V2.reduce, "reduce_concat": [2, 3, 4, 5]}
    fields.update(changes)
    return "Genotype(" + ", ".join(f"{k}={v}" for k, v in fields.items()) + ")"


@pytest.mark.parametrize(
    "text, message",
    [
        (_v2_with(normal=[("conv_3x3", 0)] + DARTS_V2.normal[1:]), "unknown op 'conv_3x3'"),
        (_v2_with(normal=[("none", 0)] + DARTS_V2.normal[1:]), "'none' is not part of final"),
        (_v2_with(reduce=DARTS_V2.reduce[:3] + [("max_pool_3x3", 2)] + DARTS_V2.reduce[4:]), "node 3 takes input 2 twice"),
        (_v2_with(normal=[("sep_conv_3x3", 2)] + DARTS_V2.normal[1:]), "input 2 is not an earlier node"),
        (_v2_with(normal=[("sep_conv_3x3", -1)] + DARTS_V2.normal[1:]), "input -1 is not an earlier node"),
        (_v2_with(normal=[("sep_conv_3x3", True)] + DARTS_V2.normal[1:]), "not an int node index"),
        (_v2_with(normal=[("sep_conv_3x3", "0")] + DARTS_V2.normal[1:]), "not an int node index"),
        (_v2_with(normal=DARTS_V2.normal[:7]), "needs 8 .* got 7 entries"),
        (_v2_with(reduce=DARTS_V2.reduce + [("max_pool_3x3", 0)]), "needs 8 .* got 9 entries"),
        (_v2_with(normal=[("sep_conv_3x3", 0, 1)] + DARTS_V2.normal[1:]), "is not an \\(op, input\\) pair"),
        (_v2_with(normal_concat=[2, 3, 4]), "normal_concat is \\[2, 3, 4\\]"),
        (_v2_with(reduce_concat="range(2, 5)"), "reduce_concat is range\\(2, 5\\)"),
        (_v2_with(reduce_concat="range(2, x)"), "is not range\\(2, 6\\)"),
        (_v2_with(normal="[(sep_conv_3x3, 0)]"), "not a list of \\('op', input\\) pairs"),
        (V2_TEXT.replace("Genotype(", "Genotyp("), "is not a DARTS genotype string"),
        (V2_TEXT + " extra", "is not a DARTS genotype string"),
        (V2_TEXT.replace(", reduce_concat=[2, 3, 4, 5]", ""), "is not a DARTS genotype string"),
        ("normal.2.in0=0, normal.2.op0=max_pool_3x3", "is not a DARTS genotype string"),
        ("", "is not a DARTS genotype string"),
        ("Genotype(" + "(" * 5000, "at most 4000 characters"),
    ],
)
def test_strict_parsing_names_the_problem(darts, text, message):
    with pytest.raises(InvalidArchitecture, match=message):
        darts.from_str(text)
    assert not darts.contains(text)


def test_from_genotype_checks_like_the_parser(darts):
    with pytest.raises(InvalidArchitecture, match="reduce node 2 takes input 1 twice"):
        darts.from_genotype(DARTS_V2.normal, [("max_pool_3x3", 1)] + DARTS_V2.reduce[1:])
    with pytest.raises(InvalidArchitecture, match="normal_concat"):
        darts.from_genotype(DARTS_V2.normal, DARTS_V2.reduce, normal_concat=[2, 3])
    with pytest.raises(InvalidArchitecture, match="needs 8"):
        darts.from_genotype("sep_conv_3x3", DARTS_V2.reduce)
    with pytest.raises(InvalidArchitecture, match="breaks the rule increasing"):
        darts.from_choices([1, 0, 0, 0] + list(darts.choices(darts.coerce(DARTS_V2)))[4:])


def test_archs_pickle_by_value(darts):
    arch = darts.sample(1, seed=3)[0]
    assert pickle.loads(pickle.dumps(arch)) == arch
    assert pickle.loads(pickle.dumps(darts)).size == darts.size


# =============================================================== the network
def test_darts_v2_has_3_3_million_parameters(darts):
    """The DARTS paper reports 3.3 M for DARTS (second order) at C=36, 20 cells, without
    the auxiliary head; the network has 3,349,342."""
    params = count_params(darts.build(DARTS_V2))
    assert abs(params - 3.3e6) < 0.05e6
    assert params == 3_349_342


def test_network_layout_follows_darts(darts):
    model = darts.build(DARTS_V2, C=36, layers=20)
    reductions = [i for i, cell in enumerate(model.cells) if cell.reduction]
    assert reductions == [6, 13]
    assert model.stem[0].out_channels == 108
    assert model.classifier.in_features == 4 * 144
    assert type(model.cells[7].preprocess0).__name__ == "FactorizedReduce"
    assert type(model.cells[8].preprocess0).__name__ == "ReLUConvBN"
    # pools carry no BN (the evaluation network's convention); edges from a reduction
    # cell's inputs have stride 2, where skip_connect is a FactorizedReduce
    first_reduce = model.cells[6]
    assert isinstance(first_reduce.ops[0], torch.nn.MaxPool2d) and first_reduce.ops[0].stride == 2
    assert isinstance(first_reduce.ops[3], torch.nn.Identity)  # skip_connect from node 2
    reduce = [("skip_connect", 0), ("sep_conv_5x5", 1)] + DARTS_V2.reduce[2:]
    cell = darts.build(darts.from_genotype(DARTS_V2.normal, reduce), C=8, layers=5).cells[1]
    assert type(cell.ops[0]).__name__ == "FactorizedReduce"
    assert [m.stride for m in cell.ops[1].modules() if isinstance(m, torch.nn.Conv2d)] == [(2, 2), (1, 1), (1, 1), (1, 1)]
    assert network_plan(36, 20).aux_channels == 576


def test_forward_shapes_auxiliary_and_drop_path(darts):
    arch = darts.coerce(DARTS_V2)
    x = torch.randn(2, 3, 32, 32)
    model = darts.build(arch, C=8, layers=5, num_classes=7)
    assert model.eval()(x).shape == (2, 7)
    aux = darts.build(arch, C=8, layers=5, num_classes=7, auxiliary=True, drop_path=0.2)
    logits, aux_logits = aux.train()(x)
    assert logits.shape == aux_logits.shape == (2, 7)
    assert aux.eval()(x).shape == (2, 7)
    gray = darts.build(arch, C=4, layers=3, in_channels=1)
    assert gray.eval()(torch.randn(1, 1, 16, 16)).shape == (1, 10)


@pytest.mark.parametrize(
    "options, message",
    [({"C": 0}, "C must be a positive int"), ({"layers": 1.5}, "layers must be"), ({"num_classes": -1}, "num_classes"),
     ({"drop_path": 1.0}, "drop_path"), ({"auxiliary": "yes"}, "auxiliary"), ({"C": 20_000}, "parameters")],
)  # fmt: skip
def test_build_options_are_checked(darts, options, message):
    with pytest.raises(ConfigError, match=message):
        darts.build(DARTS_V2, **options)


def test_example_input(darts):
    (x,) = darts.example_input()
    assert x.shape == (1, 3, 32, 32)
    assert darts.example_input(batch=4, resolution=64, in_channels=1, C=8, layers=5)[0].shape == (4, 1, 64, 64)
    with pytest.raises(ConfigError, match="multiple of 4"):
        darts.example_input(resolution=30)


# ==================================================================== costs
@pytest.mark.parametrize(
    "options, archs",
    [({"C": 36, "layers": 20}, 3), ({"C": 16, "layers": 8}, 6), ({"C": 8, "layers": 2, "num_classes": 3}, 4),
     ({"C": 8, "layers": 5, "resolution": 64, "in_channels": 1, "auxiliary": True}, 3)],
)  # fmt: skip
def test_analytic_costs_equal_counted_ones(darts, options, archs):
    sample = [darts.coerce(DARTS_V2), *darts.sample(archs, seed=11)]
    build = {k: v for k, v in options.items() if k != "resolution"}
    params = darts.cost(sample, "params", **options)
    flops = darts.cost(sample, "flops", **options)
    for arch, p, f in zip(sample, params, flops):
        model = darts.build(arch, **build)
        assert p == count_params(model)
        assert f == count_flops(model, darts.example_input(**options))


def test_default_costs_are_the_default_build(darts):
    arch = darts.coerce(DARTS_V2)
    assert darts.cost([arch], "params")[0] == 3_349_342
    assert darts.cost([arch], "flops")[0] == darts.cost([arch], "flops", C=36, layers=20, resolution=32)[0]


def test_diagram_costs_equal_the_direct_sum(darts):
    archs = darts.sample(300, seed=4)
    for options in ({}, {"C": 16, "layers": 8, "resolution": 64}):
        plan = network_plan(**{k: options.get(k, d) for k, d in (("C", 36), ("layers", 20), ("resolution", 32))})
        direct = [network_cost(*darts.edges(a), plan) for a in archs]
        assert list(darts.cost(archs, "params", **options)) == [p for p, _ in direct]
        assert list(darts.cost(archs, "flops", **options)) == [f for _, f in direct]
    low, high = darts.costed().cost_range("params")
    assert low < 3_349_342 < high


def test_cost_options_are_checked(darts):
    with pytest.raises(ConfigError, match="does not take"):
        darts.cost([DARTS_V2], "params", width=3)
    with pytest.raises(ConfigError, match="multiple of 4"):
        darts.cost([DARTS_V2], "flops", resolution=30)


# =================================================================== graphs
def test_cell_graph_shape(darts):
    graph = darts.to_graph(DARTS_V2)
    assert graph == darts.to_graph(DARTS_V2, "cell")
    assert len(graph.inputs()) == 2 and len(graph.outputs()) == 1
    ops = collections.Counter(graph.ops)
    assert ops["add"] == 8 and ops["maxpool"] == 5
    # normal: 5 sep_conv_3x3 (2 dwconv each) + 1 dil_conv_3x3; reduce: 3 skips from node 2 (identity)
    assert ops["dwconv"] == 11 and ops["identity"] == 5
    assert {n.stride for n in graph.nodes if n.op == "maxpool"} == {2}  # all read a reduction cell's inputs


@settings(max_examples=60, deadline=None, derandomize=True)
@given(normal=cell_pairs(), reduce=cell_pairs())
def test_cell_graph_reads_back(darts, normal, reduce):
    arch = darts.from_genotype(normal, reduce)
    graph = darts.to_graph(arch)
    assert darts.from_graph(graph) == arch
    assert darts.coerce(graph) == arch


@settings(max_examples=30, deadline=None, derandomize=True)
@given(normal=cell_pairs(), reduce=cell_pairs(), seed=st.integers(0, 2**16))
def test_renumbered_cell_graph_reads_as_an_arch_with_the_same_graph(darts, normal, reduce, seed):
    graph = darts.to_graph(darts.from_genotype(normal, reduce))
    g = graph.to_networkx()
    order = list(range(graph.num_nodes))
    random.Random(seed).shuffle(order)
    shuffled = CompGraph.from_networkx(nx.relabel_nodes(g, dict(zip(range(graph.num_nodes), order))))
    arch = darts.from_graph(shuffled)
    assert darts.to_graph(arch).canonical_hash() == graph.canonical_hash()


def test_from_graph_rejects_other_graphs(darts):
    with pytest.raises(InvalidArchitecture, match="cell-level graphs only"):
        darts.from_graph(darts.to_graph(DARTS_V2, "network", C=8, layers=5))
    graph = darts.to_graph(DARTS_V2)
    sep = next(i for i, n in enumerate(graph.nodes) if n.op == "dwconv")
    with pytest.raises(InvalidArchitecture, match="not one DARTS edge op"):
        darts.from_graph(graph.with_node(sep, kernel=7))
    with pytest.raises(InvalidArchitecture, match="2 inputs and 1 output"):
        darts.from_graph(CompGraph(["input", "relu", "output"], [(0, 1), (1, 2)]))


def _without(graph: CompGraph, op: str) -> CompGraph:
    """``graph`` with the ``op`` nodes removed, their predecessors wired to their successors."""
    g = graph.to_networkx()
    for v in [v for v in g if g.nodes[v]["op"] == op]:
        g.add_edges_from((p, s) for p in g.predecessors(v) for s in g.successors(v))
        g.remove_node(v)
    return CompGraph.from_networkx(g)


def _layer_key(node):
    return node.op, node.kernel, node.stride, node.groups, node.in_channels, node.out_channels, node.spatial


def test_network_graph_agrees_with_tracing(darts):
    """Same conv / dwconv / linear nodes (kernels, strides, groups, channels, sizes); the
    whole graphs are isomorphic once the traced ``flatten`` nodes (FactorizedReduce's
    one-pixel slice, the flatten before the classifier) are removed."""
    for arch in [darts.coerce(DARTS_V2), *darts.sample(1, seed=7)]:
        built = darts.to_graph(arch, "network", C=8, layers=5)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # every traced op is in the vocabulary
            traced = from_module(darts.build(arch, C=8, layers=5), darts.example_input())
        layers = ("conv", "dwconv", "linear")
        assert (collections.Counter(_layer_key(n) for n in built.nodes if n.op in layers)
                == collections.Counter(_layer_key(n) for n in traced.nodes if n.op in layers))  # fmt: skip
        assert _without(traced, "flatten").canonical_hash() == built.canonical_hash()


def test_network_graph_options(darts):
    graph = darts.to_graph(DARTS_V2, "network")
    linear = next(n for n in graph.nodes if n.op == "linear")
    assert (linear.in_channels, linear.out_channels) == (576, 10)
    small = darts.to_graph(DARTS_V2, "network", C=8, layers=5, num_classes=3, resolution=64, auxiliary=True)
    assert small.nodes[0].spatial == 64
    assert min(n.spatial for n in small.nodes if n.op == "conv") == 16
    with pytest.raises(ConfigError, match="has no option 'width'"):
        darts.to_graph(DARTS_V2, "network", width=3)
    with pytest.raises(ConfigError, match="no graph level"):
        darts.to_graph(DARTS_V2, "stage")


@pytest.mark.slow
def test_sampled_archs_build_and_run(darts):
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        for arch in darts.sample(100, seed=2):
            assert darts.build(arch, C=8, layers=5).eval()(x).shape == (2, 10)
