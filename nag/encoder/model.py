"""``Encoder``: a GNN that turns computation graphs into fixed-size embeddings."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch_geometric.data import Batch
from torch_geometric.nn import GATv2Conv, GINConv, SAGEConv, global_add_pool, global_max_pool, global_mean_pool

from nag.checkpoint import (
    CONFIG,
    WEIGHTS,
    build_loaded,
    config_section,
    config_value,
    is_object,
    load_checkpoint,
    save_checkpoint,
)
from nag.encoder.config import EncoderConfig
from nag.encoder.featurize import GRAPH_STATS, featurize, to_data, to_graphs
from nag.graph import NUMERIC_ATTRS, OPS

NODE_FEATURES = len(OPS) + 2 * len(NUMERIC_ATTRS)
CHECKPOINT_KIND = "encoder"
PRETRAINED_DIR = Path(__file__).resolve().parents[1] / "checkpoints" / "encoder"

#: conv name -> factory(width) of a PyG layer mapping [N, width] -> [N, width].
CONV_LAYERS: dict[str, Callable[[int], nn.Module]] = {
    "gin": lambda d: GINConv(nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, d))),
    "sage": lambda d: SAGEConv(d, d),
    "gat": lambda d: GATv2Conv(d, d // 4, heads=4),
}


class BiLayer(nn.Module):
    """One message-passing step along edges and one against them, merged residually."""

    def __init__(self, config: EncoderConfig):
        super().__init__()
        d = config.hidden
        self.forward_conv, self.backward_conv = CONV_LAYERS[config.conv](d), CONV_LAYERS[config.conv](d)
        self.merge = nn.Linear(2 * d, d)
        self.norm = nn.LayerNorm(d)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, h: Tensor, edge_index: Tensor) -> Tensor:
        both = torch.cat([self.forward_conv(h, edge_index), self.backward_conv(h, edge_index.flip(0))], dim=-1)
        return self.norm(h + self.dropout(torch.relu(self.merge(both))))


class Encoder(nn.Module):
    """Graph embeddings for computation graphs (any space, any traced model).

    Node features are ``CompGraph.to_pyg().x`` (op one-hot and numeric attributes); each
    layer passes messages along and against edge direction (:class:`BiLayer`); the graph
    embedding is a projection of mean-, max- and sum-pooled node states together with
    whole-graph statistics (:data:`~nag.encoder.featurize.GRAPH_STATS`).

    Args:
        config: an :class:`EncoderConfig` (or its fields as keyword arguments).

    Shapes: a PyG ``Batch`` of ``B`` graphs -> ``[B, config.embed_dim]``.
    """

    def __init__(self, config: EncoderConfig | None = None, **fields: Any):
        super().__init__()
        self.config = config if config is not None else EncoderConfig(**fields)
        c = self.config
        self.node_in = nn.Linear(NODE_FEATURES, c.hidden)
        self.layers = nn.ModuleList(BiLayer(c) for _ in range(c.layers))
        self.stats_in = nn.Sequential(nn.Linear(GRAPH_STATS, c.hidden), nn.ReLU())
        self.out = nn.Sequential(nn.Linear(4 * c.hidden, c.embed_dim), nn.ReLU(), nn.Linear(c.embed_dim, c.embed_dim))
        self.pretrain_info: dict[str, Any] = {}

    @property
    def embed_dim(self) -> int:
        return self.config.embed_dim

    def forward(self, batch: Batch) -> Tensor:
        h = self.node_in(batch.x)
        for layer in self.layers:
            h = layer(h, batch.edge_index)
        pooled = [global_mean_pool(h, batch.batch), global_max_pool(h, batch.batch), global_add_pool(h, batch.batch) / 10.0]
        return self.out(torch.cat([*pooled, self.stats_in(batch.stats)], dim=-1))

    @torch.no_grad()
    def embed(self, items: Iterable[Any], space: Any = None, level: str | None = None, batch_size: int = 2048) -> Tensor:
        """Embeddings ``[n, embed_dim]`` of archs (with ``space``: a ``SearchSpace`` or its name)
        or ``CompGraph``s."""
        return self.embed_batches(featurize(items, space, level, batch_size))

    @torch.no_grad()
    def embed_batches(self, batches: Sequence[Batch]) -> Tensor:
        """Embeddings of featurized graphs (:func:`~nag.encoder.featurize.featurize`), in order
        (the batches themselves stay where they are; copies go to the encoder's device)."""
        was_training = self.training
        self.eval()
        try:
            device = next(self.parameters()).device
            parts = [self(copy.copy(batch).to(device)) for batch in batches]
        finally:
            self.train(was_training)
        return torch.cat(parts) if parts else torch.zeros(0, self.embed_dim)

    def pretrain(self, graphs: Sequence[Any] | None = None, config: Any = None, progress: bool = False, **corpus: Any) -> dict:
        """Contrastive pretraining in place, without labels (see :mod:`nag.encoder.pretrain`).

        Args:
            graphs: ``CompGraph``s to pretrain on; ``None`` builds the default corpus (every
                nb201 cell, every nbgraph arch, traced reference models; ``corpus`` keyword
                arguments go to :func:`nag.encoder.corpus.build_corpus`).
            config: a :class:`~nag.encoder.pretrain.PretrainConfig`.
            progress: show a progress bar.

        Returns:
            The pretraining report (also kept as ``pretrain_info`` and saved with the encoder).
        """
        from nag.encoder.corpus import build_corpus
        from nag.encoder.pretrain import pretrain

        if graphs is None:
            data = build_corpus(**corpus)
            datas, partners, counts = data.datas, data.partners, data.counts
        else:
            datas, partners, counts = [to_data(g) for g in to_graphs(graphs)], None, {"graphs": len(graphs)}
        report = pretrain(self, datas, partners, config, progress)
        self.pretrain_info = {**report, "corpus": counts}
        return self.pretrain_info

    # --------------------------------------------------------------- checkpoints
    def save(self, directory: Path | str) -> Path:
        """Write ``weights.safetensors`` + ``config.json`` into ``directory``."""
        config = {"encoder": self.config.to_dict(), "pretrain": self.pretrain_info}
        return save_checkpoint(directory, CHECKPOINT_KIND, self.state_dict(), config)

    @classmethod
    def load(cls, directory: Path | str) -> Encoder:
        """The encoder saved in ``directory`` by :meth:`save`; a damaged or mismatched
        checkpoint raises :class:`~nag.errors.CheckpointError` naming the file."""
        directory = Path(directory)
        tensors, config = load_checkpoint(directory, CHECKPOINT_KIND)
        encoder_config = config_section(config, "encoder", directory / CONFIG, EncoderConfig)
        pretrain = config_value(config, "pretrain", directory / CONFIG, is_object, "a JSON object", default={})
        encoder = build_loaded(lambda: cls(encoder_config), tensors, directory / WEIGHTS)
        encoder.pretrain_info = pretrain
        return encoder

    @classmethod
    def from_pretrained(cls, directory: Path | str | None = None) -> Encoder:
        """The contrastively pretrained encoder shipped in ``checkpoints/encoder``."""
        return cls.load(directory or PRETRAINED_DIR)
