"""Checkpoints: ``weights.safetensors`` + ``config.json`` (with a format version) in a folder.

No pickle anywhere: tensors go through safetensors, everything else through JSON, so a
checkpoint from anyone is safe to load. ``config.json`` is written last (atomically), so a
folder with a readable ``config.json`` always has its matching weights; it records their
SHA-256 (:data:`DIGEST_KEY`), so weights changed or damaged since they were saved are refused.

Loading checks before it allocates: the size of ``config.json`` (:data:`MAX_CONFIG_BYTES`),
the weights' digest, that every floating tensor is finite, and (:func:`check_shapes`) that
the module a config describes, built on the meta device, has exactly the stored tensors.
Each failure is a :class:`~nag.errors.CheckpointError` naming the file and what is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any, TypeVar

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from nag.atomic_write import write_atomic, write_json
from nag.digests import file_digest
from nag.errors import CheckpointError, ConfigError

FORMAT_VERSION = 1
WEIGHTS, CONFIG = "weights.safetensors", "config.json"
#: the ``config.json`` key holding the SHA-256 of ``weights.safetensors`` (checkpoints saved
#: before it existed lack it and load unchecked)
DIGEST_KEY = "weights_sha256"
#: the largest ``config.json`` read, in bytes (nag's are a few KB)
MAX_CONFIG_BYTES = 64 * 2**20

C = TypeVar("C")
_REQUIRED = object()


def save_checkpoint(directory: Path | str, kind: str, tensors: dict[str, torch.Tensor], config: dict[str, Any]) -> Path:
    """Write ``tensors`` and ``config`` (JSON-able) as a ``kind`` checkpoint into ``directory``;
    the config gains the weights' digest (:data:`DIGEST_KEY`)."""
    directory = Path(directory)
    contiguous = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    write_atomic(directory / WEIGHTS, lambda tmp: save_file(contiguous, str(tmp)))
    digest = file_digest(directory / WEIGHTS)
    write_json(directory / CONFIG, {"format_version": FORMAT_VERSION, "kind": kind, **config, DIGEST_KEY: digest})
    return directory


def load_checkpoint(directory: Path | str, kind: str,
                    allow_nonfinite: Collection[str] = ()) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:  # fmt: skip
    """``(tensors, config)`` of the ``kind`` checkpoint in ``directory``.

    Raises :class:`CheckpointError` naming the file and what is wrong: missing files, a
    ``config.json`` that is too large, not a JSON object or of another format version or
    kind, weights that do not match the recorded digest or are not safetensors, and NaN or
    infinite values in a floating tensor not named in ``allow_nonfinite``.
    """
    directory = Path(directory)
    config_path, weights_path = directory / CONFIG, directory / WEIGHTS
    for path in (config_path, weights_path):
        if not path.is_file():
            raise CheckpointError(f"{path} is missing; is {directory} a nag {kind} checkpoint?")
    config = read_config(config_path)
    if config.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{config_path} has format_version {config.get('format_version')!r:.80}; this nag reads {FORMAT_VERSION}"
        )
    if config.get("kind") != kind:
        raise CheckpointError(f"{config_path} is a {config.get('kind')!r:.80} checkpoint, not a {kind!r} one")
    check_digest(config, config_path, weights_path)
    try:
        # copies in fresh memory: a view into the file's buffer can be unaligned, and
        # float kernels then take another path, so a loaded model would not predict
        # bit-identically to the one saved
        tensors = {name: t.clone() for name, t in load_file(str(weights_path)).items()}
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{weights_path} is corrupted or not safetensors: {e}") from None
    check_finite(tensors, weights_path, allow_nonfinite)
    return tensors, config


def read_config(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``, refused before reading when over :data:`MAX_CONFIG_BYTES`."""
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise CheckpointError(f"{path} holds {size} bytes, more than a checkpoint config may ({MAX_CONFIG_BYTES}); "
                                  "it is not a nag config.json")  # fmt: skip
        config = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as e:  # ValueError: bad JSON, an int too long to parse
        raise CheckpointError(f"{path} is not valid JSON: {e}") from None
    except RecursionError:
        raise CheckpointError(f"{path} nests JSON too deeply to read; it is not a nag config.json") from None
    if not isinstance(config, dict):
        raise CheckpointError(f"{path} holds {type(config).__name__}, expected a JSON object")
    return config


def check_digest(config: dict[str, Any], config_path: Path, weights_path: Path) -> None:
    """``CheckpointError`` unless ``weights_path`` has the SHA-256 that ``config`` records
    (nothing to check in a config without :data:`DIGEST_KEY`)."""
    if DIGEST_KEY not in config:
        return
    recorded = config[DIGEST_KEY]
    if not isinstance(recorded, str) or not re.fullmatch("[0-9a-f]{64}", recorded):
        raise CheckpointError(f"{config_path}: {DIGEST_KEY} must be a SHA-256 in 64 hex digits, got {recorded!r:.80}")
    try:
        actual = file_digest(weights_path)
    except OSError as e:
        raise CheckpointError(f"cannot read {weights_path}: {e}") from None
    if actual != recorded:
        raise CheckpointError(f"{weights_path} has SHA-256 {actual}, but {config_path} records {recorded}: the weights "
                              "changed after they were saved (damaged or edited); save the checkpoint again or fetch an intact copy")  # fmt: skip


def check_finite(tensors: Mapping[str, torch.Tensor], source: Path | str, allow: Collection[str] = ()) -> None:
    """``CheckpointError`` naming the first floating tensor (not in ``allow``) holding NaN or inf."""
    for name, tensor in tensors.items():
        if name not in allow and tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(f"{source}: tensor {name} holds NaN or infinite values; the saved model had diverged "
                                  "or the file was edited")  # fmt: skip


def check_tensors(expected: Mapping[str, torch.Size], tensors: Mapping[str, torch.Tensor], source: Path | str) -> None:
    """``CheckpointError`` naming ``source`` and the tensors unless ``tensors`` has exactly the
    names and shapes of ``expected``."""
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise CheckpointError(f"{source} does not match the model: missing {missing[:5]}, unexpected {unexpected[:5]}")
    for name, value in tensors.items():
        if value.shape != expected[name]:
            raise CheckpointError(
                f"{source}: tensor {name} has shape {tuple(value.shape)}, the model expects {tuple(expected[name])}"
            )


def check_shapes(build: Callable[[], nn.Module], tensors: Mapping[str, torch.Tensor], source: Path | str) -> None:
    """:func:`check_tensors` against the state of the module ``build()`` makes, built on the
    meta device: a config that implies other (or huge) tensors allocates nothing."""
    check_tensors(_shapes(_on_meta(build).state_dict()), tensors, source)


def load_state(module: nn.Module, tensors: dict[str, torch.Tensor], source: Path | str) -> None:
    """Load ``tensors`` into ``module``; any missing, unexpected or mis-shaped tensor raises
    :class:`CheckpointError` naming ``source`` and the tensor."""
    check_tensors(_shapes(module.state_dict()), tensors, source)
    module.load_state_dict(tensors)


def build_loaded(build: Callable[[], nn.Module], tensors: dict[str, torch.Tensor], source: Path | str) -> nn.Module:
    """``build()`` holding ``tensors``, built on the meta device and checked there first
    (:func:`check_tensors`), so nothing is allocated for a module the tensors do not fit.

    The tensors (cast to the module's dtypes) become its parameters and buffers, so loading
    costs one build and no copy. ``build()`` must keep its tensors in parameters and buffers;
    a module with non-persistent buffers (which no checkpoint holds) is built again for real."""
    module = _on_meta(build)
    state = module.state_dict()
    check_tensors(_shapes(state), tensors, source)
    if any(name not in state for name, _ in module.named_buffers()):
        module = build()
        module.load_state_dict(tensors)
        return module
    module.load_state_dict({k: v.to(state[k].dtype) for k, v in tensors.items()}, assign=True)
    return module


def _on_meta(build: Callable[[], nn.Module]) -> nn.Module:
    with torch.device("meta"):
        return build()


def _shapes(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Size]:
    return {k: v.shape for k, v in state.items()}


def config_value(config: Mapping[str, Any], key: str, path: Path, accept: Callable[[Any], bool], wanted: str,
                 default: Any = _REQUIRED) -> Any:  # fmt: skip
    """``config[key]`` (``default`` when absent, if one is given) when ``accept`` takes it, else
    :class:`CheckpointError` naming ``path``, the key and what it must be (``wanted``)."""
    if key not in config:
        if default is _REQUIRED:
            raise CheckpointError(f"{path} lacks {key!r} ({wanted})")
        return default
    value = config[key]
    if not accept(value):
        raise CheckpointError(f"{path}: {key!r} must be {wanted}, got {value!r:.80}")
    return value


def config_section(config: Mapping[str, Any], key: str, path: Path, cls: type[C], defaults: Mapping[str, Any] | None = None) -> C:
    """``cls.from_dict`` of the JSON object ``config[key]`` over ``defaults`` (fields older
    checkpoints lack); :class:`CheckpointError` naming ``path`` when it is missing or invalid."""
    entry = config_value(config, key, path, is_object, f"a JSON object of {cls.__name__} fields")
    try:
        return cls.from_dict({**(defaults or {}), **entry})  # type: ignore[attr-defined]
    except ConfigError as e:
        raise CheckpointError(f"{path}: {key!r} is not a valid {cls.__name__}: {e}") from None


def is_object(value: Any) -> bool:
    """Whether ``value`` is a JSON object (a dict)."""
    return isinstance(value, dict)
