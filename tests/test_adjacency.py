"""The adjacency-with-ops encoding (``nag.encoder.adjacency``), the block kernel that reads
it (``nag.predictors.block_kernel``) and the predictor's GP on both blocks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr
from sklearn.gaussian_process.kernels import RBF, Matern

from nag import CheckpointError, bench, spaces
from nag.checkpoint import load_checkpoint, save_checkpoint
from nag.encoder.adjacency import ADJACENCY_NODES, ADJACENCY_WIDTH, adjacency_encoding
from nag.encoder.featurize import featurize
from nag.graph import OPS, CompGraph, GraphBuilder
from nag.graph.paths import PATH_STATS
from nag.predictors import Predictor
from nag.predictors.block_kernel import Block
from nag.predictors.gp import KERNELS, PathGP
from nag.spaces.nb201 import NB201Arch
from nag.spaces.nb201.network import NB201_OPS

TINY = {"epochs": 30, "finetune_epochs": 10, "heads": 3, "hidden": 32}


def decode(row: np.ndarray) -> tuple[list[str], set[tuple[int, int]]]:
    """(ops of the encoded nodes, edges among them) read back from one encoded row."""
    n, width = ADJACENCY_NODES, len(OPS)
    ops_part = row[: n * width].reshape(n, width)
    assert np.all(ops_part.sum(1) <= 1)  # at most one op per node slot
    ops = [OPS[int(np.argmax(r))] for r in ops_part if r.any()]
    edges = {(int(u), int(v)) for u, v in zip(*np.nonzero(row[n * width :].reshape(n, n)))}
    return ops, edges


def expected(graph: CompGraph) -> tuple[list[str], set[tuple[int, int]]]:
    kept = range(min(graph.num_nodes, ADJACENCY_NODES))
    return [graph.nodes[i].op for i in kept], {(u, v) for u, v in graph.edges if u in kept and v in kept}


def encoded(graphs_or_archs, space=None) -> np.ndarray:
    (batch,) = featurize(graphs_or_archs, space, batch_size=len(graphs_or_archs))
    return adjacency_encoding(batch).numpy()


# ------------------------------------------------------------------ the encoding
@settings(max_examples=40, deadline=None, derandomize=True)
@given(cells=st.lists(st.tuples(*[st.sampled_from(NB201_OPS)] * 6), min_size=1, max_size=5))
def test_nb201_rows_decode_to_each_cells_ops_and_edges(cells):
    """Batched nb201 cells (the array featurizer) encode each graph's own ops and edges."""
    space = spaces.get("nb201")
    archs = [NB201Arch(tuple(c)) for c in cells]
    rows = encoded(archs, space)
    assert rows.shape == (len(archs), ADJACENCY_WIDTH)
    for row, arch in zip(rows, archs):
        assert decode(row) == expected(space.to_graph(arch))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(keys=st.lists(st.integers(0, 26_205), min_size=1, max_size=4))
def test_nbgraph_rows_decode_to_each_archs_ops_and_edges(keys):
    b = bench.load("nbgraph-cora")
    archs = [b.archs[k] for k in keys]
    rows = encoded(archs, b.space)
    for row, arch in zip(rows, archs):
        assert decode(row) == expected(b.space.to_graph(arch))


def test_nodes_past_the_limit_are_left_out():
    g = GraphBuilder()
    last = g.add("input")
    for _ in range(ADJACENCY_NODES + 6):
        last = g.add("relu", [last])
    g.add("output", [last])
    graph = g.build()
    (row,) = encoded([graph])
    assert decode(row) == expected(graph)
    assert row.sum() == ADJACENCY_NODES + (ADJACENCY_NODES - 1)  # one op per kept node, the chain's edges among them


def test_nbgraph_encoding_tells_its_archs_apart():
    """For NAS-Bench-Graph the encoding carries what the space's choices do: distinct archs, distinct rows."""
    b = bench.load("nbgraph-cora")
    idx = np.random.default_rng(0).permutation(len(b.archs))[:1500]
    rows = encoded([b.archs[i] for i in idx], b.space)
    assert len({r.tobytes() for r in rows}) == len(idx)


# ------------------------------------------------------------------ the kernel
REFERENCE = {"rbf": lambda l: RBF(l), "matern12": lambda l: Matern(l, nu=0.5), "matern32": lambda l: Matern(l, nu=1.5),
             "matern52": lambda l: Matern(l, nu=2.5)}  # fmt: skip


@pytest.mark.parametrize("name", KERNELS.names())
def test_block_kernel_equals_scikit_learns_on_its_columns(name):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(9, 7)), rng.normal(size=(4, 7))
    block, reference = Block(name, 1.7, start=2, stop=6), REFERENCE[name](1.7)
    k, grad = block(x, eval_gradient=True)
    k_ref, grad_ref = reference(x[:, 2:6], eval_gradient=True)
    np.testing.assert_allclose(k, k_ref, atol=1e-12)
    np.testing.assert_allclose(grad, grad_ref, atol=1e-12)
    np.testing.assert_allclose(block(x, y), reference(x[:, 2:6], y[:, 2:6]), atol=1e-12)
    assert block.clone_with_theta(np.log([3.0])).length_scale == pytest.approx(3.0)


def test_gp_weighs_the_block_that_explains_the_targets():
    """A sum over blocks: the marginal likelihood gives the informative block the larger scale."""
    rng = np.random.default_rng(0)
    noise, signal = rng.normal(size=(80, 4)), rng.integers(0, 2, size=(80, 10)).astype(float)
    y = signal @ rng.normal(size=10)
    x = np.hstack([noise, signal])
    gp = PathGP.fit(x[:60], y[:60], seed=0, kernel="matern32", blocks=(4, 10))
    assert gp.params.shape == (5,) and gp.params[2] > 10 * gp.params[0]
    assert spearmanr(gp.predict(x[60:])[0], y[60:])[0] > 0.9
    again = PathGP(gp.x, gp.y, gp.params, "matern32", blocks=(4, 10))
    assert np.array_equal(again.predict(x[60:])[0], gp.predict(x[60:])[0])


# ------------------------------------------------------------------ the predictor
@pytest.fixture(scope="module")
def citeseer():
    b = bench.load("nbgraph-citeseer")
    archs, acc = b.table("accuracy")
    return b.space, archs, acc


def test_adjacency_helps_the_gp_rank_nbgraph_from_few_labels(citeseer):
    """The reason it is on by default: with 25 labels of nbgraph-citeseer the GP with the
    adjacency block ranks held-out archs better (seeds 0-2, mean Spearman)."""
    space, archs, acc = citeseer
    gains = []
    for seed in range(3):
        idx = np.random.default_rng(seed).permutation(len(archs))
        train, test = idx[:25], idx[25:1025]
        rho = {}
        for adjacency in (False, True):
            p = Predictor(space=space, seed=seed, gp_adjacency=adjacency, **TINY).fit([archs[i] for i in train], acc[train])
            rho[adjacency] = spearmanr(p.predict([archs[i] for i in test])[0], acc[test])[0]
        gains.append(rho[True] - rho[False])
    assert np.mean(gains) > 0.03


@pytest.fixture(scope="module")
def saved(citeseer, tmp_path_factory):
    space, archs, acc = citeseer
    directory = tmp_path_factory.mktemp("adjacency") / "p"
    return Predictor(space=space, **TINY).fit(archs[:30], acc[:30]).save(directory)


def test_checkpoint_stores_the_adjacency_block_as_bits(citeseer, saved):
    space, archs, acc = citeseer
    tensors, config = load_checkpoint(saved, "predictor")
    assert config["predictor"]["gp_adjacency"] is True
    assert tensors["gp.0.adjacency"].dtype == torch.uint8 and tensors["gp.0.adjacency"].shape == (30, (ADJACENCY_WIDTH + 7) // 8)
    assert tensors["gp.0.x"].shape == (30, len(PATH_STATS))
    loaded = Predictor.load(saved)
    assert loaded.gps[0].blocks == (len(PATH_STATS), ADJACENCY_WIDTH)
    fitted = Predictor(space=space, **TINY).fit(archs[:30], acc[:30])  # the same fit again: deterministic
    assert np.array_equal(loaded.gps[0].x, fitted.gps[0].x)


@pytest.mark.parametrize("damage", ["drop", "dtype", "rows"])
def test_checkpoint_with_a_bad_adjacency_block_is_rejected(saved, tmp_path, damage):
    tensors, config = load_checkpoint(saved, "predictor")
    if damage == "drop":
        del tensors["gp.0.adjacency"]
    elif damage == "dtype":
        tensors["gp.0.adjacency"] = tensors["gp.0.adjacency"].float()
    else:
        tensors["gp.0.adjacency"] = tensors["gp.0.adjacency"][:-1].clone()
    save_checkpoint(tmp_path / "bad", "predictor", tensors, config)
    with pytest.raises(CheckpointError, match=r"gp\.0\.adjacency") as info:
        Predictor.load(tmp_path / "bad")
    assert str(tmp_path / "bad") in str(info.value)


def test_checkpoint_from_before_the_adjacency_block_loads_without_it(citeseer, tmp_path):
    """Checkpoints saved before ``gp_adjacency`` existed (no such field or tensor) rebuild
    the GP on path statistics alone and predict as they did."""
    space, archs, acc = citeseer
    p = Predictor(space=space, gp_adjacency=False, **TINY).fit(archs[:30], acc[:30])
    tensors, config = load_checkpoint(p.save(tmp_path / "p"), "predictor")
    del config["predictor"]["gp_adjacency"]
    save_checkpoint(tmp_path / "old", "predictor", tensors, config)
    old = Predictor.load(tmp_path / "old")
    assert old.config.gp_adjacency is False and old.gps[0].blocks is None
    assert np.array_equal(old.predict(archs[30:80])[0], p.predict(archs[30:80])[0])


def test_two_metric_predictor_with_the_adjacency_block_predicts_the_same_after_reload(citeseer, tmp_path):
    space, archs, acc = citeseer
    p = Predictor(space=space, **TINY).fit(archs[:30], {"accuracy": acc[:30], "error": 100.0 - acc[:30]})
    loaded = Predictor.load(p.save(tmp_path / "p"))
    (mean, std), (mean2, std2) = p.predict(archs[30:80]), loaded.predict(archs[30:80])
    for metric in ("accuracy", "error"):
        assert np.array_equal(mean[metric], mean2[metric]) and np.array_equal(std[metric], std2[metric])
    assert all(gp.blocks == (len(PATH_STATS), ADJACENCY_WIDTH) for gp in loaded.gps)
