"""CLI commands around the generator: ``sample`` (guided, constrained archs) and ``demo``."""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from nag import bench as benchmarks
from nag import spaces
from nag.atomic_write import write_atomic
from nag.cli.predictor_commands import load_predictor
from nag.cli.table import format_table
from nag.errors import CheckpointError, ConfigError
from nag.guidance.registry import GUIDANCE, GuidanceInputs, GuidanceKind
from nag.guidance.registry import check as check_guidance
from nag.guidance.registry import make as make_guidance

#: benchmark columns shown next to each sampled arch, where the benchmark has them
COST_METRICS = ("params", "flops")
#: the most rows ``nag sample`` prints (more go to out= only)
SHOWN = 1000
#: archs ``nag sample`` draws at a time (and writes to out= before drawing more)
SAMPLE_BATCH = 4096


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one intra-op thread, then restore the setting. The denoiser and the
    guidance surrogate are tiny networks whose ops gain nothing from threads, and on a busy
    machine the threads' barriers make them tens of times slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def load_generator(name: str | None, space: Any):
    """The generator in folder ``name``, the shipped one called ``name``, or (``None``) the
    shipped one for ``space``; ConfigError if it generates another space."""
    from nag.generator import Generator

    if name is None:
        if space.defaults.generator is None:
            from nag.generator.layouts import layout_for

            layout_for(space)  # a space the generator cannot sample says so first
            raise ConfigError(f"no generator ships for space {space.name}; pass generator=DIR (one saved by Generator.save)")
        return Generator.from_pretrained(space.defaults.generator)
    if Path(name).is_dir():
        generator = Generator.load(name)
    else:
        try:
            generator = Generator.from_pretrained(name)
        except CheckpointError as e:
            raise CheckpointError(f"{name} is neither a checkpoint folder nor a shipped generator ({e})") from None
    if generator.space.name != space.name:
        raise ConfigError(f"generator {name} generates {generator.space.name} archs; pass space={generator.space.name}")
    return generator


def lookup(bench: benchmarks.Benchmark, metric: str, archs: list[Any]) -> np.ndarray:
    """``metric`` of each arch in ``bench``, NaN where the benchmark has no row for it."""
    values = bench.values(metric)
    return np.array([values[bench.index(a)] if a in bench else np.nan for a in archs], dtype=float)


def predicted(predictor: Any, metric: str, archs: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The predictor's mean and std of ``metric`` for ``archs``."""
    mean, std = predictor.predict(archs)
    if isinstance(mean, dict):
        mean, std = mean[metric], std[metric]
    return np.asarray(mean, dtype=float), np.asarray(std, dtype=float)


def _note(cfg: DictConfig, message: str) -> None:
    if not cfg.quiet:
        print(message, file=sys.stderr, flush=True)


# -------------------------------------------------------------------- sample
def _check_sample(cfg: DictConfig) -> tuple[Any, dict[str, tuple[str, float]]]:
    """The space and the parsed constraints; ConfigError for anything malformed (a latency
    table too: unreadable, or of another space)."""
    from nag.generator import constraints as constraint_specs

    space = spaces.get(cfg.space)
    if cfg.n < 1:
        raise ConfigError(f"n must be >= 1, got {cfg.n}")
    check_guidance(cfg.guidance, cfg.scale)  # a name not registered, or a scale it does not take
    if cfg.out is not None and not cfg.out.endswith(".jsonl"):
        raise ConfigError(f"out must end in .jsonl, got {cfg.out}")
    if cfg.out is None and cfg.n > SHOWN:
        raise ConfigError(f"n={cfg.n:,} archs need out=FILE.jsonl (the terminal shows {SHOWN} at most)")
    constraints = constraint_specs.parse(OmegaConf.to_container(cfg.constraints, resolve=True))  # type: ignore[arg-type]
    if cfg.latency_table is not None:
        from nag import latency

        latency.added_cost(cfg.latency_table, space)
    elif "latency" in constraints:
        raise ConfigError("a constraint on latency needs latency_table=FILE (measure one with: nag latency measure)")
    return space, constraints


def _sample_bench(cfg: DictConfig, space: Any, constraints: dict, needs: tuple[str, ...]) -> benchmarks.Benchmark | None:
    """The benchmark for a guidance that ``needs`` a score, the constraints and the cost columns."""
    name = cfg.bench or space.defaults.bench
    if name is None:
        if "score" in needs or set(constraints) - {*space.cost_names, "latency"}:
            raise ConfigError(f"space {space.name} has no default benchmark; pass bench=NAME")
        return None  # constraints on the space's analytic costs
    bench = benchmarks.load(name)
    if bench.space.name != space.name:
        raise ConfigError(f"benchmark {bench.name} measures {bench.space.name} archs, not {space.name}")
    if "score" in needs and cfg.metric not in bench.metrics:
        raise ConfigError(f"benchmark {bench.name} has no metric {cfg.metric!r}; it has {', '.join(bench.metrics)}")
    return bench


def _sample_predictor(cfg: DictConfig, space: Any, needs: tuple[str, ...]) -> Any:
    """The predictor for a guidance that ``needs`` one and the predicted column (None if neither)."""
    name = cfg.predictor
    if name is None and "predictor" in needs:
        name = space.defaults.predictor
        if name is None:
            raise ConfigError(f"space {space.name} has no shipped predictor; pass predictor=DIR (see 'nag fit')")
    if name is None:
        return None
    predictor = load_predictor(name)
    if predictor.space is None or predictor.space.name != space.name:
        raise ConfigError(f"predictor {name} does not predict {space.name} archs")
    if cfg.metric not in predictor.metrics:
        raise ConfigError(f"predictor {name} predicts {', '.join(predictor.metrics)}, not {cfg.metric!r}; pass metric=")
    return predictor


def _guidance_inputs(cfg: DictConfig, space: Any, predictor: Any, bench: benchmarks.Benchmark | None,
                     needs: tuple[str, ...]) -> GuidanceInputs:  # fmt: skip
    """What ``guidance=NAME`` may read: the predictor of predictor=, lookups in bench= as its score."""
    score = None if bench is None else (lambda archs: lookup(bench, cfg.metric, archs))
    if "predictor" in needs:
        source = cfg.predictor or space.defaults.predictor
    else:
        source = "" if bench is None else bench.name
    return GuidanceInputs(metric=cfg.metric, maximize=cfg.maximize, scale=cfg.scale, seed=cfg.seed,
                          predictor=predictor, score=score, source=source)  # fmt: skip


#: the sample column of the table latency (ms), with latency_table=
LATENCY_COLUMN = "latency"


def _cost_columns(space: Any, bench: Any) -> list[str]:
    """The cost columns: the benchmark's params / flops, or the space's analytic ones."""
    return [c for c in COST_METRICS if (c in bench.metrics if bench is not None else c in space.cost_names)]


def _sample_rows(space: Any, archs: list[Any], metric: str, predictor: Any, bench: Any, columns: list[str],
                 table: Any = None) -> list[dict]:  # fmt: skip
    rows = [{"arch": space.to_str(a)} for a in archs]
    if predictor is not None:
        mean, std = predicted(predictor, metric, archs)
        for row, m, s in zip(rows, mean, std):
            row[f"predicted_{metric}"], row[f"predicted_{metric}_std"] = float(m), float(s)
    for column in columns:
        if column == LATENCY_COLUMN:
            from nag import latency

            values = latency.predict(table, space, archs)
        else:
            values = lookup(bench, column, archs) if bench is not None else space.cost(archs, column)
        for row, v in zip(rows, values):
            row[column] = None if np.isnan(v) else float(v)
    return rows


def _sample_table(rows: list[dict], metric: str, has_prediction: bool, columns: list[str]) -> str:
    headers = ["arch"] + ([f"predicted {metric}"] if has_prediction else []) + columns
    cells = []
    for row in rows:
        line = [row["arch"]]
        if has_prediction:
            line.append(f"{row[f'predicted_{metric}']:.4g} ± {row[f'predicted_{metric}_std']:.2g}")
        line += ["-" if row[c] is None else row[c] for c in columns]
        cells.append(line)
    return format_table(headers, cells)


def _describe(cfg: DictConfig, kind: GuidanceKind, inputs: GuidanceInputs, constraints: dict) -> str:
    guidance = kind.describe(inputs)
    text = f"{cfg.space}: {cfg.n} archs, seed {cfg.seed}, {guidance}"
    if cfg.condition is not None:
        text += f", conditioned on {cfg.condition}" + (f" (scale {cfg.condition_scale:g})" if cfg.condition_scale != 1 else "")
    if constraints:
        text += ", " + ", ".join(f"{m} {op} {bound:g}" for m, (op, bound) in constraints.items())
    if cfg.allowed:
        text += ", " + ", ".join(f"{key} in {list(values)}" for key, values in cfg.allowed.items())
    return text


def cmd_sample(cfg: DictConfig) -> int:
    space, constraints = _check_sample(cfg)
    kind = GUIDANCE.get(cfg.guidance)
    bench = _sample_bench(cfg, space, constraints, kind.needs)
    predictor = _sample_predictor(cfg, space, kind.needs)
    columns = list(dict.fromkeys(([cfg.metric] if "score" in kind.needs else []) + _cost_columns(space, bench)))
    columns += [LATENCY_COLUMN] if cfg.latency_table is not None else []
    with one_thread():
        default = None
        if cfg.condition is not None and cfg.generator is None:
            default = space.defaults.conditioned_generator
            if default is None:
                raise ConfigError(f"no conditioned generator ships for space {space.name}; "
                                  "pass generator=DIR, one fit with Generator.fit(..., conditions=)")  # fmt: skip
        generator = load_generator(cfg.generator or default, space)
        allowed = OmegaConf.to_container(cfg.allowed, resolve=True) or None
        generator.feasible_set(  # unknown constraint metrics or options, or none feasible: fail now
            constraints, bench, allowed=allowed, latency_table=cfg.latency_table
        )
        inputs = _guidance_inputs(cfg, space, predictor, bench, kind.needs)
        guidance = make_guidance(cfg.guidance, inputs)
        batches = generator.sample_batches(cfg.n, SAMPLE_BATCH, guidance=guidance, constraints=constraints, seed=cfg.seed,
                                           metrics=bench, condition=cfg.condition, condition_scale=cfg.condition_scale,
                                           allowed=allowed, latency_table=cfg.latency_table)  # fmt: skip
        if kind.preparing:
            calibrate = " and calibrating its scale" if kind.scaled and cfg.scale is None else ""
            _note(cfg, f"{kind.preparing}{calibrate}")
        start = time.perf_counter()
        drawn = _Drawn(space, cfg.metric, predictor, bench, columns, cfg.latency_table)
        if cfg.out:
            write_atomic(cfg.out, lambda tmp: drawn.write(batches, tmp, progress=not cfg.quiet and cfg.n > SAMPLE_BATCH))
        else:
            drawn.write(batches, None, progress=False)
        seconds = time.perf_counter() - start
    print(_describe(cfg, kind, inputs, constraints))
    print(_sample_table(drawn.shown, cfg.metric, predictor is not None, columns))
    if drawn.count > len(drawn.shown):
        print(f"... and {drawn.count - len(drawn.shown):,} more in {cfg.out}")
    last = generator.last
    process = "reverse process" if drawn.count <= SAMPLE_BATCH else "the last batch's reverse process"
    summary = (f"{drawn.count} archs in {seconds:.2f} s ({process} {last['seconds']:.2f} s); "
               f"raw validity {last['raw_validity']:.0%}; {len(drawn.unique):,} unique")  # fmt: skip
    if kind.scaled:
        chosen = getattr(guidance, "chosen_scale", cfg.scale)
        summary += f"; guidance scale {chosen:g}" + (" (calibrated)" if cfg.scale is None else "")
    print(summary)
    if cfg.out:
        print(f"archs written to {cfg.out}")
    return 0


class _Drawn:
    """Sampled archs as rows: written to a file batch by batch, the first :data:`SHOWN`
    kept for the terminal, uniqueness counted on hashes (memory stays at one batch)."""

    def __init__(self, space: Any, metric: str, predictor: Any, bench: Any, columns: list[str], table: Any = None):
        self.space, self.metric, self.predictor, self.bench, self.columns = space, metric, predictor, bench, columns
        self.table = table
        self.shown: list[dict] = []
        self.unique: set[int] = set()
        self.count = 0

    def write(self, batches: Iterator[list[Any]], path: Path | None, progress: bool) -> None:
        from tqdm.auto import tqdm

        sink = path.open("w") if path is not None else nullcontext(io.StringIO())  # without a file: at most SHOWN rows
        with sink as f, tqdm(total=None, disable=not progress, unit="arch", desc="sample") as bar:
            for archs in batches:
                rows = _sample_rows(self.space, archs, self.metric, self.predictor, self.bench, self.columns, self.table)
                f.write("".join(json.dumps(row) + "\n" for row in rows))
                self.shown += rows[: SHOWN - len(self.shown)]
                self.unique.update(hash(row["arch"]) for row in rows)
                self.count += len(rows)
                bar.update(len(rows))


# ---------------------------------------------------------------------- demo
def _demo_table(bench: benchmarks.Benchmark, archs: list[Any], predicted_accuracy: np.ndarray) -> str:
    """``archs`` with their true accuracy and rank, best first."""
    true, params = bench.query_many(archs, "accuracy"), bench.query_many(archs, "params")
    rows = [[bench.space.to_str(archs[i]), f"{true[i]:.2f}", bench.rank(true[i], "accuracy") + 1,
             f"{predicted_accuracy[i]:.2f}", params[i]] for i in np.argsort(-true, kind="stable")]  # fmt: skip
    return format_table(["arch", "true accuracy", "rank", "predicted", "params"], rows)


def cmd_demo(cfg: DictConfig) -> int:
    from nag.generator import Generator
    from nag.guidance import PredictorGuidance
    from nag.predictors import Predictor

    if cfg.n < 1:
        raise ConfigError(f"n must be >= 1, got {cfg.n}")
    bench = benchmarks.load("nb201-cifar10")
    space = bench.space
    summary = bench.summary("accuracy")
    top1 = summary["top_1%"]
    with one_thread():
        generator = Generator.from_pretrained(space.name)
        predictor = Predictor.from_pretrained(bench.name)
        guidance = PredictorGuidance(predictor, metric="accuracy", seed=cfg.seed)
        _note(cfg, "fitting the guidance's noise-aware surrogate and calibrating its scale")
        start = time.perf_counter()
        draws = {"guided": generator.sample(cfg.n, guidance=guidance, seed=cfg.seed)}
        seconds = time.perf_counter() - start
        draws["random"] = space.sample(cfg.n, seed=cfg.seed)
        predictions = {kind: predicted(predictor, "accuracy", archs)[0] for kind, archs in draws.items()}
    print(f"{bench.name}: {len(bench)} archs of {space.name} (rank 1 = the best); best accuracy {summary['best']:.2f} "
          f"({summary['best_arch']}), top 1% >= {top1:.2f}, median {summary['median']:.2f}")  # fmt: skip
    print(f"\nguided: {cfg.n} archs from the shipped {space.name} generator, guided by the shipped {bench.name} "
          f"predictor (scale {guidance.chosen_scale:g}, calibrated), seed {cfg.seed}: {seconds:.1f} s")  # fmt: skip
    print(_demo_table(bench, draws["guided"], predictions["guided"]))
    print(f"\nrandom: {cfg.n} archs drawn uniformly from {space.name}, seed {cfg.seed}")
    print(_demo_table(bench, draws["random"], predictions["random"]))
    rows = []
    for kind, archs in draws.items():
        true = bench.query_many(archs, "accuracy")
        rows.append([kind, f"{np.mean(true):.2f}", f"{np.max(true):.2f}", int(np.sum(true >= top1)), len(set(archs))])
    print(f"\ntrue {bench.name} accuracy of {cfg.n} archs each:")
    print(format_table(["archs", "mean accuracy", "best accuracy", f"in top 1% (>= {top1:.2f})", "unique"], rows))
    return 0


COMMANDS = {"sample": cmd_sample, "demo": cmd_demo}
