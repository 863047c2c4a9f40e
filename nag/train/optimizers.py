"""The optimizers a :class:`~nag.train.TrainConfig` can name: ``name -> factory(params, config)``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch

from nag.registry import Registry

OPTIMIZERS: Registry[Callable[[Iterable[Any], Any], torch.optim.Optimizer]] = Registry("optimizer")


@OPTIMIZERS.register("sgd")
def _sgd() -> Callable[[Iterable[Any], Any], torch.optim.Optimizer]:
    """SGD with Nesterov momentum 0.9, as NAS-Bench-201 trains."""
    return lambda params, c: torch.optim.SGD(params, lr=c.lr, momentum=0.9, nesterov=True, weight_decay=c.weight_decay)


@OPTIMIZERS.register("adamw")
def _adamw() -> Callable[[Iterable[Any], Any], torch.optim.Optimizer]:
    return lambda params, c: torch.optim.AdamW(params, lr=c.lr, weight_decay=c.weight_decay)
