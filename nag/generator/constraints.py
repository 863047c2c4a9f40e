"""Hard constraints on generated archs, e.g. ``{"params": ("<=", 1e6), "flops": "<=2e8"}``.

How a constraint is met depends on the space and the metric:

* **a space small enough to list:** the metric is evaluated once on every arch, the archs
  that pass form the sampler's :class:`~nag.diffusion.ValidSet`, and the sampler can only
  complete assignments inside it (exact);
* **a larger space, an additive cost** of its analytic cost model (``space.cost_names``,
  e.g. params and MACs) or an added one (a latency table's ``latency``, :mod:`nag.latency`): a bound on a sum over the choices, kept reachable slot by slot
  through the cheapest and the dearest completion of every prefix
  (:class:`~nag.diffusion.DiagramSet`; exact: every output meets it, no arch that meets
  it is ruled out);
* **a larger space, any other metric** (a user function in ``metrics=``): rejection. The
  generator draws, keeps the archs that pass, and draws again a bounded number of times;
  if too few pass it says how many of the drawn archs met the constraint.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from nag.errors import ConfigError

OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq,
}  # fmt: skip
_TEXT = re.compile(r"^\s*(<=|>=|==|<|>)\s*(\S+)\s*$")


def parse(constraints: Mapping[str, Any] | None) -> dict[str, tuple[str, float]]:
    """``{metric: (op, bound)}`` from tuples or strings like ``"<=1e6"``; ConfigError if malformed."""
    if constraints is None:
        return {}
    if not isinstance(constraints, Mapping):
        raise ConfigError(f"constraints must be a mapping metric -> (op, bound), got {type(constraints).__name__}")
    parsed = {}
    for metric, spec in constraints.items():
        if isinstance(spec, str):
            match = _TEXT.match(spec)
            spec = match.groups() if match else (None, None)
        if not isinstance(spec, Sequence) or len(spec) != 2 or not isinstance(spec[0], str) or spec[0] not in OPERATORS:
            raise ConfigError(
                f"constraint on {metric!r} must be (op, bound) or 'op bound' with op one of {list(OPERATORS)}, got {spec!r}"
            )
        try:
            bound = float(spec[1])
        except (TypeError, ValueError, OverflowError):
            raise ConfigError(f"constraint on {metric!r}: bound {_short(spec[1])} is not a number a float can hold") from None
        if math.isnan(bound):
            raise ConfigError(f"constraint on {metric!r}: bound is NaN")
        parsed[str(metric)] = (spec[0], bound)
    return parsed


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def metric_values(source: Any, metric: str, archs: list[Any]) -> np.ndarray:
    """``metric`` of every arch in ``archs`` from a Benchmark, a mapping name -> fn, or a fn -> dict."""
    if hasattr(source, "table") and hasattr(source, "metrics"):
        if metric not in source.metrics:
            raise ConfigError(f"benchmark {source.name} has no metric {metric!r}; it has {source.metrics}")
        index = dict(zip(*source.table(metric)))
        return np.array([index.get(a, np.nan) for a in archs], dtype=float)
    if isinstance(source, Mapping):
        if metric not in source:
            raise ConfigError(f"no function for constraint metric {metric!r}; given: {sorted(source)}")
        values = source[metric](archs)
    elif callable(source):
        values = source(archs)
        if not isinstance(values, Mapping) or metric not in values:
            raise ConfigError(f"the metrics function returned no {metric!r}")
        values = values[metric]
    else:
        raise ConfigError(f"cannot read constraint metrics from {type(source).__name__}")
    values = np.asarray(values, dtype=float)
    if values.shape != (len(archs),):
        raise ConfigError(f"metric {metric!r}: expected {len(archs)} values, got shape {values.shape}")
    return values


def feasible(values: Mapping[str, np.ndarray], parsed: Mapping[str, tuple[str, float]]) -> np.ndarray:
    """Boolean mask of archs meeting every constraint (a NaN value never does)."""
    n = len(next(iter(values.values()))) if values else 0
    ok = np.ones(n, dtype=bool)
    for metric, (op, bound) in parsed.items():
        v = values[metric]
        ok &= ~np.isnan(v) & OPERATORS[op](v, bound)
    return ok


def split_additive(parsed: Mapping[str, tuple[str, float]], space: Any, metrics: Any,
                   added: Sequence[Any] = ()) -> tuple[dict, dict]:  # fmt: skip
    """``parsed`` split into the bounds a decision diagram enforces exactly (costs of the
    space's analytic model and the :class:`~nag.spaces.added_cost.AddedCost` ``added``, e.g.
    a latency table's, read when ``metrics`` names no function for them) and the rest (met
    by rejection). A metric that is neither raises ``ConfigError``."""
    additive, other = {}, {}
    costs = (*getattr(space, "cost_names", ()), *(a.name for a in added))
    for metric, spec in parsed.items():
        given = isinstance(metrics, Mapping) and metric in metrics
        if metric in costs and not given:
            additive[metric] = spec
        elif given or (callable(metrics) and not isinstance(metrics, Mapping)):
            other[metric] = spec
        else:
            hint = " or latency_table= (a table of this space)" if metric == "latency" else ""
            raise ConfigError(f"{space.name} has no analytic cost {metric!r} (it computes: {', '.join(costs) or 'none'}); "
                              f"pass metrics={{{metric!r}: fn(archs) -> values}}{hint} to constrain it")  # fmt: skip
    return additive, other


def evaluate(space: Any, parsed: Mapping[str, tuple[str, float]], metrics: Any, archs: list[Any],
             added: Sequence[Any] = ()) -> np.ndarray:  # fmt: skip
    """Boolean mask of ``archs`` meeting every constraint, each metric read from an added
    cost of that name (e.g. a latency table's), else from ``metrics`` when given, else from
    the space's default benchmark, else from its analytic costs."""
    if not parsed:
        return np.ones(len(archs), dtype=bool)
    by_name = {a.name: a for a in added}
    values = {m: by_name[m].values(space, archs) if m in by_name else _values(space, m, metrics, archs) for m in parsed}
    return feasible(values, parsed)


def _values(space: Any, metric: str, metrics: Any, archs: list[Any]) -> np.ndarray:
    if metrics is not None:
        return metric_values(metrics, metric, archs)
    if space.defaults.bench is not None:
        from nag import bench

        return metric_values(bench.load(space.defaults.bench), metric, archs)
    if metric in space.cost_names:
        return np.asarray(space.cost(archs, metric), dtype=float)
    raise ConfigError(f"{space.name} has no benchmark and no analytic cost {metric!r} (it computes: "
                      f"{', '.join(space.cost_names) or 'none'}); pass metrics={{{metric!r}: fn(archs) -> values}}")  # fmt: skip
