"""An additive cost a space does not compute itself: terms over its choices from outside.

A latency table (:mod:`nag.latency`) is one: each arch's table latency is a sum of entries,
one term per block slot. :class:`AddedCost` carries such terms with a key that identifies
them, so a declared space compiles them into its decision diagram (exact bounds, any size;
:meth:`~nag.spaces.declared.DeclaredSpace.restricted_diagram`) and a listed space sums
them arch by arch (:meth:`AddedCost.values`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nag.errors import ConfigError
from nag.spaces.declared.choices import Cost


@dataclass(frozen=True)
class AddedCost:
    """The additive cost ``name``: the sum of ``terms``, each ``Cost(name, over, fn)`` over
    the space's choice names (:meth:`~nag.spaces.SearchSpace.choice_labels`). ``key``
    identifies the terms (e.g. a digest of the table they read)."""

    name: str
    terms: tuple[Cost, ...]
    key: str

    def __post_init__(self) -> None:
        if any(t.name != self.name for t in self.terms):
            raise ConfigError(f"every term of the added cost {self.name!r} must be named {self.name!r}")

    def values(self, space: Any, archs: Sequence[Any]) -> np.ndarray:
        """The cost of each of ``archs`` in ``space``: read from the diagram of a declared
        space, otherwise summed from option labels (absent choices read ``None``)."""
        if hasattr(space, "diagram_with"):
            rows = np.array([space.coerce(a).choices for a in archs], dtype=np.int64).reshape(len(archs), -1)
            return space.diagram_with(self).cost(self.name, rows)
        labels = space.choice_labels()
        position = {name: i for i, (name, _) in enumerate(labels)}
        missing = sorted({n for t in self.terms for n in t.over} - set(position))
        if missing:
            raise ConfigError(f"added cost {self.name!r} reads choices {space.name} does not have: {missing}")
        out = np.zeros(len(archs))
        for i, arch in enumerate(archs):
            indices = space.choices(space.coerce(arch))
            present = space.presence(indices)
            value = [options[k] if on else None for (_, options), k, on in zip(labels, indices, present)]
            out[i] = sum(t.fn(*(value[position[n]] for n in t.over)) for t in self.terms)
        return out


def names(added: Sequence[AddedCost]) -> tuple[str, ...]:
    """The names of ``added`` costs (``ConfigError`` if two share one)."""
    out = tuple(a.name for a in added)
    if len(set(out)) != len(out):
        raise ConfigError(f"two added costs share a name: {sorted(out)}")
    return out
