"""Tests of nag.spaces.nbgraph.network: NAS-Bench-Graph architectures as PyG networks."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Data
from torch_geometric.datasets import KarateClub

from nag.errors import ConfigError, InvalidArchitecture
from nag.spaces.nbgraph.network import GNN_LAYERS, NBGraphNet, build_nbgraph, output_nodes

ALL_OPS = ("gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip")


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.fixture(scope="module")
def karate() -> Data:
    """KarateClub ships inside torch_geometric (no download): 34 nodes, 34 features, 4 classes."""
    return KarateClub()[0]


def _random_graph(num_nodes: int = 12, in_dim: int = 5, num_edges: int = 30) -> Data:
    gen = torch.Generator().manual_seed(1)
    edge_index = torch.randint(0, num_nodes, (2, num_edges), generator=gen)
    return Data(x=torch.randn(num_nodes, in_dim, generator=gen), edge_index=edge_index)


def test_registry_holds_the_nine_benchmark_ops() -> None:
    assert tuple(GNN_LAYERS) == ALL_OPS


@pytest.mark.parametrize("op", ALL_OPS)
@pytest.mark.parametrize("hidden", [8, 7])
def test_every_op_builds_and_runs(op: str, hidden: int) -> None:
    g = _random_graph()
    net = build_nbgraph([0, 1, 2, 3], [op] * 4, in_dim=5, num_classes=3, hidden=hidden)
    out = net(g.x, g.edge_index)
    assert out.shape == (12, 3)
    assert torch.isfinite(out).all()
    out.sum().backward()  # gradients flow through every op


@pytest.mark.parametrize(
    "link, ops",
    [
        ([0, 1, 2, 3], ["gat", "gcn", "gin", "cheb"]),
        ([0, 0, 1, 2], ["sage", "arma", "graph", "fc"]),
        ([0, 1, 1, 2], ["skip", "gat", "sage", "skip"]),
    ],
)
def test_all_ops_forward_on_karate(karate: Data, link: list[int], ops: list[str]) -> None:
    net = build_nbgraph(link, ops, in_dim=karate.num_features, num_classes=4, hidden=16).eval()
    out = net(karate.x, karate.edge_index)
    assert out.shape == (karate.num_nodes, 4)
    assert torch.isfinite(out).all()


def _num_params(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def test_equivalent_archs_have_equal_parameter_counts() -> None:
    a = build_nbgraph([0, 0, 0, 0], ["gcn", "gat", "skip", "skip"], 10, 3)
    b = build_nbgraph([0, 0, 0, 0], ["skip", "gat", "gcn", "skip"], 10, 3)
    c = build_nbgraph([0, 0, 0, 0], ["gcn", "gin", "skip", "skip"], 10, 3)
    assert _num_params(a) == _num_params(b)
    assert _num_params(a) != _num_params(c)  # the count does depend on the ops
    assert a.output_nodes == (1, 2) and b.output_nodes == (2, 3)


@pytest.mark.parametrize(
    "link, ops, expected",
    [
        ([0, 0, 0, 0], ["gcn", "gat", "skip", "skip"], (1, 2)),  # two raw skip leaves dropped
        ([0, 1, 0, 2], ["skip", "skip", "gcn", "skip"], (3,)),  # skip chain from the input dropped
        ([0, 1, 0, 0], ["gcn", "skip", "sage", "skip"], (2, 3)),  # skip after gcn kept
        ([0, 1, 2, 3], ["gcn", "sage", "gat", "fc"], (4,)),  # a chain has one leaf
        ([0, 0, 1, 1], ["fc", "gin", "skip", "arma"], (2, 3, 4)),
        ([0, 0, 0, 0], ["skip"] * 4, (4,)),  # nothing contributes: last node
    ],
)
def test_output_nodes(link: list[int], ops: list[str], expected: tuple[int, ...]) -> None:
    assert output_nodes(link, ops) == expected
    assert build_nbgraph(link, ops, 4, 2, hidden=8).output_nodes == expected


def test_raw_skip_leaf_does_not_change_the_output() -> None:
    g = _random_graph()
    net = build_nbgraph([0, 0, 0, 0], ["gcn", "gat", "skip", "skip"], 5, 3, hidden=8).eval()
    h0 = net.preprocess(g.x)
    h1 = F.relu(net.layers[0](h0, g.edge_index))
    h2 = F.relu(net.layers[1](h0, g.edge_index))
    torch.testing.assert_close(net(g.x, g.edge_index), net.classifier(h1 + h2))


def test_forward_with_data_matches_tensors(karate: Data) -> None:
    net = build_nbgraph([0, 0, 1, 2], ["gcn", "sage", "gat", "fc"], karate.num_features, 4).eval()
    torch.testing.assert_close(net(karate), net(karate.x, karate.edge_index))


def test_training_reduces_the_loss(karate: Data) -> None:
    net = build_nbgraph([0, 0, 1, 2], ["gcn", "gat", "sage", "skip"], karate.num_features, 4, hidden=16)
    opt = torch.optim.Adam(net.parameters(), lr=0.01)

    def loss() -> torch.Tensor:
        return F.cross_entropy(net(karate)[karate.train_mask], karate.y[karate.train_mask])

    net.eval()
    with torch.no_grad():
        before = loss().item()
    net.train()
    for _ in range(50):
        opt.zero_grad()
        loss().backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        after = loss().item()
    assert after < 0.5 * before


@pytest.mark.parametrize(
    "link, ops, fragment",
    [
        ([0, 0, 0], ["gcn"] * 4, "link must have 4"),
        ([0, 0, 0, 0], ["gcn"] * 5, "ops must have 4"),
        ([0, 2, 0, 0], ["gcn"] * 4, "link[1] = 2"),
        ([0, 0, -1, 0], ["gcn"] * 4, "link[2] = -1"),
        ([0, 0, 0, 0.5], ["gcn"] * 4, "link[3] = 0.5"),
        ([0, 0, 0, 0], ["gcn", "conv", "gcn", "gcn"], "ops[1] = 'conv'"),
    ],
)
def test_bad_architecture_raises(link: list, ops: list[str], fragment: str) -> None:
    with pytest.raises(InvalidArchitecture) as err:
        NBGraphNet(link, ops, 4, 2)
    assert fragment in str(err.value)


def test_bad_op_message_lists_the_choices() -> None:
    with pytest.raises(InvalidArchitecture, match="choose one of: gat, gcn, gin, cheb, sage, arma, graph, fc, skip"):
        NBGraphNet([0, 0, 0, 0], ["gcn", "gcn", "gcn", "GCN"], 4, 2)
    with pytest.raises(InvalidArchitecture, match=r"in 0\.\.1"):
        NBGraphNet([0, 3, 0, 0], ["gcn"] * 4, 4, 2)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"in_dim": 0}, "in_dim must be a positive int, got 0"),
        ({"num_classes": -2}, "num_classes must be a positive int, got -2"),
        ({"hidden": 0}, "hidden must be a positive int, got 0"),
        ({"hidden": 8.0}, "hidden must be a positive int, got 8.0"),
        ({"dropout": 1.0}, "dropout must be in [0, 1), got 1.0"),
    ],
)
def test_bad_dims_raise_config_error(kwargs: dict, fragment: str) -> None:
    args = {"in_dim": 4, "num_classes": 2, **kwargs}
    with pytest.raises(ConfigError) as err:
        build_nbgraph([0, 0, 0, 0], ["gcn"] * 4, **args)
    assert fragment in str(err.value)
