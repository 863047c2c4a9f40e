"""Derivative-free guidance for any black-box score (soft value-based decoding, SVDD;
Li et al. 2024): at each jump, draw several candidate next states per sample, value each
by the score of its *predicted clean graph* (one denoiser call, decoded to a valid arch),
and keep one per sample, by softmax of the values (or the best, ``temperature=0``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from nag.diffusion.noise import draw
from nag.diffusion.sampler import Step
from nag.errors import ConfigError
from nag.guidance.objective import Score, oriented


class RewardGuidance:
    """Steer sampling towards archs with high ``fn(archs) -> values``.

    Args:
        fn: a black-box score of a list of archs (benchmark lookup, measured latency, a
            parameter count, a predictor's mean, :func:`weighted_sum` of several).
        candidates: candidate states per sample and jump (cost grows linearly with it).
        temperature: softness of the choice among candidates, in units of the spread of
            their values; 0 keeps the best.
        maximize / target: the direction, or a target value to approach.
    """

    def __init__(self, fn: Score, candidates: int = 8, temperature: float = 0.0, maximize: bool = True,
                 target: float | None = None):  # fmt: skip
        if not callable(fn):
            raise ConfigError(f"RewardGuidance needs a callable fn(archs) -> values, got {type(fn).__name__}")
        if not isinstance(candidates, int) or candidates < 1:
            raise ConfigError(f"candidates must be an int >= 1, got {candidates!r}")
        if not temperature >= 0:
            raise ConfigError(f"temperature must be >= 0, got {temperature!r}")
        self.fn, self.candidates, self.temperature = fn, candidates, float(temperature)
        self.maximize, self.target = maximize, target
        self._cache: dict[Any, float] = {}

    def values(self, archs: list[Any]) -> np.ndarray:
        """The oriented score of each arch (cached: a black box is asked once per arch)."""
        missing = list(dict.fromkeys(a for a in archs if a not in self._cache))
        if missing:
            raw = np.asarray(self.fn(missing), dtype=float).reshape(-1)
            if raw.shape != (len(missing),):
                raise ConfigError(f"the reward fn returned {raw.shape[0]} values for {len(missing)} archs")
            self._cache.update(zip(missing, oriented(raw, self.maximize, self.target)))
        return np.array([self._cache[a] for a in archs])

    def __call__(self, step: Step) -> torch.Tensor:
        b, s, k = step.probs.shape
        m = self.candidates
        if step.last:
            options = torch.stack([step.decode(step.probs) for _ in range(m)], 1)  # [B, M, S]
            clean = options
        else:
            options = draw(step.probs.unsqueeze(1).expand(b, m, s, k), step.generator)
            p0 = step.denoise(options.reshape(b * m, s), step.s)
            clean = step.decode(p0).view(b, m, s)
        values = torch.as_tensor(self.values(step.to_items(clean.reshape(b * m, s))), dtype=torch.float64).view(b, m)
        finite = torch.isfinite(values)
        values = torch.where(finite, values, torch.tensor(-np.inf, dtype=values.dtype))
        if self.temperature > 0:
            spread = torch.where(finite, values, torch.nan).nan_to_num(nan=0.0).std(1, keepdim=True).clamp_min(1e-12)
            weights = torch.softmax(values / (self.temperature * spread), 1)
            weights = torch.where(finite.any(1, keepdim=True), weights.nan_to_num(0.0), torch.ones_like(weights))
            pick = torch.multinomial(weights, 1, generator=step.generator).squeeze(1)
        else:
            pick = values.argmax(1)  # all non-finite rows pick the first candidate
        chosen = options[torch.arange(b), pick]
        return torch.nn.functional.one_hot(chosen, k).to(step.probs.dtype)
