"""Fuzzy c-means (Bezdek 1981): soft cluster membership of embeddings."""

from __future__ import annotations

import torch
from torch import Tensor


def memberships(x: Tensor, centers: Tensor, m: float = 2.0) -> Tensor:
    """Membership ``[n, k]`` of each row of ``x`` in each cluster; rows sum to 1.

    ``u_ik = 1 / sum_j (d_ik / d_ij) ** (2 / (m - 1))`` with Euclidean distances ``d``.
    """
    d = torch.cdist(x, centers).clamp_min(1e-9)
    ratio = (d.unsqueeze(-1) / d.unsqueeze(-2)) ** (2.0 / (m - 1.0))
    return 1.0 / ratio.sum(-1)


def fuzzy_cmeans(x: Tensor, k: int, m: float = 2.0, iterations: int = 100, seed: int = 0) -> Tensor:
    """Cluster centers ``[k, d]`` of ``x`` ``[n, d]`` (``k`` is capped at ``n``)."""
    k = max(1, min(k, len(x)))
    generator = torch.Generator().manual_seed(seed)
    centers = x[torch.randperm(len(x), generator=generator)[:k]].clone()
    for _ in range(iterations):
        weights = memberships(x, centers, m) ** m
        new = (weights.t() @ x) / weights.sum(0).unsqueeze(-1).clamp_min(1e-12)
        if torch.allclose(new, centers, atol=1e-6):
            return new
        centers = new
    return centers


def move_centers(old_x: Tensor, new_x: Tensor, centers: Tensor, m: float = 2.0) -> Tensor:
    """Centers carried from embedding space ``old_x`` to ``new_x`` (same rows): each new
    center is the membership-weighted mean of the new embeddings, keeping cluster identity."""
    weights = memberships(old_x, centers, m) ** m
    return (weights.t() @ new_x) / weights.sum(0).unsqueeze(-1).clamp_min(1e-12)
