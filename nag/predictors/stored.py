"""Reading a predictor's parts back from its checkpoint tensors, each checked, so a
corrupted or mismatched file raises :class:`~nag.errors.CheckpointError` naming it (and,
for the GP, writing them: :func:`gp_tensors` and :func:`load_gp` share its layout).

The tensors come from :func:`nag.checkpoint.load_checkpoint`, which has already refused
NaN and infinite values in every floating tensor; these functions check shapes, types and
the values each part needs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from nag.errors import CheckpointError
from nag.graph.paths import PATH_STATS
from nag.predictors.gp import PathGP
from nag.predictors.targets import Scaling


def load_centers(tensors: dict[str, Tensor], heads: int, width: int, source: Path) -> Tensor:
    """The fuzzy c-means centers ``[heads, width]``: one per head, in the embedding."""
    centers = tensors.get("centers")
    if centers is None:
        raise CheckpointError(f"{source} lacks tensor 'centers'")
    if not centers.is_floating_point() or tuple(centers.shape) != (heads, width):
        raise CheckpointError(f"{source}: tensor centers must be floating point of shape [{heads}, {width}] (one center per head "
                              f"in the embedding), got {centers.dtype} {tuple(centers.shape)}")  # fmt: skip
    return centers


def load_scaling(tensors: dict[str, Tensor], i: int, source: Path) -> Scaling:
    """The target scaling of metric ``i`` (knots; or mean and std in checkpoints made
    before knots existed)."""
    legacy = tensors.get("y_mean"), tensors.get("y_std")
    if f"targets.{i}.y" in tensors and f"targets.{i}.z" in tensors:
        y, z = tensors[f"targets.{i}.y"].double().numpy(), tensors[f"targets.{i}.z"].double().numpy()
    elif all(t is not None and t.ndim == 1 and i < len(t) for t in legacy):
        linear = Scaling.linear(float(tensors["y_mean"][i]), float(tensors["y_std"][i]))
        y, z = linear.y, linear.z
    else:
        raise CheckpointError(f"{source} lacks the target scaling of metric {i} (tensors targets.{i}.y / targets.{i}.z)")
    if y.ndim != 1 or y.shape != z.shape or len(y) < 2 or np.any(np.diff(y) <= 0) or np.any(np.diff(z) < 0) or z[-1] <= z[0]:
        raise CheckpointError(f"{source}: the target scaling of metric {i} is not increasing knots")
    return Scaling(y, z)


def load_path_scale(tensors: dict[str, Tensor], source: Path) -> tuple[Tensor, Tensor]:
    """The path statistics' standardisation (mean, std), checked."""
    width = len(PATH_STATS)
    if "paths.mean" not in tensors or "paths.std" not in tensors:
        raise CheckpointError(f"{source} lacks the path statistics' scale (tensors paths.mean / paths.std)")
    mean, std = tensors["paths.mean"].float(), tensors["paths.std"].float()
    if mean.shape != (width,) or std.shape != (width,) or not bool((std > 0).all()):
        raise CheckpointError(
            f"{source}: paths.mean / paths.std must be [{width}] with std > 0, got {tuple(mean.shape)} / {tuple(std.shape)}"
        )
    return mean, std


def gp_tensors(gp: PathGP, i: int) -> dict[str, Tensor]:
    """The checkpoint tensors of metric ``i``'s GP, read back by :func:`load_gp`. Its inputs
    are float32 path statistics and 0/1 adjacency rows, so both are stored exactly."""
    paths = len(PATH_STATS)
    tensors = {f"gp.{i}.x": torch.from_numpy(gp.x[:, :paths]).float(), f"gp.{i}.y": torch.from_numpy(gp.y),
               f"gp.{i}.params": torch.from_numpy(gp.params)}  # fmt: skip
    if gp.blocks is not None:  # 0/1 rows, eight to a byte
        tensors[f"gp.{i}.adjacency"] = torch.from_numpy(np.packbits(gp.x[:, paths:].astype(np.uint8), axis=1))
    if np.any(gp.alpha):
        tensors[f"gp.{i}.alpha"] = torch.from_numpy(gp.alpha)
    return tensors


def load_gp(tensors: dict[str, Tensor], i: int, source: Path, kernel: str, blocks: tuple[int, ...] | None = None) -> PathGP:
    """The GP of metric ``i`` (of the kernel named ``kernel``, on the column ``blocks`` of
    :class:`PathGP`), checked and rebuilt. Its inputs are the path statistics ``gp.i.x`` and,
    with blocks, the 0/1 adjacency encoding next to them (``gp.i.adjacency``: its bits, packed
    eight to a byte)."""
    names = [f"gp.{i}.x", f"gp.{i}.y", f"gp.{i}.params"] + ([f"gp.{i}.adjacency"] if blocks is not None else [])
    missing = [n for n in names if n not in tensors]
    if missing:
        raise CheckpointError(f"{source} lacks the GP of metric {i} (tensors {', '.join(missing)})")
    x, y, params = (tensors[n].double().numpy() for n in names[:3])
    n_params = 3 if blocks is None else 2 * len(blocks) + 1
    if (x.ndim != 2 or len(x) == 0 or x.shape[1] != len(PATH_STATS) or y.shape != (len(x),) or params.shape != (n_params,)
            or not np.all(params > 0)):  # fmt: skip
        raise CheckpointError(f"{source}: the GP of metric {i} has inputs {x.shape}, targets {y.shape}, kernel values {params.shape}; "
                              f"expected [n, {len(PATH_STATS)}] with n >= 1, [n], {n_params} positive values")  # fmt: skip
    if blocks is not None:
        packed, width = tensors[f"gp.{i}.adjacency"].numpy(), sum(blocks) - len(PATH_STATS)
        if packed.dtype != np.uint8 or packed.shape != (len(x), (width + 7) // 8):
            raise CheckpointError(f"{source}: gp.{i}.adjacency must be [{len(x)}, {(width + 7) // 8}] uint8 (the adjacency rows' "
                                  f"bits), got {packed.dtype} {packed.shape}")  # fmt: skip
        x = np.concatenate([x, np.unpackbits(packed, axis=1, count=width).astype(np.float64)], axis=1)
    alpha = tensors[f"gp.{i}.alpha"].double().numpy() if f"gp.{i}.alpha" in tensors else None  # extra noise of carried points
    if alpha is not None and (alpha.shape != y.shape or not np.all(np.isfinite(alpha) & (alpha >= 0))):
        raise CheckpointError(f"{source}: gp.{i}.alpha must be {len(y)} finite non-negative values (the carried points' extra noise), "
                              f"got shape {alpha.shape} with minimum {alpha.min() if alpha.size else 'none'}")  # fmt: skip
    return PathGP(x, y, params, kernel, alpha, blocks)
