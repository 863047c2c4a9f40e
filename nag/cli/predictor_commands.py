"""CLI commands around the encoder and predictors: ``pretrain``, ``fit``, ``predict``."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig
from scipy.stats import kendalltau, spearmanr

from nag import bench as benchmarks
from nag.atomic_write import write_atomic
from nag.cli.arch_arg import read_text
from nag.cli.bench_arg import load_benchmark, metric_of
from nag.cli.table import format_table
from nag.errors import CheckpointError, ConfigError


def cmd_pretrain(cfg: DictConfig) -> int:
    import torch

    from nag.encoder import Encoder
    from nag.encoder.pretrain import PretrainConfig

    config = PretrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, seed=cfg.seed, soft_positives=cfg.soft_positives)
    with torch.random.fork_rng():
        torch.manual_seed(cfg.seed)
        encoder = Encoder()
    report = encoder.pretrain(config=config, progress=not cfg.quiet, network_graphs=cfg.network_graphs, seed=cfg.seed)
    encoder.pretrain_info["command"] = (f"nag pretrain epochs={cfg.epochs} batch_size={cfg.batch_size} seed={cfg.seed}"
                                        + (f" soft_positives={cfg.soft_positives:g}" if cfg.soft_positives else ""))  # fmt: skip
    encoder.save(cfg.out)
    print(f"pretrained on {report['graphs']} graphs ({report['corpus']}) in {report['seconds']:.0f} s; "
          f"loss {report['loss'][0]:.3f} -> {report['loss'][-1]:.3f}; saved to {cfg.out}")  # fmt: skip
    return 0


def cmd_fit(cfg: DictConfig) -> int:
    from nag.predictors import Predictor

    b = load_benchmark(cfg.bench, cfg.space)
    metric = metric_of(b, cfg.metric)
    if cfg.encoder not in ("pretrained", "scratch"):
        raise ConfigError(f"encoder must be 'pretrained' or 'scratch', got {cfg.encoder!r}")
    (train, y), test = _split(b, metric, cfg.n_labels, cfg.seed, cfg.test_cap)
    predictor = Predictor(encoder=cfg.encoder, space=b.space, seed=cfg.seed, epochs=cfg.epochs, targets=cfg.targets,
                          gp_weight=cfg.gp_weight, gp_kernel=cfg.gp_kernel, gp_adjacency=cfg.gp_adjacency,
                          progress=not cfg.quiet)  # fmt: skip
    start = time.perf_counter()
    predictor.fit(train, y, metric=metric, mode=cfg.mode)
    reached = _held_out(predictor, test, start)
    print(f"{cfg.bench} {metric}: {cfg.n_labels} labels, encoder {cfg.encoder}, mode {cfg.mode}, seed {cfg.seed}")
    _print_reached(reached)
    if cfg.out:
        command = (f"nag fit bench={cfg.bench} metric={metric} n_labels={cfg.n_labels} seed={cfg.seed} "
                   f"encoder={cfg.encoder} mode={cfg.mode} epochs={cfg.epochs} targets={cfg.targets} gp_weight={cfg.gp_weight} gp_kernel={cfg.gp_kernel} "
                   f"gp_adjacency={str(cfg.gp_adjacency).lower()}" + (f" space={cfg.space}" if cfg.space else ""))  # fmt: skip
        _save(predictor, cfg, reached, command)
    return 0


def cmd_finetune(cfg: DictConfig) -> int:
    b = load_benchmark(cfg.bench, cfg.space)
    metric = metric_of(b, cfg.metric)
    if cfg.mode not in ("heads", "full"):
        raise ConfigError(f"mode must be 'heads' or 'full', got {cfg.mode!r}")
    (train, y), test = _split(b, metric, cfg.n_labels, cfg.seed, cfg.test_cap)
    predictor = load_predictor(cfg.ckpt)
    if len(predictor.metrics) != 1:
        raise ConfigError(f"predictor {cfg.ckpt} predicts {', '.join(predictor.metrics)}; finetune takes one metric")
    start = time.perf_counter()
    predictor.finetune(train, y, mode=cfg.mode, epochs=cfg.epochs, space=b.space)
    reached = _held_out(predictor, test, start)
    print(f"{cfg.ckpt} finetuned on {cfg.bench} {metric}: {cfg.n_labels} labels, mode {cfg.mode}, seed {cfg.seed}")
    _print_reached(reached)
    if cfg.out:
        command = (f"nag finetune ckpt={cfg.ckpt} bench={cfg.bench} metric={metric} n_labels={cfg.n_labels} seed={cfg.seed} "
                   f"mode={cfg.mode}" + (f" epochs={cfg.epochs}" if cfg.epochs else "") + (f" space={cfg.space}" if cfg.space else ""))  # fmt: skip
        _save(predictor, cfg, reached, command)
    return 0


def _save(predictor: Any, cfg: DictConfig, reached: dict[str, Any], command: str) -> None:
    """Save ``predictor`` to ``cfg.out`` with the benchmark, the figures reached and the command."""
    predictor.save(cfg.out, extra={"bench": cfg.bench, "reached": reached, "command": command})
    print(f"predictor saved to {cfg.out}")


def _split(b: benchmarks.Benchmark, metric: str, n_labels: int, seed: int, test_cap: int) -> tuple[tuple, tuple]:
    """``n_labels`` random rows of ``b`` (archs, values) to learn from, and up to ``test_cap``
    of the others to measure the ranking on."""
    archs, values = b.table(metric)
    if not 2 <= n_labels < len(archs):
        raise ConfigError(f"n_labels must be in 2..{len(archs) - 1}, got {n_labels}")
    order = np.random.default_rng(seed).permutation(len(archs))
    train, test = order[:n_labels], order[n_labels:][:test_cap]
    return ([archs[i] for i in train], values[train]), ([archs[i] for i in test], values[test])


def _held_out(predictor: Any, test: tuple, start: float) -> dict[str, Any]:
    archs, values = test
    mean, _ = predictor.predict(archs)
    return {"spearman": float(spearmanr(mean, values)[0]), "kendall": float(kendalltau(mean, values)[0]),
            "test_archs": len(archs), "seconds": time.perf_counter() - start}  # fmt: skip


def _print_reached(reached: dict[str, Any]) -> None:
    print(format_table(["held-out archs", "Spearman", "Kendall tau", "seconds"],
                       [[reached["test_archs"], reached["spearman"], reached["kendall"], reached["seconds"]]]))  # fmt: skip


def _read_archs(path: str | None) -> list[str]:
    if path is None:
        raise ConfigError("give archs=FILE, a text file with one arch string per line")
    file = Path(path)
    lines = [line.strip() for line in read_text(file).splitlines()]
    archs = [line for line in lines if line and not line.startswith("#")]
    if not archs:
        raise ConfigError(f"{file} lists no arch")
    return archs


def load_predictor(name: str):
    from nag.predictors import Predictor

    if Path(name).is_dir():
        return Predictor.load(name)
    try:
        return Predictor.from_pretrained(name)
    except CheckpointError as e:
        raise CheckpointError(f"{name} is neither a checkpoint folder nor a shipped predictor ({e})") from None


def _write_predictions(path: str, rows: list[dict]) -> None:
    if path.endswith(".jsonl"):
        text = "".join(json.dumps(row) + "\n" for row in rows)
    elif path.endswith(".csv"):
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        text = buffer.getvalue()
    else:
        raise ConfigError(f"out must end in .jsonl or .csv, got {path}")
    write_atomic(path, lambda tmp: tmp.write_text(text))


def cmd_predict(cfg: DictConfig) -> int:
    if cfg.out is not None and not cfg.out.endswith((".jsonl", ".csv")):
        raise ConfigError(f"out must end in .jsonl or .csv, got {cfg.out}")
    texts = _read_archs(cfg.archs)
    predictor = load_predictor(cfg.ckpt)
    if predictor.space is None:
        raise CheckpointError(f"{cfg.ckpt} was fitted on graphs, not on a space's archs; use the Python API")
    archs = [predictor.space.coerce(t) for t in texts]
    mean, std = predictor.predict(archs)
    means = mean if isinstance(mean, dict) else {predictor.metrics[0]: mean}
    stds = std if isinstance(std, dict) else {predictor.metrics[0]: std}
    rows = [{"arch": predictor.space.to_str(a), **{m: float(means[m][i]) for m in means},
             **{f"{m}_std": float(stds[m][i]) for m in stds}} for i, a in enumerate(archs)]  # fmt: skip
    print(format_table(list(rows[0]), [list(r.values()) for r in rows]))
    if cfg.out:
        _write_predictions(cfg.out, rows)
        print(f"predictions written to {cfg.out}")
    return 0


COMMANDS = {"pretrain": cmd_pretrain, "fit": cmd_fit, "finetune": cmd_finetune, "predict": cmd_predict}
