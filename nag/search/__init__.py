"""Search strategies over any benchmark or objective: ``nag.search.run``."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

from nag import seeds
from nag.errors import ConfigError
from nag.generator.feasible import FeasibleSpace, feasible
from nag.registry import Registry
from nag.search.multi import PARETO_STRATEGIES, ParetoOracle, ParetoTrajectory, objective_fn, parse_objectives
from nag.search.oracle import BudgetExhausted, Oracle, make_oracle
from nag.search.strategies import local_search, random_search, regularized_evolution
from nag.search.trajectory import Trajectory
from nag.type_checks import describe, fits

STRATEGIES: Registry[Callable[..., None]] = Registry("strategy")


def register(name: str, strategy: Callable[..., None]) -> None:
    """Plug in a strategy ``fn(oracle, rng, **options)`` under ``name``."""
    STRATEGIES.register(name, lambda: strategy)


def names() -> list[str]:
    return STRATEGIES.names()


def strategy_options(name: str) -> dict[str, Any]:
    """The options a strategy takes, with their defaults."""
    params = list(inspect.signature(STRATEGIES.get(name)).parameters.values())[2:]
    return {p.name: p.default for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}


def run(strategy: str, bench: Any, metric: str | None = None, budget: int = 100, seed: int | None = 0,
        maximize: bool = True, space: Any = None, progress: bool = False, outside: str = "skip",
        constraints: Any = None, allowed: Any = None, constraint_metrics: Any = None, latency_table: Any = None,
        objectives: Any = None, objective_metrics: Any = None, **options: Any) -> Any:  # fmt: skip
    """Search ``bench`` with ``strategy`` for at most ``budget`` distinct queries.

    Args:
        strategy: a registered name (``"random"``, ``"re"``, ``"local"``, ...).
        bench: a :class:`~nag.bench.Benchmark`, a benchmark name, or any callable
            ``archs -> values`` (then ``space=`` is required).
        metric: the benchmark metric to optimise (default: the benchmark's default).
        budget: the number of distinct archs that may be queried.
        seed: seed of the strategy's random choices.
        maximize: whether larger values are better.
        space: the search space (a ``SearchSpace`` or its name) when ``bench`` is a callable.
        progress: show a progress bar over queries.
        outside: for a benchmark that holds only part of its space (a user's table):
            ``"skip"`` searches within its archs, ``"nan"`` over the whole space, the archs
            it lacks scoring NaN (the worst).
        constraints: hard constraints every queried arch meets, e.g. ``{"flops": "<=3e8"}``
            (as in ``Generator.sample``; read from ``constraint_metrics``, else the space's
            benchmark, else its analytic costs).
        allowed: options some choices are kept to, e.g. ``{"op": ["skip_connect", "nor_conv_3x3"]}``
            (:mod:`nag.spaces.allowed`). With either, every strategy searches the
            :class:`~nag.generator.feasible.FeasibleSpace` and the oracle refuses any other arch.
        constraint_metrics: a Benchmark, ``{name: fn(archs)}`` or ``fn(archs) -> {name: values}``.
        latency_table: a :class:`~nag.latency.LatencyTable` of the space (or its file), for
            constraints on ``latency`` (ms), bounded exactly, and for a ``latency`` objective.
        objectives: several objectives at once, e.g. ``[("accuracy", "max"), ("latency",
            "min")]``: the search is multi-objective (:mod:`nag.search.multi`; ``metric`` and
            ``maximize`` do not apply) and returns a :class:`~nag.search.multi.ParetoTrajectory`.
        objective_metrics: ``{name: fn(archs) -> values}`` for objectives neither the
            benchmark nor the latency table gives (``bench`` may then be ``None``).
        **options: strategy options (e.g. ``population``, ``sample_size`` for ``"re"``).

    Returns:
        The :class:`Trajectory` of queries, in order; it stops early only if the space
        holds fewer archs than the budget.
    """
    if isinstance(bench, str):
        from nag import bench as benchmarks

        bench = benchmarks.load(bench)
    if objectives is not None:
        return _run_pareto(strategy, bench, objectives, budget, seed, space, progress, options,
                           {"constraints": constraints, "allowed": allowed, "metrics": constraint_metrics,
                            "latency_table": latency_table}, objective_metrics)  # fmt: skip
    fn = STRATEGIES.get(strategy)
    known = strategy_options(strategy)
    takes_any = any(p.kind == p.VAR_KEYWORD for p in inspect.signature(fn).parameters.values())
    unknown = set() if takes_any else set(options) - set(known)
    if unknown:
        raise ConfigError(f"strategy {strategy!r} has no option(s) {sorted(unknown)}; it takes: {sorted(known) or 'none'}")
    _check_option_types(strategy, options)
    rng = seeds.rng(seed)
    oracle = make_oracle(bench, metric, space, budget, maximize, strategy, outside)
    oracle.space = feasible(oracle.space, constraints, allowed, constraint_metrics, latency_table)
    bar = _LazyBar(budget, f"search {strategy}") if progress else None
    if bar is not None:
        oracle.on_query = bar.update
    try:
        fn(oracle, rng, **options)
    except (BudgetExhausted, StopIteration):
        pass
    finally:
        if bar is not None:
            bar.close()
    return oracle.trajectory


def _run_pareto(strategy: str, bench: Any, objectives: Any, budget: int, seed: int | None, space: Any, progress: bool,
                options: dict[str, Any], restrict: dict[str, Any], objective_metrics: Any) -> ParetoTrajectory:  # fmt: skip
    """:func:`run` with several objectives (see :mod:`nag.search.multi`)."""
    from nag import spaces

    parsed = parse_objectives(objectives)
    fn = PARETO_STRATEGIES.get(strategy)
    known = [p for p in list(inspect.signature(fn).parameters)[2:] if p != "exact"]
    unknown = set(options) - set(known)
    if unknown:
        raise ConfigError(
            f"multi-objective strategy {strategy!r} has no option(s) {sorted(unknown)}; it takes: {known or 'none'}"
        )
    if bench is not None and not hasattr(bench, "query_many"):
        raise ConfigError(f"a multi-objective search reads a Benchmark (or objective_metrics=), got {type(bench).__name__}")
    base = bench.space if bench is not None else (spaces.get(space) if isinstance(space, str) else space)
    if base is None:
        raise ConfigError("a multi-objective search without a benchmark needs space=")
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
        raise ConfigError(f"budget must be a positive integer, got {budget!r}")
    values, exact = objective_fn(parsed, bench, base, restrict["latency_table"], objective_metrics)
    searched = feasible(base, restrict["constraints"], restrict["allowed"], restrict["metrics"], restrict["latency_table"])
    oracle = ParetoOracle(values, searched, budget, parsed, strategy)
    bar = _LazyBar(budget, f"pareto {strategy}") if progress else None
    if bar is not None:
        oracle.on_query = bar.update
    try:
        fn(oracle, seeds.rng(seed), **({"exact": exact} if strategy == "diffusion" else {}), **options)
    except (BudgetExhausted, StopIteration):
        pass
    finally:
        if bar is not None:
            bar.close()
    return oracle.trajectory


def _check_option_types(strategy: str, options: dict[str, Any]) -> None:
    """``ConfigError`` for an option whose value is not of the strategy's annotated type."""
    hints = typing.get_type_hints(STRATEGIES.get(strategy))
    for name, value in options.items():
        hint = hints.get(name, Any)
        if not fits(hint, value):
            raise ConfigError(f"strategy {strategy!r}: option {name} must be {describe(hint)}, got {value!r:.60}")


class _LazyBar:
    """A progress bar over queries that appears at the first query, so a strategy that
    refuses its options prints nothing but its error."""

    def __init__(self, total: int, desc: str):
        self.total, self.desc, self._bar = total, desc, None

    def update(self, n: int = 1) -> None:
        if self._bar is None:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.total, desc=self.desc, unit="query")
        self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


register("random", random_search)
register("re", regularized_evolution)
register("local", local_search)


def _diffusion() -> Callable[..., None]:
    from nag.search.diffusion import diffusion_search  # pulls in the generator and predictors only when used

    return diffusion_search


STRATEGIES.register("diffusion", _diffusion)

__all__ = [
    "run",
    "names",
    "register",
    "strategy_options",
    "Trajectory",
    "Oracle",
    "BudgetExhausted",
    "FeasibleSpace",
    "feasible",
    "ParetoTrajectory",
    "PARETO_STRATEGIES",
]
