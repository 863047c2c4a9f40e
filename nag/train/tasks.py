"""What a training step feeds the model, per task: image batches, or the whole graph.

A batch is ``(args, y, select)``: the model is called as ``model(*args)``, its output
rows ``select`` are compared with ``y``. Tasks are looked up by the data's task name.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import torch

from nag.registry import Registry
from nag.train.data import IMAGE_TASK, NODE_TASK, ImageData
from nag.train.precision import Precision

Batch = tuple[tuple[Any, ...], torch.Tensor, Any]


class Task(Protocol):
    def to(self, device: torch.device, precision: Precision) -> Task: ...

    def train_size(self) -> int: ...

    def splits(self) -> tuple[str, ...]: ...

    def train_batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]: ...

    def eval_batches(self, split: str, batch_size: int) -> Iterator[Batch]: ...


@dataclass(frozen=True)
class ImageTask:
    """Shuffled mini-batches of an :class:`ImageData` (the last, smaller batch is kept)."""

    data: ImageData
    channels_last: bool = False

    def to(self, device: torch.device, precision: Precision) -> ImageTask:
        moved = {f"{k}_{s}": t.to(device) for s in self.data.splits() for k, t in zip("xy", self.data.split(s))}
        if precision.channels_last:
            moved = {k: t.contiguous(memory_format=torch.channels_last) if k.startswith("x") else t for k, t in moved.items()}
        data = ImageData(num_classes=self.data.num_classes, name=self.data.name, **moved)
        return ImageTask(data, precision.channels_last)

    def train_size(self) -> int:
        return len(self.data.y_train)

    def splits(self) -> tuple[str, ...]:
        return self.data.splits()

    def train_batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        order = torch.randperm(self.train_size(), generator=generator).to(self.data.x_train.device)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            yield (self.data.x_train[idx],), self.data.y_train[idx], slice(None)

    def eval_batches(self, split: str, batch_size: int) -> Iterator[Batch]:
        x, y = self.data.split(split)
        for start in range(0, len(y), batch_size):
            yield (x[start : start + batch_size],), y[start : start + batch_size], slice(None)


@dataclass(frozen=True)
class NodeTask:
    """Full-graph steps on a PyG ``Data``: one step per epoch, loss on the training nodes."""

    data: Any

    def to(self, device: torch.device, precision: Precision) -> NodeTask:
        return NodeTask(self.data.to(device))

    def train_size(self) -> int:
        return int(self.data.train_mask.sum())

    def splits(self) -> tuple[str, ...]:
        return ("train", "val") + (("test",) if getattr(self.data, "test_mask", None) is not None else ())

    def _batch(self, split: str) -> Batch:
        mask = getattr(self.data, f"{split}_mask")
        return (self.data.x, self.data.edge_index), self.data.y[mask], mask

    def train_batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        yield self._batch("train")

    def eval_batches(self, split: str, batch_size: int) -> Iterator[Batch]:
        yield self._batch(split)


TASKS: Registry[type] = Registry("task")
TASKS.register(IMAGE_TASK, lambda: ImageTask)
TASKS.register(NODE_TASK, lambda: NodeTask)


def make_task(task_name: str, data: Any) -> Task:
    return TASKS.get(task_name)(data)
