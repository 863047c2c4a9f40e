"""``nag.Generator``: fit a graph diffusion model on a space's archs, sample valid archs from it."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nag import seeds, spaces
from nag.checkpoint import (
    CONFIG,
    WEIGHTS,
    check_shapes,
    config_section,
    config_value,
    is_object,
    load_checkpoint,
    load_state,
    save_checkpoint,
)
from nag.diffusion import Denoiser, DiagramSet, MarginalNoise, ValidSet, alpha_bar, sample, sampling_times, train_denoiser
from nag.errors import CheckpointError, ConfigError
from nag.generator import conditioning
from nag.generator import constraints as constraint_specs
from nag.generator.config import GeneratorConfig
from nag.generator.feasible import FeasibleSpace
from nag.generator.layouts import MAX_LISTED, layout_for
from nag.spaces import allowed as allowed_options

PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "checkpoints" / "generators"
#: uniform samples a generator of a space too large to list is fitted on by default
FIT_SAMPLES = 20_000
#: draws of ``n`` archs a constraint on a non-additive metric may take (rejection)
REJECTION_ROUNDS = 20


class Generator:
    """A discrete graph diffusion model over one search space.

    Build one with :meth:`fit` (or :meth:`load` / :meth:`from_pretrained`), then
    :meth:`sample` archs, optionally guided (see :mod:`nag.guidance`) and constrained.
    Every sample is a member of the space (and meets the constraints) by construction.

    A space of up to :data:`~nag.generator.layouts.MAX_LISTED` archs is listed once
    (:attr:`universe`; a :class:`~nag.diffusion.ValidSet` of its rows). A larger one is
    never listed: its rules and costs, compiled into a decision diagram, give a
    :class:`~nag.diffusion.DiagramSet` (:attr:`universe` is ``None``).
    """

    def __init__(self, space: Any, config: GeneratorConfig | None = None, device: str | torch.device = "cpu"):
        self.space = spaces.get(space) if isinstance(space, str) else space
        self.config = config or GeneratorConfig()
        self.layout = layout_for(self.space)
        self.device = torch.device(device)
        with torch.random.fork_rng():  # the initial weights follow config.seed, not the global RNG
            torch.manual_seed(self.config.seed)
            self.denoiser = Denoiser(self.layout, self.config.denoiser()).to(self.device)
        self.alpha_bar = alpha_bar(self.config.schedule, self.config.steps)
        allowed = torch.arange(self.layout.max_size).view(1, -1) < torch.tensor(self.layout.sizes).view(-1, 1)
        self.noise = MarginalNoise((allowed / allowed.sum(-1, keepdim=True)).to(self.device))  # uniform until fit
        self.listed = self.space.size <= MAX_LISTED
        if self.listed:
            self.universe: list[Any] | None = self.space.all_archs()
            self._rows = {tuple(self.space.choices(a)): a for a in self.universe}
            self.valid: Any = ValidSet(np.array(list(self._rows)), self.layout.sizes, self.layout.max_size)
        else:
            self.universe, self._rows = None, {}
            self.valid = DiagramSet(self.space.diagram, k=self.layout.max_size)
        self._feasible: dict[tuple, ValidSet] = {}
        self.report: dict[str, Any] = {}
        self.last: dict[str, Any] = {}

    # ---------------------------------------------------------------- encoding
    def to_rows(self, archs: Sequence[Any]) -> torch.Tensor:
        """Slot assignments [n, S] of archs (or their strings / graphs)."""
        return torch.tensor([self.space.choices(self.space.coerce(a)) for a in archs], dtype=torch.long)

    def to_archs(self, rows: torch.Tensor) -> list[Any]:
        """Archs of valid slot assignments [n, S]."""
        if self.listed:
            return [self._rows[tuple(r)] for r in rows.tolist()]
        return self.space.from_members(rows.tolist())  # decoded along the space's diagram: canonical members

    def draw_archs(self, n: int, seed: int | None = None, constraints: Mapping[str, Any] | None = None,
                   allowed: Mapping[str, Any] | None = None, metrics: Any = None, latency_table: Any = None) -> list[Any]:  # fmt: skip
        """``n`` distinct archs drawn uniformly (all of them if there are fewer) from the space,
        or, given ``constraints`` or ``allowed`` (as in :meth:`sample`), from its archs that meet
        them (listed: the rows of :meth:`feasible_set`; else drawn by
        :class:`~nag.generator.feasible.FeasibleSpace`, repeats dropped, so a few fewer may
        come back). What a generator is fitted on by default, and what guidance trains its
        surrogate on."""
        if self.listed:
            within = self.feasible_set(constraints, metrics, allowed=allowed, latency_table=latency_table)
            return _pick(self.universe if within is self.valid else self.to_archs(within.rows), n, seed)
        if constraints or allowed:
            view = FeasibleSpace(self.space, constraints, allowed, metrics, latency_table)
            return list(dict.fromkeys(view.sample(n, seed=seed)))
        return self.space.sample_distinct(min(n, self.space.size), seed=seed)

    def is_member(self, rows: torch.Tensor) -> torch.Tensor:
        """Whether each assignment [n, S] names a member of the space in any writing (the
        space may accept non-canonical choices, e.g. nbgraph's (link, ops) pairs): [n] bool."""
        found = self.valid.contains(rows)
        missing = torch.nonzero(~found).flatten()
        if len(missing):
            found[missing] = torch.from_numpy(self.space.contains_rows(rows[missing].cpu().numpy()))
        return found

    # --------------------------------------------------------------------- fit
    @classmethod
    def fit(cls, space: Any, archs: Sequence[Any] | None = None, weights: Sequence[float] | None = None,
            config: GeneratorConfig | None = None, progress: bool = False, device: str = "cpu",
            conditions: Sequence[str | None] | None = None, samples: int = FIT_SAMPLES, **fields: Any) -> Generator:  # fmt: skip
        """A generator fitted on ``archs``, each drawn with probability proportional to
        ``weights`` (default: uniform) during training. Without ``archs``: every arch of a
        space small enough to list, else ``samples`` distinct archs drawn uniformly from it
        (enough to learn each choice's options and how choices go together; validity and
        constraints never depend on it, they come from the space's rules).

        ``conditions``: one name (or None) per arch, e.g. the dataset an arch is good on;
        the generator then learns an embedding per name and samples for one with
        ``sample(condition=name)`` (an arch may appear once per condition)."""
        config = config or GeneratorConfig(**fields)
        labels = None
        if conditions is None and config.conditions:
            raise ConfigError("config.conditions names conditions but fit got no conditions= (one name or None per arch)")
        if conditions is not None:
            if archs is None or len(conditions) != len(archs):
                raise ConfigError("conditions needs archs= and one name (or None) per arch")
            names = tuple(sorted({c for c in conditions if c is not None}))
            if not names:
                raise ConfigError("conditions holds no name")
            config = dataclasses.replace(config, conditions=names)
            labels = torch.tensor([0 if c is None else names.index(c) + 1 for c in conditions])
        generator = cls(space, config, device)
        fitted_on = (
            "the archs given" if archs is not None else "every arch" if generator.listed else f"{samples:,} uniform samples"
        )
        if archs is None:
            if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
                raise ConfigError(f"samples must be an int >= 1, got {samples!r}")
            archs = generator.universe if generator.listed else generator.draw_archs(samples, seed=config.seed)
        archs = list(archs)
        if not archs:
            raise ConfigError("Generator.fit needs at least one arch")
        rows = generator.to_rows(archs)
        w = _weights(weights, len(rows))
        started = time.perf_counter()
        generator._set_marginals(rows, w)
        losses = train_denoiser(generator.denoiser, generator.noise, generator.alpha_bar, rows, w,
                                generator.config.training(), progress, labels)  # fmt: skip
        generator.report = {"archs": len(rows), "seconds": time.perf_counter() - started,
                            "final_loss": float(np.mean(losses[-100:])), "fitted_on": fitted_on}  # fmt: skip
        return generator

    def _set_marginals(self, rows: torch.Tensor, w: torch.Tensor) -> None:
        k = self.layout.max_size
        counts = (torch.nn.functional.one_hot(rows, k).float() * (w / w.sum()).view(-1, 1, 1)).sum(0)
        sizes = torch.tensor(self.layout.sizes).view(-1, 1)
        allowed = torch.arange(k).view(1, -1) < sizes
        m = (counts + self.config.smoothing / sizes) * allowed
        self.noise = MarginalNoise((m / m.sum(-1, keepdim=True)).to(self.device))

    # ------------------------------------------------------------------ sample
    def sample(self, n: int, guidance: Any = None, constraints: Mapping[str, Any] | None = None,
               seed: int | None = None, metrics: Any = None, sample_steps: int | None = None,
               exclude: Iterable[Any] | None = None, condition: Any = None, condition_scale: float = 1.0,
               allowed: Mapping[str, Any] | None = None, latency_table: Any = None) -> list[Any]:  # fmt: skip
        """``n`` archs of the space. ``guidance``: one callable or a list (see
        :mod:`nag.guidance`); ``constraints``: ``{metric: (op, bound)}`` read from ``metrics``
        (a Benchmark, ``{name: fn(archs)}``, or ``fn(archs) -> {name: values}``; default: the
        space's benchmark, e.g. nb201-cifar10's ``params`` / ``flops``); ``exclude``: archs
        never to return (e.g. the training archs, for novel samples only, or archs already
        evaluated); ``condition``: one of ``config.conditions`` (e.g. a dataset) or an
        embedding from :meth:`embed`, with ``condition_scale`` (1: the conditional model;
        above 1: more typical of the condition); ``allowed``: options some choices are kept
        to, e.g. ``{"op": ["skip_connect", "nor_conv_3x3"]}`` (see :mod:`nag.spaces.allowed`);
        ``latency_table``: a :class:`~nag.latency.LatencyTable` of this space (or its file),
        which makes ``latency`` (ms) a constraint bounded exactly like the analytic costs.
        Everything is checked before sampling starts; ``self.last`` holds the raw validity
        and timing."""
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ConfigError(f"n must be an int >= 0, got {n!r}")
        seed = seeds.check_seed(seed)
        times = sampling_times(self.config.steps, sample_steps or self.config.sample_steps)
        valid = self.feasible_set(constraints, metrics, exclude, allowed, latency_table)
        embedding = conditioning.resolve(self, condition)
        if not (isinstance(condition_scale, (int, float)) and 0 <= condition_scale <= 20):
            raise ConfigError(f"condition_scale must be a number in [0, 20], got {condition_scale!r}")
        guides = _as_list(guidance)
        if n == 0:
            return []
        guides = self._bind(
            guides, _context(constraints, metrics, exclude, sample_steps, condition, condition_scale, allowed, latency_table)
        )
        generator = torch.Generator().manual_seed(int(np.random.default_rng(seed).integers(2**62)))
        started = time.perf_counter()
        self.denoiser.eval()
        denoise = conditioning.denoiser_for(self, embedding, float(condition_scale))

        def draw(count: int) -> Any:
            return sample(
                denoise, self.noise, self.alpha_bar, times, valid, count, generator, guides, self.to_archs, self.is_member
            )

        result = draw(n)
        archs = self.to_archs(result.x0)
        rejection = self._rejected(constraints, metrics, latency_table)
        if rejection:
            archs = self._by_rejection(archs, n, rejection, metrics, lambda: self.to_archs(draw(n).x0))
        self.last = {"raw_validity": result.raw_valid, "seconds": time.perf_counter() - started,
                     "feasible": valid.size if hasattr(valid, "size") else len(valid)}  # fmt: skip
        return archs

    def _rejected(
        self, constraints: Mapping[str, Any] | None, metrics: Any, latency_table: Any = None
    ) -> dict[str, tuple[str, float]]:
        """The constraints met by rejection: none in a listed space, non-additive ones otherwise."""
        parsed = constraint_specs.parse(constraints)
        if self.listed or not parsed:
            return {}
        return constraint_specs.split_additive(parsed, self.space, metrics, self._added(latency_table))[1]

    def _added(self, latency_table: Any) -> tuple[Any, ...]:
        """The added costs of the sampling: a latency table's ``latency``, if one is given."""
        if latency_table is None:
            return ()
        from nag.latency import added_cost

        return (added_cost(latency_table, self.space),)

    def _by_rejection(self, archs: list[Any], n: int, parsed: dict[str, tuple[str, float]], metrics: Any,
                      more: Any) -> list[Any]:  # fmt: skip
        """``n`` archs meeting ``parsed`` (metrics from the user's functions): the passing ones
        of ``archs``, then of further draws from ``more()``, at most :data:`REJECTION_ROUNDS` in all."""
        kept, drawn = [], 0
        for round_ in range(REJECTION_ROUNDS):
            batch = archs if round_ == 0 else more()
            drawn += len(batch)
            values = {m: constraint_specs.metric_values(metrics, m, batch) for m in parsed}
            kept += [a for a, ok in zip(batch, constraint_specs.feasible(values, parsed)) if ok]
            if len(kept) >= n:
                return kept[:n]
        raise ConfigError(f"only {len(kept)} of {drawn} drawn archs met {dict(parsed)} (by rejection: "
                          f"{', '.join(parsed)} is not an additive cost of {self.space.name}); loosen it or guide towards it")  # fmt: skip

    def sample_batches(self, n: int, batch_size: int = 4096, guidance: Any = None, seed: int | None = None,
                       **options: Any) -> Iterator[list[Any]]:  # fmt: skip
        """:meth:`sample` ``n`` archs, yielded in lists of at most ``batch_size`` (memory holds
        one at a time). Guidance is bound (a surrogate fitted, a scale calibrated) once, for
        all batches. Batch ``k`` is drawn with a seed derived from ``(seed, k)``, the first one
        with ``seed`` itself: ``n <= batch_size`` gives what ``sample(n, ...)`` gives.
        ``options`` are :meth:`sample`'s (constraints, metrics, exclude, condition, ...)."""
        for name, value, low in (("n", n, 0), ("batch_size", batch_size, 1)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ConfigError(f"{name} must be an int >= {low}, got {value!r}")
        seed = seeds.check_seed(seed)
        if n == 0:
            return
        self.sample(0, guidance=guidance, seed=seed, **options)  # every check, before any work
        guides = self._bind(_as_list(guidance), _context(**options))
        for k, start in enumerate(range(0, n, batch_size)):
            batch_seed = (
                seed if k == 0 or seed is None else int(np.random.SeedSequence([seed, k]).generate_state(1, np.uint64)[0] >> 1)
            )
            yield self.sample(min(batch_size, n - start), guidance=guides, seed=batch_seed, **options)

    def _bind(self, guides: list[Any], context: dict[str, Any]) -> list[Any]:
        """Guidance as the sampler calls it: each one with a ``bind`` hook bound to this
        generator and the sampling ``context`` (constraints, condition, ...)."""
        return [g.bind(self, **context) if hasattr(g, "bind") else g for g in guides]

    def embed(
        self, archs: Sequence[Any], weights: Sequence[float] | None = None, iterations: int = 300, seed: int = 0
    ) -> torch.Tensor:
        """A new condition learned from ``archs`` known to be good (e.g. the best labelled archs
        of a new dataset), for ``sample(condition=...)``; the network stays as it is."""
        return conditioning.learn_embedding(self, archs, weights, iterations=iterations, seed=seed)

    def feasible_set(self, constraints: Mapping[str, Any] | None = None, metrics: Any = None,
                     exclude: Iterable[Any] | None = None, allowed: Mapping[str, Any] | None = None,
                     latency_table: Any = None) -> ValidSet:  # fmt: skip
        """The :class:`ValidSet` of archs meeting ``constraints``, keeping to ``allowed``
        and not in ``exclude`` (the last few are cached); ``latency_table`` as in :meth:`sample`."""
        parsed = constraint_specs.parse(constraints)
        added = self._added(latency_table)
        masks = allowed_options.option_masks(self.space, allowed)
        excluded = frozenset(self.space.coerce(a) for a in exclude) if exclude is not None else frozenset()
        if not parsed and not excluded and masks is None:
            return self.valid
        if not self.listed:
            additive, _ = constraint_specs.split_additive(parsed, self.space, metrics, added)
            bounds = [(metric, op, bound) for metric, (op, bound) in additive.items()]
            exclude_rows = np.array([self.space.choices(a) for a in excluded]) if excluded else None
            used = tuple(a for a in added if a.name in additive)
            return DiagramSet(self.space.restricted_diagram(masks, used), bounds, exclude_rows, self.layout.max_size)
        cacheable = metrics is None or hasattr(metrics, "table")  # a Benchmark; user functions may change
        key = (tuple(sorted(parsed.items())), metrics.name if cacheable and metrics is not None else None, excluded,
               allowed_options.cache_key(masks), tuple(a.key for a in added))  # fmt: skip
        if not cacheable or key not in self._feasible:
            ok = np.array([a not in excluded for a in self.universe])
            if masks is not None:
                ok &= allowed_options.permits(self.space, masks, np.array(list(self._rows)))
            ok &= constraint_specs.evaluate(self.space, parsed, metrics, self.universe, added)
            if not ok.any():
                where = ((f" {dict(parsed)}" if parsed else "") + (f" with {allowed_options.describe(masks, self.space)}" if masks is not None else "")
                         + (" outside the excluded archs" if excluded else "")) if parsed or masks is not None else ": every arch is excluded"  # fmt: skip
                raise ConfigError(f"no architecture satisfies the constraints{where}")
            rows = np.array([self.space.choices(a) for a, keep in zip(self.universe, ok) if keep])
            if len(self._feasible) >= 4:
                self._feasible.pop(next(iter(self._feasible)))
            self._feasible[key] = ValidSet(rows, self.layout.sizes, self.layout.max_size)
        return self._feasible[key]

    # --------------------------------------------------------------- save/load
    def save(self, directory: Path | str, **extra: Any) -> Path:
        """Write ``weights.safetensors`` + ``config.json`` into ``directory``."""
        tensors = {f"denoiser.{k}": v for k, v in self.denoiser.state_dict().items()}
        tensors["marginals"] = self.noise.marginals
        config = {**spaces.record(self.space), "generator": self.config.to_dict(), "report": self.report, **extra}
        return save_checkpoint(directory, "generator", tensors, config)

    @classmethod
    def load(cls, directory: Path | str, device: str = "cpu") -> Generator:
        """The generator saved in ``directory`` by :meth:`save`; a damaged or mismatched
        checkpoint raises :class:`~nag.errors.CheckpointError` naming the file."""
        directory = Path(directory)
        tensors, config = load_checkpoint(directory, "generator")
        config_path, source = directory / CONFIG, directory / WEIGHTS
        name = config_value(config, "space", config_path, lambda v: isinstance(v, str), "the name of a registered space")
        generator_config = config_section(config, "generator", config_path, GeneratorConfig)
        report = config_value(config, "report", config_path, is_object, "a JSON object", default={})
        document = config_value(config, "space_document", config_path, is_object, "a space declaration", default=None)
        try:
            space = spaces.from_record(name, document)
            layout = layout_for(space)
        except ConfigError as e:
            raise CheckpointError(f"{config_path} does not describe a generator: {e}") from None
        marginals = tensors.pop("marginals", None)
        expected = (len(layout.slots), layout.max_size)
        if marginals is None or not marginals.is_floating_point() or tuple(marginals.shape) != expected:
            raise CheckpointError(f"{source}: marginals missing or not floating point of shape {expected}")
        allowed = torch.arange(expected[1]).view(1, -1) < torch.tensor(layout.sizes).view(-1, 1)
        if not ((marginals[allowed] > 0).all() and (marginals[~allowed] == 0).all()
                and torch.allclose(marginals.sum(-1), torch.ones(expected[0], dtype=marginals.dtype), atol=1e-4)):  # fmt: skip
            raise CheckpointError(f"{source}: marginals are not distributions over each slot's options")
        denoiser = {k.removeprefix("denoiser."): v for k, v in tensors.items()}
        check_shapes(lambda: Denoiser(layout, generator_config.denoiser()), denoiser, source)
        generator = cls(space, generator_config, device)
        load_state(generator.denoiser, denoiser, source)
        generator.noise = MarginalNoise(marginals.to(generator.device))
        generator.report = report
        return generator

    @classmethod
    def from_pretrained(cls, name: str = "nb201", device: str = "cpu") -> Generator:
        """The shipped generator for space ``name`` (``nag/checkpoints/generators/<name>``)."""
        directory = PRETRAINED_DIR / name
        if not directory.is_dir():
            shipped = sorted(p.name for p in PRETRAINED_DIR.iterdir()) if PRETRAINED_DIR.is_dir() else []
            raise CheckpointError(f"no shipped generator {name!r}; shipped: {shipped}")
        return cls.load(directory, device)


def _pick(archs: Sequence[Any], n: int, seed: int | None) -> list[Any]:
    """``min(n, len(archs))`` distinct ``archs`` drawn uniformly."""
    pick = np.random.default_rng(seed).choice(len(archs), size=min(n, len(archs)), replace=False)
    return [archs[i] for i in pick]


def _context(constraints: Any = None, metrics: Any = None, exclude: Any = None, sample_steps: int | None = None,
             condition: Any = None, condition_scale: float = 1.0, allowed: Any = None,
             latency_table: Any = None) -> dict[str, Any]:  # fmt: skip
    """What a guidance's ``bind`` hook is told of the sampling: :meth:`Generator.sample`'s
    options, with its defaults."""
    return {"constraints": constraints, "metrics": metrics, "exclude": exclude, "sample_steps": sample_steps,
            "condition": condition, "condition_scale": condition_scale, "allowed": allowed,
            "latency_table": latency_table}  # fmt: skip


def _weights(weights: Sequence[float] | None, n: int) -> torch.Tensor:
    if weights is None:
        return torch.ones(n)
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ConfigError(f"weights must be {n} finite, non-negative numbers with a positive sum")
    return torch.as_tensor(w, dtype=torch.float32)


def _as_list(guidance: Any) -> list[Any]:
    if guidance is None:
        return []
    items = list(guidance) if isinstance(guidance, (list, tuple)) else [guidance]
    for g in items:
        if not callable(g) and not hasattr(g, "bind"):
            raise ConfigError(f"guidance must be callable (see nag.guidance), got {type(g).__name__}")
    return items
