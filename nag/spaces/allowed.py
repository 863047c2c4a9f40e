"""Restrict a space's choices to some of their options, e.g. ``allowed={"op": ["skip_connect", "nor_conv_3x3"]}``.

A key names choices by (first match wins):

* a choice's exact name (``s1.0.k``, nb201's ``op2_1``);
* a *kind*: a name's last dotted part without its trailing digits and underscores
  (``normal.2.op0`` and ``op2_1`` are of kind ``op``, ``s1.0.k`` of kind ``k``);
* a glob over names (``normal.*.op?``, ``s[12].*.e``).

Its value lists the options the matching choices may take: labels as
:meth:`~nag.spaces.SearchSpace.choice_labels` writes them, or values whose ``str`` is one
(``[5, 7]`` for kernels 5 and 7). Several keys on one choice intersect. The restriction
holds wherever a choice exists: a choice absent from an arch (a block beyond its stage's
depth, at its canonical option) is not restricted.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nag.errors import ConfigError

#: per choice, which of its options are allowed (``None``: no restriction at all)
Masks = tuple[np.ndarray, ...]


def kind(name: str) -> str:
    """A choice's kind: the last dotted part of its name without trailing digits and ``_``."""
    return re.sub(r"[\d_]+$", "", name.rsplit(".", 1)[-1]) or name


def _matching(key: str, names: Sequence[str]) -> list[int]:
    if key in names:
        return [names.index(key)]
    by_kind = [i for i, name in enumerate(names) if kind(name) == key]
    return by_kind or [i for i, name in enumerate(names) if fnmatch.fnmatchcase(name, key)]


def option_masks(space: Any, allowed: Mapping[str, Any] | None) -> Masks | None:
    """Per choice of ``space``, a bool array of its allowed options; ``None`` when
    ``allowed`` restricts nothing. ``ConfigError`` naming what is wrong otherwise."""
    if allowed is None:
        return None
    if not isinstance(allowed, Mapping):
        raise ConfigError(f"allowed must map choice names or kinds to lists of options, got {type(allowed).__name__}")
    labels = space.choice_labels()
    names = [name for name, _ in labels]
    masks = [np.ones(len(options), dtype=bool) for _, options in labels]
    for key, values in allowed.items():
        if not isinstance(key, str):
            raise ConfigError(f"allowed: key {key!r} is not a choice name, kind or glob")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ConfigError(f"allowed[{key!r}] must be a non-empty list of options, got {values!r:.60}")
        chosen = _matching(key, names)
        if not chosen:
            kinds = ", ".join(dict.fromkeys(kind(n) for n in names))
            raise ConfigError(f"allowed: {key!r} names no choice of {space.name} (its kinds: {kinds}; or give a name or a glob)")
        wanted = {str(v) for v in values}
        known = set().union(*(labels[i][1] for i in chosen))
        if wanted - known:
            raise ConfigError(f"allowed[{key!r}]: {sorted(wanted - known)} are not options of {names[chosen[0]]}"
                              f"{' and the others it names' if len(chosen) > 1 else ''}; options: {list(labels[chosen[0]][1])}")  # fmt: skip
        for i in chosen:
            masks[i] &= np.array([label in wanted for label in labels[i][1]])
            if not masks[i].any():
                raise ConfigError(f"allowed leaves choice {names[i]} of {space.name} no option")
    return tuple(masks)


def permits(space: Any, masks: Masks | None, rows: np.ndarray) -> np.ndarray:
    """Whether each row ``[n, choices]`` of option indices keeps to ``masks`` in every
    choice it has (absent choices are free): ``[n]`` bool."""
    rows = np.asarray(rows, dtype=np.int64).reshape(-1, len(space.choice_sizes()))
    if masks is None:
        return np.ones(len(rows), dtype=bool)
    per_choice = np.stack([mask[rows[:, i]] for i, mask in enumerate(masks)], 1)  # [n, choices]
    ok: np.ndarray = np.asarray(per_choice.all(axis=1))
    for i in np.flatnonzero(~ok):  # a row that breaks a mask may do so only where the choice is absent
        ok[i] = all(keep or not present for keep, present in zip(per_choice[i], space.presence(rows[i].tolist())))
    return ok


def cache_key(masks: Masks | None) -> tuple | None:
    """A hashable form of ``masks`` (for caches of restricted sets)."""
    return None if masks is None else tuple(tuple(np.flatnonzero(m).tolist()) for m in masks)


def describe(masks: Masks | None, space: Any) -> str:
    """The restriction in words, for messages: ``op2_1 in {skip_connect, none}; ...``."""
    if masks is None:
        return "no restriction"
    labels = space.choice_labels()
    parts = [f"{name} in {{{', '.join(o for o, keep in zip(options, m) if keep)}}}"
             for (name, options), m in zip(labels, masks) if not m.all()]  # fmt: skip
    return "; ".join(parts) or "no restriction"
