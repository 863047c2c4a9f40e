"""The latency plan of NAS-Bench-201 networks: each op at each stage's cell shape.

Every cell of a network has the same six edge ops, and the cells of a stage share one
shape, so a stage times its four ops that do work (``none`` edges are not built) and an
edge's term adds, over the three stages, ``N`` times its op's entry. The stem, the two
residual reductions, the node sums and the head belong to the table's fixed part.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nag.build.limits import check_dims
from nag.spaces.declared import Cost
from nag.spaces.latency_plan import LATENCY, LatencyPlan, Part
from nag.spaces.nb201.network import CELL_EDGES, EDGE_OPS

#: the ops a latency table times (``none`` edges are not built)
TIMED_OPS: tuple[str, ...] = tuple(op for op in EDGE_OPS if op != "none")
STAGES = 3


def part_key(stage: int, op: str) -> str:
    """The entry of ``op`` in the cells of ``stage`` (from 0), e.g. ``stage2.nor_conv_3x3``."""
    return f"stage{stage + 1}.{op}"


def latency_plan(batch: int = 1, C: int = 16, N: int = 5, resolution: int = 32, in_channels: int = 3,
                 num_classes: int = 10) -> LatencyPlan:  # fmt: skip
    """The parts and terms of networks built with these options at batch ``batch``."""
    check_dims(C=C, N=N, resolution=resolution, in_channels=in_channels, num_classes=num_classes, batch=batch)
    parts, side = {}, resolution
    for stage in range(STAGES):
        channels = C * 2**stage
        for op in TIMED_OPS:
            parts[part_key(stage, op)] = Part(lambda op=op, c=channels: EDGE_OPS[op](c), (batch, channels, side, side))
        side = (side + 1) // 2  # a residual reduction: stride-2 3x3 conv, padding 1

    def terms(entry: Callable[[str], float]) -> list[Cost]:
        def term(op: Any) -> float:
            return 0.0 if op == "none" else float(N * sum(entry(part_key(s, op)) for s in range(STAGES)))

        return [Cost(LATENCY, (f"op{target}_{source}",), term) for target, source in CELL_EDGES]

    return LatencyPlan(parts, terms)
