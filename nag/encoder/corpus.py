"""The unlabelled pretraining corpus: graphs from every space nag knows, plus traced models."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch_geometric.data import Data

from nag.encoder.featurize import to_data


@dataclass
class Corpus:
    """Featurized graphs, each with an optional partner (the same arch at another level)."""

    datas: list[Data]
    partners: list[Data | None]
    counts: dict[str, int]


def _reference_models() -> list[tuple[str, nn.Module, torch.Tensor]]:
    """Small hand-written models in the usual styles, traced into the corpus."""

    def conv_bn(c_in, c_out, stride=1, groups=1, k=3):
        return [nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]

    x = torch.zeros(1, 3, 32, 32)
    models = []
    for width in (8, 16, 32):
        plain = nn.Sequential(*conv_bn(3, width), *conv_bn(width, 2 * width, 2), *conv_bn(2 * width, 4 * width, 2),
                              nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * width, 10))  # fmt: skip
        mobile = nn.Sequential(*conv_bn(3, width), *conv_bn(width, width, 1, width), *conv_bn(width, 2 * width, 1, 1, 1),
                               *conv_bn(2 * width, 2 * width, 2, 2 * width), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                               nn.Linear(2 * width, 10))  # fmt: skip
        models += [(f"plain-{width}", plain, x), (f"mobile-{width}", mobile, x)]
    return models


def build_corpus(network_graphs: int = 300, seed: int = 0, traced: bool = True) -> Corpus:
    """Every nb201 cell (``network_graphs`` of them paired with their whole network),
    every nbgraph arch (paired with its network-level graph) and, with ``traced``, a few
    traced reference models."""
    from nag import spaces

    datas, partners, counts = [], [], {}
    nb201 = spaces.get("nb201")
    with_network = set(
        np.random.default_rng(seed).choice(nb201.size, size=min(network_graphs, nb201.size), replace=False).tolist()
    )
    for i, arch in enumerate(nb201.enumerate()):
        datas.append(to_data(nb201.to_graph(arch, "cell")))
        partners.append(to_data(nb201.to_graph(arch, "network")) if i in with_network else None)
    counts["nb201"] = nb201.size
    nbgraph = spaces.get("nbgraph")
    for arch in nbgraph.enumerate():
        datas.append(to_data(nbgraph.to_graph(arch, "cell")))
        partners.append(to_data(nbgraph.to_graph(arch, "network")))
    counts["nbgraph"] = nbgraph.size
    if traced:
        from nag.graph.trace import trace_report

        for _, model, x in _reference_models():
            datas.append(to_data(trace_report(model, (x,)).graph))
            partners.append(None)
        counts["traced"] = len(_reference_models())
    return Corpus(datas, partners, counts)
