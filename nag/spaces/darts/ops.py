"""The candidate operations of a DARTS edge and the cell preprocessing, as ``nn.Module``s.

These are the operations of the DARTS *evaluation* network (Liu et al., "DARTS:
Differentiable Architecture Search", ICLR 2019), each on ``C`` channels in and out:

* ``max_pool_3x3`` / ``avg_pool_3x3``: 3x3 pooling, padding 1 (average pooling without
  counting the padding). No BatchNorm after pooling: that is the evaluation network's
  convention; only the search network (the supernet) adds one.
* ``skip_connect``: identity at stride 1; :class:`FactorizedReduce` at stride 2.
* ``sep_conv_kxk``: two stacked (ReLU, depthwise kxk, pointwise 1x1, BN), the first with
  the edge's stride.
* ``dil_conv_kxk``: ReLU, depthwise kxk with dilation 2, pointwise 1x1, BN.

Every convolution is bias-free; every BatchNorm is affine.
"""

from __future__ import annotations

import torch
from torch import nn

from nag.errors import ConfigError
from nag.spaces.darts.choices import CONV_OPS, OPS


class ReLUConvBN(nn.Sequential):
    """ReLU, a ``kernel x kernel`` convolution ``c_in -> c_out``, BN (the cell preprocessing
    uses the 1x1 form)."""

    def __init__(self, c_in: int, c_out: int, kernel: int = 1, stride: int = 1, padding: int = 0):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out),
        )


class DilConv(nn.Sequential):
    """ReLU, a depthwise ``kernel x kernel`` convolution (``dilation``, ``stride``, padding
    keeping the size at stride 1), a pointwise convolution ``c -> c``, BN."""

    def __init__(self, c: int, kernel: int, stride: int, dilation: int):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, kernel, stride=stride, padding=dilation * (kernel - 1) // 2, dilation=dilation, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False),
            nn.BatchNorm2d(c),
        )


class SepConv(nn.Sequential):
    """Two stacked undilated :class:`DilConv` units, the first with ``stride``."""

    def __init__(self, c: int, kernel: int, stride: int):
        super().__init__(DilConv(c, kernel, stride, dilation=1), DilConv(c, kernel, 1, dilation=1))


class FactorizedReduce(nn.Module):
    """Halves the spatial size: ReLU, then two 1x1 stride-2 convolutions to ``c_out // 2``
    channels each, one on the input and one on the input shifted by one pixel, concatenated,
    then BN. Input ``[B, c_in, H, W]`` with even ``H, W`` -> ``[B, c_out, H / 2, W / 2]``."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        if c_out % 2:
            raise ConfigError(f"FactorizedReduce needs an even number of output channels, got {c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_a = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_b = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_a(x), self.conv_b(x[:, :, 1:, 1:])], dim=1))


def make_op(name: str, c: int, stride: int) -> nn.Module:
    """The module of edge op ``name`` on ``c`` channels with ``stride`` (1 or 2)."""
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c)
    if name not in CONV_OPS:
        raise ConfigError(f"unknown DARTS op {name!r}; ops: {', '.join(OPS)}")
    kernel, units, dilation = CONV_OPS[name]
    return SepConv(c, kernel, stride) if units == 2 else DilConv(c, kernel, stride, dilation)
