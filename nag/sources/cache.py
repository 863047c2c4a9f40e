"""A small on-disk cache of converted benchmark tables (numpy ``.npz``, no pickle).

Location: ``$NAG_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/nag`` or ``~/.cache/nag``.
Each entry records a format version and the SHA-256 of its source files; an entry that
is stale (source or format changed) or unreadable (truncated, corrupted) is rebuilt.
Writes are atomic (temporary file + rename), so an interrupted write never leaves a
half-written entry behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from nag.atomic_write import write_atomic
from nag.errors import ConfigError

log = logging.getLogger(__name__)

Table = dict[str, np.ndarray]


def cache_dir() -> Path:
    root = os.environ.get("NAG_CACHE_DIR")
    if root:
        return Path(root).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "nag"


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fingerprint(sources: Sequence[Path], version: int) -> str:
    return json.dumps({"version": version, "sources": {p.name: file_digest(p) for p in sources}}, sort_keys=True)


def _read(path: Path, fingerprint: str) -> Table | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["__fingerprint__"]) != fingerprint:
                log.info("cache entry %s is stale; rebuilding", path)
                return None
            return {k: data[k] for k in data.files if k != "__fingerprint__"}
    except FileNotFoundError:
        return None
    except Exception as e:  # any unreadable entry (truncated zip, bad header, ...) is rebuilt
        log.warning("cache entry %s is unreadable (%s); rebuilding", path, e)
        return None


def cached_table(name: str, sources: Sequence[Path], version: int, build: Callable[[], Table]) -> Table:
    """The table ``name``: read from the cache when fresh, else ``build()`` and store it."""
    path = cache_dir() / f"{name}.npz"
    fingerprint = _fingerprint(sources, version)
    table = _read(path, fingerprint)
    if table is not None:
        return table
    table = build()

    def write(tmp: Path) -> None:
        with tmp.open("wb") as f:
            np.savez(f, __fingerprint__=np.array(fingerprint), **table)

    try:
        write_atomic(path, write)
    except (OSError, ConfigError) as e:  # ConfigError: the cache folder cannot be made
        log.warning("cannot write cache entry %s (%s); using the table in memory", path, e)
    return table
