"""The generator's typed config (network, schedule, training), round-tripped through JSON."""

from __future__ import annotations

from dataclasses import dataclass

from nag.diffusion import DenoiserConfig, TrainConfig
from nag.typed_config import JSONConfig


@dataclass(frozen=True)
class GeneratorConfig(JSONConfig):
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

    def denoiser(self) -> DenoiserConfig:
        return DenoiserConfig(hidden=self.hidden, layers=self.layers, heads=self.heads)

    def training(self) -> TrainConfig:
        return TrainConfig(iterations=self.iterations, batch_size=self.batch_size, lr=self.lr, seed=self.seed)
