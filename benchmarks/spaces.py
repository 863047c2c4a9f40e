"""Throughput of the large spaces, and what a new space costs a user.

    python -m benchmarks.spaces --out results/spaces.json     (from the repository root)

Per space (mbv3, darts; nb201 beside them as the reference), on one CPU thread, medians
of ``--repeats`` runs: archs sampled per second (exactly uniform, no listing), network
graphs written and featurized per second (the predictor's input), and networks built
per second with one forward pass on a small batch. Then a user's space: NAS-Bench-201
declared in nag's space language with the built-in cell graphs, featurized next to the
built-in space (same archs, same graphs). Last, the files of ``examples/tnb101_micro``,
the space nag does not ship: what a user writes to add a space, and whether anything
under ``nag/`` had to change for it.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from examples.declared_nb201 import make_space as declared_nb201
from nag import spaces
from nag.encoder.featurize import featurize

ROOT = Path(__file__).resolve().parents[1]

#: build options that keep one forward pass cheap on a CPU (the default options are measured too)
SMALL = {"mbv3": {"num_classes": 10, "resolution": 32}, "darts": {"C": 16, "layers": 8}, "nb201": {"C": 16, "N": 5}}
INPUTS = {"mbv3": (2, 3, 32, 32), "darts": (2, 3, 32, 32), "nb201": (2, 3, 32, 32)}


def per_second(fn: Callable[[int], Any], count: int, repeats: int) -> float:
    """Median of ``count / seconds`` over ``repeats`` calls ``fn(repeat)`` (each repeat gets
    archs of its own, so no cache of an earlier repeat serves it)."""
    rates = []
    for repeat in range(repeats):
        start = time.perf_counter()
        fn(repeat)
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


def fresh(space: Any, n: int, parts: int, seed: int) -> list[list[Any]]:
    """``parts`` lists of ``n`` archs of ``space``, no arch in two of them."""
    if hasattr(space, "sample_distinct"):
        archs = space.sample_distinct(n * parts, seed=seed)
    else:  # a small built-in space: a permutation of its archs
        every = space.all_archs()
        archs = [every[i] for i in np.random.default_rng(seed).permutation(len(every))[: n * parts]]
    return [archs[i * n : (i + 1) * n] for i in range(parts)]


def space_figures(name: str, n_sample: int, n_graphs: int, n_builds: int, repeats: int) -> dict[str, Any]:
    space = spaces.get(name)
    parts = fresh(space, n_graphs, 2 * repeats, seed=0)
    graphed, featurized = parts[::2], parts[1::2]
    built = space.sample(n_builds, seed=1)
    x = torch.randn(*INPUTS[name])

    def build_and_run(options: dict[str, Any]) -> None:
        with torch.no_grad():
            for arch in built:
                space.build(arch, **options).eval()(x)

    def build_only() -> None:
        for arch in built:
            space.build(arch)

    return {
        "size": str(space.size),
        "sampled_per_s": per_second(lambda r: space.sample(n_sample, seed=2 + r), n_sample, repeats),
        "network_graphs_per_s": per_second(lambda r: [space.to_graph(a, "network") for a in graphed[r]], n_graphs, repeats),
        "featurized_per_s": per_second(lambda r: featurize(featurized[r], space, level="network"), n_graphs, repeats),
        "built_per_s_default_options": per_second(lambda r: build_only(), n_builds, repeats),
        "built_and_run_per_s": per_second(lambda r: build_and_run(SMALL[name]), n_builds, repeats),
        "small_options": SMALL[name],
        "forward_input": list(INPUTS[name]),
    }


def declared_nb201_figures(n_graphs: int, repeats: int) -> dict[str, Any]:
    """Built-in nb201 against nb201 declared in the space language (same archs, same graphs)."""
    declared, built_in = declared_nb201(), spaces.get("nb201")
    figures = {}
    for seed, level in enumerate(("cell", "network")):
        archs = fresh(declared, n_graphs, repeats, seed=seed)
        same = [[built_in.from_str(declared.to_str(a)) for a in part] for part in archs]
        figures[level] = {
            "built_in_per_s": per_second(lambda r: featurize(same[r], built_in, level=level), n_graphs, repeats),
            "declared_per_s": per_second(lambda r: featurize(archs[r], declared, level=level), n_graphs, repeats),
        }
        figures[level]["declared_over_built_in"] = figures[level]["declared_per_s"] / figures[level]["built_in_per_s"]
    return figures


def example_files() -> dict[str, Any]:
    """The files of the example space, and the commits that added it and what else they touched."""
    folder = "examples/tnb101_micro"
    files = subprocess.run(["git", "ls-files", folder], cwd=ROOT, capture_output=True, text=True).stdout.split()
    lines = {f: len((ROOT / f).read_text().splitlines()) for f in files}
    return {
        "files": lines,
        "declaration": [f for f in files if f.endswith(("space.yaml", "model.py"))],
        "files_under_nag_needed": 0 if all(f.startswith(folder) for f in files) else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=20000, help="archs per sampling run")
    parser.add_argument("--graphs", type=int, default=500, help="archs per graph / featurization run")
    parser.add_argument("--builds", type=int, default=10, help="networks per build run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    report: dict[str, Any] = {"command": "python -m benchmarks.spaces " + " ".join(sys.argv[1:]), "commit": commit, "machine": platform.processor() or platform.machine(),
                              "threads": 1, "torch": torch.__version__, "spaces": {}}  # fmt: skip
    for name in tqdm(("mbv3", "darts", "nb201"), desc="spaces"):
        report["spaces"][name] = space_figures(name, args.sample, args.graphs, args.builds, args.repeats)
    report["declared_nb201"] = declared_nb201_figures(args.graphs, args.repeats)
    report["example"] = example_files()
    for name, figures in report["spaces"].items():
        print(f"{name:>6}: {figures['size']:>22} archs | sampled {figures['sampled_per_s']:>9,.0f}/s | network graphs "
              f"{figures['network_graphs_per_s']:>6,.0f}/s | featurized {figures['featurized_per_s']:>6,.0f}/s | built "
              f"{figures['built_per_s_default_options']:>5.1f}/s (default) | built+forward {figures['built_and_run_per_s']:>5.1f}/s")  # fmt: skip
    for level, figures in report["declared_nb201"].items():
        print(f"nb201 {level} graphs featurized: built-in {figures['built_in_per_s']:,.0f}/s, declared {figures['declared_per_s']:,.0f}/s "
              f"({figures['declared_over_built_in']:.2f}x)")  # fmt: skip
    example = report["example"]
    print(f"example space: {len(example['files'])} files ({', '.join(f'{Path(f).name} {n} lines' for f, n in example['files'].items())}); "
          f"declaration: {', '.join(Path(f).name for f in example['declaration'])}")  # fmt: skip
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
