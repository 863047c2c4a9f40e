"""Guidance by name: what ``nag sample guidance=NAME`` builds, and how a new kind registers.

A kind says which inputs it reads (a fitted predictor, a black-box score), whether it takes
a strength (``scale``), and how it describes itself; :func:`make` checks the inputs and
builds it. Register a new kind with ``GUIDANCE.register("name", lambda: GuidanceKind(...))``
and the CLI offers it (``nag sample guidance=name``) with no other change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nag.errors import ConfigError
from nag.guidance.objective import Score
from nag.registry import Registry


@dataclass(frozen=True)
class GuidanceInputs:
    """What a guidance may be built from; a kind reads the fields it names in ``needs``.

    Args:
        metric: the metric guided (a predictor's output, the score's name).
        maximize: the direction.
        scale: the strength, for kinds that take one (None: the kind's default).
        seed: seeds the kind's own randomness (a surrogate's fit).
        predictor: a fitted :class:`nag.Predictor` (or any object with its interface).
        score: ``fn(archs) -> values``, a black-box score such as benchmark lookups.
        source: the name of the predictor or score, for :meth:`GuidanceKind.describe`.
    """

    metric: str = "accuracy"
    maximize: bool = True
    scale: float | None = None
    seed: int = 0
    predictor: Any = None
    score: Score | None = None
    source: str = ""


@dataclass(frozen=True)
class GuidanceKind:
    """One kind of guidance.

    Args:
        build: ``build(inputs) -> guidance`` (None for unguided sampling).
        needs: the :class:`GuidanceInputs` fields it cannot do without ("predictor", "score").
        scaled: whether it takes ``scale``.
        summary: its description, formatted with ``metric``, ``direction`` and ``source``.
        preparing: what it does before the first step, if that takes a while (shown by the CLI).
    """

    build: Callable[[GuidanceInputs], Any]
    needs: tuple[str, ...] = ()
    scaled: bool = False
    summary: str = "unguided"
    preparing: str = ""

    def describe(self, inputs: GuidanceInputs) -> str:
        direction = "max" if inputs.maximize else "min"
        return self.summary.format(metric=inputs.metric, direction=direction, source=inputs.source)


GUIDANCE: Registry[GuidanceKind] = Registry("guidance")


def check(name: str, scale: float | None = None) -> GuidanceKind:
    """The kind ``name`` if it takes ``scale``; UnknownNameError or ConfigError otherwise."""
    kind = GUIDANCE.get(name)
    if scale is not None and not kind.scaled:
        scaled = ", ".join(f"guidance={n}" for n in GUIDANCE if GUIDANCE.get(n).scaled)
        raise ConfigError(f"scale sets the strength of {scaled}; drop it or pass one of those")
    if scale is not None and not scale >= 0:
        raise ConfigError(f"scale must be >= 0 (or left out for the default), got {scale}")
    return kind


def make(name: str, inputs: GuidanceInputs) -> Any:
    """The guidance ``name`` built from ``inputs``; ConfigError naming what is missing or not taken."""
    kind = check(name, inputs.scale)
    missing = [need for need in kind.needs if getattr(inputs, need) is None]
    if missing:
        raise ConfigError(f"guidance {name} needs {' and '.join(missing)}")
    return kind.build(inputs)


def _predictor(inputs: GuidanceInputs) -> Any:
    from nag.guidance.predictor import PredictorGuidance

    return PredictorGuidance(inputs.predictor, metric=inputs.metric, maximize=inputs.maximize, scale=inputs.scale,
                             seed=inputs.seed)  # fmt: skip


def _reward(inputs: GuidanceInputs) -> Any:
    from nag.guidance.reward import RewardGuidance

    assert inputs.score is not None  # make() checked it
    return RewardGuidance(inputs.score, maximize=inputs.maximize)


GUIDANCE.register("none", lambda: GuidanceKind(lambda inputs: None))
GUIDANCE.register("predictor", lambda: GuidanceKind(
    _predictor, needs=("predictor",), scaled=True, summary="guided by predictor {source} ({metric}, {direction})",
    preparing="fitting the guidance's noise-aware surrogate",
))  # fmt: skip
GUIDANCE.register("bench", lambda: GuidanceKind(
    _reward, needs=("score",), summary="guided by {metric} lookups in {source} ({direction})",
))  # fmt: skip
