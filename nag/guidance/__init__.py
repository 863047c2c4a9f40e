"""Guidance for :meth:`nag.Generator.sample`: callables that reweight each sampling step.

* :class:`PredictorGuidance`: gradient guidance from a fitted predictor, made noise-aware inside;
* :class:`RewardGuidance`: derivative-free guidance for any black-box score;
* :func:`weighted_sum`: several objectives as one score;
* :data:`GUIDANCE`: the kinds by name (``nag sample guidance=NAME``), built by :func:`make`.

A guidance is either a step callable (:class:`nag.diffusion.sampler.Guidance`:
``guide(step) -> probs``) or an object with a ``bind`` hook (:class:`Bindable`) that the
generator calls once per ``sample`` call (once for all batches of ``sample_batches``)
to get that callable: where a guidance fits a surrogate or calibrates its strength.

Hard constraints are not guidance: pass ``constraints=`` to ``sample`` (masking).
"""

from typing import Any, Protocol, runtime_checkable

from nag.diffusion.sampler import Guidance
from nag.guidance.objective import weighted_sum
from nag.guidance.predictor import PredictorGuidance
from nag.guidance.registry import GUIDANCE, GuidanceInputs, GuidanceKind, make
from nag.guidance.reward import RewardGuidance


@runtime_checkable
class Bindable(Protocol):
    """A guidance that prepares itself for one generator and one sampling call.

    ``bind(generator, constraints=, metrics=, exclude=, sample_steps=, condition=,
    condition_scale=, allowed=)`` receives :meth:`nag.Generator.sample`'s options (new
    options may be added: accept ``**context``) and returns the step callable the sampler
    calls (a :class:`~nag.diffusion.sampler.Guidance`)."""

    def bind(self, generator: Any, **context: Any) -> Guidance: ...


__all__ = [
    "GUIDANCE",
    "Bindable",
    "Guidance",
    "GuidanceInputs",
    "GuidanceKind",
    "PredictorGuidance",
    "RewardGuidance",
    "make",
    "weighted_sum",
]
