"""A restricted unpickler: only the globals a caller allows can be resolved.

Any other global (the way a malicious pickle runs code) raises
:class:`~nag.errors.BenchmarkDataError`. :func:`safe_load` reads the benchmark files
shipped inside data packages; :func:`restricted_load` takes its own allow-list (the
CIFAR-10 reader of :mod:`nag.train.datasets` allows numeric numpy arrays and nothing
else). Users' own tables come in as CSV / JSON / Parquet.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nag.errors import BenchmarkDataError


class Record:
    """Plain stand-in for a benchmark's record class: just holds the pickled attributes."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict):
            raise BenchmarkDataError(f"unexpected record state of type {type(state).__name__}")
        self.__dict__.update(state)


_NUMERIC_KINDS = set("biuf")


def _numpy_scalar(dtype: np.dtype, data: bytes | None = None) -> np.generic:
    if not isinstance(dtype, np.dtype) or dtype.kind not in _NUMERIC_KINDS or not isinstance(data, bytes):
        raise BenchmarkDataError(f"refusing a numpy scalar of dtype {dtype!r}")
    return np.frombuffer(data, dtype=dtype, count=1)[0]


def _numpy_dtype(spec: str, align: bool = False, copy: bool = False) -> np.dtype:
    dtype = np.dtype(spec)
    if dtype.kind not in _NUMERIC_KINDS:
        raise BenchmarkDataError(f"refusing numpy dtype {spec!r}")
    return dtype


#: (module, name) -> the object the unpickler hands back for it.
DEFAULT_ALLOWED: dict[tuple[str, str], Callable[..., Any]] = {
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
    ("numpy", "dtype"): _numpy_dtype,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BufferedIOBase, allowed: dict[tuple[str, str], Callable[..., Any]], source: str,
                 encoding: str = "ASCII"):  # fmt: skip
        super().__init__(file, encoding=encoding)
        self._allowed, self._source = allowed, source

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise BenchmarkDataError(
                f"{self._source} asks for {module}.{name}, which nag does not unpickle (its reader does not allow it)"
            ) from None


def safe_load(path: Path | str, extra: dict[tuple[str, str], Callable[..., Any]] | None = None) -> Any:
    """Unpickle ``path`` allowing only :data:`DEFAULT_ALLOWED` plus ``extra`` globals."""
    path = Path(path)
    allowed = {**DEFAULT_ALLOWED, **(extra or {})}
    try:
        with path.open("rb") as f:
            return _RestrictedUnpickler(f, allowed, str(path)).load()
    except BenchmarkDataError:
        raise
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as e:
        raise BenchmarkDataError(f"cannot read benchmark file {path}: {e}") from e


def restricted_load(data: bytes, allowed: dict[tuple[str, str], Callable[..., Any]], source: str, encoding: str = "ASCII") -> Any:
    """Unpickle ``data`` resolving only the ``allowed`` globals (``encoding``: how Python 2
    pickles' str become Python 3 objects, e.g. ``"bytes"``)."""
    return _RestrictedUnpickler(io.BytesIO(data), allowed, source, encoding).load()
