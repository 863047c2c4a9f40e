"""Sampling for a target: a value to come close to (NAS-Bench-201 cells near a given
accuracy, by a black-box reward with ``target=``) and a dataset to do well on (the shipped
``nbgraph-datasets`` generator with ``condition="nbgraph-cora"``), each checked against
the benchmark's measured values.

Run from the repository root:  python -m examples.sample_targets [--fast]
"""

from __future__ import annotations

import argparse

import numpy as np

from nag import Generator, bench
from nag.guidance import RewardGuidance

TARGET = 90.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="fewer samples and denoising steps (what CI runs)")
    args = parser.parse_args()
    n, steps = (16, 10) if args.fast else (64, None)

    # A target value: RewardGuidance (and PredictorGuidance) take target= and score -|value - target|.
    b = bench.load("nb201-cifar10")
    gen = Generator.from_pretrained("nb201")
    near = RewardGuidance(lambda archs: b.query_many(archs, "accuracy"), target=TARGET, candidates=4)
    for name, guidance in (("unguided", None), (f"target {TARGET:g}", near)):
        acc = b.query_many(gen.sample(n, guidance=guidance, seed=0, sample_steps=steps), "accuracy")
        print(f"nb201 {name:>11}: accuracy median {np.median(acc):.2f}, "
              f"mean |accuracy - {TARGET:g}| {np.abs(acc - TARGET).mean():.2f}")  # fmt: skip

    # A dataset: the generator learned which archs do well on each of eight nbgraph datasets.
    cora = bench.load("nbgraph-cora")
    everything = cora.table("accuracy")[1]
    top = np.quantile(everything, 0.9)
    ds = Generator.from_pretrained("nbgraph-datasets")
    for name, condition in (("no condition", None), ("nbgraph-cora", "nbgraph-cora")):
        acc = cora.query_many(ds.sample(n, condition=condition, seed=0, sample_steps=steps), "accuracy")
        print(f"nbgraph {name:>12}: cora accuracy mean {acc.mean():.4f}, "
              f"{np.mean(acc >= top):.0%} in cora's top 10% (>= {top:.4f})")  # fmt: skip


if __name__ == "__main__":
    main()
