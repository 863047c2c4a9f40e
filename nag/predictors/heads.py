"""``EnsembleHeads``: K small MLPs on the embedding (plus optional conditioning inputs)."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class EnsembleHeads(nn.Module):
    """``K`` independent MLP heads.

    Args:
        in_dim: embedding width.
        outputs: number of metrics predicted.
        heads: ``K``.
        hidden: hidden width of each head.
        condition_dim: width of extra conditioning inputs (a noise level, a dataset
            embedding, ...) concatenated to the embedding; 0 for none.

    Shapes: embedding ``[B, in_dim]`` (+ condition ``[B, condition_dim]``) -> ``[B, K, outputs]``.
    """

    def __init__(self, in_dim: int, outputs: int, heads: int = 5, hidden: int = 128, condition_dim: int = 0):
        super().__init__()
        self.condition_dim = condition_dim
        self.heads = nn.ModuleList(
            nn.Sequential(
                nn.Linear(in_dim + condition_dim, hidden),
                nn.SiLU(),
                nn.Linear(hidden, hidden),
                nn.SiLU(),
                nn.Linear(hidden, outputs),
            )
            for _ in range(heads)
        )

    def forward(self, embedding: Tensor, condition: Tensor | None = None) -> Tensor:
        if self.condition_dim:
            if condition is None:
                raise ValueError(f"these heads expect a condition of width {self.condition_dim}")
            embedding = torch.cat([embedding, condition], dim=-1)
        return torch.stack([head(embedding) for head in self.heads], dim=1)
