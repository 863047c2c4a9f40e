"""Latency tables measured here: the additive model against end-to-end timing, a predictor
fit on measured latencies, and latency budgets in the generator.

Usage (from the repository root)::

    python -m benchmarks.latency --out results/latency.json [--plot results/latency.png]
        [--cases nb201:32,mbv3:224,mbv3:32] [--runtimes torch] [--n 100] [--per-budget 10000]
        [--check-repeats 30] [--skip predictor,budgets,pareto] [--quick]

Per case (space and input resolution), on one thread at batch 1, with the table's default
settings (10 warm-up runs, 30 timed runs, the lower quartile as the statistic):

- **model**: the time to measure the table (``nag.latency.measure``), then ``--n`` random
  archs (seed 1) timed whole (``nag.latency.check``, ``--check-repeats`` timed runs each,
  default the table's 30): Spearman and mean absolute percentage error of the table
  latency against that timing;
- **predictor**: the default ``Predictor`` and the ``ridge`` baseline (Bayesian ridge on
  the one-hot choices, an additive model) fit on the whole-network latencies of the first
  half of those archs, Spearman on the other half, next to the table's on the same half;
- **budgets**: the shipped generator under five latency budgets (the 5th to 95th
  percentile of 5,000 uniform archs' table latency), ``--per-budget`` samples each,
  violations of the table latency counted;
- **pareto** (nb201 only): NAS-Bench-201 CIFAR-10 accuracy (max) against the measured
  table's latency (min), ``--pareto-budget`` queries per run for diffusion, NSGA-style RE
  and random search, ``--seeds`` seeds each; the median hypervolume after each of
  ``--marks`` queries, with the reference point (the lowest accuracy of the benchmark, the
  highest table latency of the space) stated, and a plot of the fronts of seed 0.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy import stats

from nag import Generator, latency, spaces
from nag.atomic_write import write_json

ROOT = Path(__file__).resolve().parents[1]
PERCENTILES = (5, 27.5, 50, 72.5, 95)


def model(space: Any, resolution: int, runtime: str, n: int, repeats: int | None = None) -> tuple[dict[str, Any], Any, Any]:
    """Measure the table, then check it against ``n`` whole networks (``repeats`` timed
    runs each; default: the table's)."""
    start = time.perf_counter()
    table = latency.measure(space, runtime=runtime, progress=False, resolution=resolution)
    seconds = time.perf_counter() - start
    report = latency.check(space, table, n=n, seed=1, repeats=repeats, progress=False)
    figures = {"runtime": runtime, "check_repeats": repeats or table.settings["repeats"], "measure_seconds": seconds, "parts": len(table.entries), "fixed_ms": table.fixed_ms,
               "spearman": report.spearman, "mape_percent": report.mape, "mean_measured_ms": float(np.mean(report.measured)),
               "mean_table_ms": float(np.mean(report.predicted)), "machine": dict(table.machine)}  # fmt: skip
    return figures, table, report


def predictor(space: Any, report: Any) -> dict[str, Any]:
    """The default Predictor and the ridge baseline (additive in the choices) on half the
    measured latencies, ranked on the other half, next to the table."""
    from nag.predictors import Predictor
    from nag.predictors.baselines import make

    archs = [space.from_str(a) for a in report.archs]
    measured, table = np.asarray(report.measured), np.asarray(report.predicted)
    half = len(archs) // 2
    out: dict[str, Any] = {"labels": half, "table_spearman": float(stats.spearmanr(table[half:], measured[half:]).statistic)}
    for name, model in (("predictor", Predictor()), ("ridge", make("ridge", space))):
        start = time.perf_counter()
        mean, _ = model.fit(archs[:half], measured[:half]).predict(archs[half:])
        out[f"{name}_spearman"] = float(stats.spearmanr(mean, measured[half:]).statistic)
        out[f"{name}_fit_seconds"] = time.perf_counter() - start
    return out


def budgets(space: Any, table: Any, per_budget: int) -> list[dict[str, Any]]:
    """Violations of the table latency under five budgets."""
    generator = Generator.from_pretrained(space.defaults.generator or space.name)
    bounds = np.percentile(latency.predict(table, space, space.sample(5000, seed=1)), PERCENTILES)
    rows = []
    for pct, bound in zip(PERCENTILES, bounds):
        archs = generator.sample(per_budget, seed=2, constraints={"latency": ("<=", float(bound))}, latency_table=table)
        values = latency.predict(table, space, archs)
        rows.append({"percentile": pct, "bound_ms": float(bound), "samples": len(archs),
                     "violations": int((values > bound).sum()), "median_ms": float(np.median(values))})  # fmt: skip
    return rows


def pareto(space: Any, table: Any, strategies: list[str], seeds: int, budget: int, marks: list[int]) -> dict[str, Any]:
    """Median hypervolume over seeds of each strategy's front after each of ``marks`` queries."""
    from nag import bench as benchmarks
    from nag import search

    bench = benchmarks.load("nb201-cifar10")
    reference = [float(np.min(bench.values("accuracy"))), float(latency.predict(table, space, space.all_archs()).max())]
    objectives = [("accuracy", "max"), ("latency", "min")]
    options = {"diffusion": {"batch": 20, "epochs": 30}}
    out: dict[str, Any] = {"reference": reference, "budget": budget, "seeds": seeds, "strategies": {}}
    for strategy in strategies:
        volumes, seconds, front = [], [], None
        for seed in range(seeds):
            start = time.perf_counter()
            found = search.run(strategy, bench, objectives=objectives, latency_table=table, budget=budget, seed=seed,
                               **options.get(strategy, {}))  # fmt: skip
            seconds.append(time.perf_counter() - start)
            volumes.append([found.hypervolume(reference, upto=m) for m in marks])
            if seed == 0:
                front = found.front()[1].tolist()
        medians = np.median(np.array(volumes), axis=0)
        out["strategies"][strategy] = {"median_hypervolume": dict(zip(map(str, marks), medians.tolist())),
                                       "hypervolumes": volumes, "median_seconds": float(np.median(seconds)), "front_seed0": front}  # fmt: skip
        print(f"pareto {strategy}: median hypervolume {dict(zip(marks, np.round(medians, 1)))}", flush=True)
    return out


def plot_fronts(figures: dict[str, Any], path: Path) -> None:
    """The seed-0 fronts of each strategy: accuracy against table latency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.6))
    for strategy, row in figures["strategies"].items():
        front = sorted(row["front_seed0"], key=lambda p: p[1])
        ax.step([p[1] for p in front], [p[0] for p in front], where="post", marker="o", ms=3, label=strategy)
    ax.set(xlabel="table latency (ms)", ylabel="CIFAR-10 accuracy (%)", title=f"nb201 fronts after {figures['budget']} queries")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def plot(cases: dict[str, Any], path: Path) -> None:
    """Table latency against end-to-end timing, one panel per case."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [(name, c) for name, c in cases.items() if "points" in c]
    fig, axes = plt.subplots(1, len(shown), figsize=(4 * len(shown), 3.6), squeeze=False)
    for ax, (name, case) in zip(axes[0], shown):
        measured, table = case["points"]["measured"], case["points"]["table"]
        ax.scatter(measured, table, s=9)
        low, high = min(measured + table), max(measured + table)
        ax.plot([low, high], [low, high], color="grey", lw=0.8)
        ax.set(title=f"{name}: Spearman {case['model']['spearman']:.3f}", xlabel="measured (ms)", ylabel="table (ms)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="nb201:32,mbv3:224,mbv3:32", help="space:resolution, comma separated")
    parser.add_argument("--runtimes", default="torch", help="runtimes the model is checked with (torch, onnxruntime)")
    parser.add_argument("--n", type=int, default=100, help="archs timed whole")
    parser.add_argument("--check-repeats", type=int, default=None, help="timed runs per whole network (default: the table's)")
    parser.add_argument("--per-budget", type=int, default=10000, help="samples under each latency budget")
    parser.add_argument("--skip", default="", help="sections to skip: predictor,budgets,pareto")
    parser.add_argument("--seeds", type=int, default=10, help="pareto: seeds per strategy")
    parser.add_argument("--pareto-budget", type=int, default=300, help="pareto: queries per run")
    parser.add_argument("--marks", default="100,300", help="pareto: query counts the hypervolume is read at")
    parser.add_argument("--strategies", default="diffusion,re,random", help="pareto: strategies compared")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    parser.add_argument("--plot", type=Path, default=None, help="draw table against measured latency here (PNG)")
    args = parser.parse_args()
    if args.quick:
        args.n, args.per_budget, args.seeds, args.pareto_budget, args.marks = 10, 200, 1, 40, "20,40"
    torch.set_num_threads(1)
    skip = set(filter(None, args.skip.split(",")))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    report: dict[str, Any] = {"command": "python -m benchmarks.latency " + " ".join(sys.argv[1:]), "commit": commit,
                              "machine": f"{platform.machine()}, {torch.get_num_threads()} torch thread", "cases": {}}  # fmt: skip
    started = time.perf_counter()
    for case in args.cases.split(","):
        name, resolution = case.split(":")
        space = spaces.get(name)
        for runtime in args.runtimes.split(","):
            key = f"{name}@{resolution}" + ("" if runtime == "torch" else f" {runtime}")
            figures, table, check = model(space, int(resolution), runtime, args.n, args.check_repeats)
            entry: dict[str, Any] = {
                "model": figures,
                "points": {"measured": check.measured, "table": check.predicted, "archs": check.archs},
            }
            print(f"{key} model: Spearman {figures['spearman']:.3f}, MAPE {figures['mape_percent']:.1f}%, "
                  f"table measured in {figures['measure_seconds']:.1f} s", flush=True)  # fmt: skip
            if runtime == "torch" and "predictor" not in skip:
                entry["predictor"] = predictor(space, check)
                print(f"{key} predictor: {entry['predictor']}", flush=True)
            if runtime == "torch" and "budgets" not in skip:
                entry["budgets"] = budgets(space, table, args.per_budget)
                print(f"{key} budgets: {sum(r['violations'] for r in entry['budgets'])} violations in "
                      f"{sum(r['samples'] for r in entry['budgets'])} samples", flush=True)  # fmt: skip
            if runtime == "torch" and name == "nb201" and "pareto" not in skip:
                marks = [int(m) for m in args.marks.split(",")]
                entry["pareto"] = pareto(space, table, args.strategies.split(","), args.seeds, args.pareto_budget, marks)
                if args.plot:
                    plot_fronts(entry["pareto"], args.plot.with_name(args.plot.stem + "_fronts.png"))
            report["cases"][key] = entry
            if args.out:
                write_json(args.out, {**report, "seconds": time.perf_counter() - started})
    report["seconds"] = time.perf_counter() - started
    if args.out:
        write_json(args.out, report)
    if args.plot:
        plot(report["cases"], args.plot)


if __name__ == "__main__":
    main()
