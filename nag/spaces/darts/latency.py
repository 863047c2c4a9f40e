"""The latency plan of DARTS evaluation networks: each op at each edge shape it meets.

An edge's op runs on its cell's width and on the side of its input (a cell input or an
earlier node), with stride 2 from the inputs of a reduction cell. Cells of one type at
one width share these shapes, so the parts are each op at each distinct (width, side,
stride), and an edge's term adds its op's entry over every cell of its type. The stem,
the cells' input preprocessing, the node sums and concatenations and the classifier
belong to the table's fixed part.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nag.build.limits import check_dims
from nag.spaces.darts.choices import CELLS, NODES, OPS, slot
from nag.spaces.darts.ops import make_op
from nag.spaces.darts.plan import CellPlan, network_plan
from nag.spaces.declared import Cost
from nag.spaces.latency_plan import LATENCY, LatencyPlan, Part


def part_key(op: str, channels: int, side: int, stride: int) -> str:
    """The entry of ``op`` on ``channels`` x ``side`` x ``side`` inputs, e.g. ``sep_conv_3x3.c72.16.s1``."""
    return f"{op}.c{channels}.{side}.s{stride}"


def _edge_key(op: str, cell: CellPlan, source: int) -> str:
    stride = cell.stride(source)
    return part_key(op, cell.channels, cell.spatial_in if stride == 2 else cell.spatial, stride)


def latency_plan(batch: int = 1, C: int = 36, layers: int = 20, num_classes: int = 10, in_channels: int = 3,
                 resolution: int = 32, auxiliary: bool = False, drop_path: float = 0.0) -> LatencyPlan:  # fmt: skip
    """The parts and terms of networks built with these options (:meth:`DartsSpace.build`'s,
    plus the input ``resolution``) at batch ``batch``, timed in eval mode (no auxiliary head,
    no drop path)."""
    check_dims(batch=batch, num_classes=num_classes)
    plan = network_plan(C, layers, in_channels, resolution)
    parts = {}
    for cell in plan.cells:
        for source in range(max(NODES)):
            for op in OPS:
                key = _edge_key(op, cell, source)
                if key not in parts:
                    side = cell.spatial_in if cell.stride(source) == 2 else cell.spatial
                    parts[key] = Part(lambda op=op, c=cell.channels, s=cell.stride(source): make_op(op, c, s),
                                      (batch, cell.channels, side, side))  # fmt: skip

    def terms(entry: Callable[[str], float]) -> list[Cost]:
        out = []
        for kind in CELLS:
            cells = tuple(p for p in plan.cells if p.reduction == (kind == "reduce"))
            for node in NODES:
                for k in (0, 1):

                    def term(source: Any, op: Any, cells: tuple[CellPlan, ...] = cells) -> float:
                        return float(sum(entry(_edge_key(op, p, source)) for p in cells))

                    out.append(Cost(LATENCY, (slot(kind, node, "in", k), slot(kind, node, "op", k)), term))
        return out

    return LatencyPlan(parts, terms)
