"""Analytic parameter and multiply-accumulate counts of ``mbv3`` networks, as additive
:class:`~nag.spaces.declared.Cost` terms.

``params`` counts every weight and bias (batch norm: its scale and shift). ``flops`` counts
multiply-accumulates of one image as :func:`nag.count_flops` does: convolutions and linear
layers only (``out_h * out_w * out_channels * in_channels / groups * k * k``, biases
excluded); batch norm, activations, pooling, the squeeze-and-excite product and the
residual additions count zero.

Each searched block slot contributes one term over its ``(k, e)`` choices (0 where the
slot is absent); the stem, the first block and the head are one constant term. A block's
MACs depend on the feature map side at its slot, which the stage and the position in it
fix, so every term is local and the costs compile into the space's decision diagram.
"""

from __future__ import annotations

from typing import Any

from nag.spaces.declared import Cost
from nag.spaces.mbv3.options import build_options
from nag.spaces.mbv3.skeleton import (
    MAX_DEPTH,
    N_STAGES,
    STAGE_STRIDES,
    BlockPlan,
    block,
    downsample,
    first_block,
    stage_sides,
    widths,
)  # fmt: skip


def block_params(plan: BlockPlan) -> int:
    """Parameters of one MBConv block."""
    c_in, mid, c_out, se = plan.in_channels, plan.mid_channels, plan.out_channels, plan.se_channels
    expand = c_in * mid + 2 * mid if plan.expand else 0
    depthwise = mid * plan.kernel**2 + 2 * mid
    excite = (mid * se + se) + (se * mid + mid) if se else 0
    return expand + depthwise + excite + mid * c_out + 2 * c_out


def block_macs(plan: BlockPlan, side_in: int) -> int:
    """Multiply-accumulates of one MBConv block on a ``side_in x side_in`` input."""
    side_out = downsample(side_in, plan.stride)
    expand = side_in**2 * plan.in_channels * plan.mid_channels if plan.expand else 0
    depthwise = side_out**2 * plan.mid_channels * plan.kernel**2
    excite = 2 * plan.mid_channels * plan.se_channels
    return expand + depthwise + excite + side_out**2 * plan.mid_channels * plan.out_channels


def fixed_params(num_classes: int, width: float, in_channels: int) -> int:
    """Parameters of the stem, the first block and the head."""
    w = widths(width)
    stem = in_channels * w.stem * 9 + 2 * w.stem
    head = w.stages[-1] * w.final_expand + 2 * w.final_expand + w.final_expand * w.feature_mix
    return stem + block_params(first_block(width)) + head + w.feature_mix * num_classes + num_classes


def fixed_macs(num_classes: int, width: float, in_channels: int, resolution: int) -> int:
    """Multiply-accumulates of the stem, the first block and the head."""
    w = widths(width)
    sides = stage_sides(resolution)
    stem = sides[0] ** 2 * in_channels * w.stem * 9
    head = sides[-1] ** 2 * w.stages[-1] * w.final_expand + w.final_expand * w.feature_mix + w.feature_mix * num_classes
    return stem + block_macs(first_block(width), sides[0]) + head


def _slot_term(name: str, stage: int, position: int, width: float, side: int) -> Cost:
    """The cost term of one block slot (0 when the slot is absent)."""
    side_in = side if position == 0 else downsample(side, STAGE_STRIDES[stage])

    def term(kernel: Any, ratio: Any) -> float:
        if kernel is None:
            return 0.0
        plan = block(stage, position, kernel, ratio, width)
        return float(block_params(plan) if name == "params" else block_macs(plan, side_in))

    prefix = f"s{stage + 1}.{position}"
    return Cost(name, (f"{prefix}.k", f"{prefix}.e"), term)


def cost_terms(**options: Any) -> list[Cost]:
    """The ``params`` and ``flops`` terms of networks built with ``options`` (those of
    :class:`~nag.spaces.mbv3.options.BuildOptions`; ``dropout`` changes neither cost)."""
    o = build_options(**options)
    sides = stage_sides(o.resolution)
    terms = [Cost.constant("params", fixed_params(o.num_classes, o.width, o.in_channels)),
             Cost.constant("flops", fixed_macs(o.num_classes, o.width, o.in_channels, o.resolution))]  # fmt: skip
    for name in ("params", "flops"):
        terms += [_slot_term(name, s, j, o.width, sides[s]) for s in range(N_STAGES) for j in range(MAX_DEPTH)]
    return terms
