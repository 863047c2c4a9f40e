"""Training the denoiser: noise clean assignments to a random step, predict them back."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from nag.diffusion.denoiser import Denoiser
from nag.diffusion.noise import MarginalNoise, draw
from nag.typed_config import JSONConfig


@dataclass(frozen=True)
class TrainConfig(JSONConfig):
    iterations: int = 3000
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    condition_dropout: float = 0.15  # share of conditioned rows trained as unconditioned


def train_denoiser(denoiser: Denoiser, noise: MarginalNoise, alpha_bar: np.ndarray, data: torch.Tensor,
                   weights: torch.Tensor | None, config: TrainConfig, progress: bool = False,
                   labels: torch.Tensor | None = None) -> list[float]:  # fmt: skip
    """Fit ``denoiser`` to recover ``data`` [M, S] (drawn with ``weights``) from its noised
    versions at uniformly drawn steps 1..T (cross-entropy on every slot). ``labels`` [M]
    (0: none) are the rows' conditions, each dropped to 0 with ``config.condition_dropout``
    so one network learns both the conditional and the unconditional model. Returns the losses."""
    generator = torch.Generator().manual_seed(config.seed)  # all draws on the CPU; batches move to the model
    device = next(denoiser.parameters()).device
    steps = len(alpha_bar) - 1
    k = noise.marginals.shape[-1]
    alpha = torch.as_tensor(alpha_bar, dtype=torch.float32)
    data = data.cpu()
    probs = weights.cpu() if weights is not None else torch.ones(len(data))
    optimiser = torch.optim.AdamW(denoiser.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=config.lr, total_steps=config.iterations, pct_start=_warmup_share(config.iterations)
    )
    losses = []
    denoiser.train()
    for _ in tqdm(range(config.iterations), desc="fit generator", disable=not progress, leave=False):
        rows = torch.multinomial(probs, config.batch_size, replacement=True, generator=generator)
        x0 = data[rows].to(device)
        t = torch.randint(1, steps + 1, (config.batch_size,), generator=generator)
        onehot = torch.nn.functional.one_hot(x0, k).float()
        x_t = draw(noise.q_xt(onehot, alpha[t].to(device)), generator)
        condition = None
        if labels is not None:
            keep = torch.rand(config.batch_size, generator=generator) >= config.condition_dropout
            condition = denoiser.condition((labels.cpu()[rows] * keep).to(device))
        logits = denoiser(torch.nn.functional.one_hot(x_t, k).float(), (t.float() / steps).to(device), condition)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, k), x0.reshape(-1))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        losses.append(loss.item())
    denoiser.eval()
    return losses


def _warmup_share(iterations: int) -> float:
    """10% of the iterations warm the learning rate up; OneCycleLR divides by zero when
    that is exactly one step (10 iterations), so those take 15%."""
    return 0.15 if iterations == 10 else 0.1
