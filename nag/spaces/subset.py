"""``SubsetSpace``: the archs of a space that a table holds, as a space of its own.

A search over a benchmark that covers only part of its space (a user's results table)
must propose only archs the table can answer: every strategy draws, mutates and steps
within this subset (a :class:`~nag.spaces.view.SpaceView`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from nag.spaces.base import SearchSpace, SpaceDefaults
from nag.spaces.view import SpaceView


class SubsetSpace(SpaceView):
    """The archs ``archs`` of ``base`` (called ``label`` in messages, e.g. a table's name)."""

    def __init__(self, base: SearchSpace, archs: Sequence[Any], label: str = "the table"):
        super().__init__(base, label)
        self._archs = tuple(dict.fromkeys(base.coerce(a) for a in archs))
        self._members = set(self._archs)
        self.description = f"the {len(self._archs)} archs of {base.name} in {label}"
        self.defaults = SpaceDefaults(bench=None, trace_options=base.defaults.trace_options)

    def __repr__(self) -> str:
        return f"SubsetSpace({self.base.name!r}, archs={len(self._archs)}, label={self.label!r})"

    def admits(self, arch: Any) -> bool:
        return arch in self._members

    @property
    def size(self) -> int:
        return len(self._archs)

    def enumerate(self) -> Iterator[Any]:
        return iter(self._archs)

    def all_archs(self) -> list[Any]:
        return list(self._archs)
