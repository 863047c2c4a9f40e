"""Marginal-preserving categorical noise on slots (Austin et al. 2021; DiGress, Vignac et al. 2023).

Each slot ``s`` with clean value ``x0`` is noised to step ``t`` by
``q(x_t | x0) = alpha_bar_t * onehot(x0) + (1 - alpha_bar_t) * m_s``, where ``m_s`` is the
slot's marginal over the training archs. At ``alpha_bar = 0`` the state is a draw from the
marginals, so sampling starts from the data's own op and edge frequencies. Slots hold at
most ``K`` options; padded options have marginal 0 and are never drawn.
"""

from __future__ import annotations

import torch


class MarginalNoise:
    """The forward process and its posterior for slots with marginals ``marginals`` [S, K]."""

    def __init__(self, marginals: torch.Tensor):
        self.marginals = marginals

    def q_xt(self, x0: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
        """``q(x_t | x0)`` [B, S, K] for one-hot or soft ``x0`` [B, S, K] and ``alpha_bar`` [B]."""
        a = alpha_bar.view(-1, 1, 1)
        return a * x0 + (1 - a) * self.marginals

    def prior(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` states drawn from the marginals: [n, S] option indices."""
        return draw(self.marginals.expand(n, -1, -1), generator)

    def posterior(self, x_t: torch.Tensor, p0: torch.Tensor, alpha_t: float, alpha_s: float) -> torch.Tensor:
        """``p(x_s | x_t) = sum_x0 p0(x0) q(x_s | x_t, x0)`` [B, S, K] for ``s < t``.

        ``x_t``: [B, S] indices; ``p0``: the denoiser's clean-graph probabilities [B, S, K].
        """
        m = self.marginals
        k = m.shape[-1]
        onehot = torch.nn.functional.one_hot(x_t, k).to(p0.dtype)
        m_at_xt = (m * onehot).sum(-1, keepdim=True)  # m[x_t], [B, S, 1]
        ratio = alpha_t / alpha_s if alpha_s > 0 else 0.0
        step = ratio * onehot + (1 - ratio) * m_at_xt  # q(x_t | x_s = k), over k
        q_xt_x0 = alpha_t * onehot + (1 - alpha_t) * m_at_xt  # q(x_t | x0 = j), over j
        w = p0 / q_xt_x0.clamp_min(1e-12)
        mix = alpha_s * w + (1 - alpha_s) * m * w.sum(-1, keepdim=True)  # sum_j w_j q(x_s = k | x0 = j)
        return normalise(step * mix)


def normalise(probs: torch.Tensor) -> torch.Tensor:
    return probs / probs.sum(-1, keepdim=True).clamp_min(1e-30)


def draw(probs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """One option per slot from ``probs`` [B, S, K] (rows need not be normalised), drawn on
    the CPU with ``generator`` whatever the device of ``probs`` (one CPU generator serves
    every device; CUDA's own float rounding may still change near-tied draws)."""
    flat = probs.detach().reshape(-1, probs.shape[-1]).clamp_min(0).cpu()  # draws use the (CPU) generator
    return torch.multinomial(flat, 1, generator=generator).view(probs.shape[:-1]).to(probs.device)
