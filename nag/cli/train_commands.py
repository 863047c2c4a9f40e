"""``nag train-arch``: build one arch for a dataset, train it, save weights and results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from nag import spaces
from nag.atomic_write import check_writable, write_json
from nag.cli.arch_arg import resolve_arch
from nag.cli.config import restrictions
from nag.cli.table import format_table
from nag.errors import ConfigError

RESULTS_FILE = "results.json"


def train_config(cfg: Any) -> Any:
    """The :class:`~nag.train.TrainConfig` of a command's options (checked now, before any work)."""
    from nag.train import TrainConfig

    return TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, optimizer=cfg.optimizer,
                       weight_decay=cfg.weight_decay, patience=cfg.patience, device=cfg.device, amp=cfg.amp,
                       seed=cfg.seed, progress=not cfg.quiet)  # fmt: skip


def _check_out(cfg: DictConfig) -> Path | None:
    if cfg.out is None:
        if cfg.resume:
            raise ConfigError("resume=true needs out=DIR, the folder of the interrupted run")
        return None
    out = Path(cfg.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"out={out} is a file; give a folder")
    if (out / RESULTS_FILE).exists() and not cfg.resume:
        raise ConfigError(f"{out} already holds a trained model; choose another out= or resume=true")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"cannot write out={out}: {e.strerror or e}") from None
    return out


def cmd_train_arch(cfg: DictConfig) -> int:
    from nag.counting import count_flops
    from nag.train import build_for, example_input, load_dataset, train
    from nag.train.arch import run_info

    space = spaces.get(cfg.space)
    config = train_config(cfg)
    arch = resolve_arch(space, cfg.arch, by=cfg.by)
    build_kwargs = OmegaConf.to_container(cfg.model, resolve=True)
    data = load_dataset(cfg.data, **OmegaConf.to_container(cfg.data_options, resolve=True))
    model = build_for(space, arch, data, config.seed, **build_kwargs)
    out = _check_out(cfg)
    flops = count_flops(model, example_input(data))
    if not cfg.quiet:
        print(f"training {space.to_str(arch)} on {getattr(data, 'name', cfg.data)} for {config.epochs} epochs")
    result = train(model, data, config, out_dir=out, resume=cfg.resume, run_info=run_info(space, arch, data, build_kwargs))
    row = {"space": space.name, "arch": space.to_str(arch), "data": str(cfg.data), **result.to_dict(with_history=False),
           "flops": flops, "model": build_kwargs, "train": config.to_dict()}  # fmt: skip
    split = "test" if result.test_accuracy is not None else "validation"
    print(format_table(["field", "value"], [
        [f"accuracy ({split})", f"{result.accuracy:.4f}"], ["params", result.params], ["FLOPs (MACs)", flops],
        ["epochs", f"{result.epochs} (best {result.best_epoch})"], ["throughput", f"{result.samples_per_second:,.0f} samples/s"],
        ["device", f"{result.device} {result.precision}"]]))  # fmt: skip
    if out is not None:
        write_json(out / RESULTS_FILE, row)
        print(f"weights and {RESULTS_FILE} written to {out}")
    return 0


def _executor(cfg: DictConfig) -> tuple[str, dict[str, Any]]:
    import os

    from nag.executors.process import default_workers

    if cfg.executor == "process":
        workers = cfg.workers or default_workers()
        return "process", {"workers": workers, "threads_per_worker": max(1, (os.cpu_count() or 1) // workers)}
    if cfg.workers is not None and cfg.executor != "serial":
        raise ConfigError(f"workers= applies to executor=process; executor={cfg.executor} sizes itself")
    return cfg.executor, ({"address": cfg.address} if cfg.executor == "ray" else {})


def training_search(cfg: DictConfig) -> int:
    """``nag search oracle=train ...``: a search whose oracle trains every candidate."""
    import time

    from nag import search
    from nag.search.training import TrainingOracle
    from nag.train import TrainConfig

    if cfg.address is not None and cfg.executor != "ray":
        raise ConfigError("address= is the Ray cluster's; add executor=ray")
    if cfg.out is not None:
        check_writable(cfg.out)  # fail now, not after the trainings
    space = spaces.get(cfg.space)
    config = TrainConfig.from_dict({"epochs": cfg.epochs, "progress": False, **OmegaConf.to_container(cfg.train, resolve=True)})
    name, executor_options = _executor(cfg)
    metric = cfg.metric or "val_accuracy"
    options = OmegaConf.to_container(cfg.options, resolve=True)
    start = time.perf_counter()
    with TrainingOracle(space, cfg.data, config, table=cfg.table, executor=name, executor_options=executor_options,
                        metric=metric, build=OmegaConf.to_container(cfg.model, resolve=True)) as oracle:  # fmt: skip
        trajectory = search.run(cfg.strategy, oracle, space=space, budget=cfg.budget, seed=cfg.seed, maximize=cfg.maximize,
                                progress=not cfg.quiet, **restrictions(cfg), **options)  # fmt: skip
    seconds = time.perf_counter() - start
    arch, value = trajectory.best
    print(f"{cfg.strategy} on {space.name} trained on {cfg.data} ({config.epochs} epochs each, {name} executor, "
          f"{oracle.workers} at once), budget {cfg.budget}, seed {cfg.seed}: {seconds:.1f} s")  # fmt: skip
    print(format_table(["strategy", "queries", f"best {metric}", "best arch"],
                       [[cfg.strategy, len(trajectory), f"{value:.4f}", space.to_str(arch)]]))  # fmt: skip
    if cfg.table:
        print(f"every result is in {cfg.table} (nag.bench.from_table reads it; rerun to resume); "
              f"{len(oracle.reused)} of the {len(trajectory)} queries were answered from it without training")  # fmt: skip
    if cfg.out:
        write_json(cfg.out, {"config": OmegaConf.to_container(cfg, resolve=True), "metric": metric, "seconds": seconds,
                             **trajectory.to_dict(space.to_str)})  # fmt: skip
    return 0


COMMANDS = {"train-arch": cmd_train_arch}
