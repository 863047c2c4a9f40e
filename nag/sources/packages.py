"""Locate data files inside installed packages without importing those packages."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from nag.errors import BenchmarkDataError


def package_file(package: str, relative: str, pip_name: str) -> Path:
    """Path of ``relative`` inside installed ``package`` (whose modules are never imported)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise BenchmarkDataError(f"package {package!r} is not installed; run: pip install {pip_name}")
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise BenchmarkDataError(
            f"{path} is missing from the installed {pip_name}; reinstall it: pip install --force-reinstall {pip_name}"
        )
    return path
