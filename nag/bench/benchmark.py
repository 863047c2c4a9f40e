"""``Benchmark``: a table of measured metrics for the archs of one search space."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from nag.errors import ConfigError, InvalidArchitecture, UnknownNameError
from nag.spaces.base import SearchSpace


class Benchmark:
    """Measured metrics of architectures of one space.

    Args:
        name: the benchmark's name.
        space: the search space its archs belong to.
        archs: the archs, one per row.
        metrics: metric name -> values, one per row.
        default_metric: the metric used when none is named (default: the only metric, else
            ``accuracy`` where present, else none: queries must name one).
        description: one line saying where the numbers come from.
    """

    def __init__(self, name: str, space: SearchSpace, archs: Sequence[Any], metrics: Mapping[str, np.ndarray],
                 default_metric: str | None = None, description: str = ""):  # fmt: skip
        self.name, self.space, self.description = name, space, description
        self.archs: tuple[Any, ...] = tuple(archs)
        self._index = {arch: i for i, arch in enumerate(self.archs)}
        if len(self._index) != len(self.archs):
            raise InvalidArchitecture(f"benchmark {name} lists an arch twice")
        self._values = {k: np.asarray(v, dtype=np.float64) for k, v in metrics.items()}
        for metric, values in self._values.items():
            if values.shape != (len(self.archs),):
                raise ValueError(f"metric {metric} has {values.shape} values for {len(self.archs)} archs")
        if not self._values:
            raise ValueError(f"benchmark {name} has no metric")
        if default_metric is None and len(self._values) == 1:
            default_metric = next(iter(self._values))
        elif default_metric is None and "accuracy" in self._values:
            default_metric = "accuracy"
        if default_metric is not None and default_metric not in self._values:
            raise UnknownNameError(f"metric of {name}", default_metric, self._values)
        #: the metric used when none is named; ``None`` when there are several and none is
        #: ``accuracy`` (then every query must name one)
        self.default_metric: str | None = default_metric

    @property
    def metrics(self) -> list[str]:
        return list(self._values)

    def __len__(self) -> int:
        return len(self.archs)

    def __contains__(self, item: Any) -> bool:
        try:
            return self.space.coerce(item) in self._index
        except InvalidArchitecture:
            return False

    def __repr__(self) -> str:
        return f"Benchmark({self.name!r}, space={self.space.name!r}, archs={len(self)}, metrics={self.metrics})"

    def values(self, metric: str | None = None) -> np.ndarray:
        """All values of ``metric``, in :attr:`archs` order (read-only)."""
        metric = self.default_metric if metric is None else metric
        if metric is None:
            raise ConfigError(f"benchmark {self.name} has several metrics ({', '.join(self._values)}); say which with metric=")
        if not isinstance(metric, str) or metric not in self._values:
            raise UnknownNameError(f"metric of {self.name}", metric, self._values)
        out = self._values[metric].view()
        out.flags.writeable = False
        return out

    def index(self, arch: Any) -> int:
        """Row of ``arch`` (an arch, its string or its ``CompGraph``)."""
        canonical = self.space.coerce(arch)
        try:
            return self._index[canonical]
        except KeyError:
            raise InvalidArchitecture(f"{self.space.to_str(canonical)} has no entry in benchmark {self.name}") from None

    def query(self, arch: Any, metric: str | None = None) -> float:
        """The measured ``metric`` of ``arch``."""
        return float(self.values(metric)[self.index(arch)])

    def query_many(self, archs: Iterable[Any], metric: str | None = None) -> np.ndarray:
        values = self.values(metric)
        return np.array([values[self.index(a)] for a in archs], dtype=np.float64)

    def table(self, metric: str | None = None) -> tuple[list[Any], np.ndarray]:
        """``(archs, values)`` of every row, values as a fresh numpy array."""
        return list(self.archs), np.array(self.values(metric))

    def best(self, metric: str | None = None, maximize: bool = True) -> tuple[Any, float]:
        values = self.values(metric)
        i = int(np.nanargmax(values) if maximize else np.nanargmin(values))
        return self.archs[i], float(values[i])

    def rank(self, value: float, metric: str | None = None, maximize: bool = True) -> int:
        """How many archs are strictly better than ``value`` (0 for the best)."""
        values = self.values(metric)
        return int(np.sum(values > value) if maximize else np.sum(values < value))

    def threshold(self, top_fraction: float, metric: str | None = None, maximize: bool = True) -> float:
        """The value an arch must reach to be in the best ``top_fraction`` of the table
        (the value of the ``ceil(top_fraction * n)``-th best arch)."""
        if isinstance(top_fraction, bool) or not isinstance(top_fraction, (int, float)) or not 0.0 < top_fraction <= 1.0:
            raise ConfigError(f"top_fraction must be a number in (0, 1], got {top_fraction!r:.60}")
        values = np.sort(self.values(metric)[~np.isnan(self.values(metric))])
        if maximize:
            values = values[::-1]
        k = max(1, int(np.ceil(top_fraction * len(values))))
        return float(values[k - 1])

    def summary(self, metric: str | None = None, maximize: bool = True) -> dict[str, Any]:
        """Size, best arch and value, and quantiles of ``metric``."""
        metric = metric or self.default_metric
        values = self.values(metric)
        arch, best = self.best(metric, maximize)
        return {
            "benchmark": self.name,
            "space": self.space.name,
            "size": len(self),
            "metric": metric,
            "best_arch": self.space.to_str(arch),
            "best": best,
            "top_0.1%": self.threshold(0.001, metric, maximize),
            "top_1%": self.threshold(0.01, metric, maximize),
            "top_5%": self.threshold(0.05, metric, maximize),
            "median": float(np.nanmedian(values)),
            "worst": float(np.nanmin(values) if maximize else np.nanmax(values)),
        }
