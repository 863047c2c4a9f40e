"""The NAS-Bench-201 network (Dong & Yang, ICLR 2020) for one cell.

Stem (3x3 conv to ``C`` channels + BN), three stages of ``N`` cells at ``C``, ``2C`` and
``4C`` channels separated by residual reduction blocks, then BN, ReLU, global average
pooling and a linear classifier. Inside a cell, node ``i`` is the sum of
``op_(i<-j)(node j)`` over ``j < i``; node 3 is the cell output.

Shapes: input ``[B, 3, H, W]`` -> logits ``[B, num_classes]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from nag.build.limits import check_dims

#: The cell edges, as (target node, source node), in NAS-Bench-201 string order.
CELL_EDGES: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))

#: NAS-Bench-201 op names (the benchmark's standard order).
NB201_OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")


class ReLUConvBN(nn.Sequential):
    """ReLU -> Conv2d (no bias) -> BatchNorm2d, the ``nor_conv_kxk`` op."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
        )


class Zero(nn.Module):
    """The ``none`` op: zeros shaped like the input."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


#: NAS-Bench-201 op name -> factory(channels) of the edge module.
EDGE_OPS: dict[str, Callable[[int], nn.Module]] = {
    "none": lambda c: Zero(),
    "skip_connect": lambda c: nn.Identity(),
    "nor_conv_1x1": lambda c: ReLUConvBN(c, c, 1),
    "nor_conv_3x3": lambda c: ReLUConvBN(c, c, 3),
    "avg_pool_3x3": lambda c: nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
}


class Cell(nn.Module):
    """One NAS-Bench-201 cell; ``ops`` lists the six edge ops in :data:`CELL_EDGES` order.

    Edges with ``none`` are not instantiated (as in the reference), they add nothing.
    """

    def __init__(self, ops: Sequence[str], channels: int):
        super().__init__()
        self.ops = tuple(ops)
        self.edges = nn.ModuleDict(
            {f"{t}<-{s}": EDGE_OPS[op](channels) for (t, s), op in zip(CELL_EDGES, self.ops) if op != "none"}
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for target in (1, 2, 3):
            terms = [self.edges[f"{target}<-{s}"](nodes[s]) for s in range(target) if f"{target}<-{s}" in self.edges]
            nodes.append(torch.stack(terms).sum(0) if terms else torch.zeros_like(x))
        return nodes[3]


class ResidualReduction(nn.Module):
    """The reduction block between stages: halves resolution, doubles channels."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3)
        self.downsample = nn.Sequential(nn.AvgPool2d(2, stride=2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_b(self.conv_a(x)) + self.downsample(x)


class NB201Network(nn.Module):
    """The NAS-Bench-201 macro network around one cell.

    Args:
        ops: the six edge ops of the cell, :data:`CELL_EDGES` order.
        num_classes: classifier outputs (default 10, CIFAR-10).
        C: channels of the first stage (16 in the benchmark).
        N: cells per stage (5 in the benchmark).
        in_channels: image channels (3).
    """

    def __init__(self, ops: Sequence[str], num_classes: int = 10, C: int = 16, N: int = 5, in_channels: int = 3):
        super().__init__()
        check_dims(num_classes=num_classes, C=C, N=N, in_channels=in_channels)
        self.stem = nn.Sequential(nn.Conv2d(in_channels, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        layers: list[nn.Module] = []
        for stage, channels in enumerate((C, 2 * C, 4 * C)):
            if stage > 0:
                layers.append(ResidualReduction(channels // 2, channels))
            layers.extend(Cell(ops, channels) for _ in range(N))
        self.cells = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.BatchNorm2d(4 * C), nn.ReLU(inplace=False), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(4 * C, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.head(self.cells(self.stem(x))))
