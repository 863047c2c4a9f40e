"""The generator's figures: validity, uniqueness, novelty and distribution match; sampling
speed unguided and guided; guided quality with a predictor fit on 100 labels; closed-loop
search against random search and regularized evolution on the same budgets and seeds.

Usage::

    python benchmarks/generator.py [--seeds 3] [--search-seeds 5] [--budget 200]
        [--search-benchmarks nb201-cifar10,nbgraph-cora,...] [--skip-fit] [--threads 2] [--workers 1]
        [--out results/generator.json] [--quick] [--plot-dir results] [--plot-only]

* fit: a generator fit on a random 50% of each space (the time is the CPU fit time); 1,000
  unguided samples give validity (masked and raw), uniqueness, novelty against that 50%
  (as sampled, and with ``exclude=`` the training archs), and the per-slot total-variation distance of option frequencies to the training archs.
* speed: archs/s of the shipped nb201 generator for 1,000 samples (median of 3, on 1 and 2
  torch threads), unguided
  and with PredictorGuidance (binding the guidance, i.e. training its noise-aware surrogate
  and calibrating the scale, is timed apart).
* guided: per seed, a Predictor fit on 100 random labelled nb201-cifar10 archs guides 100
  samples; their true accuracy (mean, best, share in the top 1% / 0.1%) next to 100 random
  archs and to the "ceiling": the 100 archs that predictor ranks highest in the whole space.
* search: ``nag.search.run`` with random, re and diffusion; queries to the optimum and to the
  top 0.1% / 1% (``>budget`` where censored), as in ``benchmarks/baselines.py``. The
  diffusion search runs with its defaults, so on nb201-cifar10 accuracy it starts from the
  zero-cost proxies (``warm_start="auto"``). With ``--workers`` > 1 a strategy's ``seconds``
  is the wall time of its parallel runs.

Plots (``--plot-only`` redraws them from the JSON at ``--out``): ``<plot-dir>/nb201_pareto.png``,
accuracy against params of every nb201-cifar10 arch with the Pareto front and the guided
samples of all seeds; ``<plot-dir>/generator_search_<benchmark>.png``, best-so-far curves of
the closed-loop search per strategy. A run other than the default protocol tags the names
(``_quick``, ``_1seeds``, ``_3seeds_b100``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch
from baselines import Job, header_line, markdown_table, plot_search, reference, run_job, summarize

from nag.atomic_write import write_json
from nag.plots import plot_pareto

SPACES = ("nb201", "nbgraph")
SEARCH_BENCHMARKS = ("nb201-cifar10", "nbgraph-cora", "nbgraph-citeseer", "nbgraph-computers")
STRATEGIES = ("random", "re", "diffusion")


def fit_figures(space_name: str, seed: int = 0) -> dict[str, Any]:
    """Fit on a random half of the space, sample 1,000 unguided, measure the batch."""
    from nag import spaces
    from nag.generator import Generator, metrics

    space = spaces.get(space_name)
    universe = space.all_archs()
    half = [universe[i] for i in np.random.default_rng(seed).permutation(len(universe))[: len(universe) // 2]]
    started = time.perf_counter()
    gen = Generator.fit(space, archs=half, seed=seed)
    fit_s = time.perf_counter() - started
    archs = gen.sample(1000, seed=seed)
    raw_validity = gen.last["raw_validity"]
    novel = gen.sample(1000, seed=seed, exclude=half)
    tv = metrics.slot_total_variation(gen.to_rows(archs).numpy(), gen.to_rows(half).numpy(), gen.layout.max_size)
    return {"space": space_name, "fit_seconds": fit_s, "train_archs": len(half), "validity": metrics.validity(archs, space),
            "raw_validity": raw_validity, "uniqueness": metrics.uniqueness(archs),
            "novelty": metrics.novelty(archs, half),
            "novelty_excluding_train": metrics.novelty(novel, half), "uniqueness_excluding_train": metrics.uniqueness(novel), "tv_mean": float(tv.mean()), "tv_max": float(tv.max())}  # fmt: skip


def speed_figures(repeats: int = 3) -> dict[str, Any]:
    """Archs/s of the shipped nb201 generator, unguided and predictor-guided, on 1 and 2 threads."""
    from nag import bench
    from nag.generator import Generator
    from nag.guidance import PredictorGuidance
    from nag.predictors import Predictor

    gen = Generator.from_pretrained("nb201")
    predictor = Predictor.from_pretrained("nb201-cifar10")
    predictor.predict(bench.load("nb201-cifar10").table("accuracy")[0])  # featurize the space once
    started = time.perf_counter()
    bound = PredictorGuidance(predictor).bind(gen)
    out: dict[str, Any] = {"bind_seconds": time.perf_counter() - started, "guidance_scale": bound.scale}
    before = torch.get_num_threads()
    for threads in (1, 2):
        torch.set_num_threads(threads)
        gen.sample(100, seed=0)  # warm-up
        for label, kwargs in (("unguided", {}), ("guided", {"guidance": bound})):
            times = []
            for r in range(repeats):
                started = time.perf_counter()
                gen.sample(1000, seed=r, **kwargs)
                times.append(time.perf_counter() - started)
            out[f"{label}_archs_per_s_{threads}t"] = 1000 / float(np.median(times))
    torch.set_num_threads(before)
    return out


def guided_figures(seed: int, labels: int = 100, n: int = 100) -> dict[str, Any]:
    """True quality of ``n`` predictor-guided nb201 samples (predictor fit on ``labels`` archs)."""
    from nag import bench
    from nag.generator import Generator, metrics
    from nag.guidance import PredictorGuidance
    from nag.predictors import Predictor

    b = bench.load("nb201-cifar10")
    archs, acc = b.table("accuracy")
    train = np.random.default_rng(seed).permutation(len(archs))[:labels]
    predictor = Predictor(space="nb201", seed=seed).fit([archs[i] for i in train], acc[train])
    gen = Generator.from_pretrained("nb201")
    guide = PredictorGuidance(predictor, seed=seed)
    guided = gen.sample(n, guidance=guide, seed=seed)
    mean, _ = predictor.predict(archs)
    ceiling = [archs[i] for i in np.argsort(-mean)[:n]]
    return {"seed": seed, "scale": guide.chosen_scale,
            "guided": metrics.quality(guided, b, "accuracy"), "unique": metrics.uniqueness(guided),
            "random": metrics.quality(b.space.sample(n, seed=seed), b, "accuracy"),
            "ceiling": metrics.quality(ceiling, b, "accuracy"),
            "guided_archs": [b.space.to_str(a) for a in guided]}  # fmt: skip


def search_runs(jobs: list[Job], workers: int) -> list[dict[str, Any]]:
    """``run_job`` of every job, in order, in ``workers`` processes of one torch thread each."""
    if workers <= 1:
        return [run_job(job) for job in jobs]
    with ProcessPoolExecutor(max_workers=workers, initializer=torch.set_num_threads, initargs=(1,)) as pool:
        return list(pool.map(run_job, jobs, chunksize=1))


def median_quality(runs: list[dict[str, Any]], key: str) -> dict[str, float]:
    return {k: float(np.median([r[key][k] for r in runs])) for k in runs[0][key]}


def plot_results(out: dict[str, Any], plot_dir: Path) -> list[Path]:
    """The figures of a results file written by :func:`main` (parts it lacks are skipped)."""
    from nag import bench

    a = out["args"]
    written = []
    runs = [r for r in out.get("guided", {}).get("runs", []) if "guided_archs" in r]
    if runs:
        tag = "_quick" if a["quick"] else ("" if a["seeds"] == 3 else f"_{a['seeds']}seeds")
        b = bench.load("nb201-cifar10")
        _, acc = b.table("accuracy")
        _, params = b.table("params")
        guided = [b.space.from_str(s) for r in runs for s in r["guided_archs"]]
        path = plot_dir / f"nb201_pareto{tag}.png"
        plot_pareto(params / 1e6, acc, path, ylim=(80, 94.6), xlabel="parameters (millions)",
                    ylabel="CIFAR-10 test accuracy (%)", all_label="nb201 archs",
                    front_label="Pareto front (fewest params for the accuracy)",
                    highlight={f"generator samples guided by a 100-label predictor, {len(runs)} seeds":
                               (b.query_many(guided, "params") / 1e6, b.query_many(guided, "accuracy"))},
                    title="nb201-cifar10: accuracy vs params; guided generator samples")  # fmt: skip
        written.append(path)
    if out.get("search"):
        tag = (
            "_quick"
            if a["quick"]
            else ("" if (a["search_seeds"], a["budget"]) == (5, 200) else f"_{a['search_seeds']}seeds_b{a['budget']}")
        )
        refs = {name: reference(name) for name in out["search"]}
        written += plot_search(out["search"], refs, lambda name: plot_dir / f"generator_search_{name}{tag}.png",
                               f", budget {a['budget']}")  # fmt: skip
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the guided-quality runs")
    parser.add_argument("--search-seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=200, help="queries per search")
    parser.add_argument("--search-benchmarks", default=",".join(SEARCH_BENCHMARKS))
    parser.add_argument("--skip-fit", action="store_true", help="skip the 50%%-split fits (the slowest part)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (the networks are tiny; 1 is fastest on a busy machine)"
    )
    parser.add_argument("--workers", type=int, default=1, help="processes for the search runs (1 torch thread each)")
    parser.add_argument("--out", default="results/generator.json")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 seed, 1 search seed, budget 30, nb201 only, no fit")
    parser.add_argument("--plot-dir", type=Path, default=Path("results"), help="folder of the figures (default results)")
    parser.add_argument("--plot-only", action="store_true", help="redraw the figures from the JSON at --out; run nothing")
    args = parser.parse_args(argv)
    if args.plot_only:
        if not Path(args.out).exists():
            raise SystemExit(f"--plot-only reads {args.out}, which does not exist; run the benchmark first or pass --out")
        for path in plot_results(json.loads(Path(args.out).read_text()), args.plot_dir):
            print(f"wrote {path}")
        return 0
    if args.quick:
        args.seeds, args.search_seeds, args.budget, args.search_benchmarks, args.skip_fit = 1, 1, 30, "nb201-cifar10", True
    torch.set_num_threads(args.threads)
    out: dict[str, Any] = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}}

    if not args.skip_fit:
        out["fit"] = [fit_figures(s) for s in SPACES]
        print(
            "| space | fit (s) | validity | raw validity | uniqueness | novelty | novelty, exclude=train | slot TV mean / max |\n|---|---|---|---|---|---|---|---|"
        )
        for f in out["fit"]:
            print(f"| {f['space']} | {f['fit_seconds']:.0f} | {f['validity']:.3f} | {f['raw_validity']:.3f} | "
                  f"{f['uniqueness']:.3f} | {f['novelty']:.3f} | {f['novelty_excluding_train']:.3f} | {f['tv_mean']:.3f} / {f['tv_max']:.3f} |", flush=True)  # fmt: skip
        write_json(args.out, out)

    out["speed"] = speed_figures()
    s = out["speed"]
    print(f"\nnb201 sampling, archs/s (1,000 per call, median of 3), 1 / 2 threads: unguided "
          f"{s['unguided_archs_per_s_1t']:.0f} / {s['unguided_archs_per_s_2t']:.0f}, predictor-guided "
          f"{s['guided_archs_per_s_1t']:.0f} / {s['guided_archs_per_s_2t']:.0f} (binding the guidance: {s['bind_seconds']:.1f} s)", flush=True)  # fmt: skip
    write_json(args.out, out)

    runs = [guided_figures(seed) for seed in range(args.seeds)]
    if runs:
        out["guided"] = {"runs": runs, **{k: median_quality(runs, k) for k in ("guided", "random", "ceiling")}}
        print(f"\nnb201-cifar10 accuracy, predictor on 100 labels, 100 archs, median of {args.seeds} seeds")
        print("| archs | mean | best | in top 1% | in top 0.1% |\n|---|---|---|---|---|")
        for k, label in (
            ("guided", "guided samples"),
            ("random", "random archs"),
            ("ceiling", "predictor's top 100 of the space"),
        ):
            q = out["guided"][k]
            print(f"| {label} | {q['mean']:.2f} | {q['best']:.2f} | {q['top1%']:.2f} | {q['top0.1%']:.2f} |", flush=True)
        write_json(args.out, out)

    summaries: dict[str, dict[str, Any]] = {}
    searched = [name for name in args.search_benchmarks.split(",") if name] if args.search_seeds > 0 else []
    for name in searched:
        print("\n" + header_line(reference(name)), flush=True)
        summaries[name] = {}
        for strategy in STRATEGIES:
            started = time.perf_counter()
            results = search_runs([Job(name, strategy, seed, args.budget) for seed in range(args.search_seeds)], args.workers)
            summaries[name][strategy] = {**summarize(results), "seconds": time.perf_counter() - started}
            print(f"  {strategy}: {summaries[name][strategy]['seconds']:.0f} s", flush=True)
        out["search"] = summaries
        write_json(args.out, out)
    if summaries:
        print("\n" + markdown_table(summaries))
    for path in plot_results(out, args.plot_dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
