"""Contrastive pretraining of the :class:`~nag.encoder.model.Encoder` without labels.

Two views of each architecture are pulled together and pushed away from every other
graph in the batch (NT-Xent / InfoNCE, Chen et al. 2020). A view keeps what the
architecture computes:

- *another level*: the whole-network graph of a cell, when the corpus has one;
- *feature masking*: a random fraction of node features zeroed;
- *edge dropping*: a random fraction of edges removed;
- *statistics masking*: a random fraction of the whole-graph statistics zeroed.

With ``soft_positives > 0`` the targets are soft: that share of each graph's target mass
goes to the other graphs of the batch with a similar Laplacian spectrum
(:mod:`nag.encoder.spectrum`), as GENNAPE does; the rest stays on its own other view.

Node renumbering is not a view: the encoder is permutation invariant by construction, so
two numberings give the same embedding exactly (tested).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data

from nag.encoder import spectrum
from nag.encoder.featurize import collate
from nag.errors import ConfigError


@dataclass(frozen=True)
class PretrainConfig:
    """Args: epochs, batch_size, lr; temperature of NT-Xent; the masking / dropping rates
    of the views; level_swap: probability that the second view is the other level; seed;
    soft_positives: target mass on spectrally similar graphs (0: plain NT-Xent);
    spectral_temperature: how sharply that mass goes to the most similar spectra."""

    epochs: int = 10
    batch_size: int = 256
    lr: float = 2e-3
    temperature: float = 0.2
    mask_features: float = 0.2
    drop_edges: float = 0.15
    mask_stats: float = 0.3
    level_swap: float = 0.5
    seed: int = 0
    soft_positives: float = 0.0
    spectral_temperature: float = 0.05

    def __post_init__(self) -> None:
        for name, low in (("epochs", 1), ("batch_size", 2)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"PretrainConfig.{name} must be an int >= {low}, got {value!r}")
        if not (self.temperature > 0 and self.lr > 0 and self.spectral_temperature > 0):
            raise ConfigError(f"PretrainConfig.temperature, lr and spectral_temperature must be > 0, "
                              f"got {self.temperature}, {self.lr}, {self.spectral_temperature}")  # fmt: skip
        for name in ("mask_features", "drop_edges", "mask_stats", "level_swap", "soft_positives"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"PretrainConfig.{name} must be in [0, 1], got {getattr(self, name)}")


def augment(data: Data, config: PretrainConfig, generator: torch.Generator) -> Data:
    """A random view of ``data`` (a new object; ``data`` is not modified)."""
    keep_nodes = torch.rand(data.num_nodes, 1, generator=generator) >= config.mask_features
    keep_edges = torch.rand(data.edge_index.size(1), generator=generator) >= config.drop_edges
    keep_stats = torch.rand(data.stats.shape, generator=generator) >= config.mask_stats
    return Data(x=data.x * keep_nodes, edge_index=data.edge_index[:, keep_edges], stats=data.stats * keep_stats,
                num_nodes=data.num_nodes)  # fmt: skip


def nt_xent(z1: Tensor, z2: Tensor, temperature: float, targets: Tensor | None = None) -> Tensor:
    """Symmetric NT-Xent: row ``i`` of ``z1`` must pick row ``i`` of ``z2`` among all rows
    (or, with ``targets`` ``[B, B]``, spread its choice as row ``i`` of it says; both ways)."""
    z1, z2 = F.normalize(z1, dim=-1), F.normalize(z2, dim=-1)
    logits = z1 @ z2.t() / temperature
    target = torch.arange(len(z1), device=z1.device) if targets is None else targets.to(logits)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target))


def pretrain(encoder: nn.Module, datas: Sequence[Data], partners: Sequence[Data | None] | None = None,
             config: PretrainConfig | None = None, progress: bool = False) -> dict:  # fmt: skip
    """Train ``encoder`` in place on ``datas`` (see :func:`nag.encoder.featurize.to_data`).

    Args:
        datas: one featurized graph per architecture.
        partners: for each, the same architecture at another level (or ``None``).
        config: a :class:`PretrainConfig`.
        progress: show a progress bar.

    Returns:
        A report: the config, the number of graphs, seconds, and the loss per epoch.
    """
    config = config or PretrainConfig()
    if len(datas) < 2:
        raise ConfigError("contrastive pretraining needs at least 2 graphs")
    partners = list(partners) if partners is not None else [None] * len(datas)
    if len(partners) != len(datas):
        raise ConfigError(f"got {len(partners)} partners for {len(datas)} graphs")
    generator = torch.Generator().manual_seed(config.seed)
    start = time.perf_counter()
    sigs = spectrum.signatures(datas) if config.soft_positives > 0 else None
    with torch.random.fork_rng():
        torch.manual_seed(config.seed)
        projector = nn.Sequential(nn.Linear(encoder.embed_dim, encoder.embed_dim), nn.ReLU(), nn.Linear(encoder.embed_dim, 32))
    optimizer = torch.optim.AdamW([*encoder.parameters(), *projector.parameters()], lr=config.lr, weight_decay=1e-4)
    steps = config.epochs * -(-len(datas) // config.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=steps)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc="pretrain encoder", unit="step")
    encoder.train()
    losses = []
    for _ in range(config.epochs):
        order = torch.randperm(len(datas), generator=generator)
        total = 0.0
        for i in range(0, len(order), config.batch_size):
            idx = order[i : i + config.batch_size].tolist()
            if len(idx) < 2:
                continue
            first = [augment(datas[j], config, generator) for j in idx]
            swap = torch.rand(len(idx), generator=generator) < config.level_swap
            second = [augment(partners[j] if s and partners[j] is not None else datas[j], config, generator)
                      for j, s in zip(idx, swap.tolist())]  # fmt: skip
            targets = (
                None if sigs is None else spectrum.soft_targets(sigs[idx], config.soft_positives, config.spectral_temperature)
            )
            loss = nt_xent(projector(encoder(collate(first))), projector(encoder(collate(second))), config.temperature, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(idx)
            if bar is not None:
                bar.update()
                bar.set_postfix(loss=f"{loss.item():.3f}")
        losses.append(total / len(datas))
    if bar is not None:
        bar.close()
    encoder.eval()
    return {"config": asdict(config), "graphs": len(datas), "seconds": time.perf_counter() - start, "loss": losses}
