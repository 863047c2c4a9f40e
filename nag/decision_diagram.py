"""``DecisionDiagram``: a set of fixed-length choice sequences as a layered graph of states.

Layer ``i`` maps ``(state, option) -> next state`` (``-1``: the option is not allowed from
that state). Every path from the root (state 0 of layer 0) through all layers to the
terminal (state 0 after the last layer) is one member. Counting the completions of every
state gives, without listing a member:

* the exact size (a Python int, so spaces of 1e19 and more are counted exactly);
* ranks and unranks (members in lexicographic order of their options), hence exactly
  uniform sampling, with or without replacement;
* the options that can still complete a prefix (what a slot-by-slot decoder may draw).

Costs attached to transitions (``costs[name][i]``: ``[states, options]``) add up along a
path; the cheapest and the dearest completion of every state (a backward pass) tell
which options keep a bound ``cost <= b`` or ``cost >= b`` reachable, exactly.

The diagram is pure data on numpy arrays: it knows nothing about spaces or networks.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from nag.errors import ConfigError, InvalidArchitecture


class DecisionDiagram:
    """Members of a product of categorical choices, as layers of state transitions.

    Args:
        transitions: per layer an int array ``[states_i, options_i]`` of next-layer states
            (``-1``: not allowed). Layer 0 has one state; the last layer's targets are 0
            (the terminal). States that cannot reach the terminal are pruned here.
        costs: ``name -> per layer float array [states_i, options_i]``: what taking an
            option from a state adds to the named cost.
    """

    def __init__(self, transitions: Sequence[np.ndarray], costs: Mapping[str, Sequence[np.ndarray]] | None = None):
        layers = [np.array(t, dtype=np.int64, copy=True) for t in transitions]
        if not layers:
            raise ConfigError("a decision diagram needs at least one layer")
        if layers[0].shape[0] != 1:
            raise ConfigError(f"layer 0 must have one state (the root), got {layers[0].shape[0]}")
        for i, layer in enumerate(layers):
            following = layers[i + 1].shape[0] if i + 1 < len(layers) else 1
            if layer.ndim != 2 or layer.shape[1] < 1 or (layer >= following).any() or (layer < -1).any():
                raise ConfigError(f"layer {i}: transitions must be [states, options] ints in -1..{following - 1}")
        if any(layer.shape[0] == 0 for layer in layers):
            raise ConfigError("the diagram has no member: no choice sequence satisfies every rule")
        self.transitions = layers
        self.sizes: tuple[int, ...] = tuple(int(t.shape[1]) for t in layers)
        self.counts = self._prune()
        if self.counts[0][0] == 0:
            raise ConfigError("the diagram has no member: no choice sequence satisfies every rule")
        self.costs: dict[str, list[np.ndarray]] = {}
        self._to_go: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {}
        for name, per_layer in (costs or {}).items():
            self.add_cost(name, per_layer)
        self._probabilities: list[np.ndarray] | None = None

    # ------------------------------------------------------------ construction
    @classmethod
    def product(cls, sizes: Sequence[int]) -> DecisionDiagram:
        """Every combination of independent choices with ``sizes`` options each."""
        return cls([np.zeros((1, int(k)), dtype=np.int64) for k in sizes])

    @classmethod
    def from_rows(cls, rows: np.ndarray, sizes: Sequence[int]) -> DecisionDiagram:
        """The listed members ``rows`` ``[M, L]`` (a trie: one state per distinct prefix)."""
        rows = np.unique(np.asarray(rows, dtype=np.int64).reshape(-1, len(sizes)), axis=0)
        if len(rows) == 0:
            raise ConfigError("no member listed")
        if (rows < 0).any() or (rows >= np.asarray(sizes)).any():
            raise ConfigError("a listed member holds an option outside its choice's range")
        transitions = []
        prefix_ids = np.zeros(len(rows), dtype=np.int64)  # state of each row at the current layer
        for i, k in enumerate(sizes):
            if i + 1 < len(sizes):
                _, following = np.unique(np.stack([prefix_ids, rows[:, i]], 1), axis=0, return_inverse=True)
                following = following.reshape(-1)
            else:
                following = np.zeros(len(rows), dtype=np.int64)
            layer = np.full((int(prefix_ids.max()) + 1, int(k)), -1, dtype=np.int64)
            layer[prefix_ids, rows[:, i]] = following
            transitions.append(layer)
            prefix_ids = following
        return cls(transitions)

    def _prune(self) -> list[list[int]]:
        """Completion counts per state (Python ints); transitions into dead states become -1."""
        counts: list[list[int]] = [[] for _ in self.transitions] + [[1]]
        for i in range(len(self.transitions) - 1, -1, -1):
            layer, after = self.transitions[i], counts[i + 1]
            alive = np.array([c > 0 for c in after])
            layer[(layer >= 0) & ~alive[np.clip(layer, 0, None)]] = -1
            counts[i] = [sum(after[t] for t in row if t >= 0) for row in layer.tolist()]
        return counts[:-1]

    def add_cost(self, name: str, per_layer: Sequence[np.ndarray]) -> None:
        """Attach cost ``name`` (per layer ``[states, options]`` floats, finite where allowed)."""
        arrays = [np.asarray(c, dtype=np.float64) for c in per_layer]
        if len(arrays) != len(self.transitions) or any(c.shape != t.shape for c, t in zip(arrays, self.transitions)):
            raise ConfigError(f"cost {name!r} must have one [states, options] array per layer, shaped like the transitions")
        if any(not np.isfinite(c[t >= 0]).all() for c, t in zip(arrays, self.transitions)):
            raise ConfigError(f"cost {name!r} is not finite on every allowed option")
        self.costs[name] = arrays
        self._to_go[name] = self._cost_to_go(arrays)

    def _cost_to_go(self, arrays: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The cheapest and the dearest completion of every state, layer by layer (+ the terminal)."""
        low, high = [np.zeros(1)], [np.zeros(1)]
        for layer, cost in zip(reversed(self.transitions), reversed(arrays)):
            allowed = layer >= 0
            target = np.clip(layer, 0, None)
            low.append(np.where(allowed, cost + low[-1][target], np.inf).min(1))
            high.append(np.where(allowed, cost + high[-1][target], -np.inf).max(1))
        return low[::-1], high[::-1]

    # --------------------------------------------------------------- counting
    @property
    def size(self) -> int:
        """The number of members (exact)."""
        return self.counts[0][0]

    def __len__(self) -> int:
        if self.size > np.iinfo(np.int64).max:
            raise OverflowError(f"{self.size} members do not fit len(); use .size")
        return self.size

    @property
    def n_layers(self) -> int:
        return len(self.transitions)

    def allowed(self, layer: int, state: int) -> np.ndarray:
        """Options of ``layer`` that can still complete a member from ``state``: [options] bool."""
        return self.transitions[layer][state] >= 0

    def probabilities(self) -> list[np.ndarray]:
        """Per layer ``[states, options]``: the share of a state's completions behind each
        option (a uniform member, drawn option by option)."""
        if self._probabilities is None:
            out = []
            for i, layer in enumerate(self.transitions):
                after = self.counts[i + 1] if i + 1 < self.n_layers else [1]
                share = np.zeros(layer.shape, dtype=np.float64)
                for s, row in enumerate(layer.tolist()):
                    total = self.counts[i][s]
                    if total:
                        share[s] = [after[t] / total if t >= 0 else 0.0 for t in row]
                out.append(share)
            self._probabilities = out
        return self._probabilities

    # ------------------------------------------------------ members and ranks
    def walk(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """States of ``rows`` ``[B, L]`` at every layer ``[B, L]`` (-1 once a row left the
        diagram) and whether each row is a member ``[B]``."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1, self.n_layers)
        states = np.zeros(rows.shape, dtype=np.int64)
        current = np.zeros(len(rows), dtype=np.int64)
        for i, (layer, k) in enumerate(zip(self.transitions, self.sizes)):
            states[:, i] = current
            ok = (current >= 0) & (rows[:, i] >= 0) & (rows[:, i] < k)
            current = np.where(ok, layer[np.clip(current, 0, None), np.clip(rows[:, i], 0, k - 1)], -1)
        return states, current == 0

    def contains(self, rows: np.ndarray) -> np.ndarray:
        """Whether each row ``[B, L]`` is a member: [B] bool."""
        return self.walk(rows)[1]

    def rank(self, row: Sequence[int]) -> int:
        """The position of member ``row`` in lexicographic order (0 .. size - 1)."""
        row = [int(v) for v in row]
        if len(row) != self.n_layers:
            raise InvalidArchitecture(f"expected {self.n_layers} options, got {len(row)}")
        index, state = 0, 0
        for i, (layer, option) in enumerate(zip(self.transitions, row)):
            if not 0 <= option < self.sizes[i] or layer[state, option] < 0:
                raise InvalidArchitecture(f"option {option} of choice {i} cannot follow the options before it")
            after = self.counts[i + 1] if i + 1 < self.n_layers else [1]
            index += sum(after[t] for t in layer[state, :option].tolist() if t >= 0)
            state = int(layer[state, option])
        return index

    def unrank(self, index: int) -> tuple[int, ...]:
        """The member at position ``index`` of lexicographic order."""
        if not 0 <= index < self.size:
            raise ConfigError(f"index must be in 0..{self.size - 1}, got {index}")
        out, state = [], 0
        for i, layer in enumerate(self.transitions):
            after = self.counts[i + 1] if i + 1 < self.n_layers else [1]
            for option, target in enumerate(layer[state].tolist()):
                if target < 0:
                    continue
                if index < after[target]:
                    out.append(option)
                    state = target
                    break
                index -= after[target]
        return tuple(out)

    def sample(self, n: int, seed: int | None = None, replace: bool = True) -> list[tuple[int, ...]]:
        """``n`` members drawn exactly uniformly (by unranking uniform big-int ranks);
        ``replace=False``: distinct members (``n`` at most the size)."""
        if not replace and n > self.size:
            raise ConfigError(f"cannot draw {n} distinct members from {self.size}")
        rng = random.Random(seed)
        if replace:
            return [self.unrank(rng.randrange(self.size)) for _ in range(n)]
        if 2 * n > self.size:  # dense: a permutation of every rank
            return [self.unrank(i) for i in rng.sample(range(self.size), n)]
        chosen: dict[int, None] = {}
        while len(chosen) < n:
            chosen.setdefault(rng.randrange(self.size), None)
        return [self.unrank(i) for i in chosen]

    def enumerate(self) -> Iterator[tuple[int, ...]]:
        """Every member once, in lexicographic order (depth first)."""
        stack: list[tuple[int, int, tuple[int, ...]]] = [(0, 0, ())]
        while stack:
            layer, state, prefix = stack.pop()
            if layer == self.n_layers:
                yield prefix
                continue
            row = self.transitions[layer][state].tolist()
            for option in range(len(row) - 1, -1, -1):
                if row[option] >= 0:
                    stack.append((layer + 1, row[option], prefix + (option,)))

    # ------------------------------------------------------------------ costs
    def cost(self, name: str, rows: np.ndarray) -> np.ndarray:
        """Cost ``name`` of each member row ``[B, L]`` (summed in layer order): [B] floats."""
        arrays = self._cost(name)
        rows = np.asarray(rows, dtype=np.int64).reshape(-1, self.n_layers)
        states, member = self.walk(rows)
        if not member.all():
            raise InvalidArchitecture(f"row {int(np.argmin(member))} is not a member")
        total = np.zeros(len(rows))
        for i, cost in enumerate(arrays):
            total += cost[states[:, i], rows[:, i]]
        return total

    def cost_range(self, name: str) -> tuple[float, float]:
        """The cheapest and the dearest member's cost ``name``."""
        low, high = self._to_go[self._checked(name)]
        return float(low[0][0]), float(high[0][0])

    def cost_to_go(self, name: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per layer (and the terminal) ``[states]``: the cheapest and the dearest completion."""
        return self._to_go[self._checked(name)]

    def _cost(self, name: str) -> list[np.ndarray]:
        return self.costs[self._checked(name)]

    def _checked(self, name: str) -> str:
        if name not in self.costs:
            raise ConfigError(f"no cost {name!r} on this diagram; it has: {', '.join(self.costs) or 'none'}")
        return name
