"""A run's files in its output folder, each written atomically.

- ``state.pt``: everything needed to resume after the last finished epoch (weights,
  optimizer, schedule, scaler, best weights so far, history, config); read back with
  ``torch.load(weights_only=True)``, so a tampered file cannot run code.
- ``metrics.json``: one record per finished epoch.
- ``model.safetensors``: the best epoch's weights, once training ends.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from nag.atomic_write import write_atomic, write_json
from nag.errors import CheckpointError, ConfigError

STATE_FILE = "state.pt"
METRICS_FILE = "metrics.json"
WEIGHTS_FILE = "model.safetensors"
FORMAT_VERSION = 1


def save_state(out_dir: Path, state: dict[str, Any]) -> None:
    """Write ``state`` (tensors, numbers, strings, nested dicts/lists) and the metrics."""
    write_atomic(out_dir / STATE_FILE, lambda tmp: torch.save({"format_version": FORMAT_VERSION, **state}, tmp))
    write_json(out_dir / METRICS_FILE, json.loads(state["history"]))


def load_state(out_dir: Path) -> dict[str, Any] | None:
    """The saved state of the run in ``out_dir``, or None if it has none yet."""
    path = out_dir / STATE_FILE
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a damaged or foreign file
        raise CheckpointError(f"cannot read training state {path}: {type(e).__name__}: {e}") from e
    if not isinstance(state, dict) or state.get("format_version") != FORMAT_VERSION:
        found = state.get("format_version") if isinstance(state, dict) else type(state).__name__
        raise CheckpointError(f"{path} has format version {found!r}; this nag reads version {FORMAT_VERSION}")
    return state


def check_resumable(state: dict[str, Any], fields: dict[str, Any], out_dir: Path) -> None:
    """``ConfigError`` naming each setting that differs from the interrupted run's."""
    saved = json.loads(state["config"])
    differ = sorted(k for k in fields if saved.get(k) != fields[k])
    if differ:
        changes = ", ".join(f"{k}: {saved.get(k)!r} -> {fields[k]!r}" for k in differ)
        raise ConfigError(f"cannot resume the run in {out_dir} with other settings ({changes}); use another folder or resume=false")


def save_weights(out_dir: Path, model_state: dict[str, torch.Tensor], metadata: dict[str, str]) -> None:
    from safetensors.torch import save_file

    tensors = {k: v.detach().cpu().contiguous() for k, v in model_state.items()}
    write_atomic(out_dir / WEIGHTS_FILE, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))


def load_weights(path: Path | str) -> dict[str, torch.Tensor]:
    """Weights written by :func:`save_weights` (``model.load_state_dict`` takes them)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except (OSError, SafetensorError) as e:
        raise CheckpointError(f"cannot read weights {path}: {e}") from e
