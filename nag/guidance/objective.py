"""Turning scores into one objective to maximise: direction, target values, weighted sums."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nag.errors import ConfigError

Score = Callable[[list[Any]], Any]


def weighted_sum(terms: Sequence[tuple[Score, float]]) -> Score:
    """One score ``sum_i w_i * fn_i(archs)`` from ``[(fn, w), ...]`` (use a negative
    weight to minimise a term, e.g. ``[(accuracy, 1.0), (params_in_millions, -0.5)]``)."""
    terms = list(terms)
    if not terms or any(not callable(fn) or not isinstance(w, (int, float)) for fn, w in terms):
        raise ConfigError("weighted_sum needs a non-empty list of (callable, number) pairs")

    def score(archs: list[Any]) -> np.ndarray:
        return np.sum([w * np.asarray(fn(archs), dtype=float) for fn, w in terms], axis=0)

    return score


def oriented(values: np.ndarray, maximize: bool, target: float | None) -> np.ndarray:
    """Values turned into "higher is better": negated to minimise, ``-|v - target|`` for a target."""
    values = np.asarray(values, dtype=float)
    if target is not None:
        return -np.abs(values - target)
    return values if maximize else -values
