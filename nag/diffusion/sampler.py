"""The reverse process: from marginal noise to valid clean slot assignments.

The sampler knows nothing about the network (it receives ``denoise``), nothing about
predictors (guidance is a list of callables) and nothing about spaces (``valid`` and
``to_items`` come from the caller). Each jump ``t -> s``:

1. ``p0 = softmax(denoise(x_t, t))`` masked to options some allowed assignment uses;
2. ``probs = p(x_s | x_t)`` from the noise posterior (``p0`` itself at the last jump);
3. every guidance callable may reweight ``probs`` (see :class:`Step`);
4. ``x_s`` is drawn; at the last jump it is drawn slot by slot through
   :meth:`ValidSet.decode`, so every returned assignment is allowed.

It also reports the *raw* validity: the share of final draws made without the completion
masks (only each slot's never-allowed options are removed) that are members of the space,
a diagnostic of how well the model learned the space.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch

from nag.diffusion.masking import ValidSet
from nag.diffusion.noise import MarginalNoise, draw, normalise


@dataclass
class Step:
    """What a guidance callable sees at one jump ``t -> s`` (times in 0..T, ``s < t``).

    ``probs`` [B, S, K] is the proposal for ``x_s`` (for ``s == 0``: the clean graph);
    ``denoise(x, time)`` gives clean-graph probabilities for states ``x`` [B', S] at an
    integer time; ``decode(p0)`` draws valid assignments; ``to_items(x0)`` turns
    assignments into the caller's objects (archs).
    """

    t: int
    s: int
    steps: int
    x_t: torch.Tensor
    probs: torch.Tensor
    p0: torch.Tensor
    alpha_bar: np.ndarray
    denoise: Callable[[torch.Tensor, int], torch.Tensor]
    decode: Callable[[torch.Tensor], torch.Tensor]
    to_items: Callable[[torch.Tensor], list[Any]]
    generator: torch.Generator
    noise: MarginalNoise = field(repr=False, default=None)  # type: ignore[assignment]

    @property
    def last(self) -> bool:
        return self.s == 0


class Guidance(Protocol):
    def __call__(self, step: Step) -> torch.Tensor:
        """Reweighted (or replaced) proposal probabilities for ``x_s``, same shape as ``step.probs``."""


@dataclass
class SampleResult:
    x0: torch.Tensor  # [n, S] valid assignments
    raw_valid: float  # share of unmasked final draws that were allowed


def sample(denoise_logits: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], noise: MarginalNoise,
           alpha_bar: np.ndarray, times: Sequence[int], valid: ValidSet, n: int, generator: torch.Generator,
           guidance: Sequence[Guidance] = (), to_items: Callable[[torch.Tensor], list[Any]] = lambda x: list(x),
           members: Callable[[torch.Tensor], torch.Tensor] | None = None) -> SampleResult:  # fmt: skip
    """Run the reverse process from ``times[0]`` (= T) down to 0 for ``n`` samples.

    ``valid`` is what samples may be (the space, or the part of it meeting constraints);
    ``members(rows) -> bool`` (default ``valid.contains``) judges the raw validity."""
    k = noise.marginals.shape[-1]
    steps = times[0]
    slot_masks = valid.slot_masks.to(noise.marginals.device)

    def denoise(x: torch.Tensor, time: int) -> torch.Tensor:
        onehot = torch.nn.functional.one_hot(x, k).float()
        t = torch.full((len(x),), time / steps, device=x.device)
        with torch.no_grad():
            return normalise(denoise_logits(onehot, t).softmax(-1) * slot_masks)

    def decode(p0: torch.Tensor) -> torch.Tensor:
        return valid.decode(p0, generator).to(p0.device)

    x = noise.prior(n, generator)
    raw_valid = float("nan")
    for t, s in zip(times[:-1], times[1:]):
        p0 = denoise(x, t)
        probs = p0 if s == 0 else noise.posterior(x, p0, float(alpha_bar[t]), float(alpha_bar[s]))
        step = Step(t, s, steps, x, probs, p0, alpha_bar, denoise, decode, to_items, generator, noise)
        for g in guidance:
            step.probs = g(step)
        if s == 0:
            raw = draw(p0, generator)
            raw_valid = float((members or valid.contains)(raw).float().mean())
            x = decode(step.probs)
        else:
            x = draw(step.probs, generator)
    return SampleResult(x0=x, raw_valid=raw_valid)
