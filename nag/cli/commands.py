"""The CLI commands: each takes its composed config and calls the Python API."""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from nag import bench as benchmarks
from nag import search, spaces
from nag.atomic_write import write_json
from nag.cli.artifact_commands import COMMANDS as ARTIFACT_COMMANDS
from nag.cli.config import restrictions
from nag.cli.generator_commands import COMMANDS as GENERATOR_COMMANDS
from nag.cli.generator_commands import one_thread
from nag.cli.latency_commands import COMMANDS as LATENCY_COMMANDS
from nag.cli.predictor_commands import COMMANDS as PREDICTOR_COMMANDS
from nag.cli.table import format_table
from nag.cli.train_commands import COMMANDS as TRAIN_COMMANDS
from nag.cli.train_commands import training_search
from nag.errors import ConfigError


def cmd_spaces(cfg: DictConfig) -> int:
    rows = []
    for name in spaces.names():
        space = spaces.get(name)
        example = space.to_str(space.sample(1, seed=0)[0])
        rows.append([name, _size(space.size), ",".join(space.levels), example if len(example) <= 60 else example[:57] + "..."])
    print(format_table(["space", "archs", "levels", "example arch"], rows))
    return 0


def _size(size: int) -> str:
    """An exact count below ten million, else three digits: ``2.18e19``."""
    return str(size) if size < 10**7 else f"{size:.3g}".replace("e+", "e")


def cmd_bench(cfg: DictConfig) -> int:
    bench = benchmarks.load(cfg.name)
    if cfg.arch is not None:
        return _show_arch(bench, cfg)
    summary = bench.summary(cfg.metric, cfg.maximize)
    summary["metrics"] = bench.metrics
    if cfg.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"{bench.name}: {bench.description}")
    print(format_table(["field", "value"], [[k, ", ".join(v) if isinstance(v, list) else v] for k, v in summary.items()]))
    return 0


def _show_arch(bench: benchmarks.Benchmark, cfg: DictConfig) -> int:
    arch = bench.space.coerce(cfg.arch)
    metric = cfg.metric or bench.default_metric
    bench.values(metric)  # an unknown metric: a one-line error naming the metrics
    values = {m: bench.query(arch, m) for m in bench.metrics}
    values[f"rank by {metric}"] = f"{bench.rank(values[metric], metric, cfg.maximize) + 1} of {len(bench)}"
    if cfg.json:
        print(json.dumps({"arch": bench.space.to_str(arch), **values}, indent=2))
        return 0
    print(f"{bench.name}: {bench.space.to_str(arch)}")
    print(format_table(["metric", "value"], list(values.items())))
    return 0


def _search(
    cfg: Any, strategy: str, bench: benchmarks.Benchmark, metric: str | None, quiet: bool, options: dict
) -> search.Trajectory:
    return search.run(strategy, bench, metric=metric, budget=cfg.budget, seed=cfg.seed, maximize=getattr(cfg, "maximize", True),
                      progress=not quiet, **restrictions(cfg), **options)  # fmt: skip


def _result_row(bench: benchmarks.Benchmark, trajectory: search.Trajectory, metric: str) -> list[Any]:
    arch, value = trajectory.best
    top1 = bench.threshold(0.01, metric, trajectory.maximize)
    reached = trajectory.queries_to_reach(top1)
    return [trajectory.strategy, len(trajectory), value, bench.rank(value, metric, trajectory.maximize) + 1,
            reached if reached is not None else "-", bench.space.to_str(arch)]  # fmt: skip


_RESULT_HEADERS = ["strategy", "queries", "best", "rank", "queries->top1%", "best arch"]


def _words(text: str) -> list[str]:
    """``[a,b]`` or ``a,b`` as ``["a", "b"]``."""
    return [w.strip() for w in text.strip().removeprefix("[").removesuffix("]").split(",") if w.strip()]


def _pareto_search(cfg: DictConfig, bench: benchmarks.Benchmark) -> int:
    """``nag search objectives=[accuracy:max,latency:min]``: the front found and its hypervolume."""
    from nag.search.multi import parse_objectives

    objectives = parse_objectives(_words(cfg.objectives))
    reference = None if cfg.reference is None else [float(v) for v in cfg.reference]
    if reference is not None:
        if len(reference) != len(objectives):
            raise ConfigError(f"reference needs {len(objectives)} values (one per objective), got {len(reference)}")
    if cfg.metric is not None:
        raise ConfigError("metric= names one objective; with objectives= name them all there")
    options = OmegaConf.to_container(cfg.options, resolve=True)
    start = time.perf_counter()
    with one_thread():
        found = search.run(cfg.strategy, bench, budget=cfg.budget, seed=cfg.seed, progress=not cfg.quiet,
                           objectives=objectives, **restrictions(cfg), **options)  # fmt: skip
    seconds = time.perf_counter() - start
    values = np.array(found.values)
    if reference is None:  # the worst value found of each objective
        reference = [float(values[:, j].min() if s == "max" else values[:, j].max()) for j, (_, s) in enumerate(objectives)]
    archs, front = found.front()
    order = np.lexsort(front.T[::-1])
    names = [f"{n} ({s})" for n, s in objectives]
    print(f"{cfg.strategy} on {bench.name}, objectives {', '.join(names)}, budget {cfg.budget}, seed {cfg.seed}: {seconds:.2f} s")
    print(format_table([*names, "arch"], [[*front[i], bench.space.to_str(archs[i])] for i in order]))
    volume = found.hypervolume(reference)
    print(f"{len(archs)} archs on the front of {len(found)} queried; hypervolume {volume:.6g} (reference {reference})")
    if cfg.out:
        config = OmegaConf.to_container(cfg, resolve=True)
        write_json(cfg.out, {"config": config, "seconds": seconds, "reference": reference, "hypervolume": volume,
                             **found.to_dict(bench.space.to_str)})  # fmt: skip
        print(f"trajectory written to {cfg.out}")
    return 0


def cmd_search(cfg: DictConfig) -> int:
    if cfg.oracle not in ("bench", "train"):
        raise ConfigError(f"oracle must be bench (look values up) or train (train every candidate), got {cfg.oracle!r}")
    if cfg.oracle == "train":
        return training_search(cfg)
    bench = benchmarks.load(cfg.bench)
    if cfg.objectives is not None:
        return _pareto_search(cfg, bench)
    metric = cfg.metric or bench.default_metric
    options = OmegaConf.to_container(cfg.options, resolve=True)
    start = time.perf_counter()
    with one_thread():  # the diffusion strategy's networks are tiny; threads only add overhead
        trajectory = _search(cfg, cfg.strategy, bench, metric, cfg.quiet, options)
    seconds = time.perf_counter() - start
    print(f"{cfg.strategy} on {bench.name} ({metric}, {'max' if cfg.maximize else 'min'}imise), "
          f"budget {cfg.budget}, seed {cfg.seed}: {seconds:.2f} s")  # fmt: skip
    print(format_table(_RESULT_HEADERS, [_result_row(bench, trajectory, metric)]))
    if cfg.out:
        config = OmegaConf.to_container(cfg, resolve=True)
        write_json(cfg.out, {"config": config, "metric": metric, "seconds": seconds, **trajectory.to_dict(bench.space.to_str)})
        print(f"trajectory written to {cfg.out}")
    return 0


COMMANDS = {
    "spaces": cmd_spaces,
    "bench": cmd_bench,
    "search": cmd_search,
    **GENERATOR_COMMANDS,
    **PREDICTOR_COMMANDS,
    **TRAIN_COMMANDS,
    **ARTIFACT_COMMANDS,
    **LATENCY_COMMANDS,
}
#: Bare words a command accepts in order, e.g. ``nag bench nbgraph-cora``.
POSITIONAL = {"bench": ("name",), "search": ("strategy",), "sample": ("space",), "latency": ("action",)}
