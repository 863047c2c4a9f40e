"""The ``mbv3`` network as plain ``torch.nn`` modules.

The same network as OFA's ``get_active_subnet()`` for the same kernels, expand ratios
and depths (layer for layer, parameter for parameter, in the same order), built from
``nn.Conv2d``, ``nn.BatchNorm2d``, ``nn.ReLU``, ``nn.Hardswish`` and ``nn.Hardsigmoid``.
"""

from __future__ import annotations

import torch
from torch import nn

from nag.spaces.mbv3.skeleton import BlockPlan, Stages, blocks, widths


def activation(name: str) -> nn.Module:
    """``nn.ReLU`` for ``"relu"``, ``nn.Hardswish`` for ``"hswish"``."""
    return nn.ReLU() if name == "relu" else nn.Hardswish()


def conv_bn_act(c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1, act: str | None = None) -> nn.Sequential:
    """A 'same'-padded bias-free convolution, batch norm and (unless ``act`` is None) an activation."""
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False),
                               nn.BatchNorm2d(c_out)]  # fmt: skip
    if act is not None:
        layers.append(activation(act))
    return nn.Sequential(*layers)


class SqueezeExcite(nn.Module):
    """Channel gating: global average pool, 1x1 conv to ``hidden`` (bias), ReLU, 1x1 conv
    back to ``channels`` (bias), hard sigmoid; the input is multiplied by the gate.

    Shapes: ``[B, channels, H, W] -> [B, channels, H, W]``.
    """

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, hidden, 1)
        self.act = nn.ReLU()
        self.expand = nn.Conv2d(hidden, channels, 1)
        self.gate = nn.Hardsigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(self.expand(self.act(self.reduce(self.pool(x)))))


class MBConv(nn.Module):
    """An inverted-bottleneck block laid out by a :class:`~nag.spaces.mbv3.skeleton.BlockPlan`.

    Shapes: ``[B, in_channels, H, W] -> [B, out_channels, ceil(H / stride), ceil(W / stride)]``.
    """

    def __init__(self, plan: BlockPlan):
        super().__init__()
        mid = plan.mid_channels
        self.expand = conv_bn_act(plan.in_channels, mid, 1, act=plan.act) if plan.expand else None
        self.depthwise = conv_bn_act(mid, mid, plan.kernel, plan.stride, groups=mid, act=plan.act)
        if plan.se_channels:
            self.depthwise.append(SqueezeExcite(mid, plan.se_channels))
        self.project = conv_bn_act(mid, plan.out_channels, 1)
        self.residual = plan.residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.expand(x) if self.expand is not None else x
        y = self.project(self.depthwise(y))
        return y + x if self.residual else y


class MBV3Network(nn.Module):
    """An ``mbv3`` network: stem, the first block, the arch's blocks, head and classifier.

    Args:
        stages: per stage the ``(kernel, expand ratio)`` of each present block.
        num_classes: classifier outputs.
        width: width multiplier (channel counts rounded to multiples of 8).
        in_channels: input image channels.
        dropout: dropout probability before the classifier.

    Shapes: ``[B, in_channels, H, W]`` (any ``H, W >= 1``) ``-> [B, num_classes]``.
    """

    def __init__(self, stages: Stages, num_classes: int = 1000, width: float = 1.0, in_channels: int = 3,
                 dropout: float = 0.0):  # fmt: skip
        super().__init__()
        w = widths(width)
        self.stem = conv_bn_act(in_channels, w.stem, 3, 2, act="hswish")
        self.blocks = nn.Sequential(*(MBConv(plan) for plan in blocks(stages, width)))
        self.final_expand = conv_bn_act(w.stages[-1], w.final_expand, 1, act="hswish")
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.feature_mix = nn.Sequential(nn.Conv2d(w.final_expand, w.feature_mix, 1, bias=False), nn.Hardswish())
        self.flatten = nn.Flatten(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(w.feature_mix, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.final_expand(self.blocks(self.stem(x)))
        x = self.flatten(self.feature_mix(self.pool(x)))
        return self.classifier(self.dropout(x))
