"""CLI commands around the encoder and predictors: ``pretrain``, ``fit``, ``predict``."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import numpy as np
from omegaconf import DictConfig
from scipy.stats import kendalltau, spearmanr

from nag import bench as benchmarks
from nag.atomic_write import write_atomic
from nag.cli.arch_arg import read_text
from nag.cli.table import format_table
from nag.errors import CheckpointError, ConfigError


def cmd_pretrain(cfg: DictConfig) -> int:
    from nag.encoder import Encoder
    from nag.encoder.pretrain import PretrainConfig

    import torch

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

    b = benchmarks.load(cfg.bench)
    metric = cfg.metric or b.default_metric
    archs, values = b.table(metric)
    if not 2 <= cfg.n_labels < len(archs):
        raise ConfigError(f"n_labels must be in 2..{len(archs) - 1}, got {cfg.n_labels}")
    if cfg.encoder not in ("pretrained", "scratch"):
        raise ConfigError(f"encoder must be 'pretrained' or 'scratch', got {cfg.encoder!r}")
    encoder = cfg.encoder
    order = np.random.default_rng(cfg.seed).permutation(len(archs))
    train, test = order[: cfg.n_labels], order[cfg.n_labels :][: cfg.test_cap]
    predictor = Predictor(encoder=encoder, space=b.space, seed=cfg.seed, epochs=cfg.epochs, targets=cfg.targets,
                          gp_weight=cfg.gp_weight, gp_kernel=cfg.gp_kernel, gp_adjacency=cfg.gp_adjacency,
                          progress=not cfg.quiet)  # fmt: skip
    start = time.perf_counter()
    predictor.fit([archs[i] for i in train], values[train], metric=metric, mode=cfg.mode)
    mean, _ = predictor.predict([archs[i] for i in test])
    reached = {"spearman": float(spearmanr(mean, values[test])[0]), "kendall": float(kendalltau(mean, values[test])[0]),
               "test_archs": len(test), "seconds": time.perf_counter() - start}  # fmt: skip
    print(f"{cfg.bench} {metric}: {cfg.n_labels} labels, encoder {cfg.encoder}, mode {cfg.mode}, seed {cfg.seed}")
    print(format_table(["held-out archs", "Spearman", "Kendall tau", "seconds"],
                       [[len(test), reached["spearman"], reached["kendall"], reached["seconds"]]]))  # fmt: skip
    if cfg.out:
        command = (f"nag fit bench={cfg.bench} metric={metric} n_labels={cfg.n_labels} seed={cfg.seed} "
                   f"encoder={cfg.encoder} mode={cfg.mode} epochs={cfg.epochs} targets={cfg.targets} gp_weight={cfg.gp_weight} gp_kernel={cfg.gp_kernel} "
                   f"gp_adjacency={str(cfg.gp_adjacency).lower()}")  # fmt: skip
        predictor.save(cfg.out, extra={"bench": cfg.bench, "reached": reached, "command": command})
        print(f"predictor saved to {cfg.out}")
    return 0


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


COMMANDS = {"pretrain": cmd_pretrain, "fit": cmd_fit, "predict": cmd_predict}
