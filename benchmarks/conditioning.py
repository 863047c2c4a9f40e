"""Dataset-conditioned generation on NAS-Bench-Graph: ``sample(condition=dataset)``.

Usage::

    python benchmarks/conditioning.py [--n 200] [--seeds 3] [--holdout cora,citeseer,computers]
        [--labels 50] [--out results/conditioning.json]

* known datasets: the shipped ``nbgraph-datasets`` generator (conditions: the eight nbgraph
  benchmarks' top 10% archs by *validation* accuracy) samples ``n`` archs per dataset and
  seed, conditioned (scale 1 and 2) and unconditioned; each sample is scored by its *test*
  accuracy on that dataset as a percentile of the 26,206 archs (100 = best), next to
  ``n`` uniform random archs.
* a new dataset seen only through a few labelled archs (leave one out): a generator fit the
  same way without the held-out dataset; ``--labels`` random archs of it are "measured"
  (validation accuracy), the best fifth of them teach a new embedding
  (``Generator.embed``), and ``n`` samples under it (scale 1 and 2) are scored as above.

Figures are medians over seeds of the mean percentile and the share of samples in the
dataset's top 10%.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np
import torch

from nag import bench
from nag.atomic_write import write_json
from nag.generator import Generator
from nag.generator.conditioning import good_archs_per_benchmark

DATASETS = ("arxiv", "citeseer", "computers", "cora", "cs", "photo", "physics", "pubmed")


def percentiles(b: bench.Benchmark, metric: str = "accuracy") -> dict[Any, float]:
    """Each arch's percentile (0-100, 100 = best) by ``metric``."""
    archs, values = b.table(metric)
    ranks = np.argsort(np.argsort(np.nan_to_num(values, nan=-np.inf), kind="stable"), kind="stable")
    return dict(zip(archs, 100.0 * ranks / (len(archs) - 1)))


def score(archs: list[Any], pct: dict[Any, float]) -> dict[str, float]:
    values = np.array([pct[a] for a in archs])
    return {
        "mean_percentile": float(values.mean()),
        "top10": float((values >= 90).mean()),
        "unique": len(set(archs)) / len(archs),
    }


def median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: float(np.median([r[k] for r in runs])) for k in runs[0]}


def known(generator: Generator, n: int, seeds: int) -> dict[str, Any]:
    rows = {}
    for d in DATASETS:
        name = f"nbgraph-{d}"
        pct = percentiles(bench.load(name))
        runs: dict[str, list] = {"conditioned": [], "conditioned_x2": [], "unconditioned": [], "random": []}
        for seed in range(seeds):
            runs["conditioned"].append(score(generator.sample(n, seed=seed, condition=name), pct))
            runs["conditioned_x2"].append(score(generator.sample(n, seed=seed, condition=name, condition_scale=2.0), pct))
            runs["unconditioned"].append(score(generator.sample(n, seed=seed), pct))
            runs["random"].append(score(generator.space.sample(n, seed=seed), pct))
        rows[d] = {k: median(v) for k, v in runs.items()}
        print(
            f"{d:10s} " + "  ".join(f"{k} {v['mean_percentile']:5.1f}/{v['top10']:.2f}" for k, v in rows[d].items()),
            file=sys.stderr,
        )
    return rows


def holdout(dataset: str, n: int, seeds: int, labels: int) -> dict[str, Any]:
    others = [f"nbgraph-{d}" for d in DATASETS if d != dataset]
    archs, weights, conditions = good_archs_per_benchmark(others)
    started = time.perf_counter()
    generator = Generator.fit("nbgraph", archs, weights, conditions=conditions, iterations=3000, condition_dropout=0.0)
    fit_seconds = time.perf_counter() - started
    b = bench.load(f"nbgraph-{dataset}")
    pct = percentiles(b)
    runs: dict[str, list] = {"embedded": [], "embedded_x2": [], "unconditioned": [], "labelled_best": []}
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        universe = b.space.all_archs()
        seen = [universe[i] for i in rng.choice(len(universe), labels, replace=False)]
        valid = np.nan_to_num(b.query_many(seen, "valid_accuracy"), nan=-np.inf)
        best = [seen[i] for i in np.argsort(-valid, kind="stable")[: max(1, labels // 5)]]
        embedding = generator.embed(best, seed=seed)
        runs["embedded"].append(score(generator.sample(n, seed=seed, condition=embedding), pct))
        runs["embedded_x2"].append(score(generator.sample(n, seed=seed, condition=embedding, condition_scale=2.0), pct))
        runs["unconditioned"].append(score(generator.sample(n, seed=seed), pct))
        runs["labelled_best"].append(score(best, pct))
    row = {k: median(v) for k, v in runs.items()} | {"fit_seconds": fit_seconds}
    print(
        f"held out {dataset}: "
        + "  ".join(f"{k} {v['mean_percentile']:5.1f}/{v['top10']:.2f}" for k, v in row.items() if isinstance(v, dict)),
        file=sys.stderr,
    )
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--holdout", default="cora,citeseer,computers")
    parser.add_argument("--labels", type=int, default=50)
    parser.add_argument("--out", default="results/conditioning.json")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    started = time.perf_counter()
    out: dict[str, Any] = {"n": args.n, "seeds": args.seeds, "labels": args.labels}
    out["known"] = known(Generator.from_pretrained("nbgraph-datasets"), args.n, args.seeds)
    out["holdout"] = {d: holdout(d, args.n, args.seeds, args.labels) for d in filter(None, args.holdout.split(","))}
    out["seconds"] = time.perf_counter() - started
    write_json(args.out, out)
    print("| dataset | conditioned | conditioned, scale 2 | unconditioned | random |\n|---|---:|---:|---:|---:|")
    for d, r in out["known"].items():
        cells = [
            f"{r[k]['mean_percentile']:.1f} ({r[k]['top10']:.0%})"
            for k in ("conditioned", "conditioned_x2", "unconditioned", "random")
        ]
        print(f"| {d} | " + " | ".join(cells) + " |")
    print(
        f"\n| held-out dataset | embedded from {args.labels} labels | same, scale 2 | its best {max(1, args.labels // 5)} labelled | unconditioned | fit s |\n|---|---:|---:|---:|---:|---:|"
    )
    for d, r in out["holdout"].items():
        cells = [
            f"{r[k]['mean_percentile']:.1f} ({r[k]['top10']:.0%})"
            for k in ("embedded", "embedded_x2", "labelled_best", "unconditioned")
        ]
        print(f"| {d} | " + " | ".join(cells) + f" | {r['fit_seconds']:.0f} |")
    print(f"\n{out['seconds']:.0f} s; written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
