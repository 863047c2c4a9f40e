"""``DartsCell``: one cell of the DARTS evaluation network."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from nag.spaces.darts.choices import Edge
from nag.spaces.darts.ops import FactorizedReduce, ReLUConvBN, make_op
from nag.spaces.darts.plan import CellPlan


def drop_path(x: torch.Tensor, prob: float) -> torch.Tensor:
    """Zero whole samples of ``x`` with probability ``prob`` and rescale the rest by ``1 / (1 - prob)``."""
    keep = 1.0 - prob
    mask = torch.empty(x.size(0), 1, 1, 1, dtype=x.dtype, device=x.device).bernoulli_(keep)
    return x * mask / keep


class DartsCell(nn.Module):
    """A cell: preprocess its two inputs to ``plan.channels``, compute nodes 2..5 (each the
    sum of its two edges' ops) and concatenate them.

    The first input is preprocessed by :class:`FactorizedReduce` when the previous cell was a
    reduction cell (it is then twice as large), else by a 1x1 :class:`ReLUConvBN`; the
    second by a 1x1 :class:`ReLUConvBN`. In a reduction cell the edges from the two inputs
    have stride 2.

    Args:
        edges: 8 ``(op, input)`` pairs, two per node 2..5.
        plan: the cell's place in the network (channels, reduction).

    Shapes: ``s0 [B, c_prev_prev, 2^r H, 2^r W]``, ``s1 [B, c_prev, H, W]`` ->
    ``[B, 4 * channels, H', W']`` (``r`` = 1 after a reduction cell; ``H' = H / 2`` in a reduction cell).
    """

    def __init__(self, edges: Sequence[Edge], plan: CellPlan):
        super().__init__()
        c = plan.channels
        self.preprocess0 = FactorizedReduce(plan.c_prev_prev, c) if plan.reduction_prev else ReLUConvBN(plan.c_prev_prev, c)
        self.preprocess1 = ReLUConvBN(plan.c_prev, c)
        self.ops = nn.ModuleList(make_op(op, c, plan.stride(source)) for op, source in edges)
        self.sources = tuple(source for _, source in edges)
        self.reduction = plan.reduction
        #: drop-path probability for the non-identity edges in training mode
        self.drop_prob = 0.0

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for node in range(len(self.ops) // 2):
            first, second = (self._edge(2 * node + k, states) for k in (0, 1))
            states.append(first + second)
        return torch.cat(states[2:], dim=1)

    def _edge(self, j: int, states: list[torch.Tensor]) -> torch.Tensor:
        op = self.ops[j]
        h = op(states[self.sources[j]])
        if self.training and self.drop_prob > 0 and not isinstance(op, nn.Identity):
            h = drop_path(h, self.drop_prob)
        return h
