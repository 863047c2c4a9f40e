"""Performance predictors: ``nag.Predictor``."""

from nag.predictors.config import PredictorConfig
from nag.predictors.predictor import Predictor

__all__ = ["Predictor", "PredictorConfig"]
