"""Datasets that need no download: bundled ones by name, the usual on-disk formats by path.

- ``"digits"``: scikit-learn's 1,797 real handwritten digits (8x8, 1 channel, 10 classes).
- ``"karate"``: PyG's KarateClub graph (34 nodes, 4 classes), node classification.
- a CIFAR-10 python-format folder (``data_batch_*`` and ``test_batch`` files).
- an ImageFolder: ``root/CLASS/*.png`` (or ``root/train/CLASS/...`` with ``root/val/...``).

Image splits are stratified and fixed by ``split_seed``; images are normalised per
channel with the training split's mean and std.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nag.build.limits import check_options
from nag.errors import BenchmarkDataError, ConfigError, DatasetError, UnknownNameError
from nag.registry import Registry
from nag.sources.safe_pickle import DEFAULT_ALLOWED, restricted_load
from nag.train.data import ImageData, stratified_split
from nag.type_checks import is_int, is_number

DATASETS: Registry[Callable[..., Any]] = Registry("dataset")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
#: the largest side an ImageFolder's images are resized to
MAX_RESOLUTION = 1024


def load_dataset(name_or_path: str | Path, **options: Any) -> Any:
    """A registered dataset by name, or a CIFAR-10 / ImageFolder directory by path.
    ``options`` go to its loader; one it does not take raises ``ConfigError`` naming those it does."""
    if isinstance(name_or_path, str) and name_or_path in DATASETS:
        loader, args = DATASETS.factory(name_or_path), ()
    elif Path(name_or_path).is_dir():
        path = Path(name_or_path)
        loader, args = (cifar10_folder if any(path.glob("data_batch_*")) else image_folder), (path,)
    else:
        raise UnknownNameError("dataset", str(name_or_path), DATASETS.names() + ["<CIFAR-10 folder>", "<ImageFolder>"])
    check_options(loader, options, f"dataset {Path(str(name_or_path)).name}", fixed=("path",))
    return loader(*args, **options)


def _check_split(resolution: int | None = None, **fractions: float) -> None:
    """``ConfigError`` unless the fractions (of images held out) are numbers in [0, 1) that
    leave a training split, and ``resolution`` (where given) is an int in 1..MAX_RESOLUTION."""
    for name, value in fractions.items():
        if not is_number(value) or not 0 <= value < 1:
            raise ConfigError(f"{name} must be a number in [0, 1), got {value!r}")
    if sum(fractions.values()) >= 1:
        raise ConfigError(f"{' + '.join(fractions)} must leave images to train on, got {sum(fractions.values()):g}")
    if resolution is not None and (not is_int(resolution) or not 1 <= resolution <= MAX_RESOLUTION):
        raise ConfigError(f"resolution must be an int in 1..{MAX_RESOLUTION}, got {resolution!r}")


def from_arrays(x: np.ndarray, y: np.ndarray, num_classes: int | None = None, name: str = "images",
                val_fraction: float = 0.15, test_fraction: float = 0.15, split_seed: int = 0) -> ImageData:  # fmt: skip
    """Images ``[N, C, H, W]`` (any numeric range) and labels, split and normalised."""
    _check_split(val_fraction=val_fraction, test_fraction=test_fraction)
    y = np.asarray(y, dtype=np.int64)
    parts = stratified_split(y, (1 - val_fraction - test_fraction, val_fraction), split_seed)
    return _normalised(x, y, dict(zip(("train", "val", "test"), parts)), num_classes or int(y.max()) + 1, name)


def _normalised(x: np.ndarray, y: np.ndarray, parts: dict[str, np.ndarray], num_classes: int, name: str) -> ImageData:
    x = np.asarray(x, dtype=np.float32)
    train = x[parts["train"]]
    mean = train.mean(axis=(0, 2, 3), keepdims=True)
    std = train.std(axis=(0, 2, 3), keepdims=True) + 1e-6
    for split in ("train", "val"):
        if len(parts.get(split, ())) == 0:
            raise DatasetError(
                f"{name}: the {split} split is empty ({len(y)} images); give more images per class or other split fractions"
            )
    tensors: dict[str, torch.Tensor] = {}
    for split, idx in parts.items():
        if len(idx):
            tensors[f"x_{split}"] = torch.from_numpy((x[idx] - mean) / std)
            tensors[f"y_{split}"] = torch.from_numpy(y[idx])
    return ImageData(num_classes=num_classes, name=name, **tensors)


@DATASETS.register("digits")
def digits(split_seed: int = 0) -> ImageData:
    """scikit-learn's bundled handwritten digits: 70% train, 15% val, 15% test."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise DatasetError("the digits dataset comes with scikit-learn: pip install scikit-learn") from e
    bunch = load_digits()
    return from_arrays(bunch.images[:, None], bunch.target, 10, name="digits", split_seed=split_seed)


@DATASETS.register("karate")
def karate(split_seed: int = 0) -> Any:
    """PyG's KarateClub (built in memory): its 4 labelled nodes train; the other 30
    are split evenly into validation and test nodes, stratified where classes allow."""
    from torch_geometric.datasets import KarateClub

    data = KarateClub()[0]
    rest = (~data.train_mask).nonzero().view(-1).numpy()
    val, test = stratified_split(data.y[rest].numpy(), (0.5,), split_seed)
    data.val_mask = torch.zeros(data.num_nodes, dtype=torch.bool)
    data.val_mask[rest[val]] = True
    data.test_mask = torch.zeros(data.num_nodes, dtype=torch.bool)
    data.test_mask[rest[test]] = True
    return data


# --------------------------------------------------------------------------- CIFAR-10
class _NDArray:
    """Stands for ``numpy.ndarray`` in a batch file: only :func:`_checked_reconstruct` takes it."""


def _checked_reconstruct(cls: Any, shape: Any, dtype: Any) -> np.ndarray:
    # numpy pickles an array as _reconstruct(ndarray, (0,), b"b") followed by __setstate__
    # carrying the real shape, dtype and bytes; the dtype there comes from safe_pickle's numeric-only dtype
    if cls is not _NDArray:
        raise DatasetError(f"refusing to unpickle an array of type {cls!r}")
    return np.ndarray.__new__(np.ndarray, (0,), np.uint8)


def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    # protocol-2 pickles written by Python 3 carry raw bytes as _codecs.encode(text, "latin1")
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise DatasetError(f"refusing _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


#: the only globals a CIFAR-10 batch may name: numeric numpy arrays (a batch cannot run code)
_CIFAR_GLOBALS = {
    **DEFAULT_ALLOWED,  # numeric dtypes and scalars
    ("_codecs", "encode"): _latin1_bytes,
    ("numpy.core.multiarray", "_reconstruct"): _checked_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _checked_reconstruct,
    ("numpy", "ndarray"): _NDArray,
}


def read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images ``[N, 3, 32, 32]`` uint8 and labels of one CIFAR-10 python batch file."""
    try:
        batch = restricted_load(path.read_bytes(), _CIFAR_GLOBALS, "a CIFAR-10 batch", encoding="bytes")
    except (DatasetError, BenchmarkDataError) as e:
        raise DatasetError(f"{path}: {e}") from None
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, MemoryError) as e:
        raise DatasetError(f"cannot read CIFAR-10 batch {path}: {type(e).__name__}: {e}") from e
    if not isinstance(batch, dict):
        raise DatasetError(f"{path} is not a CIFAR-10 batch (no dict inside)")
    batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise DatasetError(f"{path} has no 'data' and 'labels'; keys: {sorted(map(str, batch))}")
    data, labels = batch["data"], batch["labels"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8:
        raise DatasetError(f"{path}: data must be a uint8 array, got {getattr(data, 'dtype', type(data).__name__)}")
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise DatasetError(f"{path}: data must be [N, 3072] (one image per row), got {data.shape}")
    if not _is_label_list(labels, len(data)):
        raise DatasetError(f"{path}: labels must be a flat list of {len(data)} ints (one per image), got "
                           f"{type(labels).__name__} of length {len(labels) if hasattr(labels, '__len__') else 'none'}")  # fmt: skip
    return data.reshape(-1, 3, 32, 32), np.asarray(labels, dtype=np.int64)


def _is_label_list(labels: Any, n: int) -> bool:
    """Whether ``labels`` is ``n`` ints: a list of them or a 1-D integer array."""
    if isinstance(labels, np.ndarray):
        return labels.dtype.kind in "iu" and labels.shape == (n,)
    if not isinstance(labels, list) or len(labels) != n:
        return False
    return all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in labels)


def cifar10_folder(path: Path | str, val_fraction: float = 0.1, split_seed: int = 0) -> ImageData:
    """A CIFAR-10 python-format folder: ``data_batch_*`` train (a stratified
    ``val_fraction`` held out for validation), ``test_batch`` (if present) test."""
    _check_split(val_fraction=val_fraction)
    path = Path(path)
    files = sorted(path.glob("data_batch_*"))
    if not files:
        raise DatasetError(f"{path} holds no data_batch_* file (CIFAR-10 python format)")
    xs, ys = zip(*(read_cifar_batch(f) for f in files))
    x, y = np.concatenate(xs), np.concatenate(ys)
    train, val = stratified_split(y, (1 - val_fraction,), split_seed)
    parts = {"train": train, "val": val}
    if (path / "test_batch").is_file():
        x_test, y_test = read_cifar_batch(path / "test_batch")
        parts["test"] = np.arange(len(x), len(x) + len(x_test))
        x, y = np.concatenate([x, x_test]), np.concatenate([y, y_test])
    return _normalised(x, y, parts, 10, name=f"cifar10:{path.name}")


# ------------------------------------------------------------------------ ImageFolder
def _class_images(root: Path) -> dict[str, list[Path]]:
    classes = {
        d.name: sorted(f for f in d.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES) for d in sorted(root.iterdir()) if d.is_dir()
    }
    return {name: files for name, files in classes.items() if files}


def _read_images(files: list[Path], resolution: int) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    images = []
    for file in files:
        try:
            with Image.open(file) as image:
                images.append(np.asarray(image.convert("RGB").resize((resolution, resolution)), dtype=np.uint8))
        except (OSError, UnidentifiedImageError) as e:
            raise DatasetError(f"cannot read image {file}: {e}") from e
    return np.stack(images).transpose(0, 3, 1, 2)


def image_folder(path: Path | str, resolution: int = 32, val_fraction: float = 0.15, test_fraction: float = 0.15,
                 split_seed: int = 0) -> ImageData:  # fmt: skip
    """Images in one folder per class, resized to ``resolution``, as RGB. With ``train/``
    and ``val/`` (and optionally ``test/``) subfolders those splits are used as given;
    otherwise the images are split stratified by the fractions."""
    _check_split(resolution, val_fraction=val_fraction, test_fraction=test_fraction)
    path = Path(path)
    split_roots = {s: path / s for s in ("train", "val", "test") if (path / s).is_dir()}
    if "train" in split_roots and "val" in split_roots:
        per_split = {s: _class_images(r) for s, r in split_roots.items()}
        classes = sorted(per_split["train"])
    else:
        per_split, classes = {}, sorted(_class_images(path))
    if len(classes) < 2:
        raise DatasetError(
            f"{path}: an ImageFolder needs at least two class folders holding images ({', '.join(IMAGE_SUFFIXES)})"
        )
    index = {name: i for i, name in enumerate(classes)}
    if per_split:
        unknown = {c for files in per_split.values() for c in files} - set(index)
        if unknown:
            raise DatasetError(f"{path}: classes {sorted(unknown)} appear outside train/")
        chunks = {s: [(f, index[c]) for c, fs in files.items() for f in fs] for s, files in per_split.items()}
        order = [item for s in chunks for item in chunks[s]]
        bounds = np.cumsum([0] + [len(chunks[s]) for s in chunks])
        parts = {s: np.arange(bounds[i], bounds[i + 1]) for i, s in enumerate(chunks)}
    else:
        order = [(f, index[c]) for c, fs in _class_images(path).items() for f in fs]
    x = _read_images([f for f, _ in order], resolution)
    y = np.asarray([label for _, label in order], dtype=np.int64)
    if not per_split:
        names = ("train", "val", "test")
        parts = dict(zip(names, stratified_split(y, (1 - val_fraction - test_fraction, val_fraction), split_seed)))
    return _normalised(x, y, parts, len(classes), name=f"imagefolder:{path.name}")
