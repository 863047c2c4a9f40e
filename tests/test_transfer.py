"""Fine-tuning keeps what the fitted predictor knew: the source GP's points carried as noisy
observations of the new task (nag.predictors.transfer)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scipy.stats import spearmanr

import nag.predictors.predictor as predictor_module
from nag import CheckpointError, bench
from nag.checkpoint import load_checkpoint, save_checkpoint
from nag.predictors import Predictor
from nag.predictors.gp import PathGP
from nag.predictors.transfer import MIN_RESIDUAL, carried_points

TINY = {"epochs": 30, "finetune_epochs": 10, "heads": 3, "hidden": 32}

pytestmark = pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True:UserWarning")


#: inputs of 10 new labels, none of them at a source point
NEW_X = np.full((10, 3), 9.0)


def source_gp(n: int = 12) -> PathGP:
    rng = np.random.default_rng(0)
    return PathGP(rng.normal(size=(n, 3)), rng.normal(size=n), np.array([1.0, 2.0, 0.1]), "matern32")


def test_carried_points_follow_the_line_from_old_to_new_units():
    gp = source_gp()
    prior = np.linspace(-1, 1, 10)
    z = 0.5 + 2.0 * prior + np.tile([0.3, -0.3], 5)
    x, y, alpha = carried_points(gp, prior, NEW_X, z)
    (a, b), *_ = np.linalg.lstsq(np.stack([np.ones(10), prior], 1), z, rcond=None)
    np.testing.assert_array_equal(x, gp.x)
    np.testing.assert_allclose(y, a + b * gp.y)
    residual = z - (a + b * prior)
    np.testing.assert_allclose(alpha, np.full(len(gp.y), residual @ residual / 8))


def test_exact_lines_still_carry_some_noise_and_old_noise_scales_with_the_slope():
    gp = source_gp()
    gp.alpha = np.full(len(gp.y), 0.2)
    prior = np.linspace(-1, 1, 10)
    _, _, alpha = carried_points(gp, prior, NEW_X, 3.0 * prior)
    np.testing.assert_allclose(alpha, 9.0 * 0.2 + MIN_RESIDUAL)


def test_nothing_is_carried_when_the_old_predictions_do_not_rise_with_the_new_labels():
    prior = np.linspace(-1, 1, 10)
    assert carried_points(source_gp(), prior, NEW_X, -prior) is None  # they fall
    assert carried_points(source_gp(), np.zeros(10), NEW_X, prior) is None  # they are constant
    assert carried_points(source_gp(), prior[:2], NEW_X[:2], prior[:2]) is None  # too few labels for a line


def test_source_points_at_a_new_label_give_way_to_it():
    gp = source_gp()
    prior = np.linspace(-1, 1, 10)
    x_new = NEW_X.copy()
    x_new[:2] = gp.x[[3, 7]]
    x, y, alpha = carried_points(gp, prior, x_new, prior)
    assert len(x) == len(gp.x) - 2
    assert not any((row == gp.x[3]).all() or (row == gp.x[7]).all() for row in x)


def test_extra_noise_is_in_the_targets_units():
    # scaling the targets by c and their extra noise by c**2 scales the prediction by c
    rng = np.random.default_rng(1)
    x, y, alpha = rng.normal(size=(8, 2)), rng.normal(size=8), rng.uniform(0, 0.5, 8)
    params = np.array([1.0, 1.5, 0.05])
    base = PathGP(x, y, params, alpha=alpha)
    scaled = PathGP(x, 10.0 * y + 3.0, params, alpha=100.0 * alpha)
    probe = rng.normal(size=(5, 2))
    np.testing.assert_allclose(scaled.predict(probe)[0], 10.0 * base.predict(probe)[0] + 3.0, rtol=1e-9)
    np.testing.assert_allclose(scaled.predict(probe)[1], 10.0 * base.predict(probe)[1], rtol=1e-9)
    plain = PathGP(x, y, params)
    assert not np.allclose(plain.predict(probe)[0], base.predict(probe)[0])


def test_gp_with_noisier_points_trusts_them_less():
    x = np.array([[0.0], [0.0]])
    y = np.array([1.0, -1.0])
    even = PathGP(x, y, np.array([1.0, 1.0, 1e-3]))
    tilted = PathGP(x, y, np.array([1.0, 1.0, 1e-3]), alpha=np.array([0.0, 10.0]))
    assert abs(even.predict(x[:1])[0][0]) < 1e-6
    assert tilted.predict(x[:1])[0][0] > 0.5


@pytest.fixture(scope="module")
def tasks():
    """nb201 accuracy (the source) and a noisy monotone transform of it (the new task)."""
    archs, acc = bench.load("nb201-cifar10").table("accuracy")
    rng = np.random.default_rng(0)
    new = -np.log(101.0 - acc) + rng.normal(0, 0.05, len(acc))
    idx = rng.permutation(len(archs))
    return archs, acc, new, idx[:80], idx[80:88], idx[100:1100]


def test_finetune_on_a_few_labels_keeps_the_source_knowledge(tasks, monkeypatch):
    archs, acc, new, source, few, test = tasks
    pick = lambda ids: [archs[i] for i in ids]  # noqa: E731
    fitted = Predictor(space="nb201", **TINY).fit(pick(source), acc[source])
    tuned = copy.deepcopy(fitted).finetune(pick(few), new[few])
    assert (
        len(few) + len(source) // 2 < len(tuned.gps[0].y) <= len(few) + len(source)
    )  # source points, less those at a new label's inputs
    monkeypatch.setattr(predictor_module, "carried_points", lambda *args: None)
    forgetful = copy.deepcopy(fitted).finetune(pick(few), new[few])
    assert len(forgetful.gps[0].y) == len(few)
    rho = lambda p: spearmanr(p.predict(pick(test))[0], new[test]).statistic  # noqa: E731
    assert rho(tuned) > rho(forgetful) + 0.03, (rho(tuned), rho(forgetful))  # 0.857 vs 0.787


def test_finetuning_twice_on_the_same_labels_does_not_count_them_twice(tasks):
    archs, acc, new, source, few, _ = tasks
    pick = lambda ids: [archs[i] for i in ids]  # noqa: E731
    once = Predictor(space="nb201", **TINY).fit(pick(source), acc[source]).finetune(pick(few), new[few])
    twice = copy.deepcopy(once).finetune(pick(few), new[few])
    assert len(once.gps[0].y) == len(twice.gps[0].y) > len(source) // 2 + len(few)


def test_predicting_nothing_gives_empty_arrays(tasks):
    archs, acc, _, source, _, _ = tasks
    p = Predictor(space="nb201", **TINY).fit([archs[i] for i in source[:20]], acc[source[:20]])
    mean, std = p.predict([])
    assert mean.shape == std.shape == (0,)


def test_finetuned_predictor_round_trips_with_its_carried_noise(tasks, tmp_path):
    archs, acc, new, source, few, test = tasks
    pick = lambda ids: [archs[i] for i in ids]  # noqa: E731
    tuned = Predictor(space="nb201", **TINY).fit(pick(source), acc[source]).finetune(pick(few), new[few])
    assert np.any(tuned.gps[0].alpha)
    tuned.save(tmp_path / "p")
    again = Predictor.load(tmp_path / "p")
    np.testing.assert_array_equal(again.gps[0].alpha, tuned.gps[0].alpha)
    for a, b in zip(tuned.predict(pick(test[:50])), again.predict(pick(test[:50]))):
        np.testing.assert_array_equal(a, b)
    tensors, config = load_checkpoint(tmp_path / "p", "predictor")
    tensors["gp.0.alpha"] = -tensors["gp.0.alpha"]
    save_checkpoint(tmp_path / "p", "predictor", tensors, config)
    with pytest.raises(CheckpointError, match="gp.0.alpha"):
        Predictor.load(tmp_path / "p")
