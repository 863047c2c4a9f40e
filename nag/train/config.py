"""``TrainConfig``: everything one training run depends on, checked before any work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from nag.errors import ConfigError
from nag.seeds import check_seed
from nag.train.optimizers import OPTIMIZERS
from nag.typed_config import JSONConfig

AMP_MODES = ("auto", "off", "bf16", "fp16")
SWITCHES = ("auto", "on", "off")


@dataclass(frozen=True)
class TrainConfig(JSONConfig):
    """How to train one model.

    Args:
        epochs: passes over the training data.
        batch_size: images per step (node classification trains on the whole graph).
        lr: peak learning rate, annealed to zero by a cosine schedule over all steps.
        optimizer: ``"sgd"`` (Nesterov momentum 0.9, as NAS-Bench-201) or ``"adamw"``.
        weight_decay: L2 penalty (decoupled for AdamW).
        label_smoothing: of the cross-entropy loss.
        grad_clip: max gradient norm (None: no clipping).
        patience: stop when validation accuracy has not improved for this many epochs
            (None: train all epochs). The best epoch's weights are kept either way.
        device: ``"auto"`` (CUDA when present, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
        amp: mixed precision: ``"auto"`` (bf16 on CUDA where supported, else fp16 with a
            gradient scaler; off on CPU), ``"off"``, ``"bf16"``, ``"fp16"``.
        channels_last: memory format of image batches: ``"auto"`` (on for CUDA), ``"on"``, ``"off"``.
        seed: seeds the order of batches and any randomness inside the model.
        deterministic: ask the backend for deterministic kernels (slower on CUDA).
        eval_batch_size: images per step when evaluating.
        bn_recalibration: training inputs whose batch statistics replace the BatchNorm
            running averages before every evaluation (0: evaluate with the running
            averages). Short runs of deep networks otherwise evaluate near chance.
        progress: show a progress bar.
    """

    epochs: int = 10
    batch_size: int = 64
    lr: float = 0.05
    optimizer: str = "sgd"
    weight_decay: float = 5e-4
    label_smoothing: float = 0.0
    grad_clip: Optional[float] = 5.0
    patience: Optional[int] = None
    device: str = "auto"
    amp: str = "auto"
    channels_last: str = "auto"
    seed: int = 0
    deterministic: bool = True
    eval_batch_size: int = 512
    bn_recalibration: int = 2048
    progress: bool = True

    def __post_init__(self) -> None:
        self.check_types()
        positive = {"epochs": self.epochs, "batch_size": self.batch_size, "eval_batch_size": self.eval_batch_size}
        for name, value in positive.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        if isinstance(self.bn_recalibration, bool) or not isinstance(self.bn_recalibration, int) or self.bn_recalibration < 0:
            raise ConfigError(f"bn_recalibration must be an integer >= 0, got {self.bn_recalibration!r}")
        if not self.lr > 0:
            raise ConfigError(f"lr must be positive, got {self.lr!r}")
        if self.weight_decay < 0 or not 0 <= self.label_smoothing < 1:
            raise ConfigError(
                f"need weight_decay >= 0 and 0 <= label_smoothing < 1, got {self.weight_decay}, {self.label_smoothing}"
            )
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ConfigError(f"grad_clip must be positive or None, got {self.grad_clip!r}")
        if self.patience is not None and (not isinstance(self.patience, int) or self.patience < 1):
            raise ConfigError(f"patience must be a positive integer or None, got {self.patience!r}")
        for name, value, allowed in (("optimizer", self.optimizer, OPTIMIZERS.names()), ("amp", self.amp, AMP_MODES),
                                     ("channels_last", self.channels_last, SWITCHES)):  # fmt: skip
            if value not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
        check_seed(self.seed, allow_none=False)
        if not (self.device in ("auto", "cpu", "cuda") or self.device.startswith("cuda:")):
            raise ConfigError(f"device must be auto, cpu, cuda or cuda:N, got {self.device!r}")

    def schedule_fields(self) -> dict[str, object]:
        """The fields a resumed run must share with the interrupted one (all but the
        ones that only change how it is shown or where it runs)."""
        data = self.to_dict()
        for name in ("progress", "device", "eval_batch_size"):
            data.pop(name)
        return data
