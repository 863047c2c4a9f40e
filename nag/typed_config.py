"""JSON round trips for nag's frozen dataclass configs."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, TypeVar

from nag.errors import ConfigError

C = TypeVar("C", bound="JSONConfig")


class JSONConfig:
    """Mixin for dataclass configs: ``to_dict()`` and ``from_dict()`` that names unknown fields."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown {cls.__name__} field(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)
