"""``LatencyTable``: measured latencies of a space's parts, with how and where they were measured.

A table holds, in milliseconds, one :class:`Entry` (median and quartiles) per part of the space's latency plan
(:meth:`~nag.spaces.SearchSpace.latency_plan`) and a ``fixed`` entry: what a whole
network takes beyond its parts (stem, head, glue). Its ``settings`` say how it was
measured (runtime, batch, threads, warm-up, repeats and the build options, e.g. the
resolution) and which figure of each entry the latency model sums (``statistic``: the
lower quartile by default, which slow spells of a shared machine move least; the median
on a quiet one), and ``machine`` where (platform, processor, versions).

Two file formats, both written atomically and read back exactly:

* **JSON** (``.json``)::

    {"format": "nag.latency_table", "format_version": 1, "space": "mbv3", "unit": "ms",
     "settings": {"runtime": "torch", "batch": 1, "threads": 1, "warmup": 10, "repeats": 30,
                  "statistic": "p25", "options": {"resolution": 224}},
     "machine": {"platform": "...", "torch": "2.13.0", ...},
     "fixed": {"median": 4.1, "p25": 4.0, "p75": 4.3},
     "entries": {"s1.first.k3e3": {"median": 1.2, "p25": 1.1, "p75": 1.3}, ...},
     "calibration": [...]}

* **CSV** (``.csv``): lines ``# key: <JSON value>`` for ``format_version``, ``space``,
  ``settings`` and ``machine``, then the header ``part,median_ms,p25_ms,p75_ms`` and one
  row per part, the fixed part as the row ``fixed``. A table measured elsewhere (a phone,
  another runtime) can be written in either format by hand or by another tool.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nag.atomic_write import write_atomic
from nag.errors import ConfigError

FORMAT = "nag.latency_table"
FORMAT_VERSION = 1
#: the settings every table records
SETTINGS = ("runtime", "batch", "threads", "warmup", "repeats", "statistic", "options")
#: what an entry's latency is: one of its three figures
STATISTICS = ("median", "p25", "p75")
CSV_COLUMNS = ("part", "median_ms", "p25_ms", "p75_ms")
FIXED = "fixed"


@dataclass(frozen=True)
class Entry:
    """The median latency of one part in milliseconds, with its quartiles (the spread)."""

    median: float
    p25: float
    p75: float

    def __post_init__(self) -> None:
        values = (self.median, self.p25, self.p75)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0 for v in values):
            raise ConfigError(f"a latency entry needs finite milliseconds >= 0, got {values}")
        if not self.p25 <= self.median <= self.p75:
            raise ConfigError(f"a latency entry needs p25 <= median <= p75, got {values}")

    def to_dict(self) -> dict[str, float]:
        return {"median": self.median, "p25": self.p25, "p75": self.p75}

    def value(self, statistic: str) -> float:
        """One of the figures, by name (:data:`STATISTICS`)."""
        return float(getattr(self, statistic))


@dataclass(frozen=True)
class LatencyTable:
    """A space's measured part latencies (see the module docstring for the fields)."""

    space: str
    settings: Mapping[str, Any]
    entries: Mapping[str, Entry]
    fixed: Entry
    machine: Mapping[str, Any] = field(default_factory=dict)
    calibration: tuple[Mapping[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.space, str) or not self.space:
            raise ConfigError(f"a latency table names its space, got {self.space!r}")
        missing = [k for k in SETTINGS if k not in self.settings]
        if missing:
            raise ConfigError(f"latency table settings lack {missing}; a table records {list(SETTINGS)}")
        if not isinstance(self.settings["options"], Mapping):
            raise ConfigError(f"latency table settings: options must be a mapping, got {self.settings['options']!r}")
        if not self.entries:
            raise ConfigError("a latency table needs at least one entry")
        if self.settings["statistic"] not in STATISTICS:
            raise ConfigError(
                f"latency table settings: statistic must be one of {list(STATISTICS)}, got {self.settings['statistic']!r}"
            )

    @property
    def statistic(self) -> str:
        """Which figure of each entry the latency model sums (:data:`STATISTICS`)."""
        return str(self.settings["statistic"])

    @property
    def options(self) -> dict[str, Any]:
        """The build options the parts were measured at (e.g. ``{"resolution": 224}``)."""
        return dict(self.settings["options"])

    @property
    def digest(self) -> str:
        """A short digest of the entries and settings (identifies the table in caches)."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True, default=str).encode()).hexdigest()[:16]

    def entry(self, key: str) -> float:
        """The :attr:`statistic` of part ``key`` (``ConfigError`` naming it if the table lacks it)."""
        if key not in self.entries:
            raise ConfigError(f"the {self.space} latency table has no entry {key!r} (it has {len(self.entries)} entries)")
        return self.entries[key].value(self.statistic)

    @property
    def fixed_ms(self) -> float:
        """The :attr:`statistic` of the fixed part."""
        return self.fixed.value(self.statistic)

    def require(self, space: str | None = None, **settings: Any) -> None:
        """``ConfigError`` naming each difference between the table and what the caller
        needs: its space, and any of :data:`SETTINGS` given (``options`` compares the build
        options given, and only those)."""
        wrong = []
        if space is not None and space != self.space:
            wrong.append(f"space {self.space!r}, not {space!r}")
        for name, wanted in settings.items():
            if name not in SETTINGS:
                raise ConfigError(f"latency tables record no setting {name!r}; they record {list(SETTINGS)}")
            if wanted is None:
                continue
            if name == "options":
                have = self.options
                wrong += [(f"{k}={have[k]!r}" if k in have else f"{k} at the space's default") + f", not {v!r}"
                          for k, v in wanted.items() if have.get(k) != v]  # fmt: skip
            elif self.settings[name] != wanted:
                wrong.append(f"{name}={self.settings[name]!r}, not {wanted!r}")
        if wrong:
            raise ConfigError(f"this latency table was measured for {'; '.join(wrong)}; measure one for these settings")

    # ------------------------------------------------------------------- files
    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "space": self.space, "unit": "ms",
                "settings": {k: (dict(v) if k == "options" else v) for k, v in self.settings.items()},
                "machine": dict(self.machine), "fixed": self.fixed.to_dict(),
                "entries": {k: e.to_dict() for k, e in self.entries.items()},
                "calibration": [dict(c) for c in self.calibration]}  # fmt: skip

    def save(self, path: Path | str) -> Path:
        """Write the table to ``path`` (``.json`` or ``.csv``), atomically."""
        path = Path(path)
        writer = {".json": _write_json, ".csv": _write_csv}.get(path.suffix.lower())
        if writer is None:
            raise ConfigError(f"a latency table is saved as .json or .csv, not {path.name!r}")
        text = writer(self)
        write_atomic(path, lambda tmp: tmp.write_text(text))
        return path


def load(path: Path | str) -> LatencyTable:
    """The table in ``path`` (``.json`` or ``.csv``, see the module docstring);
    ``ConfigError`` naming the file and what is wrong with it."""
    path = Path(path)
    reader = {".json": _read_json, ".csv": _read_csv}.get(path.suffix.lower())
    if reader is None:
        raise ConfigError(f"a latency table is a .json or .csv file, not {path.name!r}")
    try:
        text = path.read_text()
    except OSError as e:
        raise ConfigError(f"cannot read latency table {path}: {e.strerror or e}") from None
    try:
        return from_dict(reader(text))
    except (ConfigError, ValueError, TypeError, KeyError) as e:
        raise ConfigError(f"{path} is not a latency table: {e}") from None


def from_dict(data: Mapping[str, Any]) -> LatencyTable:
    """A table from its :meth:`LatencyTable.to_dict` form."""
    if not isinstance(data, Mapping):
        raise ConfigError("expected a JSON object")
    if data.get("format_version") != FORMAT_VERSION:
        raise ConfigError(f"format_version {data.get('format_version')!r}; this nag reads version {FORMAT_VERSION}")
    if data.get("unit", "ms") != "ms":
        raise ConfigError(f"unit {data.get('unit')!r}; tables are in milliseconds ('ms')")
    entries = data.get("entries")
    if not isinstance(entries, Mapping):
        raise ConfigError("'entries' must map part names to {median, p25, p75}")
    return LatencyTable(space=str(data.get("space") or ""), settings=dict(data.get("settings") or {}),
                        entries={str(k): _entry(v, str(k)) for k, v in entries.items()},
                        fixed=_entry(data.get("fixed"), FIXED), machine=dict(data.get("machine") or {}),
                        calibration=tuple(data.get("calibration") or ()))  # fmt: skip


def _entry(value: Any, key: str) -> Entry:
    if not isinstance(value, Mapping) or set(value) != {"median", "p25", "p75"}:
        raise ConfigError(f"entry {key!r} must be {{median, p25, p75}} in ms, got {value!r}")
    try:
        return Entry(value["median"], value["p25"], value["p75"])
    except ConfigError as e:
        raise ConfigError(f"entry {key!r}: {e}") from None


def _write_json(table: LatencyTable) -> str:
    return json.dumps(table.to_dict(), indent=2) + "\n"


def _read_json(text: str) -> dict[str, Any]:
    try:
        return json.loads(text)
    except ValueError as e:
        raise ConfigError(f"invalid JSON ({e})") from None


def _write_csv(table: LatencyTable) -> str:
    out = io.StringIO()
    head = table.to_dict()
    for key in ("format_version", "space", "settings", "machine"):
        out.write(f"# {key}: {json.dumps(head[key], sort_keys=True)}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for key, e in [(FIXED, table.fixed), *table.entries.items()]:
        writer.writerow([key, repr(e.median), repr(e.p25), repr(e.p75)])
    return out.getvalue()


def _read_csv(text: str) -> dict[str, Any]:
    head: dict[str, Any] = {}
    lines = text.splitlines()
    rows = [line for line in lines if not line.startswith("#")]
    for line in lines:
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if not sep:
                raise ConfigError(f"header line {line!r} is not '# key: JSON value'")
            try:
                head[key.strip()] = json.loads(value)
            except ValueError:
                raise ConfigError(f"header {key.strip()!r}: {value.strip()!r} is not JSON") from None
    reader = csv.reader(rows)
    if tuple(next(reader, ())) != CSV_COLUMNS:
        raise ConfigError(f"the first row after the header lines must be {','.join(CSV_COLUMNS)}")
    entries: dict[str, dict[str, float]] = {}
    for row in reader:
        if len(row) != len(CSV_COLUMNS):
            raise ConfigError(f"row {row!r} does not have {len(CSV_COLUMNS)} columns")
        try:
            entries[row[0]] = dict(zip(("median", "p25", "p75"), map(float, row[1:])))
        except ValueError:
            raise ConfigError(f"row {row[0]!r}: {row[1:]} are not numbers") from None
    if FIXED not in entries:
        raise ConfigError(f"no row {FIXED!r} (what a network takes beyond its parts)")
    return {**head, "fixed": entries.pop(FIXED), "entries": entries}
