"""The batched NAS-Bench-201 featurizer equals the per-graph one, and is used where it applies."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nag import spaces
from nag.encoder import Encoder
from nag.encoder.featurize import collate, featurize, to_data
from nag.errors import InvalidArchitecture
from nag.predictors import Predictor
from nag.spaces.nb201.features import featurize_archs, featurize_cells
from nag.spaces.nb201.network import NB201_OPS

FIELDS = ("x", "op", "edge_index", "batch", "ptr", "stats", "paths")
ARCHS = st.lists(st.tuples(*[st.sampled_from(NB201_OPS)] * 6), min_size=1, max_size=12)


@pytest.fixture(scope="module")
def space():
    return spaces.get("nb201")


def per_graph(space, archs):
    return collate([to_data(space.to_graph(a)) for a in archs])


def assert_same_batch(a, b):
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape and torch.equal(x, y), name


@settings(max_examples=60, deadline=None)
@given(ops=ARCHS)
def test_batched_cells_equal_the_per_graph_features(space, ops):
    archs = [space.from_ops(o) for o in ops]
    assert_same_batch(featurize_archs(archs), per_graph(space, archs))


@pytest.mark.slow
def test_batched_cells_equal_the_per_graph_features_on_the_whole_space(space):
    archs = list(space.enumerate())
    assert_same_batch(featurize_archs(archs), per_graph(space, archs))


def test_featurize_batches_archs_and_falls_back_for_graphs(space):
    archs = space.sample(7, seed=0)
    graphs = [space.to_graph(a) for a in archs]
    fast = featurize(archs, space, batch_size=3)
    assert [b.num_graphs for b in fast] == [3, 3, 1]
    for batch, chunk in zip(fast, (archs[:3], archs[3:6], archs[6:])):
        assert_same_batch(batch, per_graph(space, chunk))
    mixed = featurize([graphs[0], archs[1]], space)  # a CompGraph among archs: one graph at a time
    assert_same_batch(mixed[0], per_graph(space, archs[:2]))
    assert featurize([], space) == []


def test_batched_cells_split_and_index_like_collated_ones(space):
    archs = space.sample(4, seed=1)
    (fast,) = featurize(archs, space)
    slow = per_graph(space, archs)
    assert fast.num_graphs == 4 and fast.num_nodes == slow.num_nodes
    for a, b in zip(fast.to_data_list(), slow.to_data_list()):
        assert sorted(a.keys()) == sorted(b.keys())
        for key in a.keys():
            assert torch.equal(torch.as_tensor(a[key]), torch.as_tensor(b[key])), key
    assert torch.equal(fast[2].edge_index, slow[2].edge_index)


def test_featurize_takes_the_batched_path_for_archs_strings_and_keys(space, monkeypatch):
    from nag.spaces.nb201 import features

    calls = []
    batched = features.featurize_archs
    monkeypatch.setattr(features, "featurize_archs", lambda archs: calls.append(len(archs)) or batched(archs))
    archs = space.sample(3, seed=2)
    items = [archs[0], str(archs[1]), space.to_tuple(archs[2])]
    (batch,) = featurize(items, space)
    assert calls == [3]
    assert_same_batch(batch, per_graph(space, archs))

    class OneAtATime(type(space)):
        def graph_batch(self, archs, level):
            return None

    featurize([space.to_graph(archs[0])], space)  # graphs, another level, a space without batches: one graph at a time
    featurize(archs, space, level="network")
    featurize(archs, OneAtATime())
    assert calls == [3]
    with pytest.raises(InvalidArchitecture):
        featurize_cells(np.array([[0, 1, 2, 3, 4, 5]]))


def test_network_level_is_featurized_per_graph(space):
    (arch,) = space.sample(1, seed=0)
    (batch,) = featurize([arch], space, level="network")
    assert_same_batch(batch, collate([to_data(space.to_graph(arch, "network"))]))


def test_predictions_agree_for_archs_and_their_graphs(space):
    archs = space.sample(40, seed=0)
    y = np.array([sum(op.startswith("nor_conv") for op in a.ops) for a in archs], dtype=float)
    torch.manual_seed(0)
    predictor = Predictor(encoder=Encoder(hidden=16, layers=2, embed_dim=16), space=space, epochs=20, seed=0).fit(
        archs[:30], y[:30]
    )
    from_archs = predictor.predict(archs[30:])
    from_graphs = predictor.predict([space.to_graph(a) for a in archs[30:]])
    for a, b in zip(from_archs, from_graphs):
        np.testing.assert_array_equal(a, b)
