"""``DeclaredSpace``: a search space from named choices, rules and costs, of any size.

Everything a space needs is derived from the declaration without listing its archs: the
exact size, exactly uniform sampling (with or without replacement), ranks, membership,
canonical forms (absent choices take their first option), mutation and neighbourhoods,
a text form and its parser, and exact bounds on additive costs
(:attr:`DeclaredSpace.diagram`). :meth:`DeclaredSpace.enumerate` lists spaces up to
:data:`ENUMERATE_LIMIT` archs and refuses larger ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from torch import nn

from nag.decision_diagram import DecisionDiagram
from nag.errors import ConfigError, InvalidArchitecture
from nag.graph import CompGraph
from nag.spaces.allowed import cache_key
from nag.spaces.base import SearchSpace
from nag.spaces.declared.choices import Choice, Cost, Rule
from nag.spaces.declared.compile import compile_diagram, conditions_of
from nag.spaces.declared.text import TextForm

#: the most archs :meth:`DeclaredSpace.enumerate` lists
ENUMERATE_LIMIT = 10**6


@dataclass(frozen=True, order=True)
class DeclaredArch:
    """An arch of a declared space: its space's name and one option index per choice
    (absent choices at 0). ``arch["name"]`` is a choice's value (``None`` if absent)."""

    space_name: str
    choices: tuple[int, ...]
    space: Any = field(default=None, compare=False, repr=False)

    def __getitem__(self, name: str) -> Any:
        return self.space.values(self)[name]

    def as_dict(self) -> dict[str, Any]:
        """The present choices' values, by name (a flat dict of labelled choices)."""
        return {k: v for k, v in self.space.values(self).items() if v is not None}

    def __str__(self) -> str:
        return self.space.to_str(self)

    def __repr__(self) -> str:
        return f"DeclaredArch({self.space_name!r}, {str(self)!r})"

    def __reduce__(self):  # a registered space travels by name (worker processes, Ray)
        return (_rebuild, (self.space_name, self.choices, None if _registered(self.space) else self.space))


def _registered(space: Any) -> bool:
    from nag import spaces

    return space is not None and space.name in spaces.names() and spaces.get(space.name) is space


def _rebuild(name: str, choices: tuple[int, ...], space: Any) -> DeclaredArch:
    if space is None:
        from nag import spaces

        space = spaces.get(name)
    return DeclaredArch(name, choices, space)


class DeclaredSpace(SearchSpace[DeclaredArch]):
    """A space declared from :class:`Choice`s, :class:`Rule`s and :class:`Cost` terms.

    Args:
        name: the space's name.
        choices: in order; a choice's ``when`` may read only earlier choices.
        rules: predicates every member satisfies.
        costs: additive cost terms (several terms may share a name: they add up), e.g.
            ``params`` and ``flops`` (multiply-accumulates); or ``costs(**build options)``
            returning them, for costs that depend on how the arch is built (classes,
            resolution, width). :attr:`diagram` carries the costs at the default options.
        build: ``build(arch, **options) -> nn.Module``.
        to_graph: ``to_graph(arch, level) -> CompGraph``; by default the built module is
            traced with :func:`nag.graph.from_module` on ``example_input``.
        example_input: ``example_input(**build options) -> tuple of tensors`` to trace on.
        text: a template with one ``{name}`` per choice (see :mod:`nag.spaces.declared.text`);
            by default ``name=value`` pairs.
        levels: the graph levels :meth:`to_graph` offers.
        task: what built models learn (``"image_classification"``, ``"node_classification"``).
        description: one line saying what the space is.
        document: the declaration this space was read from (:mod:`nag.spaces.declared.document`),
            kept so checkpoints can carry it.
    """

    def __init__(self, name: str, choices: Sequence[Choice], rules: Sequence[Rule] = (),
                 costs: Sequence[Cost] | Callable[..., Sequence[Cost]] = (),
                 build: Callable[..., nn.Module] | None = None, to_graph: Callable[..., CompGraph] | None = None,
                 example_input: Callable[..., tuple] | None = None, text: str | None = None,
                 levels: Sequence[str] = ("network",), task: str = "image_classification", description: str = "",
                 document: Mapping[str, Any] | None = None):  # fmt: skip
        if not isinstance(name, str) or not name:
            raise ConfigError(f"a space needs a name, got {name!r}")
        choices = tuple(choices)
        if not all(isinstance(c, Choice) for c in choices):
            raise ConfigError("choices must be nag.spaces.Choice objects")
        self.name, self.description, self.task = name, description, task
        self.levels = tuple(levels)
        self.declared_choices, self.rules = choices, tuple(rules)
        self._costs_fn = costs if callable(costs) else None
        self._costs = costs if callable(costs) else (lambda terms=tuple(costs): terms)
        self.diagram = compile_diagram(choices, self.rules, tuple(self._costs()))
        self._costed: dict[str, Any] = {}
        self._restricted: dict[tuple, DecisionDiagram] = {}
        self._conditions = conditions_of(choices)
        self._index = {c.name: i for i, c in enumerate(choices)}
        self._text, self.text_template = TextForm(choices, text), text
        self.document = dict(document) if document is not None else None
        self._build, self._to_graph, self._example_input = build, to_graph, example_input

    def definition(self) -> str:
        """What makes two declarations the same space: choices, rules and text form (JSON)."""
        choices = [[c.name, [repr(o) for o in c.options], repr(c.when)] for c in self.declared_choices]
        rules = [[r.kind, list(r.over), repr(r.spec)] for r in self.rules]
        return json.dumps({"name": self.name, "choices": choices, "rules": rules, "text": self.text_template})

    def __repr__(self) -> str:
        return f"DeclaredSpace({self.name!r}, choices={len(self.declared_choices)}, size={self.size:.3g})"

    # ----------------------------------------------------------------- basics
    def arch_type(self) -> type:
        return DeclaredArch

    @property
    def size(self) -> int:
        return self.diagram.size

    def __len__(self) -> int:
        return len(self.diagram)

    def choice_sizes(self) -> tuple[int, ...]:
        return self.diagram.sizes

    def choices(self, arch: DeclaredArch) -> tuple[int, ...]:
        return self.coerce(arch).choices

    def restricted_diagram(self, masks: Sequence[np.ndarray] | None, added: Sequence[Any] = ()) -> DecisionDiagram:
        """:attr:`diagram` with each existing choice kept to the options ``masks`` allow
        (see :mod:`nag.spaces.allowed`) and the :class:`~nag.spaces.added_cost.AddedCost`
        terms of ``added`` compiled in; ``ConfigError`` if no arch is left."""
        if masks is None and not added:
            return self.diagram
        clash = sorted(set(self.cost_names) & {a.name for a in added})
        if clash:
            raise ConfigError(f"{self.name} already computes the cost(s) {clash}; an added cost needs another name")
        key = (cache_key(masks) if masks is not None else None, tuple(a.key for a in added))
        if key not in self._restricted:
            terms = tuple(self._costs()) + tuple(t for a in added for t in a.terms)
            try:
                diagram = compile_diagram(self.declared_choices, self.rules, terms, allowed=masks)
            except ConfigError as e:
                if masks is None:
                    raise
                raise ConfigError(f"no arch of {self.name} keeps to the allowed options") from e
            self._restricted = {**dict(list(self._restricted.items())[-3:]), key: diagram}
        return self._restricted[key]

    def diagram_with(self, added: Any) -> DecisionDiagram:
        """:attr:`diagram` with one added cost's terms compiled in (the last few are kept)."""
        return self.restricted_diagram(None, (added,))

    def choice_labels(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple((c.name, tuple(str(o) for o in c.options)) for c in self.declared_choices)

    def presence(self, indices: Sequence[int]) -> list[bool]:
        """Which choices exist for option ``indices`` (conditions read earlier choices)."""
        present: list[bool] = []
        for condition in self._conditions:
            present.append(all(present[v] and indices[v] in allowed for v, allowed in condition.items()))
        return present

    def from_choices(self, choices: Sequence[int]) -> DeclaredArch:
        """The canonical arch of option indices (absent choices set to 0), if the rules allow it."""
        indices = self.check_choices(choices)
        present = self.presence(indices)
        canonical = tuple(i if p else 0 for i, p in zip(indices, present))
        if not self.diagram.contains(np.array([canonical]))[0]:
            raise InvalidArchitecture(f"{self._text.write(self._present(canonical))!r} breaks {self._broken(canonical)}")
        return DeclaredArch(self.name, canonical, self)

    def contains_rows(self, rows: np.ndarray) -> np.ndarray:
        """Whether each row of option indices ``[B, L]`` names an arch (absent choices may hold
        any option), for a whole batch at once: [B] bool."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1, len(self.declared_choices))
        in_range = ((rows >= 0) & (rows < np.asarray(self.choice_sizes()))).all(1)
        present = np.ones(rows.shape, dtype=bool)
        for i, condition in enumerate(self._conditions):
            for v, allowed in condition.items():
                present[:, i] &= present[:, v] & np.isin(rows[:, v], list(allowed))
        return in_range & self.diagram.contains(np.where(present, rows, 0))  # the diagram refuses what is out of range

    def _present(self, indices: Sequence[int]) -> list[int | None]:
        return [i if p else None for i, p in zip(indices, self.presence(indices))]

    def _broken(self, indices: Sequence[int]) -> str:
        values = self.values_of(indices)
        for rule in self.rules:
            if not rule.fn(*(values[n] for n in rule.over)):
                return f"the rule {rule.kind} {rule.spec} of {self.name}"
        return f"a rule of {self.name}"

    def canonical(self, arch: DeclaredArch) -> DeclaredArch:
        if arch.space is self:
            return arch
        return self.from_choices(arch.choices)

    def coerce(self, item: Any) -> DeclaredArch:
        """An arch of this space from an arch, its text form or a mapping name -> value."""
        if isinstance(item, DeclaredArch):
            if item.space_name != self.name:
                raise InvalidArchitecture(f"an arch of space {item.space_name!r} is not an arch of {self.name!r}")
            return self.canonical(item)
        if isinstance(item, Mapping):
            return self.from_values(item)
        return super().coerce(item)

    # ------------------------------------------------------------ values, text
    def values_of(self, indices: Sequence[int]) -> dict[str, Any]:
        present = self.presence(indices)
        return {c.name: (c.options[i] if p else None) for c, i, p in zip(self.declared_choices, indices, present)}

    def values(self, arch: DeclaredArch) -> dict[str, Any]:
        """Every choice's value by name (``None`` where absent)."""
        return self.values_of(self.coerce(arch).choices)

    def from_values(self, values: Mapping[str, Any]) -> DeclaredArch:
        """The arch whose present choices take ``values`` (absent choices left out)."""
        indices = {}
        for name, value in values.items():
            if name not in self._index:
                raise InvalidArchitecture(f"{self.name} has no choice {name!r}")
            try:
                indices[self._index[name]] = self.declared_choices[self._index[name]].index(value)
            except ConfigError as e:
                raise InvalidArchitecture(str(e)) from None
        return self._from_given(indices, repr(dict(values)))

    def _from_given(self, given: dict[int, int], text: str) -> DeclaredArch:
        """The arch that sets exactly the present choices to ``given``."""
        indices, present = [0] * len(self.declared_choices), []
        for i, condition in enumerate(self._conditions):  # a choice's presence depends on earlier choices only
            present.append(all(present[v] and indices[v] in allowed for v, allowed in condition.items()))
            if present[i] and i not in given:
                raise InvalidArchitecture(f"{text} does not set {self.declared_choices[i].name!r}")
            if not present[i] and i in given:
                raise InvalidArchitecture(f"{text} sets {self.declared_choices[i].name!r}, which does not exist there "
                                          f"(it needs {dict(self.declared_choices[i].when or {})})")  # fmt: skip
            indices[i] = given.get(i, 0)
        return self.from_choices(indices)

    def to_str(self, arch: DeclaredArch) -> str:
        return self._text.write(self._present(self.coerce(arch).choices))

    def from_str(self, text: str) -> DeclaredArch:
        return self._from_given(self._text.read(text, self.name), repr(text))

    # --------------------------------------------------------------- sampling
    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> list[DeclaredArch]:
        """``n`` archs drawn independently and exactly uniformly over the space's archs."""
        return [DeclaredArch(self.name, row, self) for row in self.diagram.sample(_count(n), _seed(seed))]

    def from_members(self, rows: Sequence[Sequence[int]]) -> list[DeclaredArch]:
        """The archs of rows known to be canonical members (paths of :attr:`diagram` or of a
        :meth:`restricted_diagram`), without checking them again."""
        return [DeclaredArch(self.name, tuple(int(v) for v in row), self) for row in rows]

    def sample_distinct(self, n: int, seed: int | np.random.Generator | None = None) -> list[DeclaredArch]:
        """``n`` different archs, uniformly without replacement."""
        return [DeclaredArch(self.name, row, self) for row in self.diagram.sample(_count(n), _seed(seed), replace=False)]

    def rank(self, arch: Any) -> int:
        """The arch's position in :meth:`enumerate` order."""
        return self.diagram.rank(self.coerce(arch).choices)

    def unrank(self, index: int) -> DeclaredArch:
        return DeclaredArch(self.name, self.diagram.unrank(index), self)

    def enumerate(self) -> Iterator[DeclaredArch]:
        if self.size > ENUMERATE_LIMIT:
            raise ConfigError(f"{self.name} holds {self.size:.3g} archs, more than the {ENUMERATE_LIMIT:,} nag lists; "
                              "sample it instead")  # fmt: skip
        return (DeclaredArch(self.name, row, self) for row in self.diagram.enumerate())

    def all_archs(self) -> list[DeclaredArch]:
        if not hasattr(self, "_all_archs"):
            self._all_archs = list(self.enumerate())
        return self._all_archs

    def layout(self) -> Any:
        """The generator's layout read off the declaration: one node per choice, in order,
        whose type is the choice's option (absent choices sit at their canonical option 0).
        Edge states join consecutive choices, choices of one group (their names up to the
        last ``.``, e.g. a block's ``s1.0.k`` and ``s1.0.e``) and a conditional choice with
        the choices its condition reads; every node still attends to every other."""
        from nag.diffusion.layout import GraphLayout, Slot

        names = [c.name for c in self.declared_choices]
        groups = [name.rsplit(".", 1)[0] if "." in name else name for name in names]
        pairs = {(i, i + 1) for i in range(len(names) - 1)}
        pairs |= {(i, j) for j in range(len(names)) for i in range(j) if groups[i] == groups[j]}
        pairs |= {(self._index[read], j) for j, c in enumerate(self.declared_choices) for read in (c.when or {})}
        slots = tuple(Slot("node", (i,), size) for i, size in enumerate(self.choice_sizes()))
        return GraphLayout(len(names), slots, tuple(sorted(pairs)))

    # ------------------------------------------------------------------ costs
    @property
    def cost_names(self) -> tuple[str, ...]:
        return tuple(self.diagram.costs)

    def costed(self, **options: Any) -> Any:
        """The :class:`~nag.decision_diagram.DecisionDiagram` with the costs of archs built
        with ``options`` (e.g. ``resolution=32``); the last few are kept."""
        if not options:
            return self.diagram
        key = repr(sorted(options.items()))
        if key not in self._costed:
            if len(self._costed) >= 8:
                self._costed.pop(next(iter(self._costed)))
            try:
                terms = tuple(self._costs(**options))
            except TypeError as e:
                raise ConfigError(f"{self.name}'s cost model does not take {sorted(options)}: {e}") from None
            self._costed[key] = compile_diagram(self.declared_choices, self.rules, terms)
        return self._costed[key]

    def cost(self, archs: Sequence[Any], name: str, **options: Any) -> np.ndarray:
        """The additive cost ``name`` of each arch (the sum of its terms), built with ``options``."""
        rows = np.array([self.coerce(a).choices for a in archs], dtype=np.int64).reshape(-1, len(self.declared_choices))
        return self.costed(**options).cost(name, rows)

    # ------------------------------------------------------------ build, graph
    def build(self, arch: Any, **options: Any) -> nn.Module:
        if self._build is None:
            raise ConfigError(f"space {self.name} declares no builder (build=)")
        return self._build(self.coerce(arch), **options)

    def example_input(self, batch: int = 1, **options: Any) -> tuple:
        """The declared ``example_input(**options)`` (one sample), repeated to ``batch`` along
        the first dimension of each tensor."""
        if self._example_input is None:
            raise ConfigError(f"space {self.name} declares no example_input= to trace its models on")
        inputs = self._example_input(**options)
        inputs = inputs if isinstance(inputs, tuple) else (inputs,)
        return inputs if batch == 1 else tuple(x.expand(batch, *x.shape[1:]).clone() for x in inputs)

    def to_graph(self, arch: Any, level: str = "network", **options: Any) -> CompGraph:
        """The arch's computation graph: the declared ``to_graph``, else its traced network."""
        arch = self.coerce(arch)
        self.check_level(level)
        if self._to_graph is not None:
            return self._to_graph(arch, level, **options)
        from nag.graph import from_module

        return from_module(self.build(arch, **options), self.example_input(**options))

    def from_graph(self, graph: CompGraph) -> DeclaredArch:
        raise InvalidArchitecture(f"{self.name} archs cannot be read back from a computation graph; use their text form")


def _count(n: Any) -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, (bool, np.bool_)) or n < 0:
        raise ConfigError(f"sample size must be an int >= 0, got {n!r}")
    return int(n)


def _seed(seed: int | np.random.Generator | None) -> int | None:
    """A seed for Python's big-int generator from a seed, a numpy Generator or None."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0):
        raise ConfigError(f"seed must be an int >= 0, a numpy Generator or None, got {seed!r}")
    return None if seed is None else int(seed)
