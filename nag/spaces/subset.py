"""``SubsetSpace``: the archs of a space that a table holds, as a space of its own.

A search over a benchmark that covers only part of its space (a user's results table)
must propose only archs the table can answer: every strategy draws, mutates and steps
within this subset. It is a view: its archs are the base space's own objects, written and
built as there; only membership, sampling, listing and neighbourhoods are restricted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from torch import nn

from nag.errors import InvalidArchitecture
from nag.graph import CompGraph
from nag.spaces.base import SearchSpace, SpaceDefaults


class SubsetSpace(SearchSpace):
    """The archs ``archs`` of ``base`` (called ``label`` in messages, e.g. a table's name)."""

    def __init__(self, base: SearchSpace, archs: Sequence[Any], label: str = "the table"):
        self.base, self.label = base, label
        self._archs = tuple(dict.fromkeys(base.coerce(a) for a in archs))
        self._members = set(self._archs)
        self.name = base.name
        self.description = f"the {len(self._archs)} archs of {base.name} in {label}"
        self.levels, self.task = base.levels, base.task
        self.defaults = SpaceDefaults(bench=None, trace_options=base.defaults.trace_options)

    def __repr__(self) -> str:
        return f"SubsetSpace({self.base.name!r}, archs={len(self._archs)}, label={self.label!r})"

    # ------------------------------------------------------------- membership
    def _member(self, arch: Any) -> Any:
        if arch not in self._members:
            raise InvalidArchitecture(f"{self.base.to_str(arch)} is an arch of {self.base.name} but not in {self.label}")
        return arch

    def canonical(self, arch: Any) -> Any:
        return self._member(self.base.canonical(arch))

    def coerce(self, item: Any) -> Any:
        return self._member(self.base.coerce(item))

    def arch_type(self) -> type:
        return self.base.arch_type()

    @property
    def size(self) -> int:
        return len(self._archs)

    def enumerate(self) -> Iterator[Any]:
        return iter(self._archs)

    def all_archs(self) -> list[Any]:
        return list(self._archs)

    # --------------------------------------------------------------- choices
    def choice_sizes(self) -> tuple[int, ...]:
        return tuple(self.base.choice_sizes())

    def choices(self, arch: Any) -> tuple[int, ...]:
        return tuple(self.base.choices(self.coerce(arch)))

    def from_choices(self, choices: Sequence[int]) -> Any:
        return self._member(self.base.from_choices(choices))

    # ------------------------------------------------------- all else: the base
    def to_str(self, arch: Any) -> str:
        return self.base.to_str(arch)

    def from_str(self, text: str) -> Any:
        return self._member(self.base.from_str(text))

    def to_graph(self, arch: Any, level: str | None = None, **options: Any) -> CompGraph:
        return self.base.to_graph(self.coerce(arch), level or self.levels[0], **options)

    def from_graph(self, graph: CompGraph) -> Any:
        return self._member(self.base.from_graph(graph))

    def build(self, arch: Any, **options: Any) -> nn.Module:
        return self.base.build(self.coerce(arch), **options)

    def example_input(self, batch: int = 1, **options: Any) -> tuple:
        return self.base.example_input(batch=batch, **options)

    def export_dims(self) -> tuple[dict[int, str], ...]:
        return self.base.export_dims()

    @property
    def cost_names(self) -> tuple[str, ...]:
        return tuple(self.base.cost_names)

    def cost(self, archs: Sequence[Any], name: str, **options: Any) -> np.ndarray:
        return self.base.cost([self.coerce(a) for a in archs], name, **options)

    def layout(self) -> Any:
        return self.base.layout()

    def graph_batch(self, archs: Sequence[Any], level: str) -> Any:
        return self.base.graph_batch(archs, level)
