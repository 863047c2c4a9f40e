"""The latency plan of ``mbv3`` networks: each block configuration at each slot's input shape.

Within a stage, blocks after the first share their input shape and stride, so a stage
times 9 first-block and 9 later-block configurations (90 parts in all); the stem, the
fixed first block and the head belong to the table's fixed part.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nag.spaces.declared import Cost
from nag.spaces.latency_plan import LATENCY, LatencyPlan, Part
from nag.spaces.mbv3.network import MBConv
from nag.spaces.mbv3.options import build_options
from nag.spaces.mbv3.skeleton import EXPANDS, KERNELS, MAX_DEPTH, N_STAGES, block, stage_sides


def part_key(stage: int, position: int, kernel: int, ratio: int) -> str:
    """The entry of block ``position`` of ``stage`` (both from 0), e.g. ``s2.first.k5e4``."""
    return f"s{stage + 1}.{'first' if position == 0 else 'later'}.k{kernel}e{ratio}"


def _part(stage: int, position: int, kernel: int, ratio: int, width: float, side: int, batch: int) -> Part:
    plan = block(stage, position, kernel, ratio, width)
    return Part(lambda: MBConv(plan), (batch, plan.in_channels, side, side))


def latency_plan(batch: int = 1, **options: Any) -> LatencyPlan:
    """The parts and terms of networks built with ``options`` (those of
    :class:`~nag.spaces.mbv3.options.BuildOptions`) at batch ``batch``."""
    o = build_options(**options)
    sides = stage_sides(o.resolution)
    parts = {}
    for s in range(N_STAGES):
        for position, side in ((0, sides[s]), (1, sides[s + 1])):
            for k in KERNELS:
                for e in EXPANDS:
                    parts[part_key(s, position, k, e)] = _part(s, position, k, e, o.width, side, batch)

    def terms(entry: Callable[[str], float]) -> list[Cost]:
        return [_slot_term(entry, s, j) for s in range(N_STAGES) for j in range(MAX_DEPTH)]

    return LatencyPlan(parts, terms)


def _slot_term(entry: Callable[[str], float], stage: int, position: int) -> Cost:
    def term(kernel: Any, ratio: Any) -> float:
        return 0.0 if kernel is None else float(entry(part_key(stage, position, kernel, ratio)))

    prefix = f"s{stage + 1}.{position}"
    return Cost(LATENCY, (f"{prefix}.k", f"{prefix}.e"), term)
