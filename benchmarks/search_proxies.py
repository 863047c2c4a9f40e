"""Closed-loop search on nb201-cifar10 with and without zero-cost proxies, next to random
search and regularized evolution, on the same seeds and budget.

Usage::

    python benchmarks/search_proxies.py [--seeds 30] [--budget 200] [--workers 2]
        [--variants random,re,diffusion,diffusion-plain,diffusion+proxies,diffusion+proxies+warm]
        [--out results/search_proxies.json]

Variants (``search.run`` options):

- ``diffusion``: the default diffusion search (on nb201-cifar10 accuracy its defaults pick
  the proxies, so it runs as ``diffusion+proxies+warm``, seed for seed; the JSON records the
  options as given, ``{}``);
- ``diffusion-plain``: without the proxies (``proxies=False, warm_start="generator"``);
- ``diffusion+proxies``: its predictor also reads each arch's proxies (``proxies=True``);
- ``diffusion+proxies+warm``: and round 0 queries the highest proxy votes among unguided
  samples (``warm_start="proxies"``);
- ``random``, ``re``: the baselines.

Prints, per variant, the queries each seed needed to reach the optimum, the top 0.1% and
the top 1% of the space (``>budget`` when not reached), their median and 25th–75th
percentiles (a run that never reaches a target counts as ``budget + 1``).
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
from baselines import METRIC, TARGETS, reference

from nag.atomic_write import write_json

BENCHMARK = "nb201-cifar10"
#: variant -> (strategy, options)
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "random": ("random", {}),
    "re": ("re", {}),
    "diffusion": ("diffusion", {}),
    "diffusion-plain": ("diffusion", {"proxies": False, "warm_start": "generator"}),
    "diffusion+proxies": ("diffusion", {"proxies": True, "warm_start": "generator"}),
    "diffusion+proxies+warm": ("diffusion", {"proxies": True, "warm_start": "proxies"}),
}


def run_one(job: tuple[str, int, int]) -> dict[str, Any]:
    """Queries to each target of one (variant, seed, budget) search."""
    import torch

    from nag import bench, search

    torch.set_num_threads(1)
    variant, seed, budget = job
    strategy, options = VARIANTS[variant]
    started = time.perf_counter()
    trajectory = search.run(strategy, bench.load(BENCHMARK), metric=METRIC, budget=budget, seed=seed, **options)
    reached = {t: trajectory.queries_to_reach(v) for t, v in reference(BENCHMARK)["targets"].items()}
    print(f"{variant} seed {seed}: {reached}", file=sys.stderr, flush=True)
    return {"variant": variant, "seed": seed, "seconds": time.perf_counter() - started, **reached}


def summary(runs: list[dict[str, Any]], budget: int) -> dict[str, dict[str, float]]:
    """Median and 25th/75th percentiles of the queries to each target (unreached: budget + 1)."""
    out = {}
    for t in TARGETS:
        values = [r[t] if r[t] is not None else budget + 1 for r in runs]
        out[t] = {q: float(np.percentile(values, p)) for q, p in (("median", 50), ("p25", 25), ("p75", 75))}
    return out


def cell(stats: dict[str, float], budget: int) -> str:
    shown = {q: (f">{budget}" if v > budget else f"{v:g}") for q, v in stats.items()}
    return f"**{shown['median']}** ({shown['p25']}–{shown['p75']})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--out", default="results/search_proxies.json")
    args = parser.parse_args(argv)
    variants = args.variants.split(",")
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; choose from {', '.join(VARIANTS)}")
    jobs = [(v, seed, args.budget) for v in variants for seed in range(args.seeds)]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        runs = list(pool.map(run_one, jobs))
    out: dict[str, Any] = {"benchmark": BENCHMARK, "seeds": args.seeds, "budget": args.budget,
                           "seconds": time.perf_counter() - started, "variants": {}}  # fmt: skip
    for v in variants:
        mine = [r for r in runs if r["variant"] == v]
        out["variants"][v] = {"options": VARIANTS[v][1], "runs": mine, "summary": summary(mine, args.budget)}
    write_json(args.out, out)
    print(f"{BENCHMARK}, budget {args.budget}, {args.seeds} seeds, {out['seconds'] / 60:.0f} min; "
          "queries to reach each target: median (25th–75th percentile)")  # fmt: skip
    print("| variant | " + " | ".join(f"q→{t}" for t in TARGETS) + " |")
    print("|---|" + "---|" * len(TARGETS))
    for v, entry in out["variants"].items():
        print(f"| {v} | " + " | ".join(cell(entry["summary"][t], args.budget) for t in TARGETS) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
