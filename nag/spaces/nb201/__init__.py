"""NAS-Bench-201 (Dong & Yang, ICLR 2020), everything about it in one place: the space and
its text forms (:mod:`.space`), its computation graphs (:mod:`.graph`), its network
(:mod:`.network`), the benchmark read from ``analog-nasbench`` (:mod:`.source`,
:mod:`.benchmark`, with analytic params and MACs) and cells featurized a batch at a
time (:mod:`.features`)."""

from nag.spaces.nb201.network import CELL_EDGES, NB201_OPS, NB201Network
from nag.spaces.nb201.space import ANALOG_EDGES, ANALOG_OPS, NB201Arch, NB201Space


def make_space() -> NB201Space:
    return NB201Space()


__all__ = ["NB201Space", "NB201Arch", "NB201Network", "NB201_OPS", "CELL_EDGES", "ANALOG_OPS", "ANALOG_EDGES", "make_space"]
