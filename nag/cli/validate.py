"""Checks of a command's options that Hydra's types do not make: strict booleans, the
range of every bounded number, and that every output can be written, all before the
command does any work (or prints anything)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

from nag.atomic_write import unwritable
from nag.errors import ConfigError
from nag.seeds import MAX_SEED

#: the words a boolean option takes (case-insensitive); OmegaConf alone would read any
#: number as a boolean (``maximize=2`` as true)
BOOL_WORDS = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False, "1": True, "0": False}


def check_booleans(schema: type, overrides: list[str]) -> None:
    """``ConfigError`` for a boolean option given anything but one of :data:`BOOL_WORDS`."""
    flags = {f.name for f in dataclasses.fields(schema) if f.type in ("bool", "Optional[bool]")}
    for override in overrides:
        key, _, value = override.partition("=")
        key = key.lstrip("+~")
        if key in flags and value.strip("'\"").lower() not in BOOL_WORDS and value != "null":
            raise ConfigError(f"{key} must be true or false, got {value}")


def check_config(cfg: Any, schema: type) -> None:
    """``ConfigError`` for the first option out of its range (:func:`nag.cli.config.bounded`),
    a float that is not finite, or an output (:func:`nag.cli.config.output`) that cannot be written."""
    for f in dataclasses.fields(schema):
        value = cfg.get(f.name)
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{f.name} must be a finite number, got {value}")
        if "range" in f.metadata and value is not None:
            _check_range(f.name, value, *f.metadata["range"])
    for f in dataclasses.fields(schema):  # after the ranges: nothing is made for a command that fails them
        value = cfg.get(f.name)
        if "output" in f.metadata and value is not None:
            _check_output(f.name, str(value), f.metadata["output"] == "folder")


def _check_range(name: str, value: float, low: float | None, high: float | None) -> None:
    if (low is None or value >= low) and (high is None or value <= high):
        return
    if high is None:
        raise ConfigError(f"{name} must be >= {_number(low)}, got {_number(value)}")
    if low is None:
        raise ConfigError(f"{name} must be <= {_number(high)}, got {_number(value)}")
    raise ConfigError(f"{name} must be >= {_number(low)} and <= {_number(high)}, got {_number(value)}")


def _number(value: float) -> str:
    if value == MAX_SEED:
        return "2**63-1"
    return f"{value:,}" if isinstance(value, int) and abs(value) < 10**15 else f"{value:g}"


def _check_output(name: str, value: str, folder: bool) -> None:
    if not value.strip():
        raise ConfigError(f"{name} is empty; give a {'folder' if folder else 'file'} name")
    path = Path(value)
    if folder and path.exists() and not path.is_dir():
        raise ConfigError(f"{name}={value} is a file; give a folder")
    reason = unwritable(path / ".nag-write-check" if folder else path)
    if reason is not None:
        raise ConfigError(f"cannot write {name}={value}: {reason}")
