"""Guidance for :meth:`nag.Generator.sample`: callables that reweight each sampling step.

* :class:`PredictorGuidance`: gradient guidance from a fitted predictor, made noise-aware inside;
* :class:`RewardGuidance`: derivative-free guidance for any black-box score;
* :func:`weighted_sum`: several objectives as one score.

Hard constraints are not guidance: pass ``constraints=`` to ``sample`` (masking).
"""

from nag.guidance.objective import weighted_sum
from nag.guidance.predictor import PredictorGuidance
from nag.guidance.reward import RewardGuidance

__all__ = ["PredictorGuidance", "RewardGuidance", "weighted_sum"]
