"""Guided sampling under hard constraints: on NAS-Bench-201, a predictor fit on 100 labels
steers the generator towards accurate cells under 1 M parameters; on MobileNetV3 (a space
too large to list), samples keep to a MACs budget and to some kernel sizes, and a reward
pushes them up against that budget.

Run from the repository root:  python -m examples.sample_constrained [--fast]
"""

from __future__ import annotations

import argparse

import numpy as np

from nag import Generator, Predictor, bench, spaces
from nag.guidance import PredictorGuidance, RewardGuidance

PARAMS, FLOPS = 1e6, 3e8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fast", action="store_true", help="fewer samples, a short fit and a fixed guidance scale (what CI runs)"
    )
    args = parser.parse_args()
    n, steps = (16, 10) if args.fast else (64, None)
    fit = {"epochs": 100} if args.fast else {}
    guide = {"scale": 6.0, "archs": 1024, "iterations": 200} if args.fast else {}

    # NAS-Bench-201: a predictor from 100 labels guides sampling; the benchmark tells the truth.
    b = bench.load("nb201-cifar10")
    archs, acc = b.table("accuracy")
    labelled = np.random.default_rng(0).choice(len(archs), 100, replace=False)
    p = Predictor(space="nb201", **fit).fit([archs[i] for i in labelled], acc[labelled], mode="heads" if args.fast else "full")
    gen = Generator.from_pretrained("nb201")
    budget = {"params": f"<={PARAMS:g}"}
    plain = gen.sample(n, constraints=budget, seed=0, sample_steps=steps)
    guided = gen.sample(n, guidance=PredictorGuidance(p, **guide), constraints=budget, seed=0, sample_steps=steps)
    for name, sampled in (("unguided", plain), ("guided", guided)):
        true, params = b.query_many(sampled, "accuracy"), b.query_many(sampled, "params")
        print(f"nb201 {name:>8}: mean true accuracy {true.mean():.2f} (best {true.max():.2f}), "
              f"max params {params.max():,.0f} <= {PARAMS:,.0f}")  # fmt: skip

    # MobileNetV3: a MACs budget and 5x5 / 7x7 kernels only, exact without listing the space.
    mbv3 = spaces.get("mbv3")
    gen = Generator.from_pretrained("mbv3")
    small = gen.sample(n, constraints={"flops": f"<={FLOPS:g}"}, allowed={"k": [5, 7]}, seed=0, sample_steps=steps)
    macs = np.asarray(mbv3.cost(small, "flops"))
    assert (macs <= FLOPS).all(), "a sample broke the MACs budget"
    print(f"mbv3 under {FLOPS:.0e} MACs, k in (5, 7): all {len(small)} within budget; "
          f"MACs min {macs.min():,.0f}, median {np.median(macs):,.0f}, max {macs.max():,.0f}")  # fmt: skip

    # A black-box reward (the MACs themselves) pushes samples up against the same budget.
    reward = RewardGuidance(lambda archs: mbv3.cost(archs, "flops"), candidates=4 if args.fast else 8, maximize=True)
    big = gen.sample(n, guidance=reward, constraints={"flops": f"<={FLOPS:g}"}, seed=0, sample_steps=steps)
    best = max(mbv3.cost(big, "flops"))
    print(f"mbv3 reward-guided towards the budget: best {best:,.0f} MACs, {100 * best / FLOPS:.1f}% of the bound")


if __name__ == "__main__":
    main()
