"""The ``bench=`` argument: a shipped benchmark's name, or a results table (``.csv``,
``.json``, ``.jsonl``, ``.parquet``) of archs of ``space=`` (a space's name or file)."""

from __future__ import annotations

from typing import Any

from nag import bench as benchmarks
from nag import spaces
from nag.errors import ConfigError

TABLES = (".csv", ".json", ".jsonl", ".parquet")


def load_benchmark(name: str, space: str | None = None) -> benchmarks.Benchmark:
    """The benchmark ``name`` names; with ``space`` given, it must measure that space."""
    if name.endswith(TABLES):
        if space is None:
            raise ConfigError(f"bench={name} is a table: add space=NAME or space=FILE.yaml, the space of its arch strings")
        return benchmarks.from_table(name, space=spaces.get(space))
    found = benchmarks.load(name)
    if space is not None and spaces.get(space).name != found.space.name:
        raise ConfigError(f"benchmark {name} measures {found.space.name} archs, not {space}")
    return found


def metric_of(found: benchmarks.Benchmark, metric: str | None) -> str:
    """``metric`` checked against the benchmark, or its default (``ConfigError`` when it has
    several metrics and no default)."""
    found.values(metric)
    return metric or found.default_metric


def space_of(cfg: Any) -> Any:
    """The space a command's ``space=`` option names (a name or a space file)."""
    return spaces.get(cfg.space)
