"""``EncoderConfig``: the typed, JSON round-tripping config of :class:`nag.Encoder`."""

from __future__ import annotations

from dataclasses import dataclass

from nag.errors import ConfigError
from nag.typed_config import MAX_LAYERS, MAX_WIDTH, JSONConfig

CONVS = ("gin", "sage", "gat")


@dataclass(frozen=True)
class EncoderConfig(JSONConfig):
    """Args:
    hidden: node state width, 1 to :data:`~nag.typed_config.MAX_WIDTH` (4096).
    layers: message-passing layers (each passes along and against edge direction), 1 to
        :data:`~nag.typed_config.MAX_LAYERS` (64).
    conv: the PyG layer used each way: ``gin``, ``sage`` or ``gat`` (GATv2, 4 heads).
    embed_dim: width of the graph embedding, 1 to ``MAX_WIDTH``.
    dropout: dropout on node states during training.

    The bounds lie far above any encoder here and keep a damaged config from asking for
    more memory than a machine has.
    """

    hidden: int = 64
    layers: int = 4
    conv: str = "gin"
    embed_dim: int = 64
    dropout: float = 0.0

    def __post_init__(self) -> None:
        self.check_types()
        self.check_ranges({"hidden": (1, MAX_WIDTH), "layers": (1, MAX_LAYERS), "embed_dim": (1, MAX_WIDTH)})
        if self.conv not in CONVS:
            raise ConfigError(f"EncoderConfig.conv {self.conv!r} is unknown; choose one of: {', '.join(CONVS)}")
        if self.conv == "gat" and self.hidden % 4:
            raise ConfigError(f"EncoderConfig.hidden must be a multiple of 4 for conv='gat', got {self.hidden}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"EncoderConfig.dropout must be in [0, 1), got {self.dropout!r}")
