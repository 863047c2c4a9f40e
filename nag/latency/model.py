"""The latency model: an arch's table latency is the sum of its parts' entries (each
entry's ``statistic``) plus the table's fixed part, an additive cost over the space's choices.

:func:`added_cost` turns a table into an :class:`~nag.spaces.added_cost.AddedCost` named
``latency``; in a declared space it compiles into the decision diagram, so a latency bound
is exact however large the space (:mod:`nag.generator.constraints`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nag.errors import ConfigError
from nag.latency.table import LatencyTable, load
from nag.spaces.added_cost import AddedCost
from nag.spaces.declared import Cost
from nag.spaces.latency_plan import LATENCY

_CACHE: dict[tuple[str, str], AddedCost] = {}


def as_table(table: LatencyTable | Path | str) -> LatencyTable:
    """A table, or the table in a ``.json`` / ``.csv`` file."""
    if isinstance(table, LatencyTable):
        return table
    if isinstance(table, (str, Path)):
        return load(table)
    raise ConfigError(f"latency_table must be a LatencyTable or the path of one, got {type(table).__name__}")


def added_cost(table: LatencyTable | Path | str, space: Any) -> AddedCost:
    """The cost ``latency`` of ``space``'s archs read from ``table`` (or its file).

    Raises ``ConfigError`` if the table was measured for another space or lacks parts the
    space's plan needs at the table's settings (the message names them)."""
    table = as_table(table)
    table.require(space.name)
    key = (space.name, table.digest)
    if key not in _CACHE:
        plan = space.latency_plan(table.settings["batch"], **table.options)
        missing = [k for k in plan.parts if k not in table.entries]
        if missing:
            raise ConfigError(f"the latency table lacks {len(missing)} of the {len(plan.parts)} parts {space.name} times at "
                              f"{table.options or 'its default options'} (e.g. {', '.join(missing[:3])})")  # fmt: skip
        terms = (*plan.terms(table.entry), Cost.constant(LATENCY, table.fixed_ms))
        if len(_CACHE) >= 8:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = AddedCost(LATENCY, terms, f"latency:{table.digest}")
    return _CACHE[key]


def predict(table: LatencyTable | Path | str, space: Any, archs: Sequence[Any]) -> np.ndarray:
    """The table latency (ms) of each of ``archs``."""
    return added_cost(table, space).values(space, list(archs))


def parts_sum(table: LatencyTable, space: Any, archs: Sequence[Any]) -> np.ndarray:
    """The sum of each arch's part entries, without the fixed part."""
    return predict(table, space, archs) - table.fixed_ms
