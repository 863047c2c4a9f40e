"""Multi-objective search: several objectives at once (e.g. accuracy, maximised, and
latency, minimised), and the Pareto front of what was found.

``search.run(strategy, bench, objectives=[("accuracy", "max"), ("latency", "min")],
latency_table=table, budget=100)`` reads each objective from the latency table
(``latency``), from ``objective_metrics`` (``{name: fn(archs) -> values}``) or from the
benchmark, and returns a :class:`ParetoTrajectory`. A query is one arch, evaluated on every
objective. Strategies (:data:`PARETO_STRATEGIES`):

* ``random``: uniform archs without replacement;
* ``re``: aging evolution whose tournaments pick the parent by non-dominated rank within
  the population, then crowding distance (NSGA-II's order);
* ``diffusion``: the generator, each round guided by a Chebyshev scalarisation of the
  objectives with weights swept over the rounds; objectives a latency table or a user
  function gives are read exactly, the others (a benchmark's accuracy) come from a
  predictor fit on every query so far.

Without queries, :func:`generate_front` samples a generator under the same sweep of
Chebyshev scalarisations of objectives the caller computes (a predictor's mean, a latency
table's sum) and returns the non-dominated samples.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from nag.errors import ConfigError
from nag.registry import Registry
from nag.search.oracle import BudgetExhausted
from nag.search.pareto import SENSES, crowding, fronts, hypervolume, non_dominated, oriented
from nag.search.strategies import unseen_archs

Objectives = list[tuple[str, str]]


def parse_objectives(objectives: Any) -> Objectives:
    """``[(name, "max" | "min"), ...]`` from pairs or ``"name:sense"`` strings."""
    if isinstance(objectives, (str, bytes)) or not isinstance(objectives, Sequence) or len(objectives) < 2:
        raise ConfigError(f"objectives must list at least two (name, 'max'|'min') pairs, got {objectives!r}")
    out = []
    for item in objectives:
        pair = item.split(":") if isinstance(item, str) else item
        if not isinstance(pair, Sequence) or len(pair) != 2 or pair[1] not in SENSES or not isinstance(pair[0], str):
            raise ConfigError(f"an objective is (name, 'max'|'min') or 'name:max', got {item!r}")
        out.append((str(pair[0]), str(pair[1])))
    if len({n for n, _ in out}) != len(out):
        raise ConfigError(f"objectives repeat a name: {[n for n, _ in out]}")
    return out


@dataclass
class ParetoTrajectory:
    """The archs queried, in order, with their objective values ``[n, m]``."""

    objectives: Objectives
    strategy: str = ""
    archs: list[Any] = field(default_factory=list)
    values: list[list[float]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.archs)

    @property
    def senses(self) -> list[str]:
        return [s for _, s in self.objectives]

    def points(self, upto: int | None = None) -> np.ndarray:
        """The values of the first ``upto`` queries, oriented to be minimised."""
        values = np.asarray(self.values[:upto], dtype=float).reshape(-1, len(self.objectives))
        return oriented(values, self.senses)

    def front(self, upto: int | None = None) -> tuple[list[Any], np.ndarray]:
        """The non-dominated archs among the first ``upto`` queries, with their values."""
        keep = non_dominated(self.points(upto))
        values = np.asarray(self.values[:upto], dtype=float).reshape(-1, len(self.objectives))
        return [a for a, k in zip(self.archs, keep) if k], values[keep]

    def hypervolume(self, reference: Sequence[float], upto: int | None = None) -> float:
        """The hypervolume of the first ``upto`` queries against ``reference``, given in the
        objectives' own units (e.g. ``[accuracy 0, latency 20 ms]``: worse than any point)."""
        if len(reference) != len(self.objectives):
            raise ConfigError(f"the reference point needs {len(self.objectives)} values, got {list(reference)}")
        ref = oriented(np.asarray([reference], dtype=float), self.senses)[0]
        return hypervolume(self.points(upto), ref)

    def to_dict(self, to_str: Callable[[Any], str] = str) -> dict[str, Any]:
        return {"strategy": self.strategy, "objectives": [list(o) for o in self.objectives],
                "archs": [to_str(a) for a in self.archs], "values": self.values}  # fmt: skip


class ParetoOracle:
    """Answers queries with every objective's value and records a :class:`ParetoTrajectory`;
    a repeated arch is answered from memory and does not count against the budget."""

    batch_size = 1

    def __init__(self, fn: Callable[[list[Any]], np.ndarray], space: Any, budget: int, objectives: Objectives,
                 strategy: str = "", on_query: Callable[[], Any] | None = None):  # fmt: skip
        self.fn, self.space, self.budget, self.objectives = fn, space, budget, objectives
        self.trajectory = ParetoTrajectory(objectives, strategy)
        self._seen: dict[Any, np.ndarray] = {}
        self.on_query = on_query

    @property
    def remaining(self) -> int:
        return self.budget - len(self.trajectory)

    def seen(self, arch: Any) -> bool:
        return self.space.coerce(arch) in self._seen

    def query_many(self, archs: Sequence[Any]) -> np.ndarray:
        """``[len(archs), m]`` values, oriented to be minimised; :class:`BudgetExhausted`
        after recording those that fit in the budget, if not all did."""
        archs = [self.space.coerce(a) for a in archs]
        new = [a for a in dict.fromkeys(archs) if a not in self._seen][: max(self.remaining, 0)]
        if new:
            values = np.asarray(self.fn(new), dtype=float)
            if values.shape != (len(new), len(self.objectives)):
                raise ConfigError(f"the objectives returned shape {values.shape} for {len(new)} archs")
            for arch, row in zip(new, values):
                self._seen[arch] = oriented(row[None], self.trajectory.senses)[0]
                self.trajectory.archs.append(arch)
                self.trajectory.values.append([float(v) for v in row])
                if self.on_query:
                    self.on_query()
        if any(a not in self._seen for a in archs):
            raise BudgetExhausted
        return np.array([self._seen[a] for a in archs])


def random_pareto(oracle: ParetoOracle, rng: np.random.Generator) -> None:
    """Uniform archs without replacement."""
    fresh = unseen_archs(oracle, rng)  # type: ignore[arg-type]  # it reads .space and .seen only
    while batch := list(itertools.islice(fresh, 16)):
        oracle.query_many(batch)


def nsga_evolution(oracle: ParetoOracle, rng: np.random.Generator, population: int = 20, sample_size: int = 5,
                   max_mutation_tries: int = 20) -> None:  # fmt: skip
    """Aging evolution with NSGA-II's order: a tournament's parent is its member of lowest
    non-dominated rank in the population, ties broken by the larger crowding distance."""
    if population < 2 or not 1 <= sample_size <= population:
        raise ConfigError(f"need population >= 2 and 1 <= sample_size <= population, got {population}, {sample_size}")
    fresh = unseen_archs(oracle, rng)  # type: ignore[arg-type]
    first = list(itertools.islice(fresh, population))
    alive: deque[tuple[Any, np.ndarray]] = deque(zip(first, oracle.query_many(first)))
    while True:
        points = np.array([p for _, p in alive])
        rank, crowd = fronts(points), crowding(points)
        picks = rng.choice(len(alive), size=min(sample_size, len(alive)), replace=False)
        parent = alive[min(picks, key=lambda i: (rank[i], -crowd[i]))][0]
        mutants = (oracle.space.mutate(parent, rng) for _ in range(max_mutation_tries))
        child = next((c for c in mutants if not oracle.seen(c)), None)
        if child is None:
            child = next(fresh)
        alive.append((child, oracle.query_many([child])[0]))
        alive.popleft()


def diffusion_pareto(oracle: ParetoOracle, rng: np.random.Generator, exact: Mapping[str, Callable] | None = None,
                     batch: int = 10, initial: int = 10, candidates: int = 64, weights: int = 5, epochs: int = 60,
                     generator: Any = None) -> None:  # fmt: skip
    """Generator-driven Pareto search (see the module docstring).

    Args:
        exact: objectives known without a query, ``{name: fn(archs) -> values}`` (the
            latency table's, a user's function); the rest are predicted.
        batch: archs queried per round after the first.
        initial: unguided archs queried in the first round.
        candidates: guided samples drawn per round (the batch is their best by the round's
            scalarisation).
        weights: scalarisation weights swept, round by round, from the first objective to
            the last.
        epochs: training epochs of the predictor refit each round.
        generator: a :class:`nag.Generator` of the space (default: the shipped one).
    """
    from nag.generator import Generator
    from nag.generator.feasible import FeasibleSpace
    from nag.guidance import RewardGuidance
    from nag.predictors import Predictor
    from nag.search.diffusion import SEARCH_PREDICTOR

    if batch < 1 or initial < 2 or candidates < batch or weights < 2:
        raise ConfigError(f"need batch >= 1, initial >= 2, candidates >= batch and weights >= 2, "
                          f"got {batch}, {initial}, {candidates}, {weights}")  # fmt: skip
    space, exact = oracle.space, dict(exact or {})
    within = space.sample_options() if isinstance(space, FeasibleSpace) else {}
    if generator is None:
        shipped = space.defaults.generator
        generator = Generator.from_pretrained(shipped) if shipped is not None else Generator.fit(space.base if within else space)
    names, senses = [n for n, _ in oracle.objectives], oracle.trajectory.senses
    sign = np.array([-1.0 if s == "max" else 1.0 for s in senses])

    def seed() -> int:
        return int(rng.integers(0, 2**31))

    first = [a for a in dict.fromkeys(generator.sample(4 * initial, seed=seed(), **within)) if not oracle.seen(a)]
    oracle.query_many(first[:initial])
    for round_ in itertools.count():
        archs, points = oracle.trajectory.archs, oracle.trajectory.points()
        learned = {}
        for j, name in enumerate(names):
            if name not in exact:
                y = np.nan_to_num(-points[:, j], nan=np.nanmin(-points[:, j]))  # larger is better for the predictor
                learned[j] = Predictor(space=space, seed=seed(), epochs=epochs, **SEARCH_PREDICTOR).fit(archs, y)

        def estimate(items: list[Any]) -> np.ndarray:
            cols = [
                -np.asarray(learned[j].predict(items)[0], dtype=float) if j in learned else sign[j] * np.asarray(exact[n](items), dtype=float)
                for j, n in enumerate(names)
            ]  # fmt: skip
            return np.stack(cols, axis=1)

        low, high = np.nanmin(points, axis=0), np.nanmax(points, axis=0)
        w = _weights(round_ % weights, weights, len(names))

        def score(items: list[Any]) -> np.ndarray:
            return chebyshev_score(estimate(items), w, low, high)

        guide = RewardGuidance(score, candidates=4)
        pool = [a for a in dict.fromkeys(generator.sample(candidates, guidance=guide, seed=seed(), exclude=archs, **within))
                if not oracle.seen(a)]  # fmt: skip
        if not pool:
            pool = list(itertools.islice(unseen_archs(oracle, rng), batch))  # type: ignore[arg-type]
        order = np.argsort(-score(pool), kind="stable")
        oracle.query_many([pool[i] for i in order[:batch]])


def _weights(step: int, steps: int, m: int) -> np.ndarray:
    """The ``step``-th of ``steps`` weight vectors from the first objective to the last
    (two objectives: ``(1 - t, t)``; more: that pair, the middle ones at their mean)."""
    t = step / (steps - 1)
    w = np.full(m, 0.5)
    w[0], w[-1] = 1 - t, t
    return np.maximum(w, 1e-3)


def chebyshev(fns: Sequence[Callable[[list[Any]], Any]], senses: Sequence[str], weights: ArrayLike,
              low: ArrayLike, high: ArrayLike) -> Callable[[list[Any]], np.ndarray]:  # fmt: skip
    """A score to maximise: minus the weighted Chebyshev distance of the archs' objectives
    (each ``fns[j](archs)``, oriented by ``senses[j]``) to the ideal ``low``, every objective
    scaled by its range ``high - low`` (oriented units: smaller is better)."""

    def score(archs: list[Any]) -> np.ndarray:
        values = np.stack([np.asarray(fn(archs), dtype=float) for fn in fns], axis=1)
        return chebyshev_score(oriented(values, senses), weights, low, high)

    return score


def chebyshev_score(points: np.ndarray, weights: ArrayLike, low: ArrayLike, high: ArrayLike) -> np.ndarray:
    """Minus the weighted Chebyshev distance of ``points [n, m]`` (minimised) to ``low``,
    each objective scaled by ``high - low``: larger is better."""
    lo = np.asarray(low, dtype=float)
    span = np.maximum(np.asarray(high, dtype=float) - lo, 1e-12)
    return -np.max(np.asarray(weights, dtype=float) * (np.asarray(points, dtype=float) - lo) / span, axis=1)


def generate_front(generator: Any, objectives: Mapping[str, tuple[Callable[[list[Any]], Any], str]], n: int = 64,
                   weights: int = 5, seed: int = 0, **sample_options: Any) -> tuple[list[Any], np.ndarray]:  # fmt: skip
    """The Pareto front of ``generator`` samples guided by a Chebyshev scalarisation of
    ``objectives`` (``{name: (fn(archs) -> values, "max" | "min")}``, e.g. a predictor's
    mean and a latency table's sum), ``n`` samples at each of ``weights`` weight vectors
    swept from the first objective to the last. ``sample_options`` go to every
    ``generator.sample`` call (constraints, latency_table, allowed, ...). Returns the
    non-dominated archs and their values ``[k, m]`` in the objectives' units."""
    from nag.guidance import RewardGuidance

    if weights < 2 or len(objectives) < 2:
        raise ConfigError(f"need at least 2 objectives and 2 weights, got {len(objectives)} and {weights}")
    fns, senses = [f for f, _ in objectives.values()], [s for _, s in objectives.values()]
    probe = list(dict.fromkeys(generator.sample(n, seed=seed, **sample_options)))  # unguided: the objectives' ranges
    points = oriented(np.stack([np.asarray(f(probe), dtype=float) for f in fns], axis=1), senses)
    low, high = points.min(axis=0), points.max(axis=0)
    archs = list(probe)
    for k in range(weights):
        guide = RewardGuidance(chebyshev(fns, senses, _weights(k, weights, len(fns)), low, high))
        archs += generator.sample(n, guidance=guide, seed=seed + k + 1, **sample_options)
    archs = list(dict.fromkeys(archs))
    values = np.stack([np.asarray(f(archs), dtype=float) for f in fns], axis=1)
    keep = non_dominated(oriented(values, senses))
    return [a for a, k in zip(archs, keep) if k], values[keep]


PARETO_STRATEGIES: Registry[Callable[..., None]] = Registry("multi-objective search strategy")
PARETO_STRATEGIES.register("random", lambda: random_pareto)
PARETO_STRATEGIES.register("re", lambda: nsga_evolution)
PARETO_STRATEGIES.register("diffusion", lambda: diffusion_pareto)


def objective_fn(objectives: Objectives, bench: Any, space: Any, latency_table: Any = None,
                 objective_metrics: Mapping[str, Callable] | None = None) -> tuple[Callable[[list[Any]], np.ndarray], dict]:  # fmt: skip
    """``archs -> [n, m]`` values of the objectives, and the ones known without a
    benchmark query (``{name: fn}``: the latency table's, the user's functions)."""
    exact: dict[str, Callable] = dict(objective_metrics or {})
    if latency_table is not None and "latency" not in exact:
        from nag.latency import as_table, predict

        table = as_table(latency_table)
        exact["latency"] = lambda archs: predict(table, space, archs)
    looked_up = [n for n, _ in objectives if n not in exact]
    if looked_up and bench is None:
        raise ConfigError(f"objective(s) {looked_up} need a benchmark, a latency table or objective_metrics={{name: fn}}")
    missing = [n for n in looked_up if n not in getattr(bench, "metrics", ())]
    if missing:
        hint = " (pass latency_table=)" if "latency" in missing else ""
        raise ConfigError(f"no source for objective(s) {missing}{hint}; the benchmark has {list(getattr(bench, 'metrics', ()))}")

    def fn(archs: list[Any]) -> np.ndarray:
        cols = [np.asarray(exact[n](archs), dtype=float) if n in exact else np.asarray(bench.query_many(archs, n), dtype=float)
                for n, _ in objectives]  # fmt: skip
        return np.stack(cols, axis=1)

    return fn, exact
