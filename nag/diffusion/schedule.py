"""Noise schedules: how much of the clean graph survives at each diffusion step.

A schedule is a pure function ``steps -> alpha_bar`` with ``alpha_bar[0] = 1`` (clean) and
``alpha_bar[steps] = 0`` (pure noise: the state is a draw from the marginals). Under the
marginal-preserving categorical noise of :mod:`nag.diffusion.noise`, ``alpha_bar[t]`` is
the probability that a slot still holds its clean value "by survival" at step ``t``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nag.errors import ConfigError
from nag.registry import Registry

_SCHEDULES: Registry[Callable[[int], np.ndarray]] = Registry("noise schedule")


def cosine(steps: int, offset: float = 0.008) -> np.ndarray:
    """Nichol & Dhariwal's cosine schedule (2021), ended exactly at 0."""
    t = np.arange(steps + 1) / steps
    f = np.cos((t + offset) / (1 + offset) * np.pi / 2) ** 2
    alpha_bar = f / f[0]
    alpha_bar[-1] = 0.0
    return alpha_bar


def linear(steps: int) -> np.ndarray:
    """``alpha_bar`` falling linearly from 1 to 0."""
    return 1.0 - np.arange(steps + 1) / steps


_SCHEDULES.register("cosine", lambda: cosine)
_SCHEDULES.register("linear", lambda: linear)


def alpha_bar(kind: str, steps: int) -> np.ndarray:
    """``alpha_bar[0..steps]`` of the schedule registered as ``kind``."""
    if not isinstance(steps, int) or steps < 1:
        raise ConfigError(f"diffusion steps must be an int >= 1, got {steps!r}")
    return _SCHEDULES.get(kind)(steps)


def schedule_names() -> list[str]:
    return _SCHEDULES.names()


def sampling_times(steps: int, sample_steps: int) -> list[int]:
    """The descending times ``steps = t_0 > ... > t_k = 0`` a sampler visits in ``sample_steps`` jumps."""
    if not isinstance(sample_steps, int) or not 1 <= sample_steps <= steps:
        raise ConfigError(f"sample_steps must be an int in 1..{steps}, got {sample_steps!r}")
    times = np.unique(np.round(np.linspace(0, steps, sample_steps + 1)).astype(int))
    return [int(t) for t in times[::-1]]
