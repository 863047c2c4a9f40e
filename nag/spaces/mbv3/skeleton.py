"""The fixed skeleton of OFA's MobileNetV3 space and the channel plan of its blocks.

The network (Cai et al., "Once-for-All", ICLR 2020) is a 3x3 stride-2 stem, a first block
without expansion, five searched stages of 2 to 4 inverted-bottleneck (MBConv) blocks, a
1x1 final expansion, global average pooling, a 1x1 feature mix and a linear classifier.
Every module of :mod:`nag.spaces.mbv3` reads the network's shape from here.

A stage's blocks are written as ``(kernel, expand ratio)`` pairs, and an arch as one tuple
of pairs per stage (:data:`Stages`); absent blocks are not written.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

#: per stage, the ``(kernel, expand ratio)`` of each present block
Stages = tuple[tuple[tuple[int, int], ...], ...]

DEPTHS: tuple[int, ...] = (2, 3, 4)
KERNELS: tuple[int, ...] = (3, 5, 7)
EXPANDS: tuple[int, ...] = (3, 4, 6)
MAX_DEPTH = max(DEPTHS)
N_STAGES = 5

#: channel counts at width 1.0
STEM_WIDTH = 16
FIRST_BLOCK_WIDTH = 16
STAGE_WIDTHS: tuple[int, ...] = (24, 40, 80, 112, 160)
FINAL_EXPAND_WIDTH = 960
FEATURE_MIX_WIDTH = 1280

#: stride of each stage's first block (the others have stride 1)
STAGE_STRIDES: tuple[int, ...] = (2, 2, 2, 1, 2)
#: activation of each stage: ``"relu"`` or ``"hswish"`` (the first block uses ReLU)
STAGE_ACTS: tuple[str, ...] = ("relu", "relu", "hswish", "hswish", "hswish")
#: whether each stage's blocks squeeze and excite (after the depthwise activation)
STAGE_SE: tuple[bool, ...] = (False, True, False, True, True)

#: channel counts are multiples of this
CHANNEL_DIVISOR = 8
#: the squeeze-and-excite hidden width is the block's middle width divided by this (rounded)
SE_REDUCTION = 4


def make_divisible(value: float, divisor: int = CHANNEL_DIVISOR) -> int:
    """``value`` rounded to the nearest multiple of ``divisor`` (halves up, at least
    ``divisor``), one step higher where rounding lost more than 10% of ``value``."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


@dataclass(frozen=True)
class Widths:
    """The channel counts of the fixed parts at one width multiplier."""

    stem: int
    first_block: int
    stages: tuple[int, ...]
    final_expand: int
    feature_mix: int


@lru_cache(maxsize=64)
def widths(width: float = 1.0) -> Widths:
    """The channel counts at width multiplier ``width`` (each rounded by :func:`make_divisible`)."""
    return Widths(
        stem=make_divisible(STEM_WIDTH * width),
        first_block=make_divisible(FIRST_BLOCK_WIDTH * width),
        stages=tuple(make_divisible(c * width) for c in STAGE_WIDTHS),
        final_expand=make_divisible(FINAL_EXPAND_WIDTH * width),
        feature_mix=make_divisible(FEATURE_MIX_WIDTH * width),
    )  # fmt: skip


@dataclass(frozen=True)
class BlockPlan:
    """One MBConv block: ``[1x1 expand, BN, act]``, ``kxk depthwise (stride), BN, act``,
    ``[squeeze-excite]``, ``1x1 project, BN``, ``[+ input]``.

    Args:
        in_channels, mid_channels, out_channels: the block's input, middle and output widths.
        kernel: the depthwise kernel.
        stride: the depthwise stride.
        act: ``"relu"`` or ``"hswish"``.
        expand: whether the block has the 1x1 expansion (``mid_channels`` then comes from it).
        se_channels: the squeeze-and-excite hidden width, 0 for none.
        residual: whether the input is added to the output (stride 1, same width).
    """

    in_channels: int
    mid_channels: int
    out_channels: int
    kernel: int
    stride: int
    act: str
    expand: bool
    se_channels: int
    residual: bool


def _plan(c_in: int, c_out: int, kernel: int, ratio: int, stride: int, act: str, se: bool) -> BlockPlan:
    mid = make_divisible(round(c_in * ratio)) if ratio != 1 else c_in
    return BlockPlan(c_in, mid, c_out, kernel, stride, act, ratio != 1,
                     make_divisible(mid // SE_REDUCTION) if se else 0, stride == 1 and c_in == c_out)  # fmt: skip


@lru_cache(maxsize=64)
def first_block(width: float = 1.0) -> BlockPlan:
    """The fixed first block: stem width -> first-block width, depthwise 3x3, ReLU, no expansion."""
    w = widths(width)
    return _plan(w.stem, w.first_block, 3, 1, 1, "relu", False)


@lru_cache(maxsize=4096)
def block(stage: int, position: int, kernel: int, ratio: int, width: float = 1.0) -> BlockPlan:
    """Block ``position`` (from 0) of stage ``stage`` (from 0) with ``kernel`` and expand ``ratio``.

    The first block of a stage takes the previous stage's width and the stage's stride;
    the others keep the stage's width at stride 1."""
    w = widths(width)
    c_out = w.stages[stage]
    c_in = c_out if position else (w.stages[stage - 1] if stage else w.first_block)
    stride = STAGE_STRIDES[stage] if position == 0 else 1
    return _plan(c_in, c_out, kernel, ratio, stride, STAGE_ACTS[stage], STAGE_SE[stage])


def blocks(stages: Stages, width: float = 1.0) -> list[BlockPlan]:
    """Every block of an arch in order, the first block included."""
    out = [first_block(width)]
    for s, stage in enumerate(stages):
        out += [block(s, j, k, e, width) for j, (k, e) in enumerate(stage)]
    return out


def downsample(size: int, stride: int) -> int:
    """The side of a feature map of side ``size`` after a 'same'-padded odd-kernel conv of ``stride``."""
    return (size + stride - 1) // stride


def stage_sides(resolution: int) -> list[int]:
    """The feature map side at the input of each stage (the first is also the stem's output
    side, since the first block keeps it), then the side after the last stage."""
    sides = [downsample(resolution, 2)]
    for stride in STAGE_STRIDES:
        sides.append(downsample(sides[-1], stride))
    return sides
