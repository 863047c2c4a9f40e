"""Valid by construction without a list: the allowed assignments as a decision diagram.

:class:`DiagramSet` is the :class:`~nag.diffusion.masking.ValidSet` of a space too large to
list (1e18 archs and more). Its members are the paths of a
:class:`~nag.decision_diagram.DecisionDiagram` (the space's choices and rules, compiled)
that meet every cost bound, less an optional set of excluded rows.

Decoding walks the diagram slot by slot. At each slot a row may draw only the options
from its current state that can still complete to a member **and** keep every bound
reachable: for ``cost <= b`` the cost so far, plus the option's cost, plus the cheapest
completion after it must stay ``<= b`` (``>=``: the dearest completion). With one bound
this is exact both ways: every output meets it and no arch that meets it is ruled out.
With several bounds each is kept reachable on its own, which still rules out no feasible
arch; a row that reaches a slot with no option left (or an excluded row) is drawn again,
at most ``max_redraws`` times, and every output is checked against every bound.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence

import numpy as np
import torch

from nag.decision_diagram import DecisionDiagram
from nag.diffusion.noise import draw, normalise
from nag.errors import ConfigError

#: how a final cost is compared with its bound
_COMPARE: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq,
}  # fmt: skip


class DiagramSet:
    """Members of ``diagram`` meeting ``bounds`` and not in ``exclude``, for the sampler.

    Args:
        diagram: the space's decision diagram (with the costs the bounds name).
        bounds: ``(cost name, op, bound)`` triples, op one of ``<= < >= > ==``.
        exclude: rows ``[M, S]`` never to return (e.g. archs already evaluated).
        k: options per slot after padding (default: the largest slot).
        max_redraws: how often a row that dead-ends or is excluded is drawn again.
    """

    def __init__(self, diagram: DecisionDiagram, bounds: Sequence[tuple[str, str, float]] = (),
                 exclude: np.ndarray | None = None, k: int | None = None, max_redraws: int = 50):  # fmt: skip
        self.diagram, self.sizes = diagram, diagram.sizes
        self.k = k or max(self.sizes)
        self.bounds = [(name, op, float(b)) for name, op, b in bounds]
        for name, op, _ in self.bounds:
            if op not in _COMPARE:
                raise ConfigError(f"bound on {name!r}: op must be one of {list(_COMPARE)}, got {op!r}")
            diagram.cost_to_go(name)  # ConfigError naming the costs the diagram has
        self._check_reachable()
        self.excluded = (
            {tuple(r) for r in np.asarray(exclude, dtype=np.int64).reshape(-1, len(self.sizes)).tolist()}
            if exclude is not None
            else set()
        )
        self.max_redraws = max_redraws
        self.slot_masks = self._slot_masks()

    def _check_reachable(self) -> None:
        for name, op, bound in self.bounds:
            low, high = self.diagram.cost_range(name)
            if (op in ("<=", "==") and low > bound) or (op == "<" and low >= bound):
                raise ConfigError(f"no architecture has {name} {op} {bound:g}: the space's minimum {name} is {low:g}")
            if (op in (">=", "==") and high < bound) or (op == ">" and high <= bound):
                raise ConfigError(f"no architecture has {name} {op} {bound:g}: the space's maximum {name} is {high:g}")

    @property
    def size(self) -> int:
        """Members of the diagram (exact; before bounds and exclusions)."""
        return self.diagram.size

    def __len__(self) -> int:
        return min(self.diagram.size, np.iinfo(np.int64).max)

    def _slot_masks(self) -> torch.Tensor:
        masks = torch.zeros(len(self.sizes), self.k, dtype=torch.bool)
        for i, layer in enumerate(self.diagram.transitions):
            masks[i, : layer.shape[1]] = torch.from_numpy((layer >= 0).any(0))
        return masks

    # ---------------------------------------------------------------- decoding
    def _options(self, layer: int, states: np.ndarray, spent: dict[str, np.ndarray]) -> np.ndarray:
        """Options each row may take at ``layer`` from ``states`` with costs ``spent`` so far: [B, K] bool."""
        transitions = self.diagram.transitions[layer][states]  # [B, options]
        allowed = transitions >= 0
        target = np.clip(transitions, 0, None)
        for name, op, bound in self.bounds:
            low, high = self.diagram.cost_to_go(name)
            after = spent[name][:, None] + self.diagram.costs[name][layer][states]
            if op in ("<=", "<", "=="):  # the cheapest completion must still fit under the bound
                allowed &= _COMPARE["<" if op == "<" else "<="](after + low[layer + 1][target], bound)
            if op in (">=", ">", "=="):  # the dearest completion must still reach it
                allowed &= _COMPARE[">" if op == ">" else ">="](after + high[layer + 1][target], bound)
        out = np.zeros((len(states), self.k), dtype=bool)
        out[:, : allowed.shape[1]] = allowed
        return out

    def _decode_once(self, probs: torch.Tensor, generator: torch.Generator | None) -> tuple[torch.Tensor, np.ndarray]:
        """One slot-by-slot pass: assignments [B, S] and whether each reached a member
        meeting every bound [B] (a row left with no option keeps drawing uniformly)."""
        b, s, _ = probs.shape
        states = np.zeros(b, dtype=np.int64)
        alive = np.ones(b, dtype=bool)
        spent = {name: np.zeros(b) for name, _, _ in self.bounds}
        out = torch.empty(b, s, dtype=torch.int64)
        for slot in range(s):
            allowed = self._options(slot, states, spent)
            alive &= allowed.any(1)
            allowed[~alive] = self.slot_masks[slot].numpy()  # a dead row finishes anyhow; it is drawn again
            mask = torch.from_numpy(allowed)
            p = probs[:, slot] * mask
            p = torch.where(p.sum(-1, keepdim=True) > 0, p, mask.double())
            choice = draw(p.unsqueeze(1), generator).squeeze(1)
            out[:, slot] = choice
            picked = np.minimum(choice.numpy(), self.sizes[slot] - 1)
            safe = np.where(alive, states, 0)
            for name in spent:
                spent[name] = spent[name] + np.where(alive, self.diagram.costs[name][slot][safe, picked], 0.0)
            nxt = self.diagram.transitions[slot][safe, picked]
            states = np.where(alive & (nxt >= 0), nxt, 0)
            alive &= nxt >= 0
        return out, alive & self._meets(out.numpy(), alive)

    def _meets(self, rows: np.ndarray, members: np.ndarray) -> np.ndarray:
        ok = members.copy()
        if self.excluded:
            ok &= np.array([tuple(r) not in self.excluded for r in rows.tolist()])
        for name, op, bound in self.bounds:
            if ok.any():
                values = np.full(len(rows), np.nan)
                values[ok] = self.diagram.cost(name, rows[ok])
                ok[ok] = _COMPARE[op](values[ok], bound)
        return ok

    def decode(self, probs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """A member meeting every bound per row of ``probs`` [B, S, K], drawn slot by slot
        among the options that keep one reachable; rows that miss are drawn again."""
        probs = probs.detach().cpu().double()
        out, ok = self._decode_once(probs, generator)
        for _ in range(self.max_redraws):
            if ok.all():
                return out
            redo = np.flatnonzero(~ok)
            again, again_ok = self._decode_once(probs[redo], generator)
            out[redo], ok[redo] = again, again_ok
        if not ok.all():
            raise ConfigError(f"{int((~ok).sum())} of {len(ok)} samples found no arch meeting every bound outside the excluded "
                              f"archs in {self.max_redraws + 1} draws; loosen the bounds or exclude fewer archs")  # fmt: skip
        return out

    def contains(self, x: torch.Tensor) -> torch.Tensor:
        """Whether each row of ``x`` [B, S] is a member meeting every bound and not excluded: [B] bool."""
        rows = x.cpu().numpy().astype(np.int64)
        in_range = ((rows >= 0) & (rows < np.asarray(self.sizes))).all(1)
        members = np.zeros(len(rows), dtype=bool)
        if in_range.any():
            members[in_range] = self.diagram.contains(rows[in_range])
        return torch.from_numpy(self._meets(rows, members))

    def mask(self, probs: torch.Tensor) -> torch.Tensor:
        """``probs`` restricted to each slot's allowed options (any prefix), renormalised."""
        return normalise(probs * self.slot_masks.to(probs.device, probs.dtype))
