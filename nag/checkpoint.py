"""Checkpoints: ``weights.safetensors`` + ``config.json`` (with a format version) in a folder.

No pickle anywhere: tensors go through safetensors, everything else through JSON, so a
checkpoint from anyone is safe to load. ``config.json`` is written last (atomically), so a
folder with a readable ``config.json`` always has its matching weights.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from nag.atomic_write import write_atomic, write_json
from nag.errors import CheckpointError

FORMAT_VERSION = 1
WEIGHTS, CONFIG = "weights.safetensors", "config.json"


def save_checkpoint(directory: Path | str, kind: str, tensors: dict[str, torch.Tensor], config: dict[str, Any]) -> Path:
    """Write ``tensors`` and ``config`` (JSON-able) as a ``kind`` checkpoint into ``directory``."""
    directory = Path(directory)
    contiguous = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    write_atomic(directory / WEIGHTS, lambda tmp: save_file(contiguous, str(tmp)))
    write_json(directory / CONFIG, {"format_version": FORMAT_VERSION, "kind": kind, **config})
    return directory


def load_checkpoint(directory: Path | str, kind: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """``(tensors, config)`` of the ``kind`` checkpoint in ``directory``.

    Raises :class:`CheckpointError` naming the file and what is wrong: missing files,
    unreadable JSON or weights, another format version, or another kind of checkpoint.
    """
    directory = Path(directory)
    config_path, weights_path = directory / CONFIG, directory / WEIGHTS
    for path in (config_path, weights_path):
        if not path.is_file():
            raise CheckpointError(f"{path} is missing; is {directory} a nag {kind} checkpoint?")
    try:
        config = json.loads(config_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{config_path} is not valid JSON: {e}") from None
    if not isinstance(config, dict):
        raise CheckpointError(f"{config_path} holds {type(config).__name__}, expected a JSON object")
    if config.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{config_path} has format_version {config.get('format_version')!r}; this nag reads {FORMAT_VERSION}")
    if config.get("kind") != kind:
        raise CheckpointError(f"{config_path} is a {config.get('kind')!r} checkpoint, not a {kind!r} one")
    try:
        tensors = load_file(str(weights_path))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{weights_path} is corrupted or not safetensors: {e}") from None
    return tensors, config


def load_state(module: nn.Module, tensors: dict[str, torch.Tensor], source: Path | str) -> None:
    """Load ``tensors`` into ``module``; any missing, unexpected or mis-shaped tensor raises
    :class:`CheckpointError` naming ``source`` and the tensor."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise CheckpointError(f"{source} does not match the model: missing {missing[:5]}, unexpected {unexpected[:5]}")
    for name, value in tensors.items():
        if value.shape != expected[name].shape:
            raise CheckpointError(
                f"{source}: tensor {name} has shape {tuple(value.shape)}, the model expects {tuple(expected[name].shape)}"
            )
    module.load_state_dict(tensors)
