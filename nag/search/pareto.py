"""Pareto fronts of several objectives: dominance, non-dominated sorting, crowding distance
and the exact hypervolume.

Every function here takes points ``[n, m]`` to be *minimised* in every column; orient a
maximised objective by negating it first (:func:`oriented`).

The hypervolume of a set of points with respect to a reference point ``r`` (worse than
every point in every objective) is the measure of the region the points dominate and
``r`` bounds: the larger, the better the front. It is computed exactly by slicing along the
last objective (each slice is the hypervolume of the points at or below it, one dimension
less), which is fast for the two or three objectives a search has.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nag.errors import ConfigError

SENSES = ("min", "max")


def oriented(values: np.ndarray, senses: Sequence[str]) -> np.ndarray:
    """``values [n, m]`` with the ``"max"`` columns negated, so that every column is minimised."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(senses):
        raise ConfigError(f"expected values of shape [n, {len(senses)}], got {values.shape}")
    unknown = [s for s in senses if s not in SENSES]
    if unknown:
        raise ConfigError(f"an objective's sense is 'min' or 'max', got {unknown[0]!r}")
    return values * np.array([-1.0 if s == "max" else 1.0 for s in senses])


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``a`` is no worse than ``b`` everywhere and better somewhere (minimising)."""
    return bool(np.all(a <= b) and np.any(a < b))


def non_dominated(points: np.ndarray) -> np.ndarray:
    """Boolean mask of the points no other point dominates (NaN rows are never kept)."""
    points = np.asarray(points, dtype=float)
    finite = np.isfinite(points).all(axis=1)
    keep = finite.copy()
    for i in np.flatnonzero(finite):
        others = points[finite]
        worse_or_equal = np.all(others <= points[i], axis=1) & np.any(others < points[i], axis=1)
        keep[i] = not worse_or_equal.any()
    return keep


def fronts(points: np.ndarray) -> np.ndarray:
    """The non-dominated rank of every point: 0 for the Pareto front, 1 for the front of
    the rest, ... (NaN rows rank last)."""
    points = np.asarray(points, dtype=float)
    rank = np.full(len(points), -1)
    left = np.isfinite(points).all(axis=1)
    level = 0
    while left.any():
        idx = np.flatnonzero(left)
        front = idx[non_dominated(points[idx])]
        rank[front] = level
        left[front] = False
        level += 1
    rank[rank < 0] = level
    return rank


def crowding(points: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance of each point within its set: the sum over objectives of
    the normalised gap between its two neighbours (the extremes: infinite)."""
    points = np.asarray(points, dtype=float)
    n, m = points.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(m):
        order = np.argsort(points[:, j], kind="stable")
        span = points[order[-1], j] - points[order[0], j]
        distance[order[0]] = distance[order[-1]] = np.inf
        if span > 0:
            distance[order[1:-1]] += (points[order[2:], j] - points[order[:-2], j]) / span
    return distance


def hypervolume(points: np.ndarray, reference: Sequence[float]) -> float:
    """The exact hypervolume of ``points [n, m]`` (minimised) bounded by ``reference``;
    points not strictly better than the reference in every objective add nothing."""
    points = np.asarray(points, dtype=float).reshape(-1, len(reference))
    ref = np.asarray(reference, dtype=float)
    if not np.isfinite(ref).all():
        raise ConfigError(f"the hypervolume's reference point must be finite, got {list(reference)}")
    inside = np.isfinite(points).all(axis=1) & np.all(points < ref, axis=1)
    points = points[inside]
    if not len(points):
        return 0.0
    return _slice(points[non_dominated(points)], ref)


def _slice(points: np.ndarray, ref: np.ndarray) -> float:
    if points.shape[1] == 1:
        return float(ref[0] - points[:, 0].min())
    if points.shape[1] == 2:
        order = np.argsort(points[:, 0], kind="stable")
        x, y = points[order, 0], points[order, 1]
        best_y = np.minimum.accumulate(y)
        widths = np.append(x[1:], ref[0]) - x
        return float(np.sum(widths * (ref[1] - best_y)))
    levels = np.unique(points[:, -1])
    bounds = np.append(levels[1:], ref[-1])
    total = 0.0
    for level, upper in zip(levels, bounds):
        below = points[points[:, -1] <= level][:, :-1]
        total += (upper - level) * _slice(below[non_dominated(below)], ref[:-1])
    return total
