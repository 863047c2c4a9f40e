"""Device, mixed precision and memory format of a run, decided by small pure functions
(so the CUDA choices are tested on any machine)."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Optional

import torch

from nag.errors import ConfigError

_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class Precision:
    """``dtype``: autocast dtype (None: fp32); ``scaled``: use a gradient scaler
    (fp16); ``channels_last``: feed image batches in NHWC memory format."""

    dtype: Optional[torch.dtype]
    scaled: bool
    channels_last: bool

    @property
    def name(self) -> str:
        return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.dtype] + (
            " channels_last" if self.channels_last else ""
        )


def choose_device(requested: str, cuda_available: bool) -> torch.device:
    """``"auto"``: CUDA when available, else CPU; an explicit CUDA device must exist."""
    if requested == "auto":
        return torch.device("cuda" if cuda_available else "cpu")
    if requested.startswith("cuda") and not cuda_available:
        raise ConfigError(f"device={requested} but torch finds no CUDA device; use device=auto or device=cpu")
    return torch.device(requested)


def choose_precision(device_type: str, amp: str, channels_last: str, bf16_supported: bool, images: bool) -> Precision:
    """The precision of a run on ``device_type``.

    ``amp="auto"``: bf16 on CUDA if supported, else fp16 with a scaler; fp32 on CPU.
    ``channels_last="auto"``: on for images on CUDA.
    """
    if amp == "auto":
        amp = ("bf16" if bf16_supported else "fp16") if device_type == "cuda" else "off"
    if amp == "bf16" and device_type == "cuda" and not bf16_supported:
        raise ConfigError("amp=bf16 but this GPU has no bf16 support; use amp=fp16 or amp=auto")
    dtype = _DTYPES.get(amp)
    layout = images and (channels_last == "on" or (channels_last == "auto" and device_type == "cuda"))
    return Precision(dtype=dtype, scaled=dtype is torch.float16, channels_last=layout)


def autocast(device: torch.device, precision: Precision) -> AbstractContextManager:
    """The autocast context of ``precision`` on ``device`` (a no-op for fp32)."""
    if precision.dtype is None:
        return nullcontext()
    return torch.autocast(device_type=device.type, dtype=precision.dtype)


def grad_scaler(device: torch.device, precision: Precision) -> torch.amp.GradScaler:
    """A gradient scaler, enabled only for fp16."""
    return torch.amp.GradScaler(device.type, enabled=precision.scaled)
