"""Training data: image tensors with their splits, and node-classification graphs.

``ImageData`` holds float images ``[N, C, H, W]`` and integer labels per split.
Node classification uses a PyG ``Data`` with ``x``, ``edge_index``, ``y`` and boolean
``train_mask`` / ``val_mask`` (``test_mask`` optional), checked by :func:`check_node_data`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import torch

from nag import seeds
from nag.errors import DatasetError

IMAGE_TASK = "image_classification"
NODE_TASK = "node_classification"


@dataclass(frozen=True)
class ImageData:
    """Labelled images split into train / val (/ test).

    Shapes: ``x_*``: ``[N, C, H, W]`` float32; ``y_*``: ``[N]`` int64 in ``[0, num_classes)``.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    num_classes: int
    x_test: Optional[torch.Tensor] = None
    y_test: Optional[torch.Tensor] = None
    name: str = "images"

    task = IMAGE_TASK

    def __post_init__(self) -> None:
        for split in self.splits():
            x, y = self.split(split)
            if x.dim() != 4 or y.dim() != 1 or len(x) != len(y) or len(x) == 0:
                raise DatasetError(f"{self.name} {split}: need images [N, C, H, W] and labels [N] with N > 0, "
                                   f"got {tuple(x.shape)} and {tuple(y.shape)}")  # fmt: skip
            if x.shape[1:] != self.x_train.shape[1:]:
                raise DatasetError(
                    f"{self.name} {split}: image shape {tuple(x.shape[1:])} differs from train's {tuple(self.x_train.shape[1:])}"
                )
            if y.dtype != torch.int64 or int(y.min()) < 0 or int(y.max()) >= self.num_classes:
                raise DatasetError(f"{self.name} {split}: labels must be int64 in [0, {self.num_classes})")
        if (self.x_test is None) != (self.y_test is None):
            raise DatasetError(f"{self.name}: give both x_test and y_test, or neither")

    def splits(self) -> tuple[str, ...]:
        return ("train", "val") + (("test",) if self.x_test is not None else ())

    def split(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}")

    @property
    def in_channels(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def resolution(self) -> tuple[int, int]:
        return int(self.x_train.shape[2]), int(self.x_train.shape[3])

    def model_kwargs(self) -> dict[str, int]:
        """What an image search space's ``build`` needs to fit this data."""
        return {"num_classes": self.num_classes, "in_channels": self.in_channels}

    def describe(self) -> str:
        sizes = ", ".join(f"{s} {len(self.split(s)[1])}" for s in self.splits())
        return f"{self.name}: {self.num_classes} classes, images {self.in_channels}x{self.resolution[0]}x{self.resolution[1]} ({sizes})"


def check_node_data(data: Any, name: str = "graph") -> Any:
    """``data`` if it is a PyG ``Data`` ready for node classification, else ``DatasetError``."""
    for attr in ("x", "edge_index", "y", "train_mask", "val_mask"):
        if getattr(data, attr, None) is None:
            raise DatasetError(f"{name}: node classification needs data.{attr}")
    n = data.num_nodes
    for mask in ("train_mask", "val_mask", "test_mask"):
        value = getattr(data, mask, None)
        if value is not None and (value.dtype != torch.bool or value.shape != (n,) or not value.any()):
            raise DatasetError(f"{name}: {mask} must be a non-empty boolean mask over the {n} nodes")
    return data


def node_model_kwargs(data: Any) -> dict[str, int]:
    """What a node-classification space's ``build`` needs to fit ``data``."""
    return {"in_dim": int(data.x.shape[1]), "num_classes": int(data.y.max()) + 1}


def task_of(data: Any) -> str:
    """``"image_classification"`` or ``"node_classification"``; ``DatasetError`` for anything else."""
    if isinstance(data, ImageData):
        return IMAGE_TASK
    if getattr(data, "edge_index", None) is not None:
        check_node_data(data)
        return NODE_TASK
    raise DatasetError(f"cannot train on {type(data).__name__}: give nag.train.ImageData or a PyG Data with masks")


def model_kwargs(data: Any) -> dict[str, int]:
    return data.model_kwargs() if isinstance(data, ImageData) else node_model_kwargs(data)


def stratified_split(y: np.ndarray, fractions: tuple[float, ...], seed: int) -> list[np.ndarray]:
    """Indices of ``y`` split into parts of the given fractions (the last takes the rest),
    each class spread over the parts in proportion; the same for the same seed."""
    rng = seeds.rng(seed)
    parts: list[list[int]] = [[] for _ in range(len(fractions) + 1)]
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        cuts = np.cumsum([round(f * len(idx)) for f in fractions])
        for part, chunk in zip(parts, np.split(idx, cuts)):
            part.extend(chunk.tolist())
    return [np.sort(np.asarray(p, dtype=np.int64)) for p in parts]
