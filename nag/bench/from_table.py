"""Users' own results as a :class:`Benchmark`: CSV, JSON (lines) or Parquet, or a DataFrame."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def from_table(source: Any, space: SearchSpace | str, arch_column: str = "arch", name: str | None = None) -> Benchmark:
    """A benchmark from a table with one arch per row.

    Args:
        source: a path (``.csv``, ``.json``, ``.jsonl``, ``.parquet``) or a pandas DataFrame.
        space: the search space (or its registered name) the arch strings belong to.
        arch_column: the column holding arch strings (the space's text form).
        name: the benchmark's name (default: the file's stem, or ``"table"``).

    Every other numeric column becomes a metric. Archs are canonicalised; a row whose
    arch does not parse, or two rows naming the same arch, raise with the row numbers.
    """
    from nag import spaces

    space = spaces.get(space) if isinstance(space, str) else space
    frame = _read_frame(source)
    if arch_column not in frame.columns:
        raise ConfigError(f"no column {arch_column!r}; the table has: {', '.join(map(str, frame.columns))}")
    metric_columns = [c for c in frame.columns if c != arch_column and frame[c].dtype.kind in "biuf"]
    if not metric_columns:
        raise ConfigError("the table has no numeric column to use as a metric")
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
    metrics = {str(c): frame[c].to_numpy(dtype="float64") for c in metric_columns}
    return Benchmark(name, space, archs, metrics, description=f"user table with {len(archs)} archs")
