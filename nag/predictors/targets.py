"""Target scalings of the predictor: the user's units <-> the units the heads learn in.

A scaling is a monotone increasing piecewise-linear map fitted on the training labels of one
metric, stored as knots (label value, learned value) and extended beyond the outer knots by
the chord through them, so any prediction maps back to the user's units and the order of
predictions is never changed by the way back.

- ``standard``: ``(y - mean) / std`` (two knots, exactly linear).
- ``gauss``: each label's normal score ``Phi^-1(rank / (n + 1))`` (ties share their mean
  rank). NAS metrics are skewed (NAS-Bench-201's few broken cells sit far below the bulk);
  in normal scores a squared error no longer spends the heads on those outliers, which
  ranks the top better (``benchmarks/predictors.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm, rankdata

from nag.registry import Registry


@dataclass(frozen=True)
class Scaling:
    """Knots of a monotone map: ``y`` (label values, strictly increasing) -> ``z`` (increasing)."""

    y: np.ndarray
    z: np.ndarray

    def _slope(self) -> float:
        return float((self.y[-1] - self.y[0]) / (self.z[-1] - self.z[0]))

    def forward(self, y: np.ndarray) -> np.ndarray:
        """Label values -> learned units."""
        y = np.asarray(y, dtype=np.float64)
        z = np.interp(y, self.y, self.z)
        z = np.where(y < self.y[0], self.z[0] + (y - self.y[0]) / self._slope(), z)
        return np.where(y > self.y[-1], self.z[-1] + (y - self.y[-1]) / self._slope(), z)

    def inverse(self, z: np.ndarray) -> np.ndarray:
        """Learned units -> label values."""
        z = np.asarray(z, dtype=np.float64)
        y = np.interp(z, self.z, self.y)
        y = np.where(z < self.z[0], self.y[0] + (z - self.z[0]) * self._slope(), y)
        return np.where(z > self.z[-1], self.y[-1] + (z - self.z[-1]) * self._slope(), y)

    def inverse_spread(self, z: np.ndarray, spread: np.ndarray) -> np.ndarray:
        """A spread ``spread`` around ``z`` (learned units) in label units: half the width
        of ``inverse([z - spread, z + spread])``."""
        return (self.inverse(z + spread) - self.inverse(z - spread)) / 2.0


def _standard(y: np.ndarray) -> Scaling:
    mean, std = float(y.mean()), float(y.std(ddof=1)) if len(y) > 1 else 0.0
    std = max(std, 1e-8 * max(1.0, abs(mean)))  # constant labels: still two distinct knots
    return Scaling(np.array([mean - std, mean + std]), np.array([-1.0, 1.0]))


def _gauss(y: np.ndarray) -> Scaling:
    values, first = np.unique(y, return_index=True)
    if len(values) < 2:
        return _standard(y)
    z = norm.ppf(rankdata(y, method="average") / (len(y) + 1))
    return Scaling(values, z[first])


SCALINGS: Registry[Callable[[np.ndarray], Scaling]] = Registry("target scaling")
SCALINGS.register("standard", lambda: _standard)
SCALINGS.register("gauss", lambda: _gauss)


def fit_scaling(name: str, y: np.ndarray) -> Scaling:
    """The scaling ``name`` fitted on the labels ``y`` of one metric."""
    return SCALINGS.get(name)(np.asarray(y, dtype=np.float64).reshape(-1))
