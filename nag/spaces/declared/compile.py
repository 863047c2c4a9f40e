"""A declaration (choices, rules, costs) as a :class:`~nag.decision_diagram.DecisionDiagram`.

Choices become layers in declaration order. The state after a prefix holds the values of
the earlier choices that a later condition, rule or cost term still reads (the
*frontier*); every other part of the prefix is forgotten. Spaces whose rules and costs
are local (a block's kernel and expand ratio, a node's two inputs) therefore have a few
states per layer however large the space is. States are found breadth first from the
root, so the diagram is built without listing a member.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nag.decision_diagram import DecisionDiagram
from nag.errors import ConfigError
from nag.spaces.declared.choices import Choice, Cost, Rule, allowed_indices

#: states one layer may hold before the declaration is refused (its rules are too wide)
MAX_STATES = 200_000
ABSENT = -1


@dataclass(frozen=True)
class _Term:
    """A rule or cost term placed at the layer of its last choice."""

    scope: tuple[int, ...]
    fn: Any
    label: str


def conditions_of(choices: Sequence[Choice]) -> list[dict[int, frozenset[int]]]:
    """Per choice, ``{earlier choice index: allowed option indices}`` of its ``when``."""
    index = {c.name: i for i, c in enumerate(choices)}
    out = []
    for i, choice in enumerate(choices):
        condition = {}
        for name, spec in (choice.when or {}).items():
            if name not in index:
                raise ConfigError(f"choice {choice.name!r}: when= names unknown choice {name!r}")
            if index[name] >= i:
                raise ConfigError(f"choice {choice.name!r}: when= may name only earlier choices, not {name!r}")
            condition[index[name]] = allowed_indices(choices[index[name]], spec)
        out.append(condition)
    return out


def _terms(choices: Sequence[Choice], items: Sequence[Rule | Cost], what: str) -> list[_Term]:
    index = {c.name: i for i, c in enumerate(choices)}
    out = []
    for item in items:
        unknown = [n for n in item.over if n not in index]
        if unknown:
            raise ConfigError(f"{what} {getattr(item, 'name', getattr(item, 'kind', ''))!r} names unknown choice(s) {unknown}")
        out.append(_Term(tuple(index[n] for n in item.over), item.fn, f"{what} {getattr(item, 'name', None) or item.kind}"))
    return out


def _frontiers(n: int, conditions: list[dict[int, frozenset[int]]], scopes: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Per layer, the earlier choices a condition, rule or cost at this layer or later reads."""
    needed_until = [-1] * n
    for i, condition in enumerate(conditions):
        for v in condition:
            needed_until[v] = max(needed_until[v], i)
    for scope in scopes:
        for v in scope:
            needed_until[v] = max(needed_until[v], max(scope))
    return [tuple(v for v in range(i) if needed_until[v] >= i) for i in range(n + 1)]


def compile_diagram(choices: Sequence[Choice], rules: Sequence[Rule] = (), costs: Sequence[Cost] = (),
                    max_states: int = MAX_STATES, allowed: Sequence[np.ndarray] | None = None) -> DecisionDiagram:  # fmt: skip
    """The diagram of every assignment of ``choices`` that meets every rule (absent
    choices fixed at their first option), with one cost per distinct :attr:`Cost.name`.
    ``allowed``: per choice, a bool mask of the options it may take where it exists."""
    n = len(choices)
    if n == 0:
        raise ConfigError("a space needs at least one choice")
    names = [c.name for c in choices]
    if len(set(names)) != n:
        raise ConfigError(f"choice names must be unique; repeated: {sorted({x for x in names if names.count(x) > 1})}")
    conditions = conditions_of(choices)
    rule_terms, cost_terms = _terms(choices, rules, "rule"), _terms(choices, costs, "cost")
    cost_names = list(dict.fromkeys(c.name for c in costs))
    frontiers = _frontiers(n, conditions, [t.scope for t in rule_terms + cost_terms])
    at_layer: list[list[_Term]] = [[] for _ in range(n)]
    cost_at: list[list[tuple[str, _Term]]] = [[] for _ in range(n)]
    for term in rule_terms:
        at_layer[max(term.scope)].append(term)
    for cost, term in zip(costs, cost_terms):
        cost_at[max(term.scope, default=0)].append((cost.name, term))

    def value(v: int, env: dict[int, int]) -> Any:
        return None if env[v] == ABSENT else choices[v].options[env[v]]

    states: dict[tuple[int, ...], int] = {(): 0}
    transitions, layer_costs = [], {name: [] for name in cost_names}
    for i, choice in enumerate(choices):
        following: dict[tuple[int, ...], int] = {}
        k = len(choice.options)
        table = np.full((len(states), k), -1, dtype=np.int64)
        cost_tables = {name: np.zeros((len(states), k)) for name in cost_names}
        for key, s in states.items():
            env = dict(zip(frontiers[i], key))
            present = all(env[v] in allowed for v, allowed in conditions[i].items())
            for option in range(k) if present else (0,):
                if present and allowed is not None and not allowed[i][option]:
                    continue
                env[i] = option if present else ABSENT
                if not all(_call(t, [value(v, env) for v in t.scope]) for t in at_layer[i]):
                    continue
                next_key = tuple(env[v] for v in frontiers[i + 1])
                table[s, option] = following.setdefault(next_key, len(following))
                for name, term in cost_at[i]:
                    cost_tables[name][s, option] += float(_call(term, [value(v, env) for v in term.scope]))
        if len(following) > max_states:
            wide = ", ".join(choices[v].name for v in frontiers[i + 1])
            raise ConfigError(f"after choice {choice.name!r} the declaration needs {len(following)} states (more than "
                              f"{max_states}): its rules or costs read too many earlier choices at once ({wide})")  # fmt: skip
        transitions.append(table)
        for name in cost_names:
            layer_costs[name].append(cost_tables[name])
        states = following
    return DecisionDiagram(transitions, layer_costs)


def _call(term: _Term, values: list[Any]) -> Any:
    try:
        return term.fn(*values)
    except Exception as e:
        raise ConfigError(f"{term.label} failed on values {values}: {type(e).__name__}: {e}") from e
