"""Discrete graph diffusion: schedule, noise process, denoiser and sampler, each apart.

Nothing here knows about search spaces or predictors: a :class:`GraphLayout` says where
each categorical choice lives in a graph, a :class:`ValidSet` (listed rows) or a
:class:`DiagramSet` (a decision diagram's members, under cost bounds) says which
assignments are allowed, and guidance arrives as callables. :class:`nag.Generator` ties them to a space.
"""

from nag.diffusion.denoiser import Denoiser, DenoiserConfig
from nag.diffusion.diagram_set import DiagramSet
from nag.diffusion.layout import GraphLayout, Slot
from nag.diffusion.masking import ValidSet
from nag.diffusion.noise import MarginalNoise
from nag.diffusion.sampler import Guidance, SampleResult, Step, sample
from nag.diffusion.schedule import alpha_bar, sampling_times
from nag.diffusion.training import TrainConfig, train_denoiser

__all__ = [
    "Denoiser", "DenoiserConfig", "GraphLayout", "Slot", "ValidSet", "DiagramSet", "MarginalNoise", "Guidance",
    "SampleResult", "Step", "sample", "alpha_bar", "sampling_times", "TrainConfig", "train_denoiser",
]  # fmt: skip
