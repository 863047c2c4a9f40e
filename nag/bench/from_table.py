"""Users' own results as a :class:`Benchmark`: CSV, JSON (lines) or Parquet, or a DataFrame."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nag.bench.benchmark import Benchmark
from nag.errors import ConfigError, InvalidArchitecture
from nag.spaces.base import SearchSpace

_READERS = {
    ".csv": lambda pd, p: pd.read_csv(p),
    ".json": lambda pd, p: pd.read_json(p),
    ".jsonl": lambda pd, p: pd.read_json(p, lines=True),
    ".parquet": lambda pd, p: pd.read_parquet(p),
}


def _read_frame(source: Any):
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return source
    path = Path(source)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise ConfigError(f"cannot read {path}: use one of {', '.join(sorted(_READERS))}")
    if not path.is_file():
        raise ConfigError(f"no such file: {path}")
    try:
        return reader(pd, path)
    except ImportError as e:
        raise ConfigError(f"reading {path.suffix} files needs an extra package: {e}") from e
    except ValueError as e:
        raise ConfigError(f"cannot parse {path}: {e}") from e


def from_table(source: Any, space: SearchSpace | str | None = None, arch_column: str = "arch", name: str | None = None,
               metrics: Sequence[str] | None = None, default_metric: str | None = None) -> Benchmark:  # fmt: skip
    """A benchmark from a table with one arch per row.

    Args:
        source: a path (``.csv``, ``.json``, ``.jsonl``, ``.parquet``) or a pandas DataFrame.
        space: the search space (object, registered name, or a space file's path) the arch
            strings belong to.
        arch_column: the column holding arch strings (the space's text form).
        name: the benchmark's name (default: the file's stem, or ``"table"``).
        metrics: the columns that are metrics; by default every numeric column except
            index-like ones (``Unnamed: 0``, ``id``, ``index``, or integers counting the rows).
        default_metric: the metric used when none is named (by default the only one, else
            ``accuracy`` where present, else none: then every query names one).

    Archs are canonicalised; a row whose arch does not parse, or two rows naming the same
    arch, raise with the row numbers. The table may hold only part of the space: a search
    over it queries only its archs (see :func:`nag.search.run`).
    """
    from nag import spaces

    if space is None:
        raise ConfigError("from_table needs space= (a SearchSpace, its name, or a space file) to read the arch strings")
    space = spaces.get(space) if isinstance(space, str) else space
    frame = _read_frame(source)
    if arch_column not in frame.columns:
        raise ConfigError(f"no column {arch_column!r}; the table has: {', '.join(map(str, frame.columns))}")
    metric_columns = _metric_columns(frame, arch_column, metrics)
    archs, first_row = [], {}
    for row, text in enumerate(frame[arch_column]):
        try:
            arch = space.coerce(str(text))
        except InvalidArchitecture as e:
            raise InvalidArchitecture(f"row {row}: {e}") from None
        if arch in first_row:
            raise InvalidArchitecture(f"rows {first_row[arch]} and {row} name the same arch {space.to_str(arch)}")
        first_row[arch] = row
        archs.append(arch)
    if name is None:
        name = Path(source).stem if isinstance(source, (str, Path)) else "table"
    values = {str(c): frame[c].to_numpy(dtype="float64") for c in metric_columns}
    return Benchmark(name, space, archs, values, default_metric=default_metric,
                     description=f"user table with {len(archs)} archs")  # fmt: skip


def _metric_columns(frame: Any, arch_column: str, metrics: Sequence[str] | None) -> list[Any]:
    """The columns to read as metrics: ``metrics`` (checked), else the numeric ones that are
    not index-like."""
    numeric = [c for c in frame.columns if c != arch_column and frame[c].dtype.kind in "biuf"]
    if metrics is not None:
        if isinstance(metrics, str) or not metrics:
            raise ConfigError(f"metrics must be a non-empty list of column names, got {metrics!r}")
        missing = [m for m in metrics if m not in numeric]
        if missing:
            raise ConfigError(f"metrics {missing} are not numeric columns of the table; its numeric columns: "
                              f"{', '.join(map(str, numeric)) or 'none'}")  # fmt: skip
        return list(metrics)
    columns = [c for c in numeric if not _index_like(c, frame[c])]
    if not columns:
        raise ConfigError("the table has no numeric column to use as a metric (index-like columns are not)")
    return columns


def _index_like(name: Any, column: Any) -> bool:
    """A row number rather than a measurement: ``Unnamed: N`` (pandas' saved index), a name
    like ``id`` / ``index``, or integers 0..n-1 / 1..n in order (in a table of 10 rows or more)."""
    if re.fullmatch(r"Unnamed: \d+", str(name)) or str(name).lower() in _INDEX_NAMES:
        return True
    if column.dtype.kind not in "iu" or len(column) < 10:  # a few rows may count up by chance
        return False
    values = column.to_numpy()
    return bool(np.array_equal(values, np.arange(len(values))) or np.array_equal(values, np.arange(1, len(values) + 1)))


_INDEX_NAMES = {"id", "index", "idx", "row", "#"}
