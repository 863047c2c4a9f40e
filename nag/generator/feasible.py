"""``FeasibleSpace``: the archs of a space that meet hard constraints, as a space of its own.

``search.run(..., constraints={"flops": "<=3e8"}, allowed={"k": [5, 7]})`` searches this
view, so every strategy draws, mutates and steps only among feasible archs, and the oracle
refuses any other (every arch a strategy proposes passes the same check). A generator
draws from it what guidance trains on when sampling under constraints
(:meth:`~nag.generator.Generator.draw_archs`).

* A base space small enough to list: its feasible archs are listed once (exact).
* A larger one (a declared space): archs are drawn uniformly from its decision diagram
  kept to ``allowed`` and those breaking a constraint are drawn again (exactly uniform
  over the feasible archs); when few pass, the rest are decoded slot by slot under the
  exact additive bounds (:class:`~nag.diffusion.DiagramSet`; valid and feasible, close to
  uniform). :attr:`size` is then the number of archs keeping to ``allowed``: an upper
  bound on the feasible ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, cast

import numpy as np
import torch

from nag.errors import ConfigError
from nag.generator import constraints as constraint_specs
from nag.generator.layouts import MAX_LISTED
from nag.spaces import allowed as allowed_options
from nag.spaces.base import SearchSpace, as_rng
from nag.spaces.view import SpaceView

#: draws of ``max(4n, 256)`` archs before sampling falls back to slot-by-slot decoding
REJECTION_ROUNDS = 8
#: the share of a draw that must pass for rejection to go on
MIN_ACCEPTANCE = 0.05


class FeasibleSpace(SpaceView):
    """The archs of ``base`` meeting ``constraints`` (read from ``metrics``, the space's
    benchmark or its analytic costs; ``latency`` from ``latency_table``) and keeping to ``allowed``."""

    def __init__(self, base: SearchSpace, constraints: Mapping[str, Any] | None = None,
                 allowed: Mapping[str, Any] | None = None, metrics: Any = None, latency_table: Any = None):  # fmt: skip
        self.parsed = constraint_specs.parse(constraints)
        self.added: tuple[Any, ...] = ()
        if latency_table is not None:
            from nag.latency import added_cost

            self.added = (added_cost(latency_table, base),)
        self.masks = allowed_options.option_masks(base, allowed)
        words = [f"{m} {op} {b:g}" for m, (op, b) in self.parsed.items()]
        if self.masks is not None:
            words.append(allowed_options.describe(self.masks, base))
        super().__init__(base, f"the feasible archs ({'; '.join(words)})")
        self.constraints, self.allowed, self.metrics, self.latency_table = constraints, allowed, metrics, latency_table
        self.description, self.defaults = f"{base.name} archs with {'; '.join(words)}", base.defaults
        self._known: dict[Any, bool] = {}
        self.listed = base.size <= MAX_LISTED
        if self.listed:
            archs = base.all_archs()
            self._archs = [a for a, ok in zip(archs, self._check(archs)) if ok]
            if not self._archs:
                raise ConfigError(f"no arch of {base.name} is feasible: {self.label}")
        else:
            constraint_specs.split_additive(self.parsed, base, metrics, self.added)  # a metric it cannot read: fail now
            self.declared = cast(Any, base)  # a space too large to list is a DeclaredSpace (it has a diagram)
            self.diagram = self.declared.restricted_diagram(self.masks, self.added)
            self._decoder: Any = None

    def __repr__(self) -> str:
        return f"FeasibleSpace({self.base.name!r}, {self.label})"

    def sample_options(self) -> dict[str, Any]:
        """What ``Generator.sample`` takes to sample this view: constraints, allowed, metrics, latency_table."""
        return {"constraints": self.constraints, "allowed": self.allowed, "metrics": self.metrics,
                "latency_table": self.latency_table}  # fmt: skip

    # ------------------------------------------------------------- membership
    def _check(self, archs: list[Any]) -> np.ndarray:
        rows = np.array([self.base.choices(a) for a in archs], dtype=np.int64).reshape(len(archs), -1)
        ok = allowed_options.permits(self.base, self.masks, rows)
        if self.parsed and ok.any():
            kept = np.flatnonzero(ok)
            ok[kept] = self._meets([archs[i] for i in kept], rows[kept])
        for arch, value in zip(archs, ok.tolist()):
            self._known[arch] = value
        return ok

    def _meets(self, archs: list[Any], rows: np.ndarray) -> np.ndarray:
        """Whether each arch meets every constraint: additive costs of a large space summed
        along its decision diagram, the rest read as :func:`constraint_specs.evaluate` does."""
        if self.listed:
            return constraint_specs.evaluate(self.base, self.parsed, self.metrics, archs, self.added)
        additive, other = constraint_specs.split_additive(self.parsed, self.base, self.metrics, self.added)
        values = {m: self.diagram.cost(m, rows) for m in additive}  # rows keep to the allowed options
        values.update({m: constraint_specs.metric_values(self.metrics, m, archs) for m in other})
        return constraint_specs.feasible(values, self.parsed)

    def admits(self, arch: Any) -> bool:
        if arch not in self._known:
            self._check([arch])
        return self._known[arch]

    def neighbours(self, arch: Any) -> list[Any]:
        candidates = self.base.neighbours(self.coerce(arch))
        unknown = [a for a in candidates if a not in self._known]
        if unknown:
            self._check(unknown)
        return [a for a in candidates if self._known[a]]

    # ---------------------------------------------------------------- listing
    @property
    def size(self) -> int:
        return len(self._archs) if self.listed else self.diagram.size

    def enumerate(self) -> Iterator[Any]:
        if not self.listed:
            raise ConfigError(f"{self.base.name} is too large to list; sample its feasible archs instead")
        return iter(self._archs)

    def all_archs(self) -> list[Any]:
        return list(self.enumerate())

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> list[Any]:
        """``n`` feasible archs drawn independently (see the module docstring)."""
        rng = as_rng(seed)
        if self.listed:
            return [self._archs[i] for i in rng.integers(0, len(self._archs), size=n)]
        kept: list[Any] = []
        for _ in range(REJECTION_ROUNDS):
            if len(kept) >= n:
                break
            drawn = self.declared.from_members(self.diagram.sample(max(4 * n, 256), int(rng.integers(2**63))))
            passed = [a for a, ok in zip(drawn, self._check(drawn)) if ok]
            kept += passed
            if len(passed) < MIN_ACCEPTANCE * len(drawn):  # too few pass: decode under the bounds instead
                break
        while len(kept) < n:
            drawn = self._decode(max(4 * (n - len(kept)), 64), rng)
            passed = [a for a, ok in zip(drawn, self._check(drawn)) if ok]
            if not passed:
                raise ConfigError(f"no drawn arch of {self.base.name} is feasible ({self.label}); loosen the constraints")
            kept += passed
        return kept[:n]

    def _decode(self, n: int, rng: np.random.Generator) -> list[Any]:
        """``n`` archs decoded slot by slot under the exact additive bounds (uniform over each
        slot's options that keep every bound reachable)."""
        from nag.diffusion import DiagramSet

        if self._decoder is None:
            additive, _ = constraint_specs.split_additive(self.parsed, self.base, self.metrics, self.added)
            self._decoder = DiagramSet(self.diagram, [(m, op, b) for m, (op, b) in additive.items()])
        probs = torch.ones(n, len(self.diagram.sizes), self._decoder.k, dtype=torch.float64)
        generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
        return self.declared.from_members(self._decoder.decode(probs, generator).tolist())


def feasible(space: SearchSpace, constraints: Mapping[str, Any] | None = None, allowed: Mapping[str, Any] | None = None,
             metrics: Any = None, latency_table: Any = None) -> SearchSpace:  # fmt: skip
    """``space`` itself when nothing restricts it, else its :class:`FeasibleSpace`."""
    if not constraints and not allowed:
        return space
    return FeasibleSpace(space, constraints, allowed, metrics, latency_table)
