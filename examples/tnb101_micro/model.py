"""The network of a TransNAS-Bench-101 micro cell: the one builder function its space needs.

Any ``build(arch, **options) -> nn.Module`` works; this one reuses nag's NAS-Bench-201
network, since the micro cell is that cell with fewer ops. ``arch["e1_0"]`` is a choice's value.
"""

from torch import nn

from nag.spaces.nb201 import NB201Network

EDGES = ("e1_0", "e2_0", "e2_1", "e3_0", "e3_1", "e3_2")


def build(arch, num_classes: int = 10, in_channels: int = 3, C: int = 8, N: int = 1) -> nn.Module:
    return NB201Network([arch[e] for e in EDGES], num_classes=num_classes, C=C, N=N, in_channels=in_channels)
