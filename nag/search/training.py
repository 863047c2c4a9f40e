"""``TrainingOracle``: a search objective that really trains each candidate.

Every answer is one row of a results table (CSV, readable by ``nag.bench.from_table``),
appended as soon as its training finishes (one write per row, flushed to disk), so a
crash loses no finished training. An arch already in the table is answered from it
without training, so rerunning an interrupted search with the same table and seed
replays the finished part in seconds and trains only what is missing; the table can
later serve as a benchmark of its own. One search at a time uses a table: it holds a
lock file beside it (``TABLE.lock``) until it is closed, and a second one is refused.
Candidates of one batch train in parallel on an executor (``"serial"``, ``"process"``
or ``"ray"``).
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nag import spaces
from nag.atomic_write import write_atomic
from nag.errors import ConfigError, DatasetError, TrainingError
from nag.search.results_table import TableLock, append_row, complete_lines
from nag.spaces.base import SearchSpace
from nag.train import TrainConfig

#: columns of the results table, after ``arch``
COLUMNS = ("val_accuracy", "accuracy", "test_accuracy", "params", "epochs", "best_epoch", "seconds", "samples_per_second")


@dataclass(frozen=True)
class TrainJob:
    """One candidate to train: everything a worker process needs, picklable."""

    space: str
    arch: str
    data: str
    config: dict[str, Any]
    data_options: dict[str, Any] = field(default_factory=dict)
    build: dict[str, Any] = field(default_factory=dict)
    space_document: dict[str, Any] | None = None  # a declared space's declaration, for worker processes


def _dataset(name: str, options: dict[str, Any]) -> Any:
    """The dataset, loaded once per process for the same name and options."""
    return _cached_dataset(name, json.dumps(options, sort_keys=True))


@functools.lru_cache(maxsize=4)
def _cached_dataset(name: str, options: str) -> Any:
    from nag.train import load_dataset

    return load_dataset(name, **json.loads(options))


def run_train_job(job: TrainJob) -> dict[str, Any]:
    """Train ``job.arch`` and return its table row (runs in a worker; data is loaded once per worker)."""
    from nag.train import train_arch

    space = spaces.from_record(job.space, job.space_document)
    data = _dataset(job.data, job.data_options)
    try:
        result = train_arch(space, job.arch, data, TrainConfig(**job.config), **job.build)
    except TrainingError:  # a diverging candidate is a bad candidate, not a failed search
        return {"arch": job.arch, **{k: float("nan") for k in COLUMNS}}
    return {"arch": job.arch, **{k: getattr(result, k) for k in COLUMNS}}


class TrainingOracle:
    """``archs -> validation accuracies`` by training each arch; a callable for ``nag.search.run``.

    Args:
        space: the search space (or its name).
        data: a dataset name (``"digits"``, ``"karate"``) or a CIFAR-10 / ImageFolder path.
        config: how each candidate trains (its ``seed`` seeds every candidate alike).
        table: CSV file of results; read first (reuse / resume), a row appended per finished
            training. ``TABLE.meta.json`` beside it records the settings (space, data,
            training, build); a table made with other settings is refused rather than mixed
            in, and so is a table that an open oracle of another process is using: close
            the oracle (or use it as a context manager) to free its table.
        executor: ``"serial"``, ``"process"``, ``"ray"`` or an :class:`~nag.executors.Executor`.
        executor_options: options of a named executor (``workers``, ``address``, ``num_gpus``...).
        metric: the column returned to the search: ``"val_accuracy"`` (default; the test
            split stays unseen by the search) or any other of :data:`COLUMNS`.
        data_options: options of the dataset loader (e.g. ``resolution`` of an ImageFolder).
        build: options of ``space.build`` (e.g. ``C=8, N=1`` for a cheaper nb201 network).
    """

    def __init__(self, space: SearchSpace | str, data: str = "digits", config: TrainConfig | None = None,
                 table: str | Path | None = None, executor: Any = "process", executor_options: dict[str, Any] | None = None,
                 metric: str = "val_accuracy", data_options: dict[str, Any] | None = None,
                 build: dict[str, Any] | None = None):  # fmt: skip
        from nag.executors import make_executor

        self.space = spaces.get(space) if isinstance(space, str) else space
        if metric not in COLUMNS:
            raise ConfigError(f"metric must be one of {', '.join(COLUMNS)}, got {metric!r}")
        self.metric, self.data, self.table = metric, str(data), Path(table) if table is not None else None
        self.config = config or TrainConfig(epochs=2, progress=False)
        self.data_options, self.build = dict(data_options or {}), dict(build or {})
        self._check_data()
        self.rows: dict[Any, dict[str, Any]] = {}
        #: archs this oracle answered from rows it did not train (an earlier run's table)
        self.reused: set[Any] = set()
        self._trained: set[Any] = set()
        self._lock: TableLock | None = None
        if self.table is not None:
            self._lock = TableLock(self.table)
            try:
                self._check_table_settings()
                self.rows = self._read_table()
            except BaseException:
                self._lock.release()
                raise
        self.executor = make_executor(executor, **(executor_options or {})) if isinstance(executor, str) else executor

    @property
    def workers(self) -> int:
        """How many candidates train at once (a search's batch size hint)."""
        return self.executor.workers

    def _check_data(self) -> None:
        """Load the data and build one arch now, so a bad dataset fails before any training."""
        from nag.train import build_for

        data = _dataset(self.data, self.data_options)
        build_for(self.space, self.space.sample(1, seed=0)[0], data, **self.build)

    def __call__(self, archs: Sequence[Any]) -> np.ndarray:
        archs = [self.space.coerce(a) for a in archs]
        if self.table is not None:  # rows another oracle of this process may have added
            self.rows = {**self._read_table(), **self.rows}
        distinct = dict.fromkeys(archs)
        self.reused |= {a for a in distinct if a in self.rows and a not in self._trained}
        todo = [a for a in distinct if a not in self.rows]
        if todo:
            record = spaces.record(self.space)
            jobs = [TrainJob(self.space.name, self.space.to_str(a), self.data, self.config.to_dict(), self.data_options, self.build,
                             record.get("space_document")) for a in todo]  # fmt: skip
            self.executor.map(run_train_job, jobs, on_result=lambda i, row: self._record(todo[i], row))
        return np.asarray([_number(self.rows[a][self.metric]) for a in archs], dtype=np.float64)

    def _record(self, arch: Any, row: dict[str, Any]) -> None:
        """Keep a finished training's row, and append it to the table at once."""
        self.rows[arch] = row
        self._trained.add(arch)
        if self.table is not None:
            append_row(self.table, row, ("arch",) + COLUMNS)

    def close(self) -> None:
        """Stop the executor's workers and free the table for other searches."""
        try:
            self.executor.close()
        finally:
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> TrainingOracle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -------------------------------------------------------------------- table
    def settings(self) -> dict[str, Any]:
        """What the table's values depend on (a candidate's seed included)."""
        return json.loads(json.dumps({"space": self.space.name, "data": self.data, "data_options": self.data_options,
                                      "train": self.config.schedule_fields(), "build": self.build}))  # fmt: skip

    def _check_table_settings(self) -> None:
        meta = self.table.with_name(self.table.name + ".meta.json")
        if self.table.is_dir() or meta.is_dir():
            raise ConfigError(f"table={self.table} is a folder; give a .csv file")
        mine = self.settings()
        if self.table.is_file():  # settings matter only where there are results to reuse
            if not meta.is_file():
                raise ConfigError(f"{self.table} has no {meta.name} saying how its values were made; use another table "
                                  f"(or, if it was made with these settings, write them there: TrainingOracle.settings())")  # fmt: skip
            try:
                saved = json.loads(meta.read_text())
            except (OSError, ValueError) as e:
                raise ConfigError(f"cannot read {meta}: {e}") from None
            differ = sorted(k for k in set(mine) | set(saved) if mine.get(k) != saved.get(k))
            if differ:
                changes = "; ".join(f"{k}: {saved.get(k)} -> {mine.get(k)}" for k in differ)
                raise ConfigError(f"{self.table} holds results made with other settings ({changes}); use another table")
        write_atomic(meta, lambda tmp: tmp.write_text(json.dumps(mine, indent=2) + "\n"))

    def _read_table(self) -> dict[Any, dict[str, Any]]:
        if not self.table.is_file():
            return {}
        rows: dict[Any, dict[str, Any]] = {}
        for number, row in enumerate(csv.DictReader(io.StringIO(complete_lines(self.table))), start=2):
            if "arch" not in row or any(c not in row for c in COLUMNS):
                raise DatasetError(f"{self.table} line {number}: need columns arch, {', '.join(COLUMNS)}")
            rows[self.space.coerce(row["arch"])] = {"arch": row["arch"], **{c: _number(row[c]) for c in COLUMNS}}
        return rows


def _number(value: Any) -> float:
    return float("nan") if value is None or value == "" else float(value)
