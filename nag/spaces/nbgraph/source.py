"""NAS-Bench-Graph results from the ``nas-bench-graph`` package, as numpy tables."""

from __future__ import annotations

import numpy as np

from nag.sources.cache import Table, cached_table
from nag.sources.packages import package_file
from nag.sources.safe_pickle import safe_load

FORMAT_VERSION = 1
DATASETS = ("cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers", "arxiv", "proteins")
#: the package's field -> nag's metric name.
FIELDS = {"valid_perf": "valid_accuracy", "perf": "accuracy", "latency": "latency", "para": "params"}


def data_file(dataset: str):
    return package_file("nas_bench_graph", f"light/{dataset}.bench", "nas-bench-graph")


def load_table(dataset: str) -> Table:
    """Columns: ``key`` (the package's canonical architecture hash), ``valid_accuracy``,
    ``accuracy`` (test), ``latency`` (seconds) and ``params`` (millions)."""

    def build() -> Table:
        raw = safe_load(data_file(dataset))
        keys = sorted(raw)
        table: Table = {"key": np.array(keys, dtype=np.int64)}
        for field, metric in FIELDS.items():
            table[metric] = np.array([float(raw[k][field]) for k in keys])
        return table

    return cached_table(f"nas-bench-graph-{dataset}", [data_file(dataset)], FORMAT_VERSION, build)
