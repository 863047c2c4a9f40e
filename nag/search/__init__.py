"""Search strategies over any benchmark or objective: ``nag.search.run``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any


from nag import seeds
from nag.errors import ConfigError
from nag.registry import Registry
from nag.search.oracle import BudgetExhausted, Oracle, make_oracle
from nag.search.strategies import local_search, random_search, regularized_evolution
from nag.search.trajectory import Trajectory

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
        maximize: bool = True, space: Any = None, progress: bool = False, **options: Any) -> Trajectory:  # fmt: skip
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
        **options: strategy options (e.g. ``population``, ``sample_size`` for ``"re"``).

    Returns:
        The :class:`Trajectory` of queries, in order; it stops early only if the space
        holds fewer archs than the budget.
    """
    if isinstance(bench, str):
        from nag import bench as benchmarks

        bench = benchmarks.load(bench)
    fn = STRATEGIES.get(strategy)
    allowed = strategy_options(strategy)
    takes_any = any(p.kind == p.VAR_KEYWORD for p in inspect.signature(fn).parameters.values())
    unknown = set() if takes_any else set(options) - set(allowed)
    if unknown:
        raise ConfigError(f"strategy {strategy!r} has no option(s) {sorted(unknown)}; it takes: {sorted(allowed) or 'none'}")
    rng = seeds.rng(seed)
    oracle = make_oracle(bench, metric, space, budget, maximize, strategy)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=budget, desc=f"search {strategy}", unit="query")
        oracle.on_query = bar.update
    try:
        fn(oracle, rng, **options)
    except (BudgetExhausted, StopIteration):
        pass
    finally:
        if bar is not None:
            bar.close()
    return oracle.trajectory


register("random", random_search)
register("re", regularized_evolution)
register("local", local_search)


def _diffusion() -> Callable[..., None]:
    from nag.search.diffusion import diffusion_search  # pulls in the generator and predictors only when used

    return diffusion_search


STRATEGIES.register("diffusion", _diffusion)

__all__ = ["run", "names", "register", "strategy_options", "Trajectory", "Oracle", "BudgetExhausted"]
