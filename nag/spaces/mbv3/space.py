"""``MBV3Space``: OFA's MobileNetV3 space (7371^5 archs) as a declared space.

Five stages, each of depth 2, 3 or 4 (choice ``s{n}.depth``, stages numbered 1..5), each
present block with a kernel in {3, 5, 7} (``s{n}.{j}.k``) and an expand ratio in {3, 4, 6}
(``s{n}.{j}.e``), blocks numbered from 0. The width multiplier and the resolution are
build options, not choices.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from nag.errors import InvalidArchitecture
from nag.graph import CompGraph
from nag.spaces.base import SpaceDefaults
from nag.spaces.declared import Choice, DeclaredArch, DeclaredSpace, repeat
from nag.spaces.mbv3 import text
from nag.spaces.mbv3.costs import cost_terms
from nag.spaces.mbv3.graph import network_graph
from nag.spaces.mbv3.latency import latency_plan
from nag.spaces.mbv3.network import MBV3Network
from nag.spaces.mbv3.options import build_options
from nag.spaces.mbv3.skeleton import DEPTHS, EXPANDS, KERNELS, MAX_DEPTH, N_STAGES, Stages


def declared_choices() -> list[Choice]:
    """The space's choices, stage by stage: ``s{n}.depth`` then ``s{n}.{j}.k``, ``s{n}.{j}.e``."""
    block = [Choice("k", KERNELS), Choice("e", EXPANDS)]
    return [c for s in range(1, N_STAGES + 1) for c in repeat(f"s{s}", DEPTHS, block)]


class MBV3Space(DeclaredSpace):
    """OFA's MobileNetV3 space (Cai et al., ICLR 2020): the networks of
    ``OFAMobileNetV3(ks_list=[3, 5, 7], expand_ratio_list=[3, 4, 6], depth_list=[2, 3, 4])``.

    Text form: the compact string of :mod:`nag.spaces.mbv3.text`. :meth:`coerce` also reads
    OFA's ``{"ks", "e", "d"}`` dict (or its JSON) and a mapping of choice names to values.
    Build options (:class:`~nag.spaces.mbv3.options.BuildOptions`): ``num_classes``,
    ``width``, ``in_channels``, ``resolution`` and ``dropout``; the costs ``params`` and
    ``flops`` (multiply-accumulates) and the graphs take the same options.
    """

    defaults = SpaceDefaults(generator="mbv3", trace_options={"resolution": 32, "num_classes": 10})

    def __init__(self) -> None:
        super().__init__("mbv3", declared_choices(), costs=cost_terms, levels=("network",), task="image_classification",
                         description="OFA's MobileNetV3: 5 stages of 2-4 MBConv blocks, kernel 3/5/7, expand 3/4/6")  # fmt: skip
        self._depth_at = [self._index[f"s{s}.depth"] for s in range(1, N_STAGES + 1)]
        self._block_at = [[(self._index[f"s{s}.{j}.k"], self._index[f"s{s}.{j}.e"]) for j in range(MAX_DEPTH)]
                          for s in range(1, N_STAGES + 1)]  # fmt: skip

    def __reduce__(self):
        return (MBV3Space, ())

    # ------------------------------------------------------------ arch forms
    def stages(self, arch: Any) -> Stages:
        """Per stage, the ``(kernel, expand ratio)`` of each present block."""
        indices = self.coerce(arch).choices
        out = []
        for depth_at, slots in zip(self._depth_at, self._block_at):
            depth = DEPTHS[indices[depth_at]]
            out.append(tuple((KERNELS[indices[k]], EXPANDS[indices[e]]) for k, e in slots[:depth]))
        return tuple(out)

    def from_stages(self, stages: Stages) -> DeclaredArch:
        """The arch of per-stage ``(kernel, expand ratio)`` blocks.

        The space has no rules, so every 5 stages of 2-4 blocks with valid options is a
        member: the arch is made directly from its option indices (absent slots at 0)."""
        indices = [0] * len(self.declared_choices)
        try:
            if len(stages) != N_STAGES:
                raise ValueError(f"{len(stages)} stages")
            for depth_at, slots, stage in zip(self._depth_at, self._block_at, stages):
                indices[depth_at] = DEPTHS.index(len(stage))
                for (k_at, e_at), (k, e) in zip(slots, stage):
                    indices[k_at], indices[e_at] = KERNELS.index(k), EXPANDS.index(e)
        except (TypeError, ValueError) as e:
            raise InvalidArchitecture(f"{stages!r} are not {N_STAGES} stages of 2-4 (kernel, expand) pairs: {e}") from None
        return DeclaredArch(self.name, tuple(indices), self)

    def to_str(self, arch: Any) -> str:
        """The compact string, e.g. ``d2:k3e6,k5e4-d3:...`` (one token per stage)."""
        return text.write_compact(self.stages(arch))

    def from_str(self, text_form: str) -> DeclaredArch:
        """The arch of a compact string (strict; ``InvalidArchitecture`` naming what is wrong)."""
        return self.from_stages(text.read_compact(text_form))

    def to_ofa(self, arch: Any) -> dict[str, list[int]]:
        """OFA's ``{"ks": [20], "e": [20], "d": [5]}`` (absent slots: kernel 3, expand 3)."""
        return text.write_ofa(self.stages(arch))

    def from_ofa(self, arch: Mapping[str, Sequence[int]]) -> DeclaredArch:
        """The arch of an OFA dict (values in absent slots are ignored)."""
        return self.from_stages(text.read_ofa(arch))

    def coerce(self, item: Any) -> DeclaredArch:
        """An arch from an arch, its compact string, an OFA dict or its JSON, or a mapping
        of choice names to values."""
        if isinstance(item, Mapping) and set(item) & set(text.OFA_KEYS):
            return self.from_ofa(item)
        if isinstance(item, str) and item.strip().startswith("{"):
            try:
                parsed = json.loads(item)
            except ValueError as e:
                raise InvalidArchitecture(f"{item!r} is not the JSON of an OFA arch dict: {e}") from None
            return self.from_ofa(parsed)
        return super().coerce(item)

    # ------------------------------------------------------ networks, graphs
    def build(self, arch: Any, num_classes: int = 1000, width: float = 1.0, in_channels: int = 3, dropout: float = 0.0,
              resolution: int | None = None) -> MBV3Network:  # fmt: skip
        """The network of ``arch`` (``resolution`` is accepted for symmetry with the costs and
        graphs; the network takes any resolution)."""
        o = build_options(num_classes=num_classes, width=width, in_channels=in_channels, dropout=dropout,
                          **({} if resolution is None else {"resolution": resolution}))  # fmt: skip
        return MBV3Network(self.stages(arch), o.num_classes, o.width, o.in_channels, o.dropout)

    def example_input(self, batch: int = 1, resolution: int = 224, in_channels: int = 3, **ignored: Any) -> tuple:
        """``(zeros[batch, in_channels, resolution, resolution],)``; other build options are ignored."""
        return (torch.zeros(batch, in_channels, resolution, resolution),)

    def latency_plan(self, batch: int = 1, **options: Any) -> Any:
        """Each block configuration at each slot's input shape (:mod:`nag.spaces.mbv3.latency`)."""
        return latency_plan(batch, **options)

    def export_dims(self) -> tuple[dict[int, str], ...]:
        return ({0: "batch"},)

    def to_graph(self, arch: Any, level: str = "network", **options: Any) -> CompGraph:
        """The network's :class:`CompGraph` (written directly, not traced) for build ``options``."""
        self.check_level(level)
        return network_graph(self.stages(arch), **options)
