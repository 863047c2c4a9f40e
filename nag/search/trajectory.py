"""``Trajectory``: what a search queried, in order, and the best value so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nag.errors import ConfigError


@dataclass
class Trajectory:
    """One entry per query, in query order (no arch appears twice).

    Attributes:
        archs: the queried archs.
        values: their values, in the oracle's units.
        best_so_far: after each query, the best value seen so far.
        maximize: whether larger values are better.
        strategy: the strategy's name.
    """

    archs: list[Any] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    best_so_far: list[float] = field(default_factory=list)
    maximize: bool = True
    strategy: str = ""

    def append(self, arch: Any, value: float) -> None:
        previous = self.best_so_far[-1] if self.best_so_far else float("nan")
        if np.isnan(previous):
            best = value
        elif np.isnan(value):
            best = previous
        else:
            best = max(previous, value) if self.maximize else min(previous, value)
        self.archs.append(arch)
        self.values.append(float(value))
        self.best_so_far.append(float(best))

    def __len__(self) -> int:
        return len(self.archs)

    @property
    def best(self) -> tuple[Any, float]:
        """The best arch and its value."""
        values = np.asarray(self.values)
        i = int(np.nanargmax(values) if self.maximize else np.nanargmin(values))
        return self.archs[i], self.values[i]

    def queries_to_reach(self, target: float) -> int | None:
        """Number of queries after which the best value reached ``target`` (None if never)."""
        for i, best in enumerate(self.best_so_far):
            if (best >= target) if self.maximize else (best <= target):
                return i + 1
        return None

    def best_after(self, queries: int) -> float:
        """Best value after ``queries`` queries (the last one if the search was shorter)."""
        if queries < 1 or not self.best_so_far:
            raise ConfigError(f"best_after needs queries >= 1 on a non-empty trajectory (got {queries}, length {len(self)})")
        return self.best_so_far[min(queries, len(self)) - 1]

    def to_dict(self, to_str=str) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "maximize": self.maximize,
            "archs": [to_str(a) for a in self.archs],
            "values": self.values,
            "best_so_far": self.best_so_far,
        }
