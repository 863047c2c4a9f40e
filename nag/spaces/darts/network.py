"""``DartsNetwork``: the DARTS CIFAR evaluation network of a normal and a reduction cell."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from nag.spaces.darts.cell import DartsCell
from nag.spaces.darts.choices import Edge
from nag.spaces.darts.plan import NetworkPlan

#: channels of the auxiliary head's two convolutions
AUX_CHANNELS = (128, 768)


class AuxiliaryHead(nn.Module):
    """The DARTS CIFAR auxiliary classifier: ReLU, 5x5 average pooling (stride 3), 1x1 conv to
    128 + BN + ReLU, 2x2 conv to 768 + BN + ReLU, linear. It expects the 8x8 maps of a 32x32 input."""

    def __init__(self, c: int, num_classes: int):
        super().__init__()
        hidden, width = AUX_CHANNELS
        self.features = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),
            nn.Conv2d(c, hidden, 1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=False),
            nn.Conv2d(hidden, width, 2, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=False),
        )
        self.classifier = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


class DartsNetwork(nn.Module):
    """The DARTS evaluation network: stem (3x3 conv to ``3 C`` + BN), the cells of ``plan``
    (reduction cells use the ``reduce`` edges), global average pooling and a linear classifier.

    Args:
        normal, reduce: 8 ``(op, input)`` pairs of each cell type.
        plan: channels and reductions (:func:`~nag.spaces.darts.plan.network_plan`).
        num_classes: classifier outputs.
        auxiliary: add the auxiliary head after cell ``2 * layers // 3``.
        drop_path: drop-path probability of the cells' non-identity edges (training only).

    Shapes: ``[B, in_channels, H, W]`` -> logits ``[B, num_classes]``; in training mode with
    the auxiliary head, ``(logits, aux_logits)``.
    """

    def __init__(self, normal: Sequence[Edge], reduce: Sequence[Edge], plan: NetworkPlan, num_classes: int = 10,
                 auxiliary: bool = False, drop_path: float = 0.0):  # fmt: skip
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(plan.in_channels, plan.stem_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(plan.stem_channels),
        )
        self.cells = nn.ModuleList(DartsCell(reduce if p.reduction else normal, p) for p in plan.cells)
        self.aux_index = plan.aux_index
        self.auxiliary_head = AuxiliaryHead(plan.aux_channels, num_classes) if auxiliary else None
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(plan.out_channels, num_classes)
        self.drop_path = drop_path

    @property
    def drop_path(self) -> float:
        """Drop-path probability of every cell (schedules may change it between epochs)."""
        return self._drop_path

    @drop_path.setter
    def drop_path(self, prob: float) -> None:
        self._drop_path = float(prob)
        for cell in self.cells:
            cell.drop_prob = self._drop_path

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        s0 = s1 = self.stem(x)
        aux = None
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1)
            if i == self.aux_index and self.auxiliary_head is not None and self.training:
                aux = self.auxiliary_head(s1)
        logits = self.classifier(torch.flatten(self.global_pooling(s1), 1))
        return logits if aux is None else (logits, aux)
