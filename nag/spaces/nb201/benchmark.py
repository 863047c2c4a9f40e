"""``nb201-cifar10``: analog-nasbench's NAS-Bench-201 CIFAR-10 results plus params and
MACs of nag's own built networks."""

from __future__ import annotations

import numpy as np
import torch

from nag.bench.benchmark import Benchmark
from nag.counting import count_flops, count_params
from nag.sources.cache import Table, cached_table
from nag.spaces.nb201 import NB201Arch, NB201Space
from nag.spaces.nb201 import source as analog_nasbench
from nag.spaces.nb201.network import NB201Network

FORMAT_VERSION = 1
#: analog-nasbench field -> nag metric.
RENAMES = {"baseline_accuracy": "accuracy"}


def cost_model(C: int = 16, N: int = 5, num_classes: int = 10, resolution: int = 32) -> dict[str, dict[str, int]]:
    """Params and MACs of the network as ``base + sum over conv edges``.

    Every cell edge of a stage sees the same channels ``c`` and size ``s``: a
    ``nor_conv_kxk`` edge adds ``k*k*c*c`` conv weights plus ``2c`` BN affine
    parameters and ``k*k*c*c*s*s`` MACs, in each of the stage's ``N`` cells; ``none``,
    ``skip_connect`` and ``avg_pool_3x3`` add none. ``base`` is the measured network whose
    cells hold only ``none`` edges.
    """
    base_net = NB201Network(["none"] * 6, num_classes=num_classes, C=C, N=N)
    model = {
        "base": {"params": count_params(base_net), "flops": count_flops(base_net, torch.zeros(1, 3, resolution, resolution))}
    }
    for k in (1, 3):
        params = flops = 0
        for stage, c in enumerate((C, 2 * C, 4 * C)):
            s = resolution // 2**stage
            params += N * (k * k * c * c + 2 * c)
            flops += N * k * k * c * c * s * s
        model[f"nor_conv_{k}x{k}"] = {"params": params, "flops": flops}
    return model


def analytic_costs(archs: list[NB201Arch], **network: int) -> dict[str, np.ndarray]:
    """Params and MACs (one image) of each arch's network, from :func:`cost_model`."""
    model = cost_model(**network)
    out = {}
    for metric in ("params", "flops"):
        per_edge = {op: costs[metric] for op, costs in model.items() if op != "base"}
        out[metric] = np.array(
            [model["base"][metric] + sum(per_edge.get(op, 0) for op in a.ops) for a in archs], dtype=np.float64
        )
    return out


def _build_table() -> Table:
    raw = analog_nasbench.load_table()
    space = NB201Space()
    archs = [space.from_tuple(tuple(int(v) for v in key)) for key in raw["key"]]
    table = {"arch": np.array([str(a) for a in archs])}
    table.update({RENAMES.get(k, k): v for k, v in raw.items() if k != "key"})
    table.update(analytic_costs(archs))
    return table


def load() -> Benchmark:
    from nag import spaces

    table = cached_table("nb201-cifar10", [analog_nasbench.data_file()], FORMAT_VERSION, _build_table)
    space = spaces.get("nb201")
    archs = [space.from_str(str(s)) for s in table["arch"]]
    return Benchmark(
        "nb201-cifar10",
        space,
        archs,
        {k: v for k, v in table.items() if k != "arch"},
        description="NAS-Bench-201 CIFAR-10 test accuracy (%) and analog-hardware figures from analog-nasbench; "
        "params and flops (MACs, one 32x32 image) of nag's built networks",
    )
