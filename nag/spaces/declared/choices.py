"""What a declared space is made of: named choices, rules between them, additive costs.

* :class:`Choice`: a named categorical choice with its options; ``when`` makes it exist
  only under a condition on earlier choices (a stage's depth decides which of its blocks
  exist). An absent choice has no value (``None``) and one canonical writing.
* :class:`Rule`: a predicate over a few choices that every member satisfies (two inputs
  distinct, in increasing order, a forbidden combination, or any Python function).
* :class:`Cost`: a term ``fn(values) -> float`` of an additive cost (params, MACs,
  latency): the cost of an arch is the sum of its terms.

Rules and cost terms see absent choices as ``None``. :func:`repeat` writes the choices of
a stage of ``depth`` repeated blocks.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nag.errors import ConfigError

_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "==": operator.eq, "!=": operator.ne,
}  # fmt: skip
_COMPARISON = re.compile(r"^\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Choice:
    """A categorical choice.

    Args:
        name: unique within the space (letters, digits, ``_ . -``).
        options: its values (ints, floats, strings or bools), at least one, distinct.
        when: ``{earlier choice: allowed values}``: the choice exists only when every named
            choice takes one of its values. A value may be a list, a single value or a
            comparison string such as ``">=3"``.
    """

    name: str
    options: tuple[Hashable, ...]
    when: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", self.name):
            raise ConfigError(f"choice name {self.name!r} must start with a letter or _ and hold only letters, digits, _ . -")
        options = tuple(self.options) if isinstance(self.options, (list, tuple, range)) else None
        if not options:
            raise ConfigError(f"choice {self.name!r} needs a non-empty list of options, got {self.options!r}")
        for value in options:
            if not isinstance(value, (int, float, str, bool)) or (isinstance(value, float) and not math.isfinite(value)):
                raise ConfigError(f"choice {self.name!r}: option {value!r} is not an int, finite float, string or bool")
        if len({(type(v), v) for v in options}) != len(options):
            raise ConfigError(f"choice {self.name!r} lists an option twice: {list(options)}")
        object.__setattr__(self, "options", options)
        if self.when is not None and (not isinstance(self.when, Mapping) or not self.when):
            raise ConfigError(f"choice {self.name!r}: when= must be a non-empty mapping choice -> allowed values")

    def index(self, value: Any) -> int:
        """The position of ``value`` among the options (``ConfigError`` if it is not one)."""
        for i, option in enumerate(self.options):
            if type(option) is type(value) and option == value:
                return i
        for i, option in enumerate(self.options):  # 3 for 3.0 and the like, never True for 1
            if not isinstance(value, bool) and not isinstance(option, bool) and option == value:
                return i
        raise ConfigError(f"{value!r} is not an option of {self.name!r}; options: {list(self.options)}")


def allowed_indices(choice: Choice, spec: Any) -> frozenset[int]:
    """The option indices of ``choice`` that a ``when`` value (list, value or comparison) allows."""
    if isinstance(spec, str):
        match = _COMPARISON.match(spec)
        if match and all(isinstance(o, (int, float)) and not isinstance(o, bool) for o in choice.options):
            op, bound = match.groups()
            try:
                number = float(bound)
            except ValueError:
                raise ConfigError(f"condition {spec!r} on {choice.name!r}: {bound!r} is not a number") from None
            return frozenset(i for i, o in enumerate(choice.options) if _COMPARISONS[op](o, number))
    values = spec if isinstance(spec, (list, tuple, set, frozenset)) else [spec]
    return frozenset(choice.index(v) for v in values)


@dataclass(frozen=True)
class Rule:
    """A predicate every member satisfies, over the choices ``over`` (absent ones: ``None``).

    Build one with :meth:`increasing`, :meth:`distinct`, :meth:`forbid` or :meth:`check`.
    """

    kind: str
    over: tuple[str, ...]
    fn: Callable[..., bool] = field(compare=False)
    spec: Any = None  # what the rule was written as (for YAML and messages)

    @classmethod
    def increasing(cls, *names: str) -> Rule:
        """The present choices' values strictly increase in the order given (one canonical
        order for an unordered set, e.g. a node's two inputs)."""

        def holds(*values: Any) -> bool:
            present = [v for v in values if v is not None]
            return all(a < b for a, b in zip(present, present[1:]))

        return cls("increasing", _names(names, 2), holds, list(names))

    @classmethod
    def distinct(cls, *names: str) -> Rule:
        """The present choices take pairwise different values."""

        def holds(*values: Any) -> bool:
            present = [v for v in values if v is not None]
            return len(set(present)) == len(present)

        return cls("distinct", _names(names, 2), holds, list(names))

    @classmethod
    def forbid(cls, combination: Mapping[str, Any]) -> Rule:
        """No member has every named choice at the given value (e.g. all four ops ``skip``)."""
        items = tuple(combination.items()) if isinstance(combination, Mapping) else ()
        if not items:
            raise ConfigError(f"Rule.forbid needs a non-empty mapping choice -> value, got {combination!r}")

        def holds(*values: Any) -> bool:
            return any(v is None or v != bad or type(v) is not type(bad) for v, (_, bad) in zip(values, items))

        return cls("forbid", _names([k for k, _ in items], 1), holds, dict(items))

    @classmethod
    def check(cls, fn: Callable[..., bool], *names: str) -> Rule:
        """Any predicate ``fn(*values)`` (Python only)."""
        if not callable(fn):
            raise ConfigError(f"Rule.check needs a callable, got {fn!r}")
        return cls("check", _names(names, 1), fn, getattr(fn, "__name__", "check"))


@dataclass(frozen=True)
class Cost:
    """One term of the additive cost ``name``: ``fn(*values of over)`` (absent: ``None``).

    A term over no choice is a constant (the fixed parts of a network)."""

    name: str
    over: tuple[str, ...]
    fn: Callable[..., float] = field(compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"a cost needs a name, got {self.name!r}")
        object.__setattr__(self, "over", tuple(self.over))
        if not callable(self.fn):
            raise ConfigError(f"cost {self.name!r}: fn must be callable, got {self.fn!r}")

    @classmethod
    def constant(cls, name: str, value: float) -> Cost:
        return cls(name, (), lambda: float(value))


def _names(names: Iterable[str], minimum: int) -> tuple[str, ...]:
    names = tuple(names)
    if len(names) < minimum or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"a rule needs at least {minimum} choice name(s), got {list(names)}")
    return names


def repeat(prefix: str, depth: Sequence[int], block: Sequence[Choice]) -> list[Choice]:
    """A stage of ``depth`` repeated blocks: the choice ``{prefix}.depth`` and, for block
    ``j`` (from 0), ``{prefix}.{j}.{name}`` for each choice of ``block``, present exactly when
    the depth exceeds ``j``."""
    depths = tuple(depth)
    if not depths or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in depths):
        raise ConfigError(f"repeat {prefix!r}: depth must list non-negative ints, got {list(depth)}")
    out = [Choice(f"{prefix}.depth", depths)]
    for j in range(max(depths)):
        longer = [d for d in depths if d > j]
        for choice in block:
            if choice.when is not None:
                raise ConfigError(f"repeat {prefix!r}: block choice {choice.name!r} cannot have its own when=")
            when = None if len(longer) == len(depths) else {f"{prefix}.depth": longer}
            out.append(Choice(f"{prefix}.{j}.{choice.name}", choice.options, when))
    return out
