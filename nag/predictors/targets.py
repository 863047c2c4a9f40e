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

    @classmethod
    def linear(cls, mean: float, std: float) -> Scaling:
        """``(y - mean) / std``: two knots, one standard deviation either side of the mean."""
        return cls(np.array([mean - std, mean + std]), np.array([-1.0, 1.0]))

    def forward(self, y: np.ndarray) -> np.ndarray:
        """Label values -> learned units."""
        return _extended_interp(y, self.y, self.z)

    def inverse(self, z: np.ndarray) -> np.ndarray:
        """Learned units -> label values."""
        return _extended_interp(z, self.z, self.y)

    def inverse_spread(self, z: np.ndarray, spread: np.ndarray) -> np.ndarray:
        """A spread ``spread`` around ``z`` (learned units) in label units: half the width
        of ``inverse([z - spread, z + spread])``."""
        return (self.inverse(z + spread) - self.inverse(z - spread)) / 2.0


def _extended_interp(x: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """``np.interp`` through the knots ``(xs, ys)``, continued beyond the outer knots along
    the chord through them."""
    x = np.asarray(x, dtype=np.float64)
    slope = float((ys[-1] - ys[0]) / (xs[-1] - xs[0]))
    out = np.interp(x, xs, ys)
    out = np.where(x < xs[0], ys[0] + (x - xs[0]) * slope, out)
    return np.where(x > xs[-1], ys[-1] + (x - xs[-1]) * slope, out)


def _standard(y: np.ndarray) -> Scaling:
    mean, std = float(y.mean()), float(y.std(ddof=1)) if len(y) > 1 else 0.0
    std = max(std, 1e-8 * max(1.0, abs(mean)))  # constant labels: still two distinct knots
    return Scaling.linear(mean, std)


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
