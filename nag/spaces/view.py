"""``SpaceView``: part of a space, as a space of its own.

A view's archs are the base space's own objects, written, drawn and built as there; a
subclass says which of them belong (:meth:`SpaceView.admits`) and how to list or draw
them. Every way an arch enters (an arch object, its text, its choices, its graph) goes
through the same membership check, so a search over a view can never query an arch
outside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from torch import nn

from nag.errors import InvalidArchitecture
from nag.graph import CompGraph
from nag.spaces.base import SearchSpace


class SpaceView(SearchSpace):
    """The archs of ``base`` a subclass admits (``label`` names the part in messages)."""

    def __init__(self, base: SearchSpace, label: str):
        self.base, self.label = base, label
        self.name, self.levels, self.task = base.name, base.levels, base.task

    def admits(self, arch: Any) -> bool:
        """Whether ``arch`` (a canonical arch of the base) belongs to this view."""
        raise NotImplementedError

    # ------------------------------------------------------------- membership
    def _member(self, arch: Any) -> Any:
        if not self.admits(arch):
            raise InvalidArchitecture(f"{self.base.to_str(arch)} is an arch of {self.base.name} but not in {self.label}")
        return arch

    def canonical(self, arch: Any) -> Any:
        return self._member(self.base.canonical(arch))

    def coerce(self, item: Any) -> Any:
        return self._member(self.base.coerce(item))

    def arch_type(self) -> type:
        return self.base.arch_type()

    def neighbours(self, arch: Any) -> list[Any]:
        return [a for a in self.base.neighbours(self.coerce(arch)) if self.admits(a)]

    # --------------------------------------------------------------- choices
    def choice_sizes(self) -> tuple[int, ...]:
        return tuple(self.base.choice_sizes())

    def choice_labels(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return self.base.choice_labels()

    def presence(self, indices: Sequence[int]) -> list[bool]:
        return self.base.presence(indices)

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

    def latency_plan(self, batch: int = 1, **options: Any) -> Any:
        return self.base.latency_plan(batch, **options)

    def layout(self) -> Any:
        return self.base.layout()

    def graph_batch(self, archs: Sequence[Any], level: str) -> Any:
        return self.base.graph_batch(archs, level)

    def choice_encoding(self, archs: Sequence[Any]) -> np.ndarray:
        return self.base.choice_encoding(archs)
