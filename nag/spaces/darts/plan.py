"""The layout of the DARTS evaluation network: channels and spatial sizes of every cell.

``layers`` cells follow a stem (3x3 conv to ``3 * C`` channels + BN). Cells
``layers // 3`` and ``2 * layers // 3`` are reduction cells: they double the cell width
and halve the spatial size. A cell of width ``c`` outputs ``4 * c`` channels (its four
intermediate nodes concatenated); it reads the outputs of the two cells before it (the
stem output stands in for missing ones). :func:`network_plan` is shared by the builder,
the analytic costs and the graph builder, so the three agree by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

from nag.build.limits import check_dims
from nag.errors import ConfigError
from nag.spaces.darts.choices import NODES

#: channels of the stem, as a multiple of ``C``
STEM_MULTIPLIER = 3


@dataclass(frozen=True)
class CellPlan:
    """One cell of the network.

    Args:
        index: its position (0-based).
        reduction: whether it is a reduction cell.
        reduction_prev: whether the cell before it is (its first input is then twice as large
            as its second and is halved by ``FactorizedReduce``).
        c_prev_prev, c_prev: channels of its two inputs (c_{k-2}, c_{k-1}).
        channels: its width ``c`` (each edge and node has ``c`` channels; it outputs ``4 c``).
        spatial_in: spatial size of its preprocessed inputs.
        spatial: spatial size of its nodes and output (``spatial_in // 2`` in reduction cells).
    """

    index: int
    reduction: bool
    reduction_prev: bool
    c_prev_prev: int
    c_prev: int
    channels: int
    spatial_in: int
    spatial: int

    @property
    def out_channels(self) -> int:
        return len(NODES) * self.channels

    def stride(self, source: int) -> int:
        """The stride of an edge from node ``source``: 2 from the cell inputs of a reduction cell."""
        return 2 if self.reduction and source < 2 else 1


@dataclass(frozen=True)
class NetworkPlan:
    """The whole network: stem, cells, the auxiliary head's input and the classifier's."""

    in_channels: int
    resolution: int
    stem_channels: int
    cells: tuple[CellPlan, ...]
    aux_index: int
    aux_channels: int

    @property
    def out_channels(self) -> int:
        return self.cells[-1].out_channels


def reduction_indices(layers: int) -> tuple[int, int]:
    """Positions of the two reduction cells (equal when ``layers < 3``: one reduction)."""
    return layers // 3, 2 * layers // 3


def check_resolution(resolution: int) -> None:
    """:class:`ConfigError` unless ``resolution`` is a positive multiple of 4 (``FactorizedReduce``
    needs even sizes at both reductions)."""
    check_dims(resolution=resolution)
    if resolution % 4:
        raise ConfigError(f"resolution must be a multiple of 4 (DARTS halves it twice with FactorizedReduce), got {resolution}")


def network_plan(C: int = 36, layers: int = 20, in_channels: int = 3, resolution: int = 32) -> NetworkPlan:
    """The plan of the network of width ``C`` with ``layers`` cells on ``resolution``-pixel
    square inputs (a multiple of 4)."""
    check_dims(C=C, layers=layers, in_channels=in_channels)
    check_resolution(resolution)
    stem = STEM_MULTIPLIER * C
    c_prev_prev, c_prev, channels, spatial = stem, stem, C, resolution
    reductions, cells, reduction_prev = reduction_indices(layers), [], False
    for i in range(layers):
        reduction = i in reductions
        channels *= 2 if reduction else 1
        out = spatial // 2 if reduction else spatial
        cells.append(CellPlan(i, reduction, reduction_prev, c_prev_prev, c_prev, channels, spatial, out))
        c_prev_prev, c_prev, spatial, reduction_prev = c_prev, cells[-1].out_channels, out, reduction
    aux = reductions[1]
    return NetworkPlan(in_channels, resolution, stem, tuple(cells), aux, cells[aux].out_channels)
