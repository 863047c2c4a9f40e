"""``train(model, data, config)``: the training loop.

Cross-entropy (+ label smoothing) with SGD or AdamW under a per-step cosine schedule,
mixed precision and channels_last on CUDA, evaluation after every epoch (BatchNorm
statistics recomputed first, :mod:`nag.train.batchnorm`), the best
epoch's weights kept (early stopping optional). With ``out_dir`` every finished epoch
is saved atomically, so ``resume=True`` continues an interrupted run exactly: batch
order and in-model randomness are seeded per epoch, never carried in a global state.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nag.checkpoint import check_tensors
from nag.errors import CheckpointError, ConfigError, TrainingError
from nag.train.batchnorm import recalibrate
from nag.train.config import TrainConfig
from nag.train.data import IMAGE_TASK, task_of
from nag.train.optimizers import OPTIMIZERS
from nag.train.precision import Precision, autocast, choose_device, choose_precision, grad_scaler
from nag.train.result import TrainResult
from nag.train.state import STATE_FILE, check_resumable, load_state, prepare_folder, save_state, save_weights
from nag.train.tasks import Task, make_task

#: steps between two checks (GPU-to-CPU syncs) that the loss is still finite
CHECK_EVERY = 8


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of epoch ``epoch`` (batch order and dropout), independent of earlier epochs."""
    return (seed * 1_000_003 + epoch * 7919) % (2**63 - 1)


@contextmanager
def determinism(enabled: bool) -> Iterator[None]:
    """Deterministic kernels (warn where none exists) while training; restored after."""
    if enabled:  # cuBLAS reads it when its first handle is made; harmless on CPU
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    before = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())
    benchmark = torch.backends.cudnn.benchmark
    torch.use_deterministic_algorithms(enabled, warn_only=True)
    torch.backends.cudnn.benchmark = not enabled
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before[0], warn_only=before[1])
        torch.backends.cudnn.benchmark = benchmark


def evaluate(
    model: nn.Module, task: Task, split: str, device: torch.device, precision: Precision, batch_size: int
) -> dict[str, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``split``."""
    model.eval()
    loss_sum, correct, count = torch.zeros((), device=device), torch.zeros((), device=device), 0
    with torch.no_grad(), autocast(device, precision):
        for args, y, select in task.eval_batches(split, batch_size):
            logits = model(*args)[select].float()
            loss_sum += nn.functional.cross_entropy(logits, y, reduction="sum")
            correct += (logits.argmax(1) == y).sum()
            count += len(y)
    return {f"{split}_loss": float(loss_sum) / count, f"{split}_accuracy": float(correct) / count}


class _Run:
    """The mutable parts of one run: what is saved after every epoch."""

    def __init__(self, model: nn.Module, config: TrainConfig, steps: int, device: torch.device, precision: Precision,
                 fields: dict[str, Any]):  # fmt: skip
        self.model, self.config, self.fields = model, config, fields
        self.optimizer = OPTIMIZERS.get(config.optimizer)(model.parameters(), config)
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=config.epochs * steps)
        self.scaler = grad_scaler(device, precision)
        self.epoch, self.history = 0, []
        self.best: dict[str, Any] = {"epoch": 0, "val_accuracy": -1.0, "model": {}}

    def state(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict(), "epoch": self.epoch, "best": self.best, "history": json.dumps(self.history),
                "config": json.dumps(self.fields)}  # fmt: skip

    def restore(self, state: dict[str, Any], out: Path) -> None:
        """Continue from ``state`` (checked by :func:`~nag.train.state.check_state`)."""
        try:
            self.model.load_state_dict(state["model"])
        except RuntimeError as e:
            first = str(e).strip().splitlines()[0]
            raise CheckpointError(f"the run in {out} trained another model than this one ({first})") from None
        if state["best"]["model"]:
            check_tensors({k: v.shape for k, v in self.model.state_dict().items()}, state["best"]["model"], out / STATE_FILE)
        for name in ("optimizer", "scheduler", "scaler"):
            try:
                getattr(self, name).load_state_dict(state[name])
            except (
                KeyError,
                ValueError,
                TypeError,
                IndexError,
                AttributeError,
                RuntimeError,
            ) as e:  # what torch raises for a foreign dict
                raise CheckpointError(
                    f"{out / STATE_FILE}: the {name} state does not fit this run ({type(e).__name__}: {e})"
                ) from None
        self.epoch, self.best, self.history = state["epoch"], state["best"], json.loads(state["history"])

    def keep_if_best(self, val_accuracy: float) -> None:
        if val_accuracy > self.best["val_accuracy"]:
            weights = {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()}
            self.best = {"epoch": self.epoch, "val_accuracy": val_accuracy, "model": weights}

    def out_of_patience(self) -> bool:
        patience = self.config.patience
        return patience is not None and self.epoch - self.best["epoch"] >= patience


def train(model: nn.Module, data: Any, config: TrainConfig | None = None, out_dir: str | Path | None = None,
          resume: bool = False, run_info: dict[str, Any] | None = None) -> TrainResult:  # fmt: skip
    """Train ``model`` on ``data`` and return what it reached.

    Args:
        model: any module mapping the task's inputs to logits (images ``[B, C, H, W]``, or
            ``(x, edge_index)`` for node classification).
        data: :class:`~nag.train.ImageData` or a PyG ``Data`` with ``train_mask``/``val_mask``.
        config: :class:`~nag.train.TrainConfig` (default settings if None).
        out_dir: folder for ``state.pt`` (every epoch), ``metrics.json`` and the final
            ``model.safetensors``. A folder that already holds a run is only continued
            (``resume=True``), never overwritten.
        resume: continue the run saved in ``out_dir`` from its last finished epoch.
        run_info: what the run is (arch, dataset, build options; JSON values), saved with it;
            resuming with another ``run_info`` is refused.

    Raises:
        TrainingError: the loss became NaN or infinite (the last good epoch stays saved).
        ConfigError: bad settings, an unwritable ``out_dir``, or ``resume`` with settings or
            ``run_info`` that differ from the saved run's.
        CheckpointError: the saved run does not fit ``model``, or its state is damaged.
    """
    config = config or TrainConfig()
    out = Path(out_dir) if out_dir is not None else None
    if resume and out is None:
        raise ConfigError("resume=True needs out_dir, the folder of the interrupted run")
    if out is not None and not resume and (out / STATE_FILE).exists():
        raise ConfigError(f"{out} already holds a training run; pass resume=True to continue it or choose another folder")
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(f"cannot write the run's folder {out}: {e.strerror or e}") from None
        prepare_folder(out)
    fields = {**config.schedule_fields(), **({"run": run_info} if run_info is not None else {})}
    task_name = task_of(data)
    device = choose_device(config.device, torch.cuda.is_available())
    bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
    precision = choose_precision(device.type, config.amp, config.channels_last, bf16, task_name == IMAGE_TASK)
    task = make_task(task_name, data).to(device, precision)
    model = model.to(device, memory_format=torch.channels_last) if precision.channels_last else model.to(device)
    steps = math.ceil(task.train_size() / config.batch_size) if task_name == IMAGE_TASK else 1
    run = _Run(model, config, steps, device, precision, json.loads(json.dumps(fields)))
    saved = load_state(out) if resume and out is not None else None
    if saved is not None:
        check_resumable(saved, run.fields, out)
        run.restore(saved, out)
    with determinism(config.deterministic):
        _epochs(run, task, device, precision, steps, out)
        model.load_state_dict(run.best["model"])
        final = {
            k: v for s in task.splits() for k, v in evaluate(model, task, s, device, precision, config.eval_batch_size).items()
        }
    if out is not None:
        save_weights(out, run.best["model"], {"best_epoch": str(run.best["epoch"]), "format_version": "1"})
    seconds = sum(r["seconds"] for r in run.history)
    test = final.get("test_accuracy")
    return TrainResult(accuracy=test if test is not None else final["val_accuracy"], val_accuracy=final["val_accuracy"],
                       test_accuracy=test, best_epoch=run.best["epoch"], epochs=run.epoch, stopped_early=run.epoch < config.epochs,
                       params=sum(p.numel() for p in model.parameters()), seconds=seconds,
                       samples_per_second=run.epoch * task.train_size() / seconds if seconds > 0 else 0.0,
                       device=str(device), precision=precision.name, history=run.history)  # fmt: skip


def _epochs(run: _Run, task: Task, device: torch.device, precision: Precision, steps: int, out: Path | None) -> None:
    from tqdm.auto import tqdm

    config = run.config
    bar = tqdm(total=(config.epochs - run.epoch) * steps, desc="train", unit="step", disable=not config.progress, leave=False)
    try:
        while run.epoch < config.epochs and not run.out_of_patience():
            record = _train_epoch(run, task, device, precision, out, bar)
            run.epoch += 1
            recalibrate(run.model, task, config.bn_recalibration, config.eval_batch_size, device, precision)
            record.update(evaluate(run.model, task, "val", device, precision, config.eval_batch_size))
            if not math.isfinite(record["val_loss"]):  # weights broke on the epoch's last steps: do not save them
                _diverged(run, record["val_loss"], steps - 1, out, what="validation loss")
            run.history.append({"epoch": run.epoch, **record})
            run.keep_if_best(record["val_accuracy"])
            if out is not None:
                save_state(out, run.state())
            bar.set_postfix(epoch=run.epoch, loss=f"{record['train_loss']:.3f}", val_acc=f"{record['val_accuracy']:.3f}")
    finally:
        bar.close()


def _train_epoch(
    run: _Run, task: Task, device: torch.device, precision: Precision, out: Path | None, bar: Any
) -> dict[str, float]:
    config, model = run.config, run.model
    seed = epoch_seed(config.seed, run.epoch)
    torch.manual_seed(seed)
    model.train()
    loss_sum, correct, count = torch.zeros((), device=device), torch.zeros((), device=device), 0
    start = time.perf_counter()
    for step, (args, y, select) in enumerate(task.train_batches(config.batch_size, torch.Generator().manual_seed(seed))):
        with autocast(device, precision):
            logits = model(*args)[select].float()
            loss = nn.functional.cross_entropy(logits, y, label_smoothing=config.label_smoothing)
        if step % CHECK_EVERY == 0 and not torch.isfinite(loss_sum + loss.detach()):  # a sync only every few steps
            _diverged(run, float(loss.detach()), step, out)
        run.optimizer.zero_grad(set_to_none=True)
        run.scaler.scale(loss).backward()
        if config.grad_clip is not None:
            run.scaler.unscale_(run.optimizer)
            nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        run.scaler.step(run.optimizer)
        run.scaler.update()
        run.scheduler.step()
        loss_sum += loss.detach() * len(y)
        correct += (logits.detach().argmax(1) == y).sum()
        count += len(y)
        bar.update(1)
    seconds = time.perf_counter() - start
    if not torch.isfinite(loss_sum):
        _diverged(run, float(loss_sum), step, out)
    return {"train_loss": float(loss_sum) / count, "train_accuracy": float(correct) / count, "lr": run.scheduler.get_last_lr()[0],
            "seconds": seconds, "samples_per_second": count / seconds if seconds > 0 else 0.0}  # fmt: skip


def _diverged(run: _Run, value: float, step: int, out: Path | None, what: str = "training loss") -> None:
    epoch = run.epoch + (what == "training loss")  # the validation check runs after the epoch is counted
    kept = f"the state after epoch {epoch - 1} is kept in {out}" if out is not None and epoch > 1 else "nothing was saved"
    raise TrainingError(f"the {what} became {value} in epoch {epoch}, step {step + 1}; {kept}. "
                        f"Lower lr (now {run.config.lr:g}) or set amp=off")  # fmt: skip
