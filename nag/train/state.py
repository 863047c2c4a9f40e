"""A run's files in its output folder, each written atomically.

- ``state.pt``: everything needed to resume after the last finished epoch (weights,
  optimizer, schedule, scaler, best weights so far, history, config); read back with
  ``torch.load(weights_only=True)``, so a tampered file cannot run code.
- ``metrics.json``: one record per finished epoch.
- ``model.safetensors``: the best epoch's weights, once training ends.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import torch

from nag.atomic_write import check_writable, remove_temporaries, write_atomic, write_json
from nag.checkpoint import config_value, is_object
from nag.errors import CheckpointError, ConfigError
from nag.type_checks import is_int, is_number

log = logging.getLogger(__name__)

STATE_FILE = "state.pt"
METRICS_FILE = "metrics.json"
WEIGHTS_FILE = "model.safetensors"
RUN_FILES = (STATE_FILE, METRICS_FILE, WEIGHTS_FILE)
FORMAT_VERSION = 1


def prepare_folder(out_dir: Path) -> None:
    """Make ``out_dir`` ready for a run: ``ConfigError`` unless each of its files can be
    written there (checked before any work), and the temporaries a run killed mid-write
    left behind deleted."""
    for name in RUN_FILES:
        check_writable(out_dir / name)
    for name in RUN_FILES:
        for stale in remove_temporaries(out_dir / name):
            log.info("removed %s, left by a run killed while writing %s", stale, name)


def save_state(out_dir: Path, state: dict[str, Any]) -> None:
    """Write ``state`` (tensors, numbers, strings, nested dicts/lists) and the metrics."""
    write_atomic(out_dir / STATE_FILE, lambda tmp: torch.save({"format_version": FORMAT_VERSION, **state}, tmp))
    write_json(out_dir / METRICS_FILE, json.loads(state["history"]))


def load_state(out_dir: Path) -> dict[str, Any] | None:
    """The saved state of the run in ``out_dir`` (checked: :func:`check_state`), or None if
    it has none yet."""
    path = out_dir / STATE_FILE
    if not os.path.lexists(path):
        return None
    if not path.is_file():
        raise CheckpointError(f"{path} is not a readable file (a dangling symlink, a symlink loop or a folder); "
                              "restore the run's state there, or remove it to start the run afresh")  # fmt: skip
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a damaged or foreign file
        raise CheckpointError(f"cannot read training state {path}: {type(e).__name__}: {e}") from e
    if not isinstance(state, dict) or state.get("format_version") != FORMAT_VERSION:
        found = state.get("format_version") if isinstance(state, dict) else type(state).__name__
        raise CheckpointError(f"{path} has format version {found!r}; this nag reads version {FORMAT_VERSION}")
    check_state(state, path)
    return state


def check_state(state: dict[str, Any], path: Path) -> None:
    """``CheckpointError`` naming ``path`` and the entry unless ``state`` holds what a run
    resumes from: ``model``, ``optimizer``, ``scheduler`` and ``scaler`` state dicts; the
    run's ``config`` (JSON object) with its ``epochs``; ``epoch`` in ``0..epochs``; the
    ``history`` (JSON list) of one record per finished epoch; the ``best`` epoch so far."""
    for key in ("optimizer", "scheduler", "scaler"):
        config_value(state, key, path, is_object, "a state dict")
    config_value(state, "model", path, _is_weights, "the model's tensors by name")
    config = _json_entry(state, "config", path, dict, "a JSON object (the run's settings)")
    epochs = config_value(config, "epochs", path, _is_count, "the run's epochs")
    epoch = config_value(state, "epoch", path, lambda v: _is_count(v) and v <= epochs, f"an int in 0..{epochs} (finished epochs)")
    history = _json_entry(state, "history", path, list, "a JSON list (one record per finished epoch)")
    if len(history) != epoch or not all(isinstance(r, dict) and r.get("epoch") == i + 1 and is_number(r.get("seconds"))
                                        for i, r in enumerate(history)):  # fmt: skip
        raise CheckpointError(f"{path}: history must hold one record per finished epoch (1..{epoch}), each with its seconds")
    best = config_value(state, "best", path, is_object, "the best epoch so far")
    first = min(epoch, 1)  # once an epoch finished, the best is one of them
    config_value(best, "epoch", path, lambda v: _is_count(v) and first <= v <= epoch, f"the best epoch, in {first}..{epoch}")
    config_value(best, "val_accuracy", path, is_number, "the best epoch's validation accuracy")
    config_value(best, "model", path, lambda v: _is_weights(v) and (bool(v) or epoch == 0), "the best epoch's tensors by name")


def _json_entry(mapping: dict[str, Any], key: str, path: Path, kind: type, wanted: str) -> Any:
    """The JSON text ``mapping[key]`` parsed, when it is a ``kind``."""
    text = config_value(mapping, key, path, lambda v: isinstance(v, str), f"JSON text of {wanted}")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, kind):
        raise CheckpointError(f"{path}: {key!r} must be {wanted}, got {text!r:.80}")
    return value


def _is_weights(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in value.items())


def _is_count(value: Any) -> bool:
    return is_int(value) and value >= 0


def check_resumable(state: dict[str, Any], fields: dict[str, Any], out_dir: Path) -> None:
    """``ConfigError`` naming each setting that differs from the interrupted run's."""
    saved = json.loads(state["config"])
    differ = sorted(k for k in fields if saved.get(k) != fields[k])
    if differ:
        changes = ", ".join(f"{k}: {saved.get(k)!r} -> {fields[k]!r}" for k in differ)
        raise ConfigError(
            f"cannot resume the run in {out_dir} with other settings ({changes}); use another folder or resume=false"
        )


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
