"""SHA-256 digests that tell whether a file or a table of arrays changed since it was written."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np


def file_digest(path: Path | str) -> str:
    """The SHA-256 of the file at ``path`` (hex), read in blocks of 1 MiB."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def arrays_digest(arrays: Mapping[str, np.ndarray]) -> str:
    """The SHA-256 (hex) of named arrays: each name, dtype, shape and bytes, in name order."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        array = np.asarray(arrays[name])
        h.update(repr((name, array.dtype.str, array.shape)).encode())
        h.update(array.tobytes())
    return h.hexdigest()
