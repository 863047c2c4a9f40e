"""Generation in spaces too large to list (mbv3, darts): validity, exact budgets, speed, search.

Usage (from the repository root)::

    python -m benchmarks.generator_scale --out results/generator_scale.json
        [--spaces mbv3,darts] [--valid 1000] [--per-budget 10000] [--seeds 10]
        [--budgets 50,100,300] [--strategies diffusion,re,random,local] [--quick]

Per space, on one torch thread, with the shipped generator (``Generator.from_pretrained``;
its fit time is the one its checkpoint records):

- **validity**: ``--valid`` unguided samples, each built (the space's trace options: mbv3 at
  resolution 32, darts C=8 with 5 cells) and run forward on one image;
- **budgets**: five MACs (``flops``) budgets at the 5th, 27.5th, 50th, 72.5th and 95th
  percentile of 5,000 uniform archs, and params budgets at the same percentiles;
  ``--per-budget`` samples under each, the violations counted with the space's analytic
  cost model; at the tightest MACs budget, 100 samples guided to maximise MACs
  (``RewardGuidance``) and how close the best and the median come to the bound;
- **speed**: at the generator's own number of sampler jumps, archs/s unguided, under a
  budget, guided by a predictor (PredictorGuidance at a fixed scale, with a stand-in
  predictor that returns analytic params) and by a black-box reward (RewardGuidance on
  params), medians of 3 runs;
- **steps**: what fewer sampler jumps cost, at 10 and at each of ``--steps``: unguided
  speed, uniqueness and the Kolmogorov-Smirnov distance of the samples' MACs and params
  from 5,000 uniform archs (two uniform sets give the noise floor); predictor-guided
  (calibrated scale) mean params, with no budget and under the median MACs budget;
- **search**: maximise NASWOT on one real digits batch (32 images at resolution 32, three
  channels) under the median MACs budget, each strategy with the same constraint and
  budget; the median over seeds of the best NASWOT after each of ``--budgets`` queries,
  and the wall time per run.
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
from tqdm.auto import tqdm

from nag import Generator, search, spaces
from nag.atomic_write import write_json
from nag.guidance import PredictorGuidance, RewardGuidance
from nag.proxies import zero_cost

ROOT = Path(__file__).resolve().parents[1]
PERCENTILES = (5, 27.5, 50, 72.5, 95)


def validity(space: Any, generator: Generator, n: int) -> dict[str, Any]:
    """How many of ``n`` unguided samples build and run a forward pass."""
    archs = generator.sample(n, seed=0)
    options = dict(space.defaults.trace_options)
    x = space.example_input(batch=1, **options)
    ran = 0
    for arch in tqdm(archs, desc=f"{space.name} build + forward", leave=False):
        with torch.no_grad():
            out = space.build(arch, **options).eval()(*x)
        ran += int(torch.isfinite(out).all())
    return {"samples": n, "members": int(sum(space.contains(a) for a in archs)), "built_and_ran": ran,
            "validity": ran / n, "unique": len(set(archs)) / n, "raw_validity": generator.last["raw_validity"]}  # fmt: skip


def budgets(space: Any, generator: Generator, per_budget: int) -> dict[str, Any]:
    """Violations under five MACs and five params budgets, and how near the tightest MACs
    budget guided samples come."""
    uniform = space.sample(5000, seed=1)
    out: dict[str, Any] = {}
    for metric in ("flops", "params"):
        bounds = np.percentile(space.cost(uniform, metric), PERCENTILES)
        rows = []
        for pct, bound in zip(PERCENTILES, bounds):
            archs = generator.sample(per_budget, seed=2, constraints={metric: ("<=", float(bound))})
            values = space.cost(archs, metric)
            rows.append({"percentile": pct, "bound": float(bound), "samples": len(archs),
                         "violations": int((values > bound).sum()), "median": float(np.median(values))})  # fmt: skip
        out[metric] = rows
    tight = out["flops"][0]["bound"]
    guide = RewardGuidance(lambda archs: space.cost(archs, "flops"), maximize=True)
    guided = space.cost(generator.sample(100, seed=3, guidance=guide, constraints={"flops": ("<=", tight)}), "flops")
    out["tightest_guided"] = {"bound": tight, "violations": int((guided > tight).sum()),
                              "best_gap": float((tight - guided.max()) / tight), "median_gap": float((tight - np.median(guided)) / tight)}  # fmt: skip
    return out


def per_second(fn: Any, count: int, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return count / float(np.median(times))


class _AnalyticPredictor:
    """A stand-in predictor for speed runs: the arch's analytic params, with no spread."""

    metrics = ("params",)

    def __init__(self, space: Any):
        self.space = space

    def predict(self, archs: list[Any]) -> tuple[np.ndarray, np.ndarray]:
        values = self.space.cost(archs, "params")
        return values, np.zeros_like(values)


def steps_figures(space: Any, generator: Generator, counts: list[int], n: int = 2000) -> dict[str, Any]:
    """Sampling speed and quality at each number of sampler jumps in ``counts``."""
    from scipy.stats import ks_2samp

    uniform, other = space.sample(5000, seed=1), space.sample(5000, seed=7)
    reference = {m: space.cost(uniform, m) for m in ("flops", "params")}
    bound = float(np.percentile(reference["flops"], 50))
    out: dict[str, Any] = {
        "uniform_ks": {m: float(ks_2samp(v, space.cost(other, m)).statistic) for m, v in reference.items()},
        "uniform_params_mean": float(reference["params"].mean()),
        "uniform_params_mean_under_budget": float(reference["params"][reference["flops"] <= bound].mean()),
        "budget": {"flops": f"<={bound:.4g}"},
        "by_steps": {},
    }
    for count in counts:
        archs = generator.sample(n, seed=2, sample_steps=count)
        row: dict[str, Any] = {
            "unguided_per_s": per_second(lambda: generator.sample(1000, seed=4, sample_steps=count), 1000),
            "unique": len(set(archs)) / n,
            "ks": {m: float(ks_2samp(space.cost(archs, m), v).statistic) for m, v in reference.items()},
        }
        for key, constraints in (("guided_params_mean", None), ("guided_params_mean_under_budget", {"flops": ("<=", bound)})):
            guide = PredictorGuidance(_AnalyticPredictor(space), archs=2048, seed=0)
            guided = generator.sample(200, seed=5, guidance=guide, constraints=constraints, sample_steps=count)
            row[key] = float(space.cost(guided, "params").mean())
            row[key.replace("params_mean", "scale")] = guide.chosen_scale
        out["by_steps"][str(count)] = row
    return out


def speed(space: Any, generator: Generator, n: int) -> dict[str, float]:
    """Archs/s: unguided, under a budget, guided by a predictor (PredictorGuidance at a fixed
    scale, bound once: its surrogate fit is timed apart) and by a black-box reward."""
    reward = RewardGuidance(lambda archs: space.cost(archs, "params"), maximize=True)
    start = time.perf_counter()
    bound = PredictorGuidance(_AnalyticPredictor(space), scale=1.0, archs=2048, seed=0).bind(generator)
    bind_seconds = time.perf_counter() - start
    budget = {"flops": "<=3e8"} if space.name == "mbv3" else {"params": "<=3e6"}
    return {
        "sample_steps": generator.config.sample_steps,
        "unguided_per_s": per_second(lambda: generator.sample(n, seed=4), n),
        "constrained_per_s": per_second(lambda: generator.sample(n, seed=4, constraints=budget), n),
        "predictor_guided_per_s": per_second(lambda: generator.sample(n, seed=4, guidance=bound), n),
        "predictor_guidance_bind_seconds": bind_seconds,
        "reward_guided_per_s": per_second(lambda: generator.sample(n, seed=4, guidance=reward), n),
    }


def naswot_objective(space: Any) -> Any:
    """NASWOT of each arch on one real digits batch (32 images, resolution 32, 3 channels)."""
    from nag.train.datasets import digits

    images = digits().x_train[:32]
    x = torch.nn.functional.interpolate(images, size=32, mode="bilinear", align_corners=False).repeat(1, 3, 1, 1)
    options = dict(space.defaults.trace_options)

    def objective(archs: list[Any]) -> np.ndarray:
        values = []
        for arch in archs:
            with torch.random.fork_rng():
                torch.manual_seed(0)
                model = space.build(arch, **options)
            values.append(zero_cost(model, x, ("naswot",))["naswot"])
        return np.asarray(values)

    return objective


def search_figures(space: Any, generator: Generator, strategies: list[str], seeds: int, marks: list[int]) -> dict[str, Any]:
    bound = float(np.percentile(space.cost(space.sample(5000, seed=1), "flops"), 50))
    constraints = {"flops": ("<=", bound)}
    objective = naswot_objective(space)
    out: dict[str, Any] = {"objective": "naswot (digits, 32 images, resolution 32)", "constraints": {"flops": f"<={bound:.4g}"},
                           "seeds": seeds, "budget": max(marks), "strategies": {}}  # fmt: skip
    for strategy in strategies:
        options = {"generator": generator} if strategy == "diffusion" else {}
        curves, seconds, violations = [], [], 0
        for seed in tqdm(range(seeds), desc=f"{space.name} {strategy}", leave=False):
            start = time.perf_counter()
            trajectory = search.run(
                strategy, objective, space=space, budget=max(marks), seed=seed, constraints=constraints, **options
            )
            seconds.append(time.perf_counter() - start)
            violations += int((space.cost(list(trajectory.archs), "flops") > bound).sum())
            curves.append([trajectory.best_after(m) for m in marks])
        curves_array = np.array(curves)
        out["strategies"][strategy] = {"median_best": dict(zip(map(str, marks), np.median(curves_array, 0).tolist())),
                                       "per_seed": curves, "median_seconds": float(np.median(seconds)), "violations": violations}  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spaces", default="mbv3,darts")
    parser.add_argument("--valid", type=int, default=1000, help="samples built and run")
    parser.add_argument("--per-budget", type=int, default=10000, help="samples under each budget")
    parser.add_argument("--speed-n", type=int, default=1000, help="samples per speed run")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budgets", default="50,100,300", help="query counts the search curves are read at")
    parser.add_argument("--strategies", default="diffusion,re,random,local")
    parser.add_argument("--steps", default="2,3,4,5", help="sampler jump counts the steps section compares with 10")
    parser.add_argument("--skip", default="", help="sections to skip: validity,budgets,speed,steps,search")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args()
    if args.quick:
        args.valid, args.per_budget, args.speed_n, args.seeds, args.budgets, args.steps = 20, 200, 100, 1, "10,20", "4"
    torch.set_num_threads(1)
    skip = set(filter(None, args.skip.split(",")))
    marks = [int(m) for m in args.budgets.split(",")]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    report: dict[str, Any] = {"command": "python -m benchmarks.generator_scale " + " ".join(sys.argv[1:]), "commit": commit,
                              "machine": f"{platform.machine()}, {torch.get_num_threads()} torch thread", "spaces": {}}  # fmt: skip
    started = time.perf_counter()
    for name in args.spaces.split(","):
        space, generator = spaces.get(name), Generator.from_pretrained(name)
        figures: dict[str, Any] = {"fit": generator.report}
        sections = {"validity": lambda: validity(space, generator, args.valid), "budgets": lambda: budgets(space, generator, args.per_budget),
                    "speed": lambda: speed(space, generator, args.speed_n),
                    "steps": lambda: steps_figures(space, generator, sorted({10, *map(int, args.steps.split(","))})),
                    "search": lambda: search_figures(space, generator, args.strategies.split(","), args.seeds, marks)}  # fmt: skip
        for section, run in sections.items():
            if section not in skip:
                start = time.perf_counter()
                figures[section] = run()
                figures[f"{section}_seconds"] = time.perf_counter() - start
                print(
                    f"{name} {section}: {figures[section] if section != 'search' else _search_line(figures[section])}", flush=True
                )
        report["spaces"][name] = figures
        if args.out:
            write_json(args.out, {**report, "seconds": time.perf_counter() - started})
    report["seconds"] = time.perf_counter() - started
    if args.out:
        write_json(args.out, report)


def _search_line(figures: dict[str, Any]) -> str:
    return "; ".join(f"{s}: {f['median_best']} ({f['median_seconds']:.0f} s/run, {f['violations']} violations)"
                     for s, f in figures["strategies"].items())  # fmt: skip


if __name__ == "__main__":
    main()
