"""A restricted unpickler: only the globals a caller allows can be resolved.

Any other global (the way a malicious pickle runs code) raises
:class:`~nag.errors.BenchmarkDataError`, and so does a pickle that builds far more objects
or bytes than its size allows (:func:`limit`): shared references that would multiply once
the result is converted (say by ``np.asarray``), or one text converted to bytes again and
again. :func:`safe_load` reads the benchmark files
shipped inside data packages; :func:`restricted_load` takes its own allow-list (the
CIFAR-10 reader of :mod:`nag.train.datasets` allows numeric numpy arrays and nothing
else). Users' own tables come in as CSV / JSON / Parquet.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable, Collection
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


#: what a pickle of ``n`` bytes may build: ``GROWTH * n + SLACK`` objects (:func:`check_size`)
#: and as many bytes returned by the functions it calls. Each element a pickle writes out
#: costs it at least one byte, and each byte string its text, so only references that
#: repeat what was written once (a shared container, a text converted again and again)
#: exceed that.
GROWTH, SLACK = 4, 10_000


def limit(n_bytes: int) -> int:
    """The most objects (or bytes) a pickle of ``n_bytes`` bytes may build."""
    return GROWTH * n_bytes + SLACK


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the ``allowed`` globals; the functions among them may return at most
    :func:`limit` bytes in all (byte strings, array data)."""

    def __init__(self, data: bytes, allowed: dict[tuple[str, str], Callable[..., Any]], source: str, encoding: str = "ASCII"):
        super().__init__(io.BytesIO(data), encoding=encoding)
        self._allowed, self._source = allowed, source
        self._size, self._left = len(data), limit(len(data))

    def find_class(self, module: str, name: str) -> Any:
        try:
            found = self._allowed[(module, name)]
        except KeyError:
            raise BenchmarkDataError(
                f"{self._source} asks for {module}.{name}, which nag does not unpickle (its reader does not allow it)"
            ) from None
        return found if isinstance(found, type) else self._charged(found)

    def _charged(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            result = function(*args)
            self._left -= _nbytes(result)
            if self._left < 0:
                raise BenchmarkDataError(f"{self._source} builds more than {limit(self._size)} bytes from {self._size} bytes "
                                         "(the same data converted again and again); it is not a file nag reads")  # fmt: skip
            return result

        return call


def _nbytes(obj: Any) -> int:
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    return len(obj) if isinstance(obj, (bytes, bytearray, str)) else 0


def check_size(obj: Any, n_bytes: int, source: str) -> None:
    """:class:`BenchmarkDataError` when ``obj``, unpickled from ``n_bytes`` bytes, holds more
    than :func:`limit` objects, counting a shared container each time it appears (and its
    elements again). The walk stops as soon as the limit is passed, so it costs no more
    than the limit whatever the pickle builds."""
    most = limit(n_bytes)
    stack, count = [obj], 1
    while stack:
        for part in _parts(stack.pop()):
            count += len(part)
            if count > most:
                raise BenchmarkDataError(f"{source} builds more than {most} objects from {n_bytes} bytes (shared references); "
                                         "it is not a file nag reads")  # fmt: skip
            stack.extend(part)


def _parts(item: Any) -> list[Collection[Any]]:
    """The collections of objects ``item`` holds (none for a leaf: a number, string, array)."""
    if isinstance(item, (list, tuple, set, frozenset)):
        return [item]
    if isinstance(item, dict):
        return [item.keys(), item.values()]
    if isinstance(item, Record):
        return [vars(item).values()]
    return []


def safe_load(path: Path | str, extra: dict[tuple[str, str], Callable[..., Any]] | None = None) -> Any:
    """Unpickle ``path`` allowing only :data:`DEFAULT_ALLOWED` plus ``extra`` globals."""
    path = Path(path)
    allowed = {**DEFAULT_ALLOWED, **(extra or {})}
    try:
        return restricted_load(path.read_bytes(), allowed, str(path))
    except BenchmarkDataError:
        raise
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as e:
        raise BenchmarkDataError(f"cannot read benchmark file {path}: {e}") from e


def restricted_load(data: bytes, allowed: dict[tuple[str, str], Callable[..., Any]], source: str, encoding: str = "ASCII") -> Any:
    """Unpickle ``data`` resolving only the ``allowed`` globals (``encoding``: how Python 2
    pickles' str become Python 3 objects, e.g. ``"bytes"``), refused when it builds more
    objects or bytes than its size allows (:func:`limit`)."""
    obj = _RestrictedUnpickler(data, allowed, source, encoding).load()
    check_size(obj, len(data), source)
    return obj
