"""The generator's typed config (network, schedule, training), round-tripped through JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nag.diffusion import DenoiserConfig, TrainConfig
from nag.diffusion.schedule import schedule_names
from nag.errors import ConfigError
from nag.seeds import check_seed
from nag.typed_config import MAX_HEADS, MAX_LAYERS, MAX_WIDTH, JSONConfig

#: the most diffusion steps (the schedule holds ``steps + 1`` values); the default is 100
MAX_STEPS = 10_000
#: the most training iterations and the largest training batch; the defaults are 2000 and 256
MAX_ITERATIONS, MAX_BATCH_SIZE = 10_000_000, 1 << 20


@dataclass(frozen=True)
class GeneratorConfig(JSONConfig):
    """The generator's settings. Bounds, far above any generator here, that keep a damaged
    config from asking for more memory or time than a machine has: ``steps`` and
    ``sample_steps`` 1 to :data:`MAX_STEPS`; ``hidden`` 1 to
    :data:`~nag.typed_config.MAX_WIDTH` (4096); ``layers`` 1 to
    :data:`~nag.typed_config.MAX_LAYERS` (64); ``heads`` 1 to
    :data:`~nag.typed_config.MAX_HEADS` (64); ``iterations`` 1 to :data:`MAX_ITERATIONS`;
    ``batch_size`` 1 to :data:`MAX_BATCH_SIZE`."""

    steps: int = 100  # diffusion steps T of training
    sample_steps: int = 10  # jumps the sampler makes from T to 0
    schedule: str = "cosine"
    hidden: int = 32
    layers: int = 3
    heads: int = 4
    iterations: int = 2000
    batch_size: int = 256
    lr: float = 2e-3
    seed: int = 0
    smoothing: float = 0.01  # added to marginals so every option of a slot stays reachable
    conditions: Any = ()  # names of the learned conditions (e.g. datasets); () = unconditional
    condition_dropout: float = 0.15  # share of conditioned training rows seen without their condition

    def __post_init__(self) -> None:
        self.check_types()
        check_seed(self.seed, allow_none=False)
        if isinstance(self.conditions, str) or not isinstance(self.conditions, (tuple, list)):
            raise ConfigError(f"GeneratorConfig.conditions must be a list of names, got {self.conditions!r}")
        object.__setattr__(self, "conditions", tuple(self.conditions))  # JSON gives a list
        if not all(isinstance(c, str) and c for c in self.conditions) or len(set(self.conditions)) != len(self.conditions):
            raise ConfigError(f"GeneratorConfig.conditions must be distinct non-empty names, got {self.conditions!r}")
        if not 0 <= self.condition_dropout < 1:
            raise ConfigError(f"condition_dropout must be in [0, 1), got {self.condition_dropout!r}")
        self.check_ranges({"steps": (1, MAX_STEPS), "sample_steps": (1, MAX_STEPS), "hidden": (1, MAX_WIDTH),
                           "layers": (1, MAX_LAYERS), "heads": (1, MAX_HEADS), "iterations": (1, MAX_ITERATIONS),
                           "batch_size": (1, MAX_BATCH_SIZE)})  # fmt: skip
        if self.sample_steps > self.steps:
            raise ConfigError(f"sample_steps ({self.sample_steps}) cannot exceed steps ({self.steps})")
        if self.hidden % self.heads:
            raise ConfigError(f"hidden ({self.hidden}) must be a multiple of heads ({self.heads})")
        if self.schedule not in schedule_names():
            raise ConfigError(f"unknown schedule {self.schedule!r}; choose one of: {', '.join(schedule_names())}")
        if not (self.lr > 0 and self.smoothing > 0):
            raise ConfigError(f"lr and smoothing must be > 0, got {self.lr}, {self.smoothing}")

    def denoiser(self) -> DenoiserConfig:
        return DenoiserConfig(hidden=self.hidden, layers=self.layers, heads=self.heads, conditions=len(self.conditions))

    def training(self) -> TrainConfig:
        return TrainConfig(iterations=self.iterations, batch_size=self.batch_size, lr=self.lr, seed=self.seed,
                           condition_dropout=self.condition_dropout)  # fmt: skip
