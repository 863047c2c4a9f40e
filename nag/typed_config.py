"""JSON round trips for nag's frozen dataclass configs, and the checks they share."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, fields
from numbers import Real
from typing import Any, TypeVar

from nag.errors import ConfigError

C = TypeVar("C", bound="JSONConfig")

#: Upper bounds on the sizes of nag's networks, far above any model in this repository
#: (widths 8-128, 1-4 layers, 2-5 heads) and far below what would exhaust memory when a
#: config (say a damaged checkpoint's) asks for more: one weight matrix of the widest
#: layer is 4096 x 4096 floats (64 MiB).
MAX_WIDTH = 4096
MAX_LAYERS = 64
MAX_HEADS = 64


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


#: annotation -> (what a value must be, its test); fields of other types check themselves
_FIELD_TYPES: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "int": ("an int", _is_int),
    "float": ("a finite number", _is_number),
    "str": ("a string", lambda v: isinstance(v, str)),
    "bool": ("true or false", lambda v: isinstance(v, bool)),
}


class JSONConfig:
    """Mixin for dataclass configs: ``to_dict()`` and ``from_dict()`` that names unknown
    fields, and the checks of ``__post_init__`` (:meth:`check_types`, :meth:`check_ranges`)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown {cls.__name__} field(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)

    def check_types(self) -> None:
        """``ConfigError`` naming the first field whose value is not of its annotated type:
        ``int`` (not a bool), ``float`` (an int or float, finite), ``str`` or ``bool``. Run it
        first in ``__post_init__``, so later checks may compare values safely."""
        for f in fields(self):  # type: ignore[arg-type]
            wanted, test = _FIELD_TYPES.get(getattr(f.type, "__name__", f.type), ("", None))
            value = getattr(self, f.name)
            if test is not None and not test(value):
                raise ConfigError(f"{type(self).__name__}.{f.name} must be {wanted}, got {value!r:.80}")

    def check_ranges(self, ranges: Mapping[str, tuple[float, float]]) -> None:
        """``ConfigError`` naming the first field outside its ``(low, high)`` range (inclusive)."""
        for name, (low, high) in ranges.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise ConfigError(f"{type(self).__name__}.{name} must be in [{low}, {high}], got {value!r}")
