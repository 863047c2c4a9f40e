"""``SearchSpace``: encode, decode, sample, enumerate and build one family of architectures."""

from __future__ import annotations

import functools
import numbers
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np
from torch import nn

from nag import seeds
from nag.errors import ConfigError, InvalidArchitecture
from nag.graph import CompGraph

A = TypeVar("A", bound=Hashable)

LEVELS = ("cell", "network")


@dataclass(frozen=True)
class SpaceDefaults:
    """What a space uses when the caller names nothing else (each ``None`` where it has none).

    Args:
        bench: the benchmark its constraint metrics and ``guidance=bench`` read.
        predictor: the shipped predictor ``guidance=predictor`` uses.
        generator: the shipped generator that samples it.
        conditioned_generator: the shipped generator that takes ``condition=``.
        trace_options: ``build`` options for cheap networks to trace and score (proxies).
    """

    bench: str | None = None
    predictor: str | None = None
    generator: str | None = None
    conditioned_generator: str | None = None
    trace_options: Mapping[str, Any] = field(default_factory=dict)


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """A numpy Generator from a Generator, a seed or ``None`` (fresh entropy); a bad seed
    raises :class:`~nag.errors.ConfigError`."""
    return seeds.rng(rng)


class SearchSpace(ABC, Generic[A]):
    """One family of architectures.

    Subclasses describe their archs as a fixed number of categorical *choices*
    (:meth:`choices` / :meth:`from_choices`); sampling, mutation, neighbourhoods and
    enumeration are built on that here, so a space writes only what differs.

    An arch is an immutable, hashable, ordered object (each space has its own class);
    every public method that takes an arch also accepts its string form.
    """

    name: str = ""
    #: One line saying what the space is.
    description: str = ""
    #: What the space uses when the caller names nothing else.
    defaults: SpaceDefaults = SpaceDefaults()
    #: Levels :meth:`to_graph` supports.
    levels: tuple[str, ...] = ("cell",)
    #: What :meth:`build`'s models learn: ``"image_classification"`` (built with
    #: ``num_classes``, ``in_channels``) or ``"node_classification"`` (``in_dim``, ``num_classes``).
    task: str = "image_classification"

    # ------------------------------------------------------------ what differs
    @abstractmethod
    def to_str(self, arch: A) -> str: ...

    @abstractmethod
    def from_str(self, text: str) -> A: ...

    @abstractmethod
    def to_graph(self, arch: A, level: str = "cell") -> CompGraph: ...

    @abstractmethod
    def from_graph(self, graph: CompGraph) -> A: ...

    @abstractmethod
    def choice_sizes(self) -> tuple[int, ...]:
        """Number of options of each categorical choice."""

    @abstractmethod
    def choices(self, arch: A) -> tuple[int, ...]:
        """The arch as one option index per choice."""

    @abstractmethod
    def from_choices(self, choices: Sequence[int]) -> A:
        """The (canonical) arch for option indices; ``InvalidArchitecture`` if none."""

    def contains_choices(self, choices: Sequence[int]) -> bool:
        """Whether ``choices`` name an arch of the space (canonical or not)."""
        try:
            self.from_choices(choices)
        except InvalidArchitecture:
            return False
        return True

    def contains_rows(self, rows: np.ndarray) -> np.ndarray:
        """:meth:`contains_choices` of each row of option indices ``[B, L]``: [B] bool."""
        return np.array([self.contains_choices(row) for row in np.asarray(rows).tolist()], dtype=bool)

    def check_choices(self, choices: Sequence[int]) -> list[int]:
        """``choices`` as ints, each within its range; ``InvalidArchitecture`` otherwise."""
        sizes = self.choice_sizes()
        values = list(choices)
        if len(values) != len(sizes):
            raise InvalidArchitecture(f"{self.name} archs have {len(sizes)} choices, got {len(values)}")
        for position, (value, size) in enumerate(zip(values, sizes)):
            if type(value) is int and 0 <= value < size:  # fast path (searches call this a lot)
                continue
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or not 0 <= value < size:
                raise InvalidArchitecture(f"choice {position} is {value!r}; expected an int in 0..{size - 1}")
        return [int(v) for v in values]

    @abstractmethod
    def enumerate(self) -> Iterator[A]:
        """Every arch of the space once, in a fixed order."""

    @abstractmethod
    def build(self, arch: A, **kwargs: Any) -> nn.Module: ...

    @abstractmethod
    def arch_type(self) -> type:
        """The class of this space's archs."""

    # ------------------------------------------- what a space may add (hooks)
    def example_input(self, batch: int = 1, **options: Any) -> tuple:
        """Inputs the network ``build(arch, **options)`` takes, for a batch of ``batch``
        (images) or a small graph (node classification); used to trace and export it."""
        raise ConfigError(f"space {self.name} gives no example input for its networks")

    def export_dims(self) -> tuple[dict[int, str], ...]:
        """The sizes of :meth:`example_input`'s tensors that may vary in an exported model."""
        return ({0: "batch"},)

    @property
    def cost_names(self) -> tuple[str, ...]:
        """The costs :meth:`cost` computes without building a network (e.g. params, flops)."""
        return ()

    def cost(self, archs: Sequence[Any], name: str, **options: Any) -> np.ndarray:
        """Cost ``name`` (one of :attr:`cost_names`) of each arch built with ``options``,
        computed analytically."""
        raise ConfigError(
            f"space {self.name} has no cost model for {name!r}; it computes: {', '.join(self.cost_names) or 'none'}"
        )

    def latency_plan(self, batch: int = 1, **options: Any) -> Any:
        """The :class:`~nag.spaces.latency_plan.LatencyPlan` of networks built with
        ``options`` at batch ``batch``: the parts a latency table times and how an arch's
        entries add up (:mod:`nag.latency`)."""
        raise ConfigError(f"space {self.name} has no latency plan (its networks are not split into timed parts)")

    def layout(self) -> Any:
        """The generator's :class:`~nag.diffusion.layout.GraphLayout` of this space's choices."""
        raise ConfigError(f"the generator cannot sample space {self.name} yet (it has no diffusion layout)")

    def benchmarks(self) -> Mapping[str, Any]:
        """The benchmarks of this space's archs it ships: name -> loader returning a
        :class:`~nag.bench.Benchmark` (``nag.bench.load`` finds them here)."""
        return {}

    def graph_batch(self, archs: Sequence[Any], level: str) -> Any:
        """The archs' graphs at ``level`` featurized a whole batch at once (a PyG ``Batch``
        equal to collating them one by one), or ``None`` where the space has no faster way."""
        return None

    def choice_labels(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Each choice's name and its options' labels, in choice order (what
        ``allowed={name: [labels]}`` restrictions read; default ``c0, c1, ...`` with
        options ``"0", "1", ...``)."""
        return tuple((f"c{i}", tuple(str(o) for o in range(k))) for i, k in enumerate(self.choice_sizes()))

    def presence(self, indices: Sequence[int]) -> list[bool]:
        """Which choices exist for option ``indices`` (every one, unless the space has
        conditional choices)."""
        return [True] * len(indices)

    def choice_encoding(self, archs: Sequence[Any]) -> np.ndarray:
        """One-hot rows ``[n, sum(choice_sizes)]`` of the archs' choices (a flat encoding for
        predictors that read the space's own choices)."""
        sizes = np.asarray(self.choice_sizes())
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        rows = np.array([self.choices(self.coerce(a)) for a in archs], dtype=np.int64).reshape(-1, len(sizes))
        out = np.zeros((len(rows), int(sizes.sum())), dtype=np.float32)
        out[np.arange(len(rows))[:, None], rows + offsets] = 1.0
        return out

    # ------------------------------------------------------------ shared logic
    def arch_text(self, text: object) -> str:
        """``text`` with surrounding whitespace and one pair of matching quotes removed (as
        pasted from a shell or a table); ``InvalidArchitecture`` if it is not a string."""
        if not isinstance(text, str):
            raise InvalidArchitecture(f"a {self.name} arch string must be a str, got {type(text).__name__} {text!r}")
        text = text.strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            text = text[1:-1].strip()
        return text

    def coerce(self, item: A | str | CompGraph) -> A:
        """An arch of this space from an arch, its string form or a ``CompGraph``."""
        if isinstance(item, self.arch_type()):
            return self.canonical(item)
        if isinstance(item, str):
            return self.from_str(item)
        if isinstance(item, CompGraph):
            return self.from_graph(item)
        raise InvalidArchitecture(f"cannot read a {self.name} arch from {type(item).__name__} {item!r}")

    def canonical(self, arch: A) -> A:
        """The space's canonical representative of ``arch`` (itself by default)."""
        return arch

    def contains(self, item: Any) -> bool:
        """Whether ``item`` (arch, string or ``CompGraph``) names an arch of this space."""
        try:
            self.coerce(item)
        except InvalidArchitecture:
            return False
        return True

    def __len__(self) -> int:
        return self.size

    @property
    def size(self) -> int:
        return sum(1 for _ in self.enumerate())

    def all_archs(self) -> list[A]:
        """:meth:`enumerate` as a list (cached)."""
        if not hasattr(self, "_all_archs"):
            self._all_archs = list(self.enumerate())
        return self._all_archs

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> list[A]:
        """``n`` archs drawn independently and uniformly from the space (with replacement)."""
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ConfigError(f"sample size must be an int >= 0, got {n!r}")
        archs = self.all_archs()
        return [archs[i] for i in as_rng(seed).integers(0, len(archs), size=n)]

    def neighbours(self, arch: A | str) -> list[A]:
        """Every distinct arch one choice away from ``arch`` (canonicalised, sorted)."""
        return list(self._neighbours(self.coerce(arch)))

    @functools.lru_cache(maxsize=65536)  # spaces are long-lived singletons: the cache never outlives its space
    def _neighbours(self, arch: A) -> tuple[A, ...]:
        base = list(self.choices(arch))
        found: set[A] = set()
        for position, size in enumerate(self.choice_sizes()):
            for option in range(size):
                if option == base[position]:
                    continue
                candidate = base.copy()
                candidate[position] = option
                try:
                    found.add(self.from_choices(candidate))
                except InvalidArchitecture:
                    continue
        found.discard(arch)
        return tuple(sorted(found))

    def mutate(self, arch: A | str, rng: np.random.Generator | int | None = None) -> A:
        """A uniformly chosen neighbour of ``arch`` (always a different arch)."""
        options = self.neighbours(arch)
        if not options:
            raise InvalidArchitecture(f"{self.to_str(self.coerce(arch))} has no neighbour in {self.name}")
        return options[int(as_rng(rng).integers(len(options)))]

    def check_level(self, level: str) -> None:
        if level not in self.levels:
            raise ConfigError(f"{self.name} has no graph level {level!r}; choose one of: {', '.join(self.levels)}")
