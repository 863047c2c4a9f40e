"""``EncoderConfig``: the typed, JSON round-tripping config of :class:`nag.Encoder`."""

from __future__ import annotations

from dataclasses import dataclass

from nag.errors import ConfigError
from nag.typed_config import JSONConfig

CONVS = ("gin", "sage", "gat")


@dataclass(frozen=True)
class EncoderConfig(JSONConfig):
    """Args:
    hidden: node state width.
    layers: message-passing layers (each passes along and against edge direction).
    conv: the PyG layer used each way: ``gin``, ``sage`` or ``gat`` (GATv2, 4 heads).
    embed_dim: width of the graph embedding.
    dropout: dropout on node states during training.
    """

    hidden: int = 64
    layers: int = 4
    conv: str = "gin"
    embed_dim: int = 64
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for name in ("hidden", "layers", "embed_dim"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"EncoderConfig.{name} must be a positive int, got {value!r}")
        if self.conv not in CONVS:
            raise ConfigError(f"EncoderConfig.conv {self.conv!r} is unknown; choose one of: {', '.join(CONVS)}")
        if self.conv == "gat" and self.hidden % 4:
            raise ConfigError(f"EncoderConfig.hidden must be a multiple of 4 for conv='gat', got {self.hidden}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"EncoderConfig.dropout must be in [0, 1), got {self.dropout!r}")
