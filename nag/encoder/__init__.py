"""The graph encoder: ``nag.Encoder`` and its contrastive pretraining."""

from nag.encoder import nb201_batch  # noqa: F401  (registers the NAS-Bench-201 batch featurizer)
from nag.encoder.config import EncoderConfig
from nag.encoder.model import Encoder

__all__ = ["Encoder", "EncoderConfig"]
