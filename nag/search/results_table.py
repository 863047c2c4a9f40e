"""An append-only CSV table of results that one process at a time writes.

Each row is appended with a single write and flushed to disk as soon as it exists, so a
crash loses at most the row being written; a torn last line (no line end) is dropped the
next time the table is read. A lock file beside the table (``TABLE.lock``, held with
``filelock``, freed by the operating system when its process dies, even by ``kill -9``)
keeps a second process out instead of letting two interleave or overwrite each other.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from nag.errors import ConfigError

log = logging.getLogger(__name__)


class TableLock:
    """Holds ``TABLE.lock`` until :meth:`release`; ``ConfigError`` at once if another
    process holds it. Within one process it is shared (a notebook cell re-run makes a new
    oracle before the old one is gone): the file is unlocked when the last holder releases."""

    def __init__(self, table: Path | str):
        self.path = Path(f"{table}.lock")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock: FileLock | None = FileLock(str(self.path.resolve()), timeout=0, is_singleton=True, thread_local=False)
            self._lock.acquire()
        except Timeout:
            raise ConfigError(f"table={table} is in use by another search (it holds {self.path.name}); "
                              "wait for that one to finish, or give another table=") from None  # fmt: skip
        except OSError as e:
            raise ConfigError(f"cannot lock table={table}: {e.strerror or e}") from None

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def complete_lines(path: Path) -> str:
    """The text of ``path`` up to its last line end. A torn last line (a crash while it
    was written) is cut from the file too, so that the next append starts a fresh line."""
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        log.warning("%s: dropping a torn last line (%d bytes) left by an interrupted write", path, len(data) - end)
        with path.open("r+b") as f:
            f.truncate(end)
    return data[:end].decode("utf-8")


def append_row(path: Path, row: Mapping[str, Any], columns: Sequence[str]) -> None:
    """Append ``row`` (its ``columns``, NaN and None as empty cells) to the CSV ``path``,
    with the header first if the file is new or empty; flushed to disk before returning."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    if not path.is_file() or path.stat().st_size == 0:
        writer.writeheader()
    writer.writerow({k: "" if v is None or (isinstance(v, float) and math.isnan(v)) else v for k, v in row.items()})
    with path.open("a", encoding="utf-8", newline="") as f:
        f.write(buffer.getvalue())
        f.flush()
        os.fsync(f.fileno())
