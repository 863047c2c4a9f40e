"""Benchmarks: ``nag.bench.load(name)``, ``nag.bench.names()`` and ``nag.bench.from_table``.

Each space names the benchmarks it ships (:meth:`~nag.spaces.SearchSpace.benchmarks`);
:func:`register` adds one of your own.
"""

from __future__ import annotations

from collections.abc import Callable

from nag.bench.benchmark import Benchmark
from nag.bench.from_table import from_table
from nag.errors import ConfigError, UnknownNameError

_REGISTERED: dict[str, Callable[[], Benchmark]] = {}
_LOADED: dict[str, Benchmark] = {}


def _shipped() -> dict[str, Callable[[], Benchmark]]:
    """Every space's benchmarks, by name."""
    from nag import spaces

    return {name: loader for space in spaces.names() for name, loader in spaces.get(space).benchmarks().items()}


def load(name: str) -> Benchmark:
    """The benchmark called ``name`` (converted once, then read from the cache)."""
    if not isinstance(name, str) or name not in _LOADED:
        loaders = {**_shipped(), **_REGISTERED}
        if not isinstance(name, str) or name not in loaders:
            raise UnknownNameError("benchmark", name, loaders)
        _LOADED[name] = loaders[name]()
    return _LOADED[name]


def names() -> list[str]:
    return sorted({*_shipped(), *_REGISTERED})


def register(name: str, factory: Callable[[], Benchmark]) -> None:
    """Register a benchmark factory (a callable returning a :class:`Benchmark`)."""
    if not isinstance(name, str) or not name or name in names():
        raise ConfigError(f"benchmark name {name!r} is taken or invalid")
    _REGISTERED[name] = factory


__all__ = ["Benchmark", "load", "names", "register", "from_table"]
