"""The options an ``mbv3`` network is built with, checked in one place.

``build``, ``to_graph`` and the cost model all take the same keyword options; each reads
the ones it needs.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from nag.errors import ConfigError


@dataclass(frozen=True)
class BuildOptions:
    """How an arch becomes a network.

    Args:
        num_classes: classifier outputs.
        width: the width multiplier (1.0 or 1.2 in OFA; any positive number works).
        in_channels: input image channels.
        resolution: the input side in pixels (graphs and MACs depend on it; the network
            takes any resolution >= 1).
        dropout: dropout probability before the classifier.
    """

    num_classes: int = 1000
    width: float = 1.0
    in_channels: int = 3
    resolution: int = 224
    dropout: float = 0.0


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ConfigError(f"mbv3 option {name} must be an int >= 1, got {value!r}")
    return int(value)


def build_options(**options: Any) -> BuildOptions:
    """:class:`BuildOptions` from keyword options (``ConfigError`` naming a bad or unknown one)."""
    unknown = sorted(set(options) - set(BuildOptions.__dataclass_fields__))
    if unknown:
        known = ", ".join(BuildOptions.__dataclass_fields__)
        raise ConfigError(f"mbv3 takes no option(s) {unknown}; its options are: {known}")
    out = BuildOptions(**options)
    width, dropout = out.width, out.dropout
    if isinstance(width, bool) or not isinstance(width, numbers.Real) or not math.isfinite(width) or width <= 0:
        raise ConfigError(f"mbv3 option width must be a positive number (e.g. 1.0 or 1.2), got {width!r}")
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout < 1:
        raise ConfigError(f"mbv3 option dropout must be a number in [0, 1), got {dropout!r}")
    return BuildOptions(_positive_int("num_classes", out.num_classes), float(width),
                        _positive_int("in_channels", out.in_channels), _positive_int("resolution", out.resolution),
                        float(dropout))  # fmt: skip
