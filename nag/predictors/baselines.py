"""Baseline predictors on a flat encoding of a space's archs (for benchmarks).

``onehot(space, archs)`` one-hot encodes every categorical choice of the space (for
nb201: the op of each of the six edges; for nbgraph: the input of each node and its op),
which for these cell spaces is the adjacency-with-ops encoding. The baselines follow the
plain ``fit(x, y)`` / ``predict(x)`` interface; they need scikit-learn
(``pip install scikit-learn``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nag.errors import ConfigError


def onehot(space: Any, archs: Sequence[Any]) -> np.ndarray:
    """``[n, sum(choice_sizes)]`` 0/1 matrix of the archs' choices."""
    sizes = space.choice_sizes()
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    out = np.zeros((len(archs), int(sum(sizes))), dtype=np.float32)
    for row, arch in enumerate(archs):
        out[row, offsets + np.asarray(space.choices(space.coerce(arch)))] = 1.0
    return out


def _sklearn(name: str):
    try:
        import sklearn.ensemble
        import sklearn.neural_network
    except ImportError:
        raise ConfigError("the baseline predictors need scikit-learn: pip install scikit-learn") from None
    return {"gbdt": sklearn.ensemble.HistGradientBoostingRegressor, "mlp": sklearn.neural_network.MLPRegressor}[name]


class GBDTBaseline:
    """Gradient-boosted trees (scikit-learn's histogram GBDT) on the one-hot encoding."""

    def __init__(self, space: Any, seed: int = 0, **params: Any):
        self.space = space
        defaults = {"max_iter": 300, "learning_rate": 0.05, "min_samples_leaf": 3, "random_state": seed}
        self.model = _sklearn("gbdt")(**{**defaults, **params})

    def fit(self, archs: Sequence[Any], y: Sequence[float]) -> GBDTBaseline:
        self.model.fit(onehot(self.space, archs), np.asarray(y, dtype=np.float64))
        return self

    def predict(self, archs: Sequence[Any]) -> np.ndarray:
        return self.model.predict(onehot(self.space, archs))


class MLPBaseline:
    """A two-layer MLP (scikit-learn) on the one-hot encoding, targets standardised."""

    def __init__(self, space: Any, seed: int = 0, **params: Any):
        self.space = space
        defaults = {"hidden_layer_sizes": (128, 128), "alpha": 1e-3, "max_iter": 2000, "random_state": seed}
        self.model = _sklearn("mlp")(**{**defaults, **params})
        self.mean, self.std = 0.0, 1.0

    def fit(self, archs: Sequence[Any], y: Sequence[float]) -> MLPBaseline:
        y = np.asarray(y, dtype=np.float64)
        self.mean, self.std = float(y.mean()), float(y.std()) or 1.0
        self.model.fit(onehot(self.space, archs), (y - self.mean) / self.std)
        return self

    def predict(self, archs: Sequence[Any]) -> np.ndarray:
        return self.model.predict(onehot(self.space, archs)) * self.std + self.mean
