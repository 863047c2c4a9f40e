"""A small name -> factory registry, one instance per kind of thing (spaces, benchmarks, ...)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from nag.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to factories; ``get`` builds (and caches, if asked) the object.

    Args:
        kind: what the registry holds, used in error messages ("space", "benchmark").
        cache: keep the first object built for each name and return it again.
    """

    def __init__(self, kind: str, cache: bool = False):
        self.kind = kind
        self._factories: dict[str, Callable[[], T]] = {}
        self._cache: dict[str, T] | None = {} if cache else None

    def register(self, name: str, factory: Callable[[], T] | None = None):
        """Register ``factory`` under ``name``; usable as a decorator when ``factory`` is None."""
        if factory is None:
            return lambda f: self.register(name, f)
        if name in self._factories:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._factories[name] = factory
        return factory

    def names(self) -> list[str]:
        return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        return name in self._factories

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def factory(self, name: str) -> Callable[[], T]:
        try:
            return self._factories[name]
        except (KeyError, TypeError):
            raise UnknownNameError(self.kind, name, self._factories) from None

    def get(self, name: str) -> T:
        factory = self.factory(name)
        if self._cache is None:
            return factory()
        if name not in self._cache:
            self._cache[name] = factory()
        return self._cache[name]
