"""Train an arch of a search space on a dataset: build the network that fits the data
(classes, channels or feature size), seeded, then :func:`~nag.train.train` it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from nag.build.limits import build_within, check_options
from nag.errors import DatasetError
from nag.train.config import TrainConfig
from nag.train.data import IMAGE_TASK, model_kwargs, task_of
from nag.train.result import TrainResult
from nag.train.trainer import train


def build_for(space: Any, arch: Any, data: Any, seed: int = 0, **build_kwargs: Any) -> nn.Module:
    """``space.build(arch)`` sized for ``data``, with weights drawn from ``seed``.

    ``build_kwargs`` must be options of ``space.build`` (``ConfigError`` naming the others),
    and the network must fit in memory (:func:`~nag.build.limits.build_within`)."""
    task = task_of(data)
    if getattr(space, "task", IMAGE_TASK) != task:
        name = getattr(data, "name", type(data).__name__)
        raise DatasetError(f"space {space.name} builds {space.task} models, but {name} is {task} data")
    sized = model_kwargs(data)
    check_options(space.build, build_kwargs, f"{space.name} build", fixed=("arch", *sized))

    def build() -> nn.Module:
        torch.manual_seed(seed)
        return space.build(arch, **sized, **build_kwargs)

    return build_within(build)


def example_input(data: Any, batch: int = 1) -> Any:
    """An input the built model accepts (a batch of training images, or the graph)."""
    if task_of(data) == IMAGE_TASK:
        return data.x_train[:batch]
    return (data.x, data.edge_index)


def run_info(space: Any, arch: Any, data: Any, build_kwargs: dict[str, Any]) -> dict[str, Any]:
    """What a run of ``arch`` is, saved with it so that a resume cannot mix it up with another."""
    return {"space": space.name, "arch": space.to_str(space.coerce(arch)), "data": getattr(data, "name", type(data).__name__),
            "build": build_kwargs}  # fmt: skip


def train_arch(space: Any, arch: Any, data: Any, config: TrainConfig | None = None, out_dir: str | Path | None = None,
               resume: bool = False, **build_kwargs: Any) -> TrainResult:  # fmt: skip
    """Build ``arch`` of ``space`` for ``data`` (initialised from ``config.seed``) and train it.

    ``build_kwargs`` go to ``space.build`` (e.g. ``C=16, N=5`` for nb201, ``hidden=64`` for nbgraph).
    """
    config = config or TrainConfig()
    model = build_for(space, arch, data, config.seed, **build_kwargs)
    return train(model, data, config, out_dir=out_dir, resume=resume, run_info=run_info(space, arch, data, build_kwargs))
