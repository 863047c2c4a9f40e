"""The graph encoder: embeddings, config, checkpoints, contrastive pretraining, graph statistics."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch_geometric.data import Data

import nag.graph
from nag import CheckpointError, CompGraph, ConfigError, spaces
from nag.encoder import Encoder, EncoderConfig, spectrum
from nag.encoder.featurize import GRAPH_STATS, graph_stats, to_data
from nag.encoder.pretrain import PretrainConfig, augment, nt_xent, pretrain
from nag.graph import OPS

TINY = {"hidden": 16, "layers": 2, "embed_dim": 16}
ALL_CONV = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
ALL_NONE = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
#: input -> 1 -> 2 -> 3 through skip connections only: a single path.
CHAIN = "|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|"


@pytest.fixture(scope="module")
def space():
    return spaces.get("nb201")


def tiny_encoder(seed: int = 0, **fields) -> Encoder:
    torch.manual_seed(seed)
    return Encoder(**{**TINY, **fields})


def permuted(graph: CompGraph, perm) -> CompGraph:
    """``graph`` with node ``i`` renumbered ``perm[i]``."""
    nodes = [None] * graph.num_nodes
    for i, node in enumerate(graph.nodes):
        nodes[perm[i]] = node
    return CompGraph(nodes, [(int(perm[s]), int(perm[t])) for s, t in graph.edges])


def small_convnet_graph() -> CompGraph:
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(4, 2))  # fmt: skip
    return nag.graph.from_module(model.eval(), torch.randn(1, 3, 8, 8))


def decoded_stats(graph: CompGraph) -> dict[str, int]:
    """The whole-graph statistics of ``graph`` back in counts."""
    stats = torch.expm1(graph_stats(graph)).round().long().tolist()
    nodes, edges, longest, paths = stats[len(OPS) :]
    return {"hist": stats[: len(OPS)], "nodes": nodes, "edges": edges, "longest": longest, "paths": paths}


# -------------------------------------------------------------------- embeddings
def test_embedding_shape(space):
    enc = tiny_encoder()
    archs = [space.from_str(ALL_CONV), space.from_str(CHAIN), space.from_str(ALL_NONE)]
    out = enc.embed(archs, space=space)
    assert out.shape == (3, 16)
    assert torch.isfinite(out).all()
    assert enc.embed([], space=space).shape == (0, 16)


@pytest.mark.parametrize("conv", ["gin", "sage", "gat"])
def test_embedding_is_permutation_invariant(space, conv):
    enc = tiny_encoder(conv=conv)
    rng = np.random.default_rng(1)
    for text in (ALL_CONV, "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_3x3~0|none~1|avg_pool_3x3~2|"):
        graph = space.to_graph(space.from_str(text))
        perm = rng.permutation(graph.num_nodes)
        other = permuted(graph, perm)
        assert other != graph  # really renumbered
        assert other.canonical_hash() == graph.canonical_hash()
        a, b = enc.embed([graph, other])
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_different_archs_give_different_embeddings(space):
    enc = tiny_encoder()
    texts = [ALL_CONV, CHAIN, "|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|avg_pool_3x3~0|avg_pool_3x3~1|avg_pool_3x3~2|"]
    out = enc.embed(texts, space=space)
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            assert not torch.allclose(out[i], out[j], atol=1e-4), (texts[i], texts[j])


def test_embed_accepts_archs_strings_and_graphs(space):
    enc = tiny_encoder()
    arch = space.from_str(ALL_CONV)
    from_arch = enc.embed([arch], space=space)
    from_str = enc.embed([ALL_CONV], space=space)
    from_graph = enc.embed([space.to_graph(arch)])
    torch.testing.assert_close(from_arch, from_str)
    torch.testing.assert_close(from_arch, from_graph)
    traced = small_convnet_graph()
    mixed = enc.embed([traced, arch, ALL_CONV], space=space)
    assert mixed.shape == (3, 16) and torch.isfinite(mixed).all()
    torch.testing.assert_close(mixed[1], from_arch[0])


def test_embed_archs_without_space_is_a_config_error(space):
    enc = tiny_encoder()
    with pytest.raises(ConfigError, match="space"):
        enc.embed([space.from_str(ALL_CONV)])
    with pytest.raises(ConfigError):
        enc.embed([ALL_CONV])


def test_embed_leaves_training_mode_alone(space):
    enc = tiny_encoder(dropout=0.5)
    enc.train()
    a = enc.embed([ALL_CONV], space=space)
    b = enc.embed([ALL_CONV], space=space)
    assert enc.training
    torch.testing.assert_close(a, b)  # no dropout while embedding


# ------------------------------------------------------------------------ config
@pytest.mark.parametrize(
    "fields",
    [
        {"conv": "gcnx"},
        {"hidden": 0},
        {"layers": 0},
        {"embed_dim": -3},
        {"hidden": 2.5},
        {"layers": True},
        {"conv": "gat", "hidden": 18},
        {"dropout": 1.0},
        {"dropout": -0.1},
    ],
)
def test_encoder_config_validation(fields):
    with pytest.raises(ConfigError):
        EncoderConfig(**fields)
    with pytest.raises(ConfigError):
        Encoder(**fields)


def test_encoder_config_accepts_valid_values():
    EncoderConfig(conv="gat", hidden=20, dropout=0.0)
    EncoderConfig(conv="sage", hidden=1, layers=1, embed_dim=1, dropout=0.99)


def test_encoder_config_round_trip():
    config = EncoderConfig(hidden=12, layers=3, conv="sage", embed_dim=7, dropout=0.1)
    data = config.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert EncoderConfig.from_dict(data) == config
    with pytest.raises(ConfigError, match="bogus"):
        EncoderConfig.from_dict({**data, "bogus": 1})


# ------------------------------------------------------------------- checkpoints
@pytest.fixture
def saved(tmp_path, space):
    enc = tiny_encoder()
    directory = enc.save(tmp_path / "enc")
    return enc, directory


def test_save_load_round_trip(saved, space):
    enc, directory = saved
    loaded = Encoder.load(directory)
    assert loaded.config == enc.config
    archs = [ALL_CONV, CHAIN, ALL_NONE]
    assert torch.equal(loaded.embed(archs, space=space), enc.embed(archs, space=space))


def test_load_missing_directory(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(CheckpointError) as info:
        Encoder.load(missing)
    assert str(missing / "config.json") in str(info.value)


def test_load_missing_weights(saved):
    _, directory = saved
    (directory / "weights.safetensors").unlink()
    with pytest.raises(CheckpointError) as info:
        Encoder.load(directory)
    assert str(directory / "weights.safetensors") in str(info.value)


@pytest.mark.parametrize("garbage", [b"not a safetensors file at all", bytes(range(256)) * 3, b""])
def test_load_corrupted_weights(saved, garbage):
    _, directory = saved
    (directory / "weights.safetensors").write_bytes(garbage)
    with pytest.raises(CheckpointError) as info:
        Encoder.load(directory)
    assert str(directory / "weights.safetensors") in str(info.value)


def test_load_truncated_weights(saved):
    _, directory = saved
    path = directory / "weights.safetensors"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError) as info:
        Encoder.load(directory)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("text", ["{not json", "[1, 2, 3]", "\udcff"])
def test_load_config_not_json_object(saved, text):
    _, directory = saved
    path = directory / "config.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(CheckpointError) as info:
        Encoder.load(directory)
    assert str(path) in str(info.value)


def _edit_config(directory, **changes):
    path = directory / "config.json"
    config = json.loads(path.read_text())
    for key, value in changes.items():
        if isinstance(value, dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    path.write_text(json.dumps(config))
    return path


def test_load_wrong_format_version(saved):
    _, directory = saved
    path = _edit_config(directory, format_version=99)
    with pytest.raises(CheckpointError, match="format_version") as info:
        Encoder.load(directory)
    assert str(path) in str(info.value)


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True:UserWarning")
def test_load_wrong_kind(tmp_path, space):
    from nag.predictors import Predictor

    predictor = Predictor(encoder=tiny_encoder(), space=space, epochs=2, heads=2, hidden=8)
    predictor.fit([ALL_CONV, CHAIN, ALL_NONE, "|avg_pool_3x3~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|"],
                  [1.0, 2.0, 3.0, 4.0])  # fmt: skip
    directory = predictor.save(tmp_path / "pred")
    with pytest.raises(CheckpointError, match="predictor") as info:
        Encoder.load(directory)
    assert str(directory / "config.json") in str(info.value)


def test_load_shape_mismatch(saved):
    _, directory = saved
    _edit_config(directory, encoder={"hidden": 32})
    with pytest.raises(CheckpointError) as info:
        Encoder.load(directory)
    assert str(directory / "weights.safetensors") in str(info.value)


def test_load_conv_mismatch(saved):
    """Same widths but another layer type: tensor names differ."""
    _, directory = saved
    _edit_config(directory, encoder={"conv": "sage"})
    with pytest.raises(CheckpointError) as info:
        Encoder.load(directory)
    assert str(directory / "weights.safetensors") in str(info.value)


@pytest.mark.parametrize("encoder_entry", [None, {"hidden": 0}, {"hidden": 16, "bogus": 1}])
def test_load_invalid_encoder_entry(saved, encoder_entry):
    _, directory = saved
    path = directory / "config.json"
    config = json.loads(path.read_text())
    if encoder_entry is None:
        del config["encoder"]
    else:
        config["encoder"] = encoder_entry
    path.write_text(json.dumps(config))
    with pytest.raises(CheckpointError) as info:
        Encoder.load(directory)
    assert str(path) in str(info.value)


# ------------------------------------------------------------------- pretraining
@pytest.fixture(scope="module")
def corpus(space):
    """~200 featurized nb201 cells; the first 20 paired with their whole network."""
    every = list(space.enumerate())
    idx = np.random.default_rng(0).choice(len(every), size=200, replace=False)
    archs = [every[i] for i in idx]
    datas = [to_data(space.to_graph(a, "cell")) for a in archs]
    partners = [to_data(space.to_graph(a, "network")) if i < 20 else None for i, a in enumerate(archs)]
    return datas, partners


def test_pretrain_lowers_the_loss_and_trains_in_place(corpus):
    datas, partners = corpus
    enc = tiny_encoder()
    before = copy.deepcopy(enc.state_dict())
    report = pretrain(enc, datas, partners, PretrainConfig(epochs=3, batch_size=64))
    assert report["graphs"] == len(datas)
    assert len(report["loss"]) == 3 and all(math.isfinite(x) for x in report["loss"])
    assert report["loss"][-1] < report["loss"][0]
    assert any(not torch.equal(before[k], v) for k, v in enc.state_dict().items())
    assert not enc.training


def test_pretrain_is_deterministic(corpus):
    datas, partners = corpus
    config = PretrainConfig(epochs=2, batch_size=64, seed=3)
    reports, states = [], []
    for _ in range(2):
        enc = tiny_encoder(seed=0)
        reports.append(pretrain(enc, datas, partners, config))
        states.append(enc.state_dict())
    assert reports[0]["loss"] == reports[1]["loss"]
    for k in states[0]:
        assert torch.equal(states[0][k], states[1][k]), k


def test_pretrain_needs_two_graphs(corpus):
    with pytest.raises(ConfigError):
        pretrain(tiny_encoder(), corpus[0][:1], config=PretrainConfig(epochs=1, batch_size=2))


def test_spectral_signature_ignores_numbering_and_sums_to_one(corpus):
    data = corpus[1][0]
    perm = torch.randperm(data.num_nodes, generator=torch.Generator().manual_seed(0))
    inverse = torch.argsort(perm)
    renumbered = Data(x=data.x[perm], edge_index=inverse[data.edge_index], num_nodes=data.num_nodes)
    assert torch.allclose(spectrum.signature(data), spectrum.signature(renumbered), atol=1e-6)
    assert spectrum.signature(data).sum().item() == pytest.approx(1.0)
    cell = spectrum.signature(corpus[0][0])
    assert not torch.allclose(cell, spectrum.signature(data))  # the network-level graph has another spectrum


def test_soft_targets_put_the_weight_on_spectral_neighbours(corpus):
    sigs = spectrum.signatures(corpus[0][:64])
    targets = spectrum.soft_targets(sigs, 0.4, 0.05)
    assert torch.allclose(targets.sum(1), torch.ones(64))
    assert torch.allclose(targets.diagonal(), torch.full((64,), 0.6))
    distance = torch.cdist(sigs, sigs).fill_diagonal_(float("inf"))
    nearest, farthest = distance.argmin(1), distance.masked_fill(distance.isinf(), -1).argmax(1)
    rows = torch.arange(64)
    assert torch.all(targets[rows, nearest] >= targets[rows, farthest])
    assert torch.equal(spectrum.soft_targets(sigs, 0.0, 0.05), torch.eye(64))


def test_pretrain_with_soft_positives_trains_and_differs(corpus):
    datas, partners = corpus
    hard, soft = tiny_encoder(seed=0), tiny_encoder(seed=0)
    pretrain(hard, datas, partners, PretrainConfig(epochs=2, batch_size=64))
    report = pretrain(soft, datas, partners, PretrainConfig(epochs=2, batch_size=64, soft_positives=0.5))
    assert all(math.isfinite(x) for x in report["loss"]) and report["config"]["soft_positives"] == 0.5
    assert any(not torch.equal(hard.state_dict()[k], v) for k, v in soft.state_dict().items())


def test_augment_does_not_modify_its_input(corpus):
    data = corpus[1][0]  # a network-level graph: many nodes and edges
    x, edge_index, stats = data.x.clone(), data.edge_index.clone(), data.stats.clone()
    config = PretrainConfig(mask_features=0.5, drop_edges=0.5, mask_stats=0.5)
    view = augment(data, config, torch.Generator().manual_seed(0))
    assert torch.equal(data.x, x) and torch.equal(data.edge_index, edge_index) and torch.equal(data.stats, stats)
    assert view is not data
    assert view.num_nodes == data.num_nodes
    assert view.edge_index.size(1) < edge_index.size(1)  # something was dropped ...
    assert not torch.equal(view.x, x)  # ... and masked


@pytest.mark.parametrize(
    "fields",
    [
        {"epochs": 0},
        {"batch_size": 1},
        {"mask_features": 1.5},
        {"drop_edges": -0.1},
        {"mask_stats": 2.0},
        {"level_swap": -1.0},
        {"soft_positives": 1.5},
        {"spectral_temperature": 0.0},
    ],
)
def test_pretrain_config_validation(fields):
    with pytest.raises(ConfigError):
        PretrainConfig(**fields)


def test_nt_xent_prefers_matching_views():
    torch.manual_seed(0)
    z = torch.randn(32, 16)
    shuffled = z[torch.randperm(32)]
    assert nt_xent(z, z, 0.2) < nt_xent(z, shuffled, 0.2)
    noisy = z + 0.01 * torch.randn_like(z)
    assert nt_xent(z, noisy, 0.2) < nt_xent(z, shuffled, 0.2)


# ----------------------------------------------------------------- graph stats
def test_graph_stats_shape(space):
    stats = graph_stats(space.to_graph(space.from_str(ALL_CONV)))
    assert stats.shape == (GRAPH_STATS,)
    assert to_data(space.to_graph(space.from_str(ALL_CONV))).stats.shape == (1, GRAPH_STATS)


def test_graph_stats_disconnected_vs_connected(space):
    disconnected = space.from_str(ALL_NONE)
    assert not disconnected.connected
    a = graph_stats(space.to_graph(disconnected))
    b = graph_stats(space.to_graph(space.from_str(CHAIN)))
    assert not torch.equal(a, b)
    dec = decoded_stats(space.to_graph(disconnected))
    assert (dec["nodes"], dec["edges"], dec["longest"], dec["paths"]) == (2, 0, 0, 0)  # only input and output remain


def test_graph_stats_single_path(space):
    dec = decoded_stats(space.to_graph(space.from_str(CHAIN)))
    assert dec["paths"] == 1
    # input, identity, add(1), identity, add(2), identity, add(3), output
    assert dec["longest"] == 8
    assert (dec["nodes"], dec["edges"]) == (8, 7)
    assert dec["hist"][OPS.index("zero")] == 0  # pruned away


def test_graph_stats_of_a_cell_whose_middle_node_is_unreachable(space):
    """Node 2 only has 'none' inputs, so its skip to the output carries nothing."""
    arch = space.from_str("|skip_connect~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|")
    assert not arch.connected
    dec = decoded_stats(space.to_graph(arch))
    assert (dec["paths"], dec["longest"]) == (0, 0)
    assert torch.equal(graph_stats(space.to_graph(arch)), graph_stats(space.to_graph(space.from_str(ALL_NONE))))


def test_graph_stats_full_cell(space):
    dec = decoded_stats(space.to_graph(space.from_str(ALL_CONV)))
    # 0->3, 0->1->3, 0->2->3, 0->1->2->3
    assert dec["paths"] == 4
    # input, 3 x (relu, conv, batchnorm, add), output
    assert dec["longest"] == 14
    assert dec["hist"][OPS.index("conv")] == 6
