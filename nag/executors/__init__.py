"""Executors: evaluate a batch of jobs serially, in local processes or on Ray: ``make_executor``."""

from __future__ import annotations

import inspect
from typing import Any

from nag.errors import ConfigError
from nag.executors.base import Executor
from nag.executors.process import ProcessExecutor
from nag.executors.ray import RayExecutor
from nag.executors.serial import SerialExecutor
from nag.registry import Registry

EXECUTORS: Registry[type[Executor]] = Registry("executor")


def register(name: str, executor: type[Executor]) -> None:
    """Plug in an :class:`Executor` subclass under ``name``; its ``__init__`` arguments are its options."""
    EXECUTORS.register(name, lambda: executor)


def names() -> list[str]:
    return EXECUTORS.names()


def executor_options(name: str) -> dict[str, Any]:
    """The options an executor takes, with their defaults."""
    params = list(inspect.signature(EXECUTORS.get(name).__init__).parameters.values())[1:]
    return {p.name: p.default for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}


def make_executor(name: str = "process", **options: Any) -> Executor:
    """The executor registered as ``name`` (``"serial"``, ``"process"``, ``"ray"``), built with ``options``.

    Args:
        name: which executor.
        **options: its options, e.g. ``workers``, ``threads_per_worker`` for ``"process"``;
            ``address``, ``num_cpus``, ``num_gpus``, ``init_options`` for ``"ray"``.

    Raises:
        UnknownNameError: ``name`` is not registered (a :class:`ConfigError` listing the names).
        ConfigError: an option the executor does not take (the message lists those it takes),
            or a bad option value.
    """
    cls = EXECUTORS.get(name)
    allowed = executor_options(name)
    unknown = set(options) - set(allowed)
    if unknown:
        raise ConfigError(f"executor {name!r} has no option(s) {sorted(unknown)}; it takes: {sorted(allowed) or 'none'}")
    return cls(**options)


register("serial", SerialExecutor)
register("process", ProcessExecutor)
register("ray", RayExecutor)

__all__ = ["Executor", "SerialExecutor", "ProcessExecutor", "RayExecutor", "make_executor", "names", "register",
           "executor_options"]  # fmt: skip
