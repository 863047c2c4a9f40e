"""Path statistics of computation graphs (``nag.graph.paths``), the GP on them
(``nag.predictors.gp``) and how ``nag.Predictor`` uses both."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr
from torch import nn

import nag.graph
from nag import CheckpointError, ConfigError, bench, spaces
from nag.checkpoint import load_checkpoint, save_checkpoint
from nag.graph import CompGraph
from nag.graph.paths import PATH_QUANTITIES, PATH_STATS, node_quantities, path_stats, path_summary
from nag.predictors import Predictor
from nag.predictors.gp import KERNELS, PathGP
from nag.spaces.nb201 import NB201Arch
from nag.spaces.nb201.network import NB201_OPS

TINY = {"epochs": 30, "finetune_epochs": 10, "heads": 3, "hidden": 32}


def enumerated_summary(graph: CompGraph) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """(count, mean, max, min) by listing every input-to-output path that avoids zero nodes."""
    g = nx.DiGraph(list(graph.edges))
    g.add_nodes_from(range(graph.num_nodes))
    g.remove_nodes_from([i for i, n in enumerate(graph.nodes) if n.op == "zero"])
    values = node_quantities(graph)
    sums = [values[path].sum(0) for i in graph.inputs() for o in graph.outputs() if i in g and o in g
            for path in nx.all_simple_paths(g, i, o)]  # fmt: skip
    if not sums:
        return 0, np.zeros(values.shape[1]), np.zeros(values.shape[1]), np.zeros(values.shape[1])
    sums = np.array(sums)
    return len(sums), sums.mean(0), sums.max(0), sums.min(0)


def assert_matches_enumeration(graph: CompGraph) -> None:
    summary = path_summary(graph)
    count, mean, high, low = enumerated_summary(graph)
    assert summary.count == count
    np.testing.assert_allclose(summary.mean, mean, atol=1e-12)
    np.testing.assert_array_equal(summary.max, high)
    np.testing.assert_array_equal(summary.min, low)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(ops=st.tuples(*[st.sampled_from(NB201_OPS)] * 6))
def test_nb201_path_stats_match_enumerating_paths(ops):
    space = spaces.get("nb201")
    assert_matches_enumeration(space.to_graph(NB201Arch(tuple(ops))))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(index=st.integers(0, 26_205))
def test_nbgraph_path_stats_match_enumerating_paths(index):
    space = spaces.get("nbgraph")
    archs = space.all_archs()
    assert_matches_enumeration(space.to_graph(archs[index % len(archs)]))


def test_traced_residual_model_path_stats():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Conv2d(4, 4, 3, padding=1), nn.Conv2d(4, 4, 5, padding=2)

        def forward(self, x):
            return torch.relu(self.a(x)) + self.b(x) + x

    graph = nag.graph.from_module(nn.Sequential(nn.Conv2d(3, 4, 1), Block()).eval(), torch.randn(1, 3, 8, 8))
    assert_matches_enumeration(graph)
    summary = path_summary(graph)
    rf = PATH_QUANTITIES.index("conv_receptive_field")
    assert summary.count == 3 and summary.max[rf] == 4 and summary.min[rf] == 0  # 1x1 then 5x5 / 1x1 alone


def test_nb201_examples():
    space = spaces.get("nb201")
    length, conv = PATH_QUANTITIES.index("length"), PATH_QUANTITIES.index("conv")
    dead = path_summary(space.to_graph(NB201Arch(("none",) * 6)))
    assert dead.count == 0 and not dead.vector()[1:].any()
    best = space.coerce("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    summary = path_summary(space.to_graph(best))
    assert summary.count == 4  # all four input-to-output paths carry data
    assert summary.max[conv] == 3 and summary.min[conv] == 0  # the 3-conv chain and the skip edge
    assert summary.max[length] > summary.min[length]
    assert path_stats(space.to_graph(best)).shape == (len(PATH_STATS),)


def test_graph_stats_read_longest_path_and_count_from_path_summary():
    """The encoder's whole-graph features keep their values (checkpoints depend on them)."""
    from nag.encoder.featurize import graph_stats

    space = spaces.get("nb201")
    graph = space.to_graph(space.coerce("|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_1x1~2|"))
    stats = graph_stats(graph)
    pruned = graph.pruned()
    longest = max(len(p) for p in nx.all_simple_paths(pruned.to_networkx(), pruned.inputs()[0], pruned.outputs()[0]))
    count = len(list(nx.all_simple_paths(pruned.to_networkx(), pruned.inputs()[0], pruned.outputs()[0])))
    assert torch.allclose(stats[-2:], torch.log1p(torch.tensor([longest, count], dtype=torch.float32)))


# ------------------------------------------------------------------------ the GP
@pytest.fixture(scope="module")
def labelled():
    b = bench.load("nb201-cifar10")
    archs, acc = b.table("accuracy")
    idx = np.random.default_rng(1).permutation(len(archs))
    return [archs[i] for i in idx[:60]], acc[idx[:60]], [archs[i] for i in idx[60:1060]], acc[idx[60:1060]]


def stats_of(archs):
    space = spaces.get("nb201")
    return np.array([path_stats(space.to_graph(a)) for a in archs])


@pytest.mark.parametrize("kernel", KERNELS.names())
def test_gp_rebuilt_from_its_state_predicts_the_same(labelled, kernel):
    archs, acc, test_archs, _ = labelled
    x = stats_of(archs)
    mu, sd = x.mean(0), np.where(x.std(0) > 0, x.std(0), 1)
    gp = PathGP.fit((x - mu) / sd, acc, seed=0, kernel=kernel)
    again = PathGP(gp.x, gp.y, gp.params, kernel)
    q = (stats_of(test_archs[:100]) - mu) / sd
    a, b = gp.predict(q), again.predict(q)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert np.all(gp.params > 0) and np.all(a[1] > 0)
    if kernel != "rbf":  # the kernel is part of the state: the same values under another kernel differ
        assert not np.allclose(PathGP(gp.x, gp.y, gp.params, "rbf").predict(q)[0], a[0])


def test_gp_fits_at_most_max_points(labelled):
    archs, acc, _, _ = labelled
    x = stats_of(archs)
    gp = PathGP.fit(x, acc, seed=3, max_points=20)
    assert gp.x.shape == (20, len(PATH_STATS)) and len(gp.y) == 20
    assert np.array_equal(gp.x, PathGP.fit(x, acc, seed=3, max_points=20).x)  # the same seeded subset


# ----------------------------------------------------------------- the predictor
def test_gp_alone_ranks_held_out_nb201_cells(labelled):
    """60 labels, GP weight 1: the GP on path statistics alone ranks 1,000 unseen cells well
    (the GNN heads alone, with these few epochs, rank them far worse)."""
    archs, acc, test_archs, test_acc = labelled
    gp_only = Predictor(space="nb201", gp_weight=1.0, **TINY).fit(archs, acc)
    heads_only = Predictor(space="nb201", gp_weight=0.0, path_stats=False, **TINY).fit(archs, acc)
    rho_gp = spearmanr(gp_only.predict(test_archs)[0], test_acc).statistic
    rho_heads = spearmanr(heads_only.predict(test_archs)[0], test_acc).statistic
    assert rho_gp > 0.85 and rho_gp > rho_heads + 0.05, (rho_gp, rho_heads)


def test_blend_is_the_weighted_mean_of_heads_and_gp(labelled):
    archs, acc, test_archs, _ = labelled
    p = Predictor(space="nb201", gp_weight=0.3, **TINY).fit(archs, acc)
    batches = p._featurize(test_archs[:20])
    mean, std = p.predict_normalised(batches)
    gp_mean, gp_std = p.gps[0].predict(p._gp_inputs(batches, p._paths(batches)))
    p.gps = []  # the heads alone
    heads_mean, heads_std = p.predict_normalised(batches)
    np.testing.assert_allclose(mean[:, 0], 0.7 * heads_mean[:, 0] + 0.3 * gp_mean, rtol=1e-10)
    assert np.all(std[:, 0] >= np.sqrt(0.7 * heads_std[:, 0] ** 2 + 0.3 * gp_std**2) - 1e-12)


def test_plain_gnn_has_no_gp_and_no_path_inputs(labelled):
    archs, acc, _, _ = labelled
    p = Predictor(space="nb201", gp_weight=0.0, path_stats=False, **TINY).fit(archs, acc)
    assert p.gps == [] and p.path_mean is None
    assert p.heads.condition_dim == 0


@pytest.mark.parametrize("fields", [{"gp_weight": 1.5}, {"gp_weight": -0.1}, {"gp_weight": True}, {"gp_weight": "half"},
                                    {"path_stats": "yes"}, {"gp_kernel": "cosine"}, {"gp_adjacency": 1}])  # fmt: skip
def test_bad_path_and_gp_fields(fields):
    with pytest.raises(ConfigError, match=next(iter(fields))):
        Predictor(space="nb201", **fields)


def test_checkpoint_round_trip_keeps_the_gp(labelled, tmp_path):
    archs, acc, test_archs, _ = labelled
    p = Predictor(space="nb201", **TINY).fit(archs, acc)
    loaded = Predictor.load(p.save(tmp_path / "p"))
    assert len(loaded.gps) == 1 and np.array_equal(loaded.gps[0].params, p.gps[0].params)
    a, b = p.predict(test_archs[:50]), loaded.predict(test_archs[:50])
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


@pytest.mark.parametrize("drop", ["gp.0.x", "gp.0.params", "paths.std"])
def test_checkpoint_missing_gp_or_path_scale_is_rejected(labelled, tmp_path, drop):
    archs, acc, _, _ = labelled
    Predictor(space="nb201", **TINY).fit(archs[:20], acc[:20]).save(tmp_path / "p")
    tensors, config = load_checkpoint(tmp_path / "p", "predictor")
    del tensors[drop]
    save_checkpoint(tmp_path / "bad", "predictor", tensors, config)
    with pytest.raises(CheckpointError, match=drop.replace(".", r"\.")) as info:
        Predictor.load(tmp_path / "bad")
    assert str(tmp_path / "bad") in str(info.value)


def test_checkpoint_with_a_wrong_gp_shape_is_rejected(labelled, tmp_path):
    archs, acc, _, _ = labelled
    Predictor(space="nb201", **TINY).fit(archs[:20], acc[:20]).save(tmp_path / "p")
    tensors, config = load_checkpoint(tmp_path / "p", "predictor")
    tensors["gp.0.x"] = tensors["gp.0.x"][:, :10]
    save_checkpoint(tmp_path / "bad", "predictor", tensors, config)
    with pytest.raises(CheckpointError, match="GP of metric 0"):
        Predictor.load(tmp_path / "bad")


def test_checkpoint_from_before_path_stats_loads_as_heads_only(labelled, tmp_path):
    """Checkpoints saved before path statistics and the GP existed (no such fields or
    tensors) predict with the heads alone, as they did."""
    archs, acc, test_archs, _ = labelled
    p = Predictor(space="nb201", gp_weight=0.0, path_stats=False, **TINY).fit(archs, acc)
    p.save(tmp_path / "p")
    tensors, config = load_checkpoint(tmp_path / "p", "predictor")
    for field in ("gp_weight", "path_stats"):
        del config["predictor"][field]
    save_checkpoint(tmp_path / "old", "predictor", tensors, config)
    old = Predictor.load(tmp_path / "old")
    assert old.config.gp_weight == 0.0 and old.config.path_stats is False and old.gps == []
    assert np.array_equal(old.predict(test_archs[:30])[0], p.predict(test_archs[:30])[0])


def test_checkpoint_from_before_gp_kernels_loads_with_the_rbf_kernel(labelled, tmp_path):
    """Checkpoints saved when the GP's kernel was always RBF (no gp_kernel field) rebuild
    an RBF GP and predict as they did."""
    archs, acc, test_archs, _ = labelled
    p = Predictor(space="nb201", gp_kernel="rbf", **TINY).fit(archs, acc)
    p.save(tmp_path / "p")
    tensors, config = load_checkpoint(tmp_path / "p", "predictor")
    del config["predictor"]["gp_kernel"]
    save_checkpoint(tmp_path / "old", "predictor", tensors, config)
    old = Predictor.load(tmp_path / "old")
    assert old.config.gp_kernel == "rbf" and old.gps[0].kernel == "rbf"
    assert np.array_equal(old.predict(test_archs[:30])[0], p.predict(test_archs[:30])[0])
