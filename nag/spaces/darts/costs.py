"""Analytic parameter and multiply-accumulate counts of DARTS evaluation networks.

``params`` counts every parameter (convolution weights, BN scales and shifts, the
classifier's weight and bias, the auxiliary head's when it is built). ``flops`` counts
the multiply-accumulates of convolutions and linear layers in one eval-mode forward pass
of one image, as :func:`nag.counting.count_flops` does (pooling, BN, activations and
additions count zero; the auxiliary head does not run in eval mode).

Both are additive over the arch's choices: each edge contributes a term over its
``(input, op)`` choices, the op's count summed over every cell of that type (stride 2
from the inputs of reduction cells); the stem, the preprocessing, the classifier and the
auxiliary head are constants.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from nag.build.limits import check_dims
from nag.spaces.darts.choices import CELLS, CONV_OPS, NODES, Edge, slot
from nag.spaces.darts.network import AUX_CHANNELS
from nag.spaces.darts.plan import CellPlan, NetworkPlan, network_plan
from nag.spaces.declared import Cost


def conv_bn(c_in: int, c_out: int, kernel: int, groups: int = 1) -> tuple[int, int]:
    """``(params, MACs per output pixel)`` of a bias-free convolution followed by an affine BN."""
    weights = c_out * (c_in // groups) * kernel * kernel
    return weights + 2 * c_out, weights


def factorized_reduce(c_in: int, c_out: int, spatial_out: int) -> tuple[int, int]:
    """``(params, MACs)`` of :class:`~nag.spaces.darts.ops.FactorizedReduce`."""
    weights = 2 * (c_out // 2) * c_in
    return weights + 2 * c_out, weights * spatial_out**2


def relu_conv_bn(c_in: int, c_out: int, spatial_out: int) -> tuple[int, int]:
    """``(params, MACs)`` of a 1x1 :class:`~nag.spaces.darts.ops.ReLUConvBN`."""
    params, per_pixel = conv_bn(c_in, c_out, 1)
    return params, per_pixel * spatial_out**2


def op_cost(op: str, c: int, stride: int, spatial_out: int) -> tuple[int, int]:
    """``(params, MACs)`` of edge op ``op`` on ``c`` channels with ``stride``, producing
    ``spatial_out x spatial_out`` maps."""
    if op == "skip_connect" and stride == 2:
        return factorized_reduce(c, c, spatial_out)
    if op not in CONV_OPS:
        return 0, 0  # pooling, identity
    kernel, units, _ = CONV_OPS[op]
    depthwise, pointwise = conv_bn(c, c, kernel, groups=c), conv_bn(c, c, 1)
    params = units * (depthwise[0] - 2 * c + pointwise[0])  # BN only after the pointwise conv
    macs = units * (depthwise[1] + pointwise[1]) * spatial_out**2
    return params, macs


def fixed_cost(plan: NetworkPlan, num_classes: int, auxiliary: bool) -> tuple[int, int]:
    """``(params, MACs)`` of everything the arch does not choose: stem, preprocessing,
    classifier and (params only) the auxiliary head."""
    stem_params, stem_pixel = conv_bn(plan.in_channels, plan.stem_channels, 3)
    params, macs = stem_params, stem_pixel * plan.resolution**2
    for p in plan.cells:
        first = factorized_reduce if p.reduction_prev else relu_conv_bn
        for part in (first(p.c_prev_prev, p.channels, p.spatial_in), relu_conv_bn(p.c_prev, p.channels, p.spatial_in)):
            params, macs = params + part[0], macs + part[1]
    params += plan.out_channels * num_classes + num_classes
    macs += plan.out_channels * num_classes
    if auxiliary:
        hidden, width = AUX_CHANNELS
        params += conv_bn(plan.aux_channels, hidden, 1)[0] + conv_bn(hidden, width, 2)[0] + width * num_classes + num_classes
    return params, macs


def edge_term(cells: tuple[CellPlan, ...], which: int) -> Callable[[int, str], float]:
    """A cost term over one edge's ``(input, op)``: the op's count (``which``: 0 params,
    1 MACs) summed over ``cells`` (every cell of one type)."""

    def term(source: int, op: str) -> float:
        return float(sum(op_cost(op, p.channels, p.stride(source), p.spatial)[which] for p in cells))

    return term


def cost_terms(C: int = 36, layers: int = 20, num_classes: int = 10, resolution: int = 32, in_channels: int = 3,
               auxiliary: bool = False, drop_path: float = 0.0) -> list[Cost]:  # fmt: skip
    """The ``params`` and ``flops`` terms of networks built with these options (the
    arguments of :meth:`DartsSpace.build` plus the input ``resolution``; ``drop_path`` changes
    neither count)."""
    check_dims(num_classes=num_classes)
    plan = network_plan(C, layers, in_channels, resolution)
    params, macs = fixed_cost(plan, num_classes, bool(auxiliary))
    terms = [Cost.constant("params", params), Cost.constant("flops", macs)]
    for cell in CELLS:
        cells = tuple(p for p in plan.cells if p.reduction == (cell == "reduce"))
        for node in NODES:
            for k in (0, 1):
                over = (slot(cell, node, "in", k), slot(cell, node, "op", k))
                terms += [Cost("params", over, edge_term(cells, 0)), Cost("flops", over, edge_term(cells, 1))]
    return terms


def network_cost(normal: Sequence[Edge], reduce: Sequence[Edge], plan: NetworkPlan, num_classes: int = 10,
                 auxiliary: bool = False) -> tuple[int, int]:  # fmt: skip
    """``(params, MACs)`` of one network, summed directly (the same counts as :func:`cost_terms`)."""
    params, macs = fixed_cost(plan, num_classes, auxiliary)
    for p in plan.cells:
        for op, source in reduce if p.reduction else normal:
            part = op_cost(op, p.channels, p.stride(source), p.spatial)
            params, macs = params + part[0], macs + part[1]
    return params, macs
