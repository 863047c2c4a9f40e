"""Training losses of the predictor heads."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def pairwise_rank_loss(pred: Tensor, target: Tensor, weight: Tensor | None = None) -> Tensor:
    """Logistic loss over all ordered pairs: ``softplus(-(p_i - p_j) * sign(y_i - y_j))``.

    Args:
        pred, target: ``[n]``.
        weight: optional ``[n]`` sample weights; a pair weighs ``w_i * w_j``.
    """
    diff_p = pred.unsqueeze(1) - pred.unsqueeze(0)
    sign = torch.sign(target.unsqueeze(1) - target.unsqueeze(0))
    pair_w = (sign != 0).float()
    if weight is not None:
        pair_w = pair_w * weight.unsqueeze(1) * weight.unsqueeze(0)
    return (F.softplus(-diff_p * sign) * pair_w).sum() / pair_w.sum().clamp_min(1e-12)


def weighted_mse(pred: Tensor, target: Tensor, weight: Tensor | None = None) -> Tensor:
    err = (pred - target) ** 2
    if weight is None:
        return err.mean()
    return (err * weight).sum() / weight.sum().clamp_min(1e-12)
