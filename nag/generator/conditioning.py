"""Conditions of a generator: learned embeddings (e.g. one per dataset) the denoiser reads.

A generator fit with ``conditions=`` learns one embedding per name plus a "no condition"
row (classifier-free: labels are dropped at random while training). At sampling time
:func:`denoiser_for` mixes the conditional and unconditional predictions,
``log p = log p_u + scale * (log p_c - log p_u)`` (scale 1: the conditional model alone;
above 1: sharper). :func:`learn_embedding` fits a new embedding, with the network frozen,
from a few archs known to be good on a new dataset, so that dataset can be sampled for too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from nag.diffusion.noise import draw
from nag.errors import ConfigError


def resolve(generator: Any, condition: Any) -> torch.Tensor | None:
    """The embedding [H] that ``condition`` names: a condition of the generator, or an
    embedding (e.g. from :func:`learn_embedding`); None for no condition."""
    table = generator.denoiser.condition
    if condition is None:
        return None
    if table is None:
        raise ConfigError("this generator was fit without conditions; fit one with Generator.fit(..., conditions=...)")
    names = generator.config.conditions
    if isinstance(condition, str):
        if condition not in names:
            raise ConfigError(f"unknown condition {condition!r}; this generator knows: {', '.join(names)}")
        return table.weight[names.index(condition) + 1].detach()
    if isinstance(condition, torch.Tensor) and condition.shape == (table.embedding_dim,) and torch.isfinite(condition).all():
        return condition.detach().to(table.weight.device, torch.float32)
    raise ConfigError(f"condition must be one of {', '.join(names)} or a finite embedding of shape "
                      f"({table.embedding_dim},) (Generator.embed), got {condition!r}")  # fmt: skip


def denoiser_for(
    generator: Any, embedding: torch.Tensor | None, scale: float
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """``(x, t) -> logits`` of the generator's denoiser under ``embedding`` (see the module doc)."""
    denoiser = generator.denoiser
    if denoiser.condition is None:
        return denoiser
    null = denoiser.condition.weight[0].detach()
    if embedding is None or scale == 0:
        return lambda x, t: denoiser(x, t, null)
    if scale == 1:
        return lambda x, t: denoiser(x, t, embedding)

    def mixed(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        both = denoiser(torch.cat([x, x]), torch.cat([t, t]), torch.stack([embedding, null]).repeat_interleave(len(x), 0))
        cond, uncond = both.log_softmax(-1).chunk(2)
        return uncond + scale * (cond - uncond)

    return mixed


def learn_embedding(generator: Any, archs: Sequence[Any], weights: Sequence[float] | None = None, iterations: int = 300,
                    lr: float = 0.05, batch_size: int = 256, seed: int = 0) -> torch.Tensor:  # fmt: skip
    """An embedding [H] under which the frozen denoiser best recovers ``archs`` (drawn with
    ``weights``) from their noised versions: a new condition from a few good archs."""
    denoiser = generator.denoiser
    if denoiser.condition is None:
        raise ConfigError("this generator was fit without conditions, so it has no embedding to learn")
    rows = generator.to_rows(list(archs))
    if len(rows) == 0:
        raise ConfigError("learning an embedding needs at least one arch")
    w = torch.ones(len(rows)) if weights is None else torch.as_tensor(np.asarray(weights, dtype=float), dtype=torch.float32)
    if w.shape != (len(rows),) or not torch.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ConfigError(f"weights must be {len(rows)} finite, non-negative numbers with a positive sum")
    rng = torch.Generator().manual_seed(seed)  # draws on the CPU, batches move to the model
    device = denoiser.condition.weight.device
    embedding = torch.nn.Parameter(denoiser.condition.weight[0].detach().clone())
    optimiser = torch.optim.Adam([embedding], lr=lr)
    steps, k = len(generator.alpha_bar) - 1, generator.layout.max_size
    alpha = torch.as_tensor(generator.alpha_bar, dtype=torch.float32)
    trainable = {name: p.requires_grad for name, p in denoiser.named_parameters()}
    denoiser.requires_grad_(False)
    try:
        for _ in range(iterations):
            x0 = rows[torch.multinomial(w, batch_size, replacement=True, generator=rng)]
            t = torch.randint(1, steps + 1, (batch_size,), generator=rng)
            x0, t = x0.to(device), t.to(device)
            x_t = draw(generator.noise.q_xt(torch.nn.functional.one_hot(x0, k).float(), alpha[t.cpu()].to(device)), rng)
            logits = denoiser(torch.nn.functional.one_hot(x_t, k).float(), t.float() / steps, embedding)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, k), x0.reshape(-1))
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
    finally:
        for name, p in denoiser.named_parameters():
            p.requires_grad_(trainable[name])
    return embedding.detach()


def good_archs_per_benchmark(benchmarks: Sequence[str], top: float = 0.1, metric: str = "valid_accuracy",
                             unconditional_share: float = 0.5) -> tuple[list[Any], np.ndarray, list[str | None]]:  # fmt: skip
    """Training data for a generator conditioned on datasets: every arch of the space once
    without a condition (``unconditional_share`` of the draws), plus the ``top`` share of
    each benchmark's archs by ``metric`` (validation, so test figures stay unseen) under the
    benchmark's name. Returns ``(archs, weights, conditions)`` for :meth:`Generator.fit`."""
    from nag import bench

    loaded = [bench.load(name) for name in benchmarks]
    spaces = {b.space.name for b in loaded}
    if len(spaces) != 1:
        raise ConfigError(f"the benchmarks must share one space, got {sorted(spaces)}")
    universe = loaded[0].space.all_archs()
    archs, weights, conditions = list(universe), [unconditional_share / len(universe)] * len(universe), [None] * len(universe)
    for b in loaded:
        items, values = b.table(metric)
        best = np.argsort(-np.nan_to_num(values, nan=-np.inf), kind="stable")[: max(1, round(top * len(items)))]
        archs += [items[i] for i in best]
        weights += [(1 - unconditional_share) / len(loaded) / len(best)] * len(best)
        conditions += [b.name] * len(best)
    return archs, np.asarray(weights), conditions
