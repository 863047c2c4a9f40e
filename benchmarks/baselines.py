"""Baseline search efficiency on tabular benchmarks: how many queries random search,
regularized evolution and local search need to reach the optimum and the top-0.1% / top-1%
thresholds, and the best value they hold after a fixed number of queries.

Usage::

    python benchmarks/baselines.py [--seeds 30] [--out results/baselines.json] [--quick]
        [--plot-dir results] [--plot-only]

Every search runs with a budget of the whole space (so queries-to-optimum are exact);
``--quick`` runs 3 seeds with a budget of 2000 as a smoke test. A run that never reaches a
target counts as ``budget + 1``; a quantile that depends on such runs prints as ``>budget``.
Query counts print as ``median (25th–75th percentile)``, best values as the median over seeds.

Plots: ``<plot-dir>/search_<benchmark>.png``, the best value so far against queries per
strategy (median line, 25th–75th percentile band over seeds, log x-axis) with the optimum
and top-0.1% / top-1% thresholds; a run other than the default protocol adds a tag to the
name (``_quick``, ``_10seeds``). ``--plot-only`` redraws them from the JSON at ``--out``.
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
from nag.plots import curve_from_steps, improvement_steps, pad_curves, plot_best_so_far

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
        "best_steps": improvement_steps(trajectory.best_so_far),
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
    """Figures of all runs of one benchmark x strategy; ``curves`` keeps each seed's
    best-so-far curve as its steps (:func:`nag.plots.improvement_steps`) for the plots."""
    budget = max(r["budget"] for r in results)
    by_seed = sorted(results, key=lambda r: r["seed"])
    return {
        "runs": len(results),
        "budget": budget,
        "queries_to": {t: summarize_counts([r["to_reach"][t] for r in results], budget) for t in TARGETS},
        "best_at": {str(n): float(np.median([r["best_at"][str(n)] for r in results])) for n in CHECKPOINTS},
        "curves": {
            "seeds": [r["seed"] for r in by_seed],
            "queries": [r["queries"] for r in by_seed],
            "best_steps": [r["best_steps"] for r in by_seed],
        },  # fmt: skip
    }


def strategy_curves(summary: dict[str, Any]) -> np.ndarray | None:
    """The ``[seeds, queries]`` best-so-far curves kept by :func:`summarize` (None in a
    results file written before curves were kept)."""
    kept = summary.get("curves")
    if not kept:
        return None
    return pad_curves([curve_from_steps(s, q) for s, q in zip(kept["best_steps"], kept["queries"])])


def plot_search(summaries: dict[str, dict[str, Any]], refs: dict[str, dict[str, Any]], path_for: Any,
                what: str = "") -> list[Path]:  # fmt: skip
    """One best-so-far figure per benchmark (``path_for(benchmark)``), the strategies'
    seed bands next to the benchmark's optimum and top-0.1% / top-1% thresholds."""
    written = []
    for name, by_strategy in summaries.items():
        curves = {s: c for s, c in ((s, strategy_curves(v)) for s, v in by_strategy.items()) if c is not None}
        if not curves:
            print(f"{name}: no per-seed curves in the results (written before they were kept); rerun to plot", flush=True)
            continue
        ref = refs[name]
        seeds = max(len(c) for c in curves.values())
        unit = " (%)" if name.startswith("nb201") else ""
        path = Path(path_for(name))
        plot_best_so_far(curves, path, ylabel=f"best test {ref['metric']} so far{unit}",
                         reference={"optimum": ref["targets"]["optimum"], "top 0.1%": ref["targets"]["top0.1%"],
                                    "top 1%": ref["targets"]["top1%"]},
                         title=f"{name} ({ref['size']:,} archs): {seeds} seeds{what}")  # fmt: skip
        written.append(path)
    return written


def plot_tag(seeds: int, quick: bool) -> str:
    """File-name tag of a run other than the default protocol (30 seeds, whole space)."""
    return "_quick" if quick else ("" if seeds == 30 else f"_{seeds}seeds")


def plot_results(data: dict[str, Any], plot_dir: Path) -> list[Path]:
    """The figures of a results file written by :func:`main`."""
    tag = plot_tag(len(data["seeds"]), data.get("quick", False))
    budget = data["budget"]
    what = ", budget: the whole space" if budget == "whole space" else f", budget {budget}"
    return plot_search(data["results"], data["reference"], lambda name: plot_dir / f"search_{name}{tag}.png", what)


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
    parser.add_argument("--plot-dir", type=Path, default=Path("results"), help="folder of the figures (default results)")
    parser.add_argument("--plot-only", action="store_true", help="redraw the figures from the JSON at --out; run nothing")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    start = time.perf_counter()
    args = parse_args(argv)
    if args.plot_only:
        if not args.out.exists():
            raise SystemExit(f"--plot-only reads {args.out}, which does not exist; run the benchmark first or pass --out")
        for path in plot_results(json.loads(args.out.read_text()), args.plot_dir):
            print(f"wrote {path}")
        return 0
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
    data = {
        "metric": METRIC,
        "seeds": list(range(seeds)),
        "budget": "whole space" if budget is None else budget,
        "quick": args.quick,
        "checkpoints": list(CHECKPOINTS),
        "reference": refs,
        "results": summaries,
        "wall_time_s": round(elapsed, 1),
    }
    write_json(args.out, data)
    print(f"\nwrote {args.out}; total wall time {elapsed:.1f} s")
    for path in plot_results(data, args.plot_dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
