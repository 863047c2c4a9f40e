"""NAS-Bench-201 on CIFAR-10 from the ``analog-nasbench`` package, as a numpy table."""

from __future__ import annotations

import numpy as np

from nag.sources.cache import Table, cached_table
from nag.sources.packages import package_file
from nag.sources.safe_pickle import Record, safe_load

FORMAT_VERSION = 1
ACCURACIES = ("baseline_accuracy", "ptq_accuracy", "qat_accuracy", "noisy_accuracy", "analog_accuracy")
DRIFTS = tuple(f"{kind}_drift_{t}" for kind in ("baseline", "analog") for t in (60, 3600, 86400, 2592000))
_ALLOWED = {("analognasbench.data", "Architecture"): Record, ("analognasbench.data", "DriftMeasurement"): Record}


def _build() -> Table:
    raw = safe_load(data_file(), _ALLOWED)
    keys = sorted(raw)
    table: Table = {"key": np.array(keys, dtype=np.int64)}
    for name in ACCURACIES:
        table[name] = np.array([float(getattr(raw[k], name)) for k in keys])
    for name in DRIFTS:
        table[name] = np.array([float(getattr(raw[k], name).value) for k in keys])
    return table


def data_file():
    return package_file("analognasbench", "data.anb", "analog-nasbench")


def load_table() -> Table:
    """Columns: ``key`` ``[15625, 6]`` analog-nasbench tuples, then one float column per
    accuracy (percent) and per drift figure (the measured value, without its spread)."""
    return cached_table("analog-nasbench", [data_file()], FORMAT_VERSION, _build)
