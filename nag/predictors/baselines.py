"""Baseline predictors on a flat encoding of a space's archs, by name (:data:`BASELINES`).

``onehot(space, archs)`` one-hot encodes every categorical choice of the space (for
nb201: the op of each of the six edges; for nbgraph: the input of each node and its op;
for mbv3: each slot's depth, kernel and expand ratio), which for cell spaces is the
adjacency-with-ops encoding. The baselines share :class:`~nag.predictors.Predictor`'s
interface: ``fit(archs, y)``, ``predict(archs) -> (mean, std)``, ``save(folder)`` and
``load(folder)``. They need scikit-learn (``pip install scikit-learn``).

* ``gbdt``: histogram gradient-boosted trees; ``std`` is 0 (no uncertainty);
* ``mlp``: a two-layer MLP on standardised targets; ``std`` is 0;
* ``ridge``: Bayesian ridge regression, an additive model of the choices (what a
  latency, a parameter count or a MAC count is), with its predictive ``std``.

A saved baseline is its name, options, space and training set (JSON, no pickle); loading
fits it again on them, which gives the same model (the fits are seeded).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nag import spaces
from nag.atomic_write import write_json
from nag.errors import CheckpointError, ConfigError
from nag.registry import Registry

#: the format of a saved baseline's ``baseline.json``
FORMAT_VERSION = 1
FILE = "baseline.json"


def onehot(space: Any, archs: Sequence[Any]) -> np.ndarray:
    """``[n, sum(choice_sizes)]`` 0/1 matrix of the archs' choices."""
    sizes = space.choice_sizes()
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    out = np.zeros((len(archs), int(sum(sizes))), dtype=np.float32)
    for row, arch in enumerate(archs):
        out[row, offsets + np.asarray(space.choices(space.coerce(arch)))] = 1.0
    return out


def _sklearn(name: str) -> Any:
    try:
        import sklearn.ensemble
        import sklearn.linear_model
        import sklearn.neural_network
    except ImportError:
        raise ConfigError("the baseline predictors need scikit-learn: pip install scikit-learn") from None
    return {"gbdt": sklearn.ensemble.HistGradientBoostingRegressor, "mlp": sklearn.neural_network.MLPRegressor,
            "ridge": sklearn.linear_model.BayesianRidge}[name]  # fmt: skip


class OneHotBaseline:
    """A scikit-learn regressor on :func:`onehot`, targets standardised.

    Args:
        space: the space of the archs (a name or a space).
        seed: the regressor's seed.
        **params: options of the regressor, over the baseline's defaults.
    """

    name = ""
    defaults: dict[str, Any] = {}

    def __init__(self, space: Any, seed: int = 0, **params: Any):
        self.space = spaces.get(space) if isinstance(space, str) else space
        self.seed, self.params = int(seed), dict(params)
        options = {**self.defaults, **params}
        if self.name != "ridge":
            options["random_state"] = self.seed
        self.model = _sklearn(self.name)(**options)
        self.mean, self.std = 0.0, 1.0
        self._train: tuple[list[str], list[float]] | None = None

    def fit(self, archs: Sequence[Any], y: Sequence[float]) -> OneHotBaseline:
        labels = np.asarray(y, dtype=np.float64).reshape(-1)
        if len(labels) != len(archs) or len(labels) < 2 or not np.isfinite(labels).all():
            raise ConfigError(
                f"need at least 2 archs with one finite label each, got {len(archs)} archs and {len(labels)} labels"
            )
        self.mean, self.std = float(labels.mean()), float(labels.std()) or 1.0
        self.model.fit(onehot(self.space, archs), (labels - self.mean) / self.std)
        self._train = ([self.space.to_str(self.space.coerce(a)) for a in archs], labels.tolist())
        return self

    def predict(self, archs: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, std)`` per arch, in the labels' units."""
        if self._train is None:
            raise ConfigError(f"the {self.name} baseline is not fitted; call fit(archs, y) first")
        mean, std = self._raw(onehot(self.space, archs))
        return mean * self.std + self.mean, std * self.std

    def _raw(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean = self.model.predict(x)
        return mean, np.zeros_like(mean)

    def save(self, folder: Path | str) -> Path:
        """Write ``folder/baseline.json``: name, options, space and training set."""
        if self._train is None:
            raise ConfigError(f"the {self.name} baseline is not fitted; there is nothing to save")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        archs, y = self._train
        config = {"format_version": FORMAT_VERSION, "kind": "baseline", "baseline": self.name, "seed": self.seed,
                  "params": self.params, **spaces.record(self.space), "archs": archs, "y": y}  # fmt: skip
        write_json(folder / FILE, config)
        return folder

    @classmethod
    def load(cls, folder: Path | str) -> OneHotBaseline:
        """The baseline saved in ``folder`` by :meth:`save`, fitted again on its training set."""
        path = Path(folder) / FILE
        try:
            config = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise CheckpointError(f"{path} cannot be read as a saved baseline: {e}") from None
        if (
            not isinstance(config, dict)
            or config.get("format_version") != FORMAT_VERSION
            or config.get("baseline") not in BASELINES
        ):
            raise CheckpointError(f"{path} is not a saved baseline of format version {FORMAT_VERSION}")
        try:
            space = spaces.from_record(config["space"], config.get("space_document"))
            return make(config["baseline"], space, config["seed"], **config["params"]).fit(config["archs"], config["y"])
        except (KeyError, TypeError, ConfigError) as e:
            raise CheckpointError(f"{path} does not describe a baseline: {e}") from None


class GBDTBaseline(OneHotBaseline):
    """Gradient-boosted trees (scikit-learn's histogram GBDT) on the one-hot encoding."""

    name = "gbdt"
    defaults = {"max_iter": 300, "learning_rate": 0.05, "min_samples_leaf": 3}


class MLPBaseline(OneHotBaseline):
    """A two-layer MLP (scikit-learn) on the one-hot encoding, targets standardised."""

    name = "mlp"
    defaults = {"hidden_layer_sizes": (128, 128), "alpha": 1e-3, "max_iter": 2000}


class RidgeBaseline(OneHotBaseline):
    """Bayesian ridge regression on the one-hot encoding: one additive term per option."""

    name = "ridge"

    def _raw(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, std = self.model.predict(x, return_std=True)
        return mean, std


#: baseline predictors by name: ``BASELINES.get(name)`` is the class (see :func:`make`)
BASELINES: Registry[Callable[..., OneHotBaseline]] = Registry("baseline predictor")
for _cls in (GBDTBaseline, MLPBaseline, RidgeBaseline):
    BASELINES.register(_cls.name, lambda c=_cls: c)  # type: ignore[misc]


def make(name: str, space: Any, seed: int = 0, **params: Any) -> OneHotBaseline:
    """The unfitted baseline ``name`` (``UnknownNameError`` listing them)."""
    return BASELINES.get(name)(space, seed=seed, **params)
