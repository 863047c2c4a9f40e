"""What a space times for a latency table, and how an arch's table latency adds up.

A space's :meth:`~nag.spaces.SearchSpace.latency_plan` returns a :class:`LatencyPlan`:

* ``parts``: the modules to time, each under a key (e.g. mbv3's ``s2.first.k5e4``: the
  first block of stage 2 with kernel 5 and expand ratio 4), with the input shape it runs
  on in the network;
* ``terms(entry)``: additive terms ``Cost("latency", over, fn)`` over the space's choices,
  reading ``entry(key)`` (milliseconds) for each part an arch uses, as often as it uses it.

An arch's table latency is the sum of its terms plus the table's fixed part (stem, head
and what the blocks do not account for; :mod:`nag.latency` measures it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from torch import nn

from nag.spaces.declared.choices import Cost

#: the name of the cost a latency plan's terms add up to
LATENCY = "latency"


@dataclass(frozen=True)
class Part:
    """One module to time: ``make()`` builds it, it runs on ``zeros(input_shape)``."""

    make: Callable[[], nn.Module]
    input_shape: tuple[int, ...]


@dataclass(frozen=True)
class LatencyPlan:
    """The parts to time and the terms that sum an arch's entries."""

    parts: Mapping[str, Part]
    terms: Callable[[Callable[[str], float]], list[Cost]]
