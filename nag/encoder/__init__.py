"""The graph encoder: ``nag.Encoder`` and its contrastive pretraining."""

from nag.encoder.config import EncoderConfig
from nag.encoder.model import Encoder

__all__ = ["Encoder", "EncoderConfig"]
