"""``Oracle``: the one place a search asks for values, with a query budget and no repeats."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nag.bench.benchmark import Benchmark
from nag.errors import ConfigError
from nag.search.trajectory import Trajectory
from nag.spaces.base import SearchSpace


class BudgetExhausted(Exception):
    """Raised inside a strategy when the query budget is spent (caught by ``run``)."""


class Oracle:
    """Answers queries for a search and records them into a :class:`Trajectory`.

    A repeated arch is answered from memory and does not count against the budget,
    so a trajectory never holds an arch twice.

    Args:
        fn: ``archs -> values`` (one value per arch).
        space: the search space of the archs.
        budget: the number of distinct archs that may be queried.
        maximize: whether larger values are better.
        on_query: called after every counted query (a progress bar's ``update``).
        metric: the benchmark metric ``fn`` answers (``None`` for a user's objective).
    """

    def __init__(self, fn: Callable[[list[Any]], Sequence[float] | np.ndarray], space: SearchSpace, budget: int, maximize: bool = True,
                 on_query: Callable[[], Any] | None = None, strategy: str = "", metric: str | None = None):  # fmt: skip
        self.fn, self.space, self.budget, self.maximize, self.metric = fn, space, budget, maximize, metric
        self.trajectory = Trajectory(maximize=maximize, strategy=strategy)
        self._seen: dict[Any, float] = {}
        self.on_query = on_query

    @property
    def remaining(self) -> int:
        return self.budget - len(self.trajectory)

    def seen(self, arch: Any) -> bool:
        return self.space.coerce(arch) in self._seen

    def __call__(self, arch: Any) -> float:
        """The value of ``arch``; raises :class:`BudgetExhausted` when none is left."""
        return self.query_many([arch])[0]

    @property
    def batch_size(self) -> int:
        """How many archs the objective evaluates at once (its ``workers``; 1 if it does not say)."""
        return max(1, int(getattr(self.fn, "workers", 1)))

    def query_many(self, archs: Sequence[Any]) -> list[float]:
        """The values of ``archs``, the unseen ones asked of the objective in one call (so a
        parallel objective trains them together). Raises :class:`BudgetExhausted` after
        recording those that fit in the budget, if not all did."""
        archs = [self.space.coerce(a) for a in archs]
        new = [a for a in dict.fromkeys(archs) if a not in self._seen][: max(self.remaining, 0)]
        if new:
            values = np.asarray(self.fn(new), dtype=np.float64).reshape(-1)
            if values.shape != (len(new),):
                raise ConfigError(f"the objective returned {values.size} values for {len(new)} archs")
            for arch, value in zip(new, values):
                self._seen[arch] = float(value)
                self.trajectory.append(arch, float(value))
                if self.on_query:
                    self.on_query()
        if any(a not in self._seen for a in archs):
            raise BudgetExhausted
        return [self._seen[a] for a in archs]

    def score(self, value: float) -> float:
        """``value`` oriented so that larger is better (NaN counts as the worst)."""
        if np.isnan(value):
            return -np.inf
        return value if self.maximize else -value


#: what a search over a benchmark does with the archs its table lacks
OUTSIDE = ("skip", "nan")


def make_oracle(bench: Benchmark | Callable, metric: str | None, space: SearchSpace | str | None, budget: int,
                maximize: bool, strategy: str, outside: str = "skip") -> Oracle:  # fmt: skip
    """An oracle over a :class:`Benchmark` (``metric`` of it) or over any callable.

    A benchmark that holds only part of its space (a user's table) is searched within its
    archs (``outside="skip"``: the strategies see a :class:`~nag.spaces.subset.SubsetSpace`),
    or over the whole space with NaN for the archs it lacks (``outside="nan"``)."""
    from nag import spaces
    from nag.spaces.subset import SubsetSpace

    if isinstance(space, str):
        space = spaces.get(space)
    if outside not in OUTSIDE:
        raise ConfigError(f"outside must be one of {', '.join(OUTSIDE)}, got {outside!r}")
    if isinstance(bench, Benchmark):
        metric = metric or bench.default_metric
        values = bench.values(metric)  # unknown metric: fail before any work
        if space is not None and space.name != bench.space.name:
            raise ConfigError(f"benchmark {bench.name} belongs to space {bench.space.name}, not {space.name}")
        space = bench.space
        if len(bench) < space.size and outside == "skip":
            space = SubsetSpace(space, bench.archs, label=f"benchmark {bench.name}")
        fn = lambda archs: np.array([values[bench.index(a)] if a in bench else np.nan for a in archs])  # noqa: E731
    elif callable(bench):
        if space is None:
            raise ConfigError("searching over a callable needs space= (a SearchSpace or its name)")
        fn, metric = bench, None
    else:
        raise ConfigError(f"bench must be a Benchmark or a callable archs -> values, got {type(bench).__name__}")
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
        raise ConfigError(f"budget must be a positive integer, got {budget!r}")
    return Oracle(fn, space, budget, maximize, strategy=strategy, metric=metric)
