"""Baseline search efficiency on tabular benchmarks: how many queries random search,
regularized evolution and local search need to reach the optimum and the top-0.1% / top-1%
thresholds, and the best value they hold after a fixed number of queries.

Usage::

    python benchmarks/baselines.py [--seeds 30] [--out results/baselines.json] [--quick]

Every search runs with a budget of the whole space (so queries-to-optimum are exact);
``--quick`` runs 3 seeds with a budget of 2000 as a smoke test. A run that never reaches a
target counts as ``budget + 1``; a quantile that depends on such runs prints as ``>budget``.
Query counts print as ``median (25th–75th percentile)``, best values as the median over seeds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nag.atomic_write import write_json

BENCHMARKS: tuple[str, ...] = ("nb201-cifar10", "nbgraph-cora", "nbgraph-citeseer", "nbgraph-computers")
STRATEGIES: tuple[str, ...] = ("random", "re", "local")
METRIC = "accuracy"
#: target name -> fraction of the table at or above it (0.0: the optimum itself).
TARGETS: dict[str, float] = {"optimum": 0.0, "top0.1%": 0.001, "top1%": 0.01}
CHECKPOINTS: tuple[int, ...] = (25, 50, 100, 200, 500)
QUICK_SEEDS, QUICK_BUDGET = 3, 2000


@dataclass(frozen=True)
class Job:
    """One search: a benchmark, a strategy, a seed and a budget (``None``: the whole space)."""

    benchmark: str
    strategy: str
    seed: int
    budget: int | None


def reference(name: str) -> dict[str, Any]:
    """The benchmark's own figures: size, optimum and the target thresholds of :data:`METRIC`."""
    from nag import bench

    b = bench.load(name)
    _, optimum = b.best(METRIC)
    targets = {t: (optimum if f == 0.0 else b.threshold(f, METRIC)) for t, f in TARGETS.items()}
    return {"benchmark": name, "metric": METRIC, "size": len(b), "targets": targets}


def run_job(job: Job) -> dict[str, Any]:
    """Run one search (in a worker, which loads the benchmark itself) and reduce it to the
    queries needed per target (``None``: not reached) and the best value at each checkpoint."""
    from nag import bench, search

    b = bench.load(job.benchmark)
    budget = job.budget or len(b)
    targets = reference(job.benchmark)["targets"]
    trajectory = search.run(job.strategy, b, metric=METRIC, budget=budget, seed=job.seed)
    return {
        "benchmark": job.benchmark,
        "strategy": job.strategy,
        "seed": job.seed,
        "budget": budget,
        "queries": len(trajectory),
        "to_reach": {t: trajectory.queries_to_reach(v) for t, v in targets.items()},
        "best_at": {str(n): trajectory.best_after(n) for n in CHECKPOINTS},
    }


def censored_quantile(values: list[float], q: float, limit: float) -> tuple[float, bool]:
    """The ``q``-quantile (linear interpolation) of ``values`` and whether it is censored,
    i.e. whether an order statistic it interpolates between lies above ``limit``."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    position = q * (len(ordered) - 1)
    upper = ordered[int(np.ceil(position))]
    return float(np.quantile(ordered, q)), bool(upper > limit)


def summarize_counts(counts: list[int | None], budget: int) -> dict[str, Any]:
    """Median and IQR of queries-to-target; runs that never reached count as ``budget + 1``."""
    filled = [budget + 1 if c is None else c for c in counts]
    out: dict[str, Any] = {"runs": len(counts), "reached": sum(c is not None for c in counts), "budget": budget}
    censored = {}
    for label, q in (("p25", 0.25), ("median", 0.5), ("p75", 0.75)):
        out[label], censored[label] = censored_quantile(filled, q, budget)
    out["censored"] = censored
    out["per_seed"] = counts
    return out


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Figures of all runs of one benchmark x strategy."""
    budget = max(r["budget"] for r in results)
    return {
        "runs": len(results),
        "budget": budget,
        "queries_to": {t: summarize_counts([r["to_reach"][t] for r in results], budget) for t in TARGETS},
        "best_at": {str(n): float(np.median([r["best_at"][str(n)] for r in results])) for n in CHECKPOINTS},
    }


def format_count(stats: dict[str, Any]) -> str:
    """``median (p25–p75)``, each shown as ``>budget`` when censored."""

    def one(label: str) -> str:
        return f">{stats['budget']}" if stats["censored"][label] else f"{stats[label]:.2f}".rstrip("0").rstrip(".")

    return f"{one('median')} ({one('p25')}–{one('p75')})"


def header_line(ref: dict[str, Any]) -> str:
    """One line of a benchmark's reference figures."""
    t = ref["targets"]
    return (f"{ref['benchmark']} ({ref['size']} archs, {ref['metric']}): optimum {t['optimum']:.4f}, "
            f"top-0.1% >= {t['top0.1%']:.4f}, top-1% >= {t['top1%']:.4f}")  # fmt: skip


def markdown_table(summaries: dict[str, dict[str, dict[str, Any]]]) -> str:
    """One row per benchmark x strategy."""
    columns = ["benchmark", "strategy"] + [f"q→{t}" for t in TARGETS] + [f"best@{n}" for n in CHECKPOINTS]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for name, by_strategy in summaries.items():
        for strategy, s in by_strategy.items():
            cells = [name, strategy] + [format_count(s["queries_to"][t]) for t in TARGETS]
            cells += [f"{s['best_at'][str(n)]:.4f}" for n in CHECKPOINTS]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def make_jobs(seeds: int, budget: int | None) -> list[Job]:
    """All (benchmark, strategy, seed) jobs, slowest kind first (RE on the big spaces) so the
    pool's two workers finish together."""
    jobs = [Job(b, s, seed, budget) for b in BENCHMARKS for s in STRATEGIES for seed in range(seeds)]
    return sorted(jobs, key=lambda j: (j.strategy != "re", not j.benchmark.startswith("nbgraph")))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=30, help="seeds 0..N-1 per benchmark x strategy (default 30)")
    parser.add_argument("--out", type=Path, default=Path("results/baselines.json"), help="JSON output path")
    parser.add_argument("--quick", action="store_true", help=f"smoke test: {QUICK_SEEDS} seeds, budget {QUICK_BUDGET}")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    start = time.perf_counter()
    args = parse_args(argv)
    seeds, budget = (QUICK_SEEDS, QUICK_BUDGET) if args.quick else (args.seeds, None)
    if seeds < 1:
        raise SystemExit("--seeds must be >= 1")
    refs = {name: reference(name) for name in BENCHMARKS}
    for ref in refs.values():
        print(header_line(ref), flush=True)
    jobs = make_jobs(seeds, budget)
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(run_job, jobs, chunksize=1))
    summaries = {
        name: {s: summarize([r for r in results if r["benchmark"] == name and r["strategy"] == s]) for s in STRATEGIES}
        for name in BENCHMARKS
    }
    print()
    print(markdown_table(summaries))
    elapsed = time.perf_counter() - start
    write_json(
        args.out,
        {
            "metric": METRIC,
            "seeds": list(range(seeds)),
            "budget": "whole space" if budget is None else budget,
            "quick": args.quick,
            "checkpoints": list(CHECKPOINTS),
            "reference": refs,
            "results": summaries,
            "wall_time_s": round(elapsed, 1),
        },
    )
    print(f"\nwrote {args.out}; total wall time {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
