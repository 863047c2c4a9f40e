"""Valid by construction: draw only slot values that can still complete to a member.

:class:`ValidSet` holds the finite set of allowed slot assignments (the space's archs,
or those meeting the user's constraints) sorted lexicographically. The assignments that
share a prefix form one contiguous row range, so "which options of slot ``s`` can follow
this prefix" is a difference of per-option cumulative counts at the range's two ends: a
few tensor ops for a whole batch, with no per-sample Python.
"""

from __future__ import annotations

import numpy as np
import torch

from nag.diffusion.noise import draw, normalise
from nag.errors import ConfigError


class ValidSet:
    """The allowed assignments ``rows`` [M, S] of slots with ``sizes`` options each (padded to ``k``)."""

    def __init__(self, rows: np.ndarray, sizes: tuple[int, ...], k: int | None = None):
        rows = np.asarray(rows, dtype=np.int64).reshape(-1, len(sizes))
        if len(rows) == 0:
            raise ConfigError("no allowed assignment: the valid set is empty")
        if (rows < 0).any() or (rows >= np.asarray(sizes)).any():
            raise ConfigError("a valid assignment holds an option outside its slot's range")
        rows = np.unique(rows, axis=0)  # sorted lexicographically
        self.sizes, self.k = tuple(sizes), k or max(sizes)
        self.rows = torch.from_numpy(rows)
        onehot = torch.nn.functional.one_hot(self.rows, self.k)  # [M, S, K]
        zero = torch.zeros(1, len(sizes), self.k, dtype=torch.int64)
        self._cum = torch.cat([zero, onehot.cumsum(0)])  # [M + 1, S, K]: counts of each option before row i
        self.slot_masks = onehot.any(0)  # [S, K]: options that occur at all

    def __len__(self) -> int:
        return len(self.rows)

    def _counts(self, lo: torch.Tensor, hi: torch.Tensor, slot: int) -> torch.Tensor:
        return self._cum[hi, slot] - self._cum[lo, slot]  # [B, K]

    def decode(self, probs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw a valid assignment per row of ``probs`` [B, S, K], slot by slot, each draw
        restricted to the options that keep a completion possible. Where the model gives
        those options no mass, the draw is uniform over them."""
        b, s, _ = probs.shape
        lo = torch.zeros(b, dtype=torch.int64)
        hi = torch.full((b,), len(self.rows), dtype=torch.int64)
        out = torch.empty(b, s, dtype=torch.int64)
        probs = probs.detach().cpu().double()
        for slot in range(s):
            counts = self._counts(lo, hi, slot)
            allowed = counts > 0
            p = probs[:, slot] * allowed
            p = torch.where(p.sum(-1, keepdim=True) > 0, p, allowed.double())
            choice = draw(p.unsqueeze(1), generator).squeeze(1)
            before = (counts * (torch.arange(self.k) < choice.unsqueeze(1))).sum(-1)
            lo = lo + before
            hi = lo + counts.gather(1, choice.unsqueeze(1)).squeeze(1)
            out[:, slot] = choice
        return out

    def contains(self, x: torch.Tensor) -> torch.Tensor:
        """Whether each row of ``x`` [B, S] is an allowed assignment: [B] bool."""
        x = x.cpu()
        in_range = ((x >= 0) & (x < torch.tensor(self.sizes))).all(1)
        lo = torch.zeros(len(x), dtype=torch.int64)
        hi = torch.full((len(x),), len(self.rows), dtype=torch.int64)
        for slot in range(x.shape[1]):
            counts = self._counts(lo, hi, slot)
            choice = x[:, slot].clamp(0, self.k - 1)
            lo = lo + (counts * (torch.arange(self.k) < choice.unsqueeze(1))).sum(-1)
            hi = lo + counts.gather(1, choice.unsqueeze(1)).squeeze(1)
        return in_range & (hi > lo)

    def mask(self, probs: torch.Tensor) -> torch.Tensor:
        """``probs`` restricted to each slot's allowed options (any prefix), renormalised."""
        return normalise(probs * self.slot_masks.to(probs.device, probs.dtype))
