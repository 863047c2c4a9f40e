"""Target scalings of the predictor (nag.predictors.targets) and checkpoints saved before
they existed."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nag import CheckpointError, ConfigError, bench
from nag.checkpoint import load_checkpoint, save_checkpoint
from nag.predictors import Predictor
from nag.predictors.targets import SCALINGS, fit_scaling

# labels to 6 decimals: knots closer than float rounding (1e-125 apart) are not a real case
LABELS = arrays(np.float64, st.integers(2, 40), elements=st.floats(-1e4, 1e4, allow_nan=False).map(lambda v: round(v, 6)))


@pytest.mark.parametrize("name", SCALINGS.names())
@settings(max_examples=60, deadline=None)
@given(y=LABELS, probe=st.lists(st.floats(-1e5, 1e5, allow_nan=False).map(lambda v: round(v, 6)), min_size=2, max_size=20))
def test_scaling_round_trips_and_keeps_order(name, y, probe):
    scaling = fit_scaling(name, y)
    np.testing.assert_allclose(scaling.inverse(scaling.forward(y)), y, rtol=1e-9, atol=1e-6 * (1 + np.abs(y).max()))
    z = np.sort(np.asarray(probe))
    back = scaling.inverse(z)
    assert np.all(np.diff(back) >= 0)  # monotone, also beyond the outer knots


def test_gauss_gives_normal_scores_of_ranks():
    y = np.array([10.0, 93.0, 91.0, 92.0, 91.0])
    z = fit_scaling("gauss", y).forward(y)
    assert z[1] > z[3] > z[2] == z[4] > z[0]  # order kept, ties share a score
    assert z[1] == pytest.approx(-z[0])  # symmetric around 0
    distinct = fit_scaling("gauss", np.array([10.0, 91.0, 92.0, 93.0])).forward(np.array([10.0, 91.0, 92.0, 93.0]))
    # the outlier at 10 is one rank step below the bulk, as far as 93 is above 92
    assert distinct[1] - distinct[0] == pytest.approx(distinct[3] - distinct[2])


def test_standard_is_mean_and_std():
    y = np.array([1.0, 2.0, 3.0, 6.0])
    np.testing.assert_allclose(fit_scaling("standard", y).forward(y), (y - y.mean()) / y.std(ddof=1), atol=1e-12)


def test_constant_labels():
    for name in SCALINGS.names():
        scaling = fit_scaling(name, np.full(5, 7.0))
        assert scaling.inverse(scaling.forward(np.array([7.0]))) == pytest.approx([7.0])


def test_unknown_scaling_is_a_config_error():
    with pytest.raises(ConfigError, match="targets 'rank' is unknown; choose one of: gauss, standard"):
        Predictor(targets="rank")


@pytest.fixture(scope="module")
def labelled():
    archs, acc = bench.load("nb201-cifar10").table("accuracy")
    idx = np.random.default_rng(1).permutation(len(archs))[:40]
    return [archs[i] for i in idx], acc[idx]


TINY = {"epochs": 20, "heads": 2, "hidden": 16}


def test_predictions_stay_in_label_units_with_every_scaling(labelled):
    archs, acc = labelled
    for name in SCALINGS.names():
        mean, std = Predictor(space="nb201", targets=name, **TINY).fit(archs, acc).predict(archs)
        assert acc.min() - 5 * acc.std() < mean.min() and mean.max() < acc.max() + 5 * acc.std(), name
        assert np.all(std >= 0) and np.all(np.isfinite(std)), name


def test_checkpoint_saved_before_scalings_still_loads(labelled, tmp_path):
    """A checkpoint with ``y_mean`` / ``y_std`` and no ``targets`` field (made before target
    scalings) predicts as it did: standardised targets."""
    archs, acc = labelled
    p = Predictor(space="nb201", targets="standard", **TINY).fit(archs, acc)
    p.save(tmp_path / "new")
    tensors, config = load_checkpoint(tmp_path / "new", "predictor")
    scaling = p.scalings[0]
    mean, std = (scaling.y[0] + scaling.y[1]) / 2, (scaling.y[1] - scaling.y[0]) / 2
    tensors = {k: v for k, v in tensors.items() if not k.startswith("targets.")}
    tensors.update({"y_mean": torch.tensor([mean], dtype=torch.float32), "y_std": torch.tensor([std], dtype=torch.float32)})
    del config["predictor"]["targets"]
    save_checkpoint(tmp_path / "old", "predictor", tensors, config)
    old = Predictor.load(tmp_path / "old")
    assert old.config.targets == "standard"
    np.testing.assert_allclose(old.predict(archs)[0], p.predict(archs)[0], rtol=1e-5)


def test_checkpoint_without_scaling_is_rejected(labelled, tmp_path):
    archs, acc = labelled
    Predictor(space="nb201", **TINY).fit(archs, acc).save(tmp_path / "p")
    tensors, config = load_checkpoint(tmp_path / "p", "predictor")
    save_checkpoint(tmp_path / "bad", "predictor", {k: v for k, v in tensors.items() if not k.startswith("targets.0.z")}, config)
    with pytest.raises(CheckpointError, match="lacks the target scaling of metric 0"):
        Predictor.load(tmp_path / "bad")
    tensors["targets.0.y"] = tensors["targets.0.y"].flip(0)
    save_checkpoint(tmp_path / "bad2", "predictor", tensors, config)
    with pytest.raises(CheckpointError, match="not increasing knots"):
        Predictor.load(tmp_path / "bad2")
