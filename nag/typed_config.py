"""JSON round trips for nag's frozen dataclass configs, and the checks they share."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any, TypeVar

from nag.errors import ConfigError
from nag.type_checks import describe, fits

C = TypeVar("C", bound="JSONConfig")

#: Upper bounds on the sizes of nag's networks, far above any model in this repository
#: (widths 8-128, 1-4 layers, 2-5 heads) and far below what would exhaust memory when a
#: config (say a damaged checkpoint's) asks for more: one weight matrix of the widest
#: layer is 4096 x 4096 floats (64 MiB).
MAX_WIDTH = 4096
MAX_LAYERS = 64
MAX_HEADS = 64


class JSONConfig:
    """Mixin for dataclass configs: ``to_dict()`` and ``from_dict()`` that names unknown
    fields, and the checks of ``__post_init__`` (:meth:`check_types`, :meth:`check_ranges`)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        if not isinstance(data, dict):
            raise ConfigError(f"a {cls.__name__} is a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown {cls.__name__} field(s) {sorted(map(str, unknown))}; known: {', '.join(sorted(known))}")
        return cls(**data)

    def check_types(self) -> None:
        """``ConfigError`` naming the first field whose value does not fit its annotation
        (:func:`nag.type_checks.fits`: an ``int`` is not a bool, a ``float`` is finite,
        ``Optional`` fields may be None). Run it first in ``__post_init__``, so later checks
        may compare values safely."""
        hints = typing.get_type_hints(type(self))
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if not fits(hints[f.name], value):
                raise ConfigError(f"{type(self).__name__}.{f.name} must be {describe(hints[f.name])}, got {value!r:.80}")

    def check_ranges(self, ranges: Mapping[str, tuple[float, float]]) -> None:
        """``ConfigError`` naming the first field outside its ``(low, high)`` range (inclusive)."""
        for name, (low, high) in ranges.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise ConfigError(f"{type(self).__name__}.{name} must be in [{low}, {high}], got {value!r}")
