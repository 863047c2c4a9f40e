"""Datasets without downloads: bundled digits and KarateClub, CIFAR-10 batches and ImageFolders on disk."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch

from nag import spaces
from nag.errors import DatasetError, UnknownNameError
from nag.train import build_for, from_arrays, load_dataset


def write_cifar_batch(path, n, seed, bytes_keys=True):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
    labels = [int(v) for v in np.arange(n) % 10]
    key = (lambda k: k.encode()) if bytes_keys else (lambda k: k)
    path.write_bytes(pickle.dumps({key("data"): data, key("labels"): labels, key("batch_label"): "x"}, protocol=2))
    return data, labels


def test_digits_split_is_stratified_normalised_and_fixed():
    a, b = load_dataset("digits"), load_dataset("digits")
    assert a.num_classes == 10 and a.in_channels == 1 and a.resolution == (8, 8)
    assert len(a.y_train) + len(a.y_val) + len(a.y_test) == 1797
    assert torch.equal(a.y_val, b.y_val) and torch.equal(a.x_test, b.x_test)
    assert abs(a.x_train.mean().item()) < 1e-4 and abs(a.x_train.std().item() - 1) < 0.01
    assert set(a.y_val.tolist()) == set(range(10))  # every class in every split
    assert not torch.equal(load_dataset("digits", split_seed=1).y_val, a.y_val)


def test_karate_club_has_disjoint_masks_over_all_nodes():
    data = load_dataset("karate")
    masks = torch.stack([data.train_mask, data.val_mask, data.test_mask]).int()
    assert masks.sum(0).eq(1).all()
    assert int(data.train_mask.sum()) == 4


def test_cifar10_folder_reads_python_batches(tmp_path):
    write_cifar_batch(tmp_path / "data_batch_1", 100, 0)
    write_cifar_batch(tmp_path / "data_batch_2", 100, 1, bytes_keys=False)
    x_test, _ = write_cifar_batch(tmp_path / "test_batch", 10, 2)
    data = load_dataset(tmp_path)
    assert data.num_classes == 10 and data.x_train.shape[1:] == (3, 32, 32)
    assert len(data.y_train) + len(data.y_val) == 200 and len(data.y_test) == 10
    assert torch.equal(data.y_val.bincount(), torch.full((10,), 2))  # a stratified tenth of the training batches
    # the test images are the test batch's pixels in order, only normalised (same affine map per channel)
    raw = x_test.reshape(-1, 3, 32, 32).astype(np.float32)
    got = data.x_test.numpy()
    for c in range(3):
        slope = np.polyfit(raw[:, c].ravel(), got[:, c].ravel(), 1)[0]
        np.testing.assert_allclose(got[:, c], (raw[:, c] - raw[:, c].mean()) * slope + got[:, c].mean(), atol=1e-3)


class Boom:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_a_cifar_batch_cannot_run_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "cifar"
    folder.mkdir()
    (folder / "data_batch_1").write_bytes(pickle.dumps({b"data": Boom(), b"labels": [0]}))
    with pytest.raises(DatasetError, match="does not unpickle"):
        load_dataset(folder)
    assert not (tmp_path / "pwned").exists()


def test_a_cifar_batch_of_objects_is_refused(tmp_path):
    (tmp_path / "data_batch_1").write_bytes(pickle.dumps({b"data": np.array([[None] * 3072], dtype=object), b"labels": [0]}))
    with pytest.raises(DatasetError, match="dtype"):
        load_dataset(tmp_path)


def test_too_few_images_for_a_split_is_a_dataset_error(tmp_path):
    for i in range(2):
        write_png(tmp_path / "a" / f"{i}.png", (255, 0, 0))
        write_png(tmp_path / "b" / f"{i}.png", (0, 0, 255))
    with pytest.raises(DatasetError, match="the val split is empty"):
        load_dataset(tmp_path)


def test_a_malformed_cifar_batch_is_named(tmp_path):
    (tmp_path / "data_batch_1").write_bytes(pickle.dumps({b"data": np.zeros((3, 10), np.uint8), b"labels": [0, 1, 2]}))
    with pytest.raises(DatasetError, match=r"data_batch_1: data must be \[N, 3072\]"):
        load_dataset(tmp_path)


def write_png(path, colour, size=(12, 10)):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)


def test_image_folder_with_one_folder_per_class(tmp_path):
    for i in range(8):
        write_png(tmp_path / "cats" / f"{i}.png", (200, 10, 10))
        write_png(tmp_path / "dogs" / f"{i}.png", (10, 10, 200))
    data = load_dataset(tmp_path, resolution=16)
    assert data.num_classes == 2 and data.x_train.shape[1:] == (3, 16, 16)
    assert len(data.y_train) + len(data.y_val) + len(data.y_test) == 16
    red_minus_blue = (data.x_train[:, 0] - data.x_train[:, 2]).mean((1, 2))
    assert ((red_minus_blue > 0) == (data.y_train == 0)).all()  # class 0 = "cats", the red ones


def test_image_folder_with_given_splits(tmp_path):
    for split, n in (("train", 4), ("val", 2)):
        for cls, colour in (("a", (255, 0, 0)), ("b", (0, 255, 0)), ("c", (0, 0, 255))):
            for i in range(n):
                write_png(tmp_path / split / cls / f"{i}.png", colour)
    data = load_dataset(tmp_path, resolution=8)
    assert data.num_classes == 3 and len(data.y_train) == 12 and len(data.y_val) == 6 and data.x_test is None


def test_bad_paths_and_folders_are_clear_errors(tmp_path):
    with pytest.raises(UnknownNameError, match="digits"):
        load_dataset("no-such-data")
    (tmp_path / "only").mkdir()
    write_png(tmp_path / "only" / "0.png", (0, 0, 0))
    with pytest.raises(DatasetError, match="at least two class folders"):
        load_dataset(tmp_path)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "0.png").write_bytes(b"not an image")
    with pytest.raises(DatasetError, match="cannot read image"):
        load_dataset(tmp_path)


def test_image_data_checks_shapes_and_labels():
    x, y = np.zeros((20, 1, 4, 4)), np.arange(20) % 2
    data = from_arrays(x, y)
    assert data.num_classes == 2
    with pytest.raises(DatasetError, match=r"labels must be int64 in \[0, 1\)"):
        from_arrays(x, y, num_classes=1)


def test_an_arch_is_built_to_fit_the_data_and_the_task():
    digits, karate = load_dataset("digits"), load_dataset("karate")
    net = build_for(spaces.get("nb201"), spaces.get("nb201").sample(1, seed=0)[0], digits, C=4, N=1)
    assert net(digits.x_train[:3]).shape == (3, 10)
    gnn = build_for(spaces.get("nbgraph"), "0,0,0,0:gcn,gcn,gcn,gcn", karate)
    assert gnn(karate.x, karate.edge_index).shape == (34, 4)
    with pytest.raises(DatasetError, match="builds image_classification models"):
        build_for(spaces.get("nb201"), spaces.get("nb201").sample(1, seed=0)[0], karate)
