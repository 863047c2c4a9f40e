"""``nbgraph-<dataset>``: NAS-Bench-Graph results for one of its nine datasets."""

from __future__ import annotations

import numpy as np

from nag.bench.benchmark import Benchmark
from nag.spaces.nbgraph import source as nas_bench_graph
from nag.spaces.nbgraph.space import NBGraphSpace


def load(dataset: str, space: NBGraphSpace) -> Benchmark:
    table = nas_bench_graph.load_table(dataset)
    archs = [space.from_key(int(k)) for k in table["key"]]
    metrics = {k: v for k, v in table.items() if k != "key"}
    metrics["params"] = np.round(metrics["params"] * 1e6)  # the package stores millions
    return Benchmark(
        f"nbgraph-{dataset}",
        space,
        archs,
        metrics,
        description=f"NAS-Bench-Graph on {dataset}: validation / test accuracy, latency (s), params (count)",
    )
