"""Where a space's categorical choices live in a graph: the diffusion state's shape.

A :class:`GraphLayout` places each *slot* (one categorical choice of a space, in the
space's own choice order) on a small graph of ``n_nodes`` nodes:

* ``node`` slot: the op type of node ``nodes[0]``;
* ``edge`` slot: the type of edge ``nodes[0] -> nodes[1]`` (option 0 may mean "no edge");
* ``parent`` slot: which of ``sources`` feeds node ``nodes[0]`` (an edge whose presence
  diffuses under an in-degree-one rule).

``pairs`` names the node pairs ``i < j`` that carry edge states (every pair by default;
a layout of many nodes names fewer, e.g. the choices that belong together, and its nodes
still attend to each other). The layout is pure data: the denoiser reads it to turn slot states into node and edge
features, and to read node, edge and parent logits back into slots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from nag.errors import ConfigError

SLOT_KINDS = ("node", "edge", "parent")


@dataclass(frozen=True)
class Slot:
    kind: str
    nodes: tuple[int, ...]
    size: int
    sources: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in SLOT_KINDS:
            raise ConfigError(f"slot kind must be one of {SLOT_KINDS}, got {self.kind!r}")
        arity = {"node": 1, "edge": 2, "parent": 1}[self.kind]
        if len(self.nodes) != arity:
            raise ConfigError(f"a {self.kind} slot names {arity} node(s), got {self.nodes}")
        if self.size < 1 or (self.kind == "parent" and len(self.sources) != self.size):
            raise ConfigError(f"slot {self} has an inconsistent size")


@dataclass(frozen=True)
class GraphLayout:
    n_nodes: int
    slots: tuple[Slot, ...]
    pairs: Optional[tuple[tuple[int, int], ...]] = None  # None: every pair i < j

    def __post_init__(self) -> None:
        if self.pairs is not None:
            object.__setattr__(self, "pairs", tuple(sorted({(int(i), int(j)) for i, j in self.pairs})))
            if any(not 0 <= i < j < self.n_nodes for i, j in self.pairs):
                raise ConfigError(f"layout pairs must be node pairs i < j within 0..{self.n_nodes - 1}")
        for slot in self.slots:
            if any(not 0 <= i < self.n_nodes for i in (*slot.nodes, *slot.sources)):
                raise ConfigError(f"slot {slot} names a node outside 0..{self.n_nodes - 1}")
            sources = slot.sources if slot.kind == "parent" else slot.nodes[:1] if slot.kind == "edge" else ()
            target = slot.nodes[-1]
            if any(source >= target for source in sources):
                raise ConfigError(f"slot {slot}: edges must run from a lower to a higher node (topological order)")
            if self.pairs is not None and any((source, target) not in self.pairs for source in sources):
                raise ConfigError(f"slot {slot}: its edges must be among the layout's pairs")

    def node_pairs(self) -> list[tuple[int, int]]:
        """The pairs carrying edge states, in order: ``pairs``, or every ``i < j``."""
        if self.pairs is not None:
            return list(self.pairs)
        return [(i, j) for i in range(self.n_nodes) for j in range(i + 1, self.n_nodes)]

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(slot.size for slot in self.slots)

    @property
    def max_size(self) -> int:
        return max(self.sizes)
