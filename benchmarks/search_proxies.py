"""Closed-loop diffusion search on nb201-cifar10 with and without zero-cost proxies as
predictor inputs, on the same seeds in one process.

Usage::

    python benchmarks/search_proxies.py [--seeds 5] [--budget 200] [--out results/search_proxies.json]

Prints, per variant, the queries each seed needed to reach the optimum, the top 0.1% and
the top 1% of the space (``>budget`` when not reached) and their medians.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch

from baselines import METRIC, TARGETS, reference
from nag import bench, search
from nag.atomic_write import write_json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--out", default="results/search_proxies.json")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    b = bench.load("nb201-cifar10")
    thresholds = reference(b.name)["targets"]
    out: dict = {"seeds": args.seeds, "budget": args.budget, "variants": {}}
    for variant, proxies in (("diffusion", False), ("diffusion+proxies", True)):
        runs = []
        for seed in range(args.seeds):
            started = time.perf_counter()
            trajectory = search.run("diffusion", b, metric=METRIC, budget=args.budget, seed=seed, proxies=proxies)
            reached = {t: trajectory.queries_to_reach(v) for t, v in thresholds.items()}
            runs.append({"seed": seed, "seconds": time.perf_counter() - started, **reached})
            print(f"{variant} seed {seed}: {reached}", file=sys.stderr, flush=True)
        medians = {t: float(np.median([r[t] if r[t] is not None else args.budget + 1 for r in runs])) for t in TARGETS}
        out["variants"][variant] = {"runs": runs, "median": medians}
    write_json(args.out, out)
    print("| variant | " + " | ".join(f"queries to {t} (per seed; median)" for t in TARGETS) + " |")
    print("|---|" + "---|" * len(TARGETS))
    for variant, v in out["variants"].items():
        cells = [f"{', '.join(str(r[t] or f'>{args.budget}') for r in v['runs'])}; **{v['median'][t]:g}**" for t in TARGETS]
        print(f"| {variant} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
