"""A small on-disk cache of converted benchmark tables (numpy ``.npz``, no pickle).

Location: ``$NAG_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/nag`` or ``~/.cache/nag``.
Each entry records a format version and the SHA-256 of its source files, and the SHA-256
of its arrays (:func:`nag.digests.arrays_digest`). An entry that is stale (source or
format changed), unreadable (truncated, corrupted) or not what was written (its arrays
changed, of unequal lengths, or holding NaN or infinite values where the freshly built
table had none) is rebuilt. Writes are atomic (temporary file + rename), so an
interrupted write never leaves a half-written entry behind.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from nag.atomic_write import write_atomic
from nag.digests import arrays_digest, file_digest
from nag.errors import ConfigError

log = logging.getLogger(__name__)

Table = dict[str, np.ndarray]

#: the entry's own arrays next to the table's: the sources' fingerprint, the digest of the
#: rest, and the names of the columns that held NaN or infinite values when built
FINGERPRINT, DIGEST, NONFINITE = "__fingerprint__", "__digest__", "__nonfinite__"


def cache_dir() -> Path:
    root = os.environ.get("NAG_CACHE_DIR")
    if root:
        return Path(root).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "nag"


#: the layout of an entry (2: with its digest and non-finite columns); entries of another are stale
ENTRY_FORMAT = 2


def _fingerprint(sources: Sequence[Path], version: int) -> str:
    return json.dumps({"version": version, "entry": ENTRY_FORMAT, "sources": {p.name: file_digest(p) for p in sources}},
                      sort_keys=True)  # fmt: skip


def _read(path: Path, fingerprint: str) -> Table | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data[FINGERPRINT]) != fingerprint:
                log.info("cache entry %s is stale; rebuilding", path)
                return None
            entry = {k: data[k] for k in data.files}
    except FileNotFoundError:
        return None
    except Exception as e:  # any unreadable entry (truncated zip, bad header, ...) is rebuilt
        log.warning("cache entry %s is unreadable (%s); rebuilding", path, e)
        return None
    problem = _entry_problem(entry)
    if problem:
        log.warning("cache entry %s %s; rebuilding", path, problem)
        return None
    return {k: v for k, v in entry.items() if k not in (FINGERPRINT, DIGEST, NONFINITE)}


def _entry_problem(entry: Table) -> str | None:
    """What is wrong with a fresh entry's contents, or None."""
    if DIGEST not in entry or NONFINITE not in entry:
        return "has no digest (written by an older nag)"
    table = {k: v for k, v in entry.items() if k not in (FINGERPRINT, DIGEST)}
    if str(entry[DIGEST]) != arrays_digest(table):
        return "does not match its digest (changed since it was written)"
    table.pop(NONFINITE)
    if len({len(v) if v.ndim else -1 for v in table.values()}) > 1:
        return f"holds columns of unequal lengths ({ {k: v.shape for k, v in table.items()} })"
    broken = sorted(set(_nonfinite_columns(table)) - set(entry[NONFINITE].tolist()))
    return f"holds NaN or infinite values in {broken}, which its table had not" if broken else None


def _nonfinite_columns(table: Table) -> list[str]:
    """Names of the floating columns of ``table`` that hold NaN or infinite values."""
    return sorted(k for k, v in table.items() if v.dtype.kind in "fc" and not np.isfinite(v).all())


def cached_table(name: str, sources: Sequence[Path], version: int, build: Callable[[], Table]) -> Table:
    """The table ``name``: read from the cache when fresh and intact, else ``build()`` and store it."""
    path = cache_dir() / f"{name}.npz"
    fingerprint = _fingerprint(sources, version)
    table = _read(path, fingerprint)
    if table is not None:
        return table
    table = build()
    entry = {**table, NONFINITE: np.array(_nonfinite_columns(table), dtype=str)}
    entry[DIGEST] = np.array(arrays_digest(entry))

    def write(tmp: Path) -> None:
        with tmp.open("wb") as f:
            np.savez(f, **{FINGERPRINT: np.array(fingerprint), **entry})

    try:
        write_atomic(path, write)
    except (OSError, ConfigError) as e:  # ConfigError: the cache folder cannot be made
        log.warning("cannot write cache entry %s (%s); using the table in memory", path, e)
    return table
