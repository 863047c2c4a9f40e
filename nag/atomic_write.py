"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nag.errors import ConfigError


def unwritable(path: Path | str) -> str | None:
    """Why no file can be written at ``path``, or ``None`` if one can. Nothing is made:
    the test file goes into the nearest folder that exists (and is gone at once), so a
    long job can check its output before it starts, and a job that fails leaves nothing."""
    path = Path(path).absolute()
    try:
        if path.is_dir():
            return "it is a folder"
        existing = next(p for p in path.parents if p.exists())
        if not existing.is_dir():
            return f"{existing} is a file, not a folder"
        longest = os.pathconf(existing, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255
        too_long = [part for part in path.relative_to(existing).parts if len(os.fsencode(part)) > longest]
        if too_long:
            return f"the name {too_long[0][:40]}... is longer than {longest} bytes"
        tempfile.TemporaryFile(dir=existing).close()
    except OSError as e:
        return str(e.strerror or e)
    return None


def check_writable(path: Path | str) -> Path:
    """``path`` if a file can be written there (see :func:`unwritable`; its folder is then
    made), else ``ConfigError``."""
    reason = unwritable(path)
    if reason is None:
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            reason = str(e.strerror or e)
    if reason is not None:
        raise ConfigError(f"cannot write {path}: {reason}")
    return Path(path)


#: a temporary file of :func:`write_atomic` is ``.NAME.<random>.tmp`` beside ``NAME``
TMP_PREFIX, TMP_SUFFIX = ".{name}.", ".tmp"


def remove_temporaries(path: Path | str) -> list[Path]:
    """Delete the temporaries that :func:`write_atomic` calls for ``path`` left behind (a
    process killed mid-write), and return them. Call it only where no other process is
    writing ``path``."""
    path = Path(path)
    pattern = re.compile(re.escape(TMP_PREFIX.format(name=path.name)) + r"[A-Za-z0-9_]+" + re.escape(TMP_SUFFIX))
    stale = [p for p in path.parent.glob(f".{path.name}.*{TMP_SUFFIX}") if pattern.fullmatch(p.name) and p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def write_atomic(path: Path | str, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``.

    A destination that cannot be written (a folder, a parent that is a file, no permission)
    raises :class:`~nag.errors.ConfigError` before ``write`` runs."""
    path = check_writable(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TMP_PREFIX.format(name=path.name), suffix=TMP_SUFFIX)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; results and checkpoints are meant to be shared
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(path: Path | str, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically."""
    write_atomic(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2, default=float) + "\n"))
