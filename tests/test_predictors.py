"""nag.Predictor (fit, predict, finetune, checkpoints, errors) and its parts: fuzzy c-means
membership, the losses, and the one-hot baselines."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from torch import nn

import nag.graph
from nag import CheckpointError, ConfigError, bench, spaces
from nag.encoder import Encoder
from nag.predictors import Predictor
from nag.predictors.baselines import BASELINES, GBDTBaseline, MLPBaseline, OneHotBaseline, onehot
from nag.predictors.baselines import make as make_baseline
from nag.predictors.losses import pairwise_rank_loss, weighted_mse
from nag.predictors.membership import fuzzy_cmeans, memberships
from nag.predictors.predictor import PRETRAINED_DIR

TINY = {"epochs": 30, "finetune_epochs": 10, "heads": 3, "hidden": 32}

pytestmark = [
    pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True:UserWarning"),
    pytest.mark.filterwarnings("ignore:Stochastic Optimizer"),  # sklearn ConvergenceWarning
]


@pytest.fixture(scope="module")
def space():
    return spaces.get("nb201")


@pytest.fixture(scope="module")
def table():
    archs, acc = bench.load("nb201-cifar10").table("accuracy")
    _, params = bench.load("nb201-cifar10").table("params")
    return archs, acc, params


@pytest.fixture(scope="module")
def split(table):
    """60 labelled archs and 500 held-out ones."""
    archs, acc, params = table
    idx = np.random.default_rng(0).permutation(len(archs))
    train, test = idx[:60], idx[60:560]
    pick = lambda ids: ([archs[i] for i in ids], acc[ids], params[ids])  # noqa: E731
    return pick(train), pick(test)


def make(space, **fields) -> Predictor:
    return Predictor(encoder=None, space=space, **{**TINY, **fields})


@pytest.fixture(scope="module")
def fitted(space, split):
    (archs, acc, _), _ = split
    return make(space).fit(archs, acc)


def small_convnet_graph():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(4, 2))  # fmt: skip
    return nag.graph.from_module(model.eval(), torch.randn(1, 3, 8, 8))


def encoder_state(predictor: Predictor) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in predictor.encoder.state_dict().items()}


def heads_state(predictor: Predictor) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in predictor.heads.state_dict().items()}


# ------------------------------------------------------------------ fit, predict
def test_predict_returns_mean_and_std(fitted, split):
    _, (test_archs, _, _) = split
    mean, std = fitted.predict(test_archs[:50])
    for array in (mean, std):
        assert isinstance(array, np.ndarray) and array.shape == (50,)
        assert np.all(np.isfinite(array))
    assert np.all(std >= 0)
    assert fitted.metrics == ["y"]


def test_predictions_are_in_label_units(fitted, split):
    (archs, acc, _), _ = split
    mean, _ = fitted.predict(archs)
    assert acc.min() <= mean.mean() <= acc.max()
    assert abs(mean.mean() - acc.mean()) < acc.std()
    assert np.corrcoef(mean, acc)[0, 1] > 0.5  # it learned the training labels


def test_ranks_held_out_archs_better_than_chance(fitted, split):
    _, (test_archs, test_acc, _) = split
    mean, _ = fitted.predict(test_archs)
    rho = spearmanr(mean, test_acc).correlation
    assert rho > 0.3, rho


def test_multi_metric(space, split):
    (archs, acc, params), (test_archs, _, _) = split
    predictor = make(space).fit(archs, {"accuracy": acc, "params": params})
    assert predictor.metrics == ["accuracy", "params"]
    mean, std = predictor.predict(test_archs[:20])
    assert set(mean) == set(std) == {"accuracy", "params"}
    for metric in ("accuracy", "params"):
        assert mean[metric].shape == std[metric].shape == (20,)
        assert np.all(np.isfinite(mean[metric])) and np.all(std[metric] >= 0)
    # each metric in its own units: params are ~1e5, accuracy below 100
    assert mean["params"].mean() > 1000 > 100 > mean["accuracy"].mean()


def test_metric_name(space, split):
    (archs, acc, _), _ = split
    predictor = make(space, epochs=2).fit(archs[:10], acc[:10], metric="acc")
    assert predictor.metrics == ["acc"]
    assert make(space, epochs=2).fit(archs[:10], acc[:10]).metrics == ["y"]


def test_same_seed_same_predictions(space, split):
    (archs, acc, _), (test_archs, _, _) = split
    torch.manual_seed(1)  # the global RNG must not matter, only the config's seed
    a = make(space, seed=7).fit(archs[:30], acc[:30]).predict(test_archs[:40])
    torch.manual_seed(2)
    torch.rand(5)
    b = make(space, seed=7).fit(archs[:30], acc[:30]).predict(test_archs[:40])
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_arch_strings_predict_like_archs(fitted, space, split):
    _, (test_archs, _, _) = split
    as_str = [space.to_str(a) for a in test_archs[:5]]
    assert np.array_equal(fitted.predict(as_str)[0], fitted.predict(test_archs[:5])[0])


# --------------------------------------------------------------------- graphs
def test_items_can_be_compgraphs(space, split):
    (archs, acc, _), _ = split
    graphs = [space.to_graph(a) for a in archs[:30]]
    predictor = Predictor(encoder=None, **TINY).fit(graphs, acc[:30])  # no space needed
    mean, std = predictor.predict([small_convnet_graph(), graphs[0]])
    assert mean.shape == (2,) and np.all(np.isfinite(mean)) and np.all(np.isfinite(std))
    assert predictor.predict(archs[:1])[0].shape == (1,)  # an arch object names its space
    with pytest.raises(ConfigError):
        predictor.predict([str(archs[0])])  # an arch string does not


# ---------------------------------------------------------------- checkpoints
def test_save_load_round_trip(fitted, split, tmp_path):
    _, (test_archs, _, _) = split
    directory = fitted.save(tmp_path / "pred")
    loaded = Predictor.load(directory)
    assert loaded.metrics == fitted.metrics
    assert loaded.space is not None and loaded.space.name == "nb201"
    assert loaded.config == fitted.config
    a, b = fitted.predict(test_archs[:30]), loaded.predict(test_archs[:30])
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_save_load_keeps_metric_names(space, split, tmp_path):
    (archs, acc, params), (test_archs, _, _) = split
    predictor = make(space, epochs=3).fit(archs[:10], {"accuracy": acc[:10], "params": params[:10]})
    loaded = Predictor.load(predictor.save(tmp_path / "multi"))
    assert loaded.metrics == ["accuracy", "params"]
    a, b = predictor.predict(test_archs[:5])[0], loaded.predict(test_archs[:5])[0]
    assert all(np.array_equal(a[m], b[m]) for m in ("accuracy", "params"))


def test_save_before_fit(space, tmp_path):
    with pytest.raises(ConfigError):
        make(space).save(tmp_path / "p")


def test_load_corrupted_checkpoint(fitted, tmp_path):
    directory = fitted.save(tmp_path / "pred")
    weights = directory / "weights.safetensors"
    weights.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(CheckpointError) as info:
        Predictor.load(directory)
    assert str(weights) in str(info.value)


def test_load_invalid_config(fitted, tmp_path):
    directory = fitted.save(tmp_path / "pred")
    path = directory / "config.json"
    config = json.loads(path.read_text())
    config["predictor"]["heads"] = 0
    path.write_text(json.dumps(config))
    with pytest.raises(CheckpointError) as info:
        Predictor.load(directory)
    assert str(path) in str(info.value)


def test_load_mismatched_heads(fitted, tmp_path):
    directory = fitted.save(tmp_path / "pred")
    path = directory / "config.json"
    config = json.loads(path.read_text())
    config["predictor"]["hidden"] = 64
    path.write_text(json.dumps(config))
    with pytest.raises(CheckpointError) as info:
        Predictor.load(directory)
    assert str(directory / "weights.safetensors") in str(info.value)


def test_load_encoder_checkpoint_is_wrong_kind(tmp_path):
    torch.manual_seed(0)
    directory = Encoder(hidden=16, layers=2, embed_dim=16).save(tmp_path / "enc")
    with pytest.raises(CheckpointError, match="encoder") as info:
        Predictor.load(directory)
    assert str(directory / "config.json") in str(info.value)


def test_load_missing_directory(tmp_path):
    with pytest.raises(CheckpointError) as info:
        Predictor.load(tmp_path / "nothing")
    assert str(tmp_path / "nothing") in str(info.value)


# ------------------------------------------------------------------ finetune
def test_finetune_heads_keeps_the_encoder(space, split):
    (archs, acc, _), _ = split
    predictor = make(space).fit(archs[:30], acc[:30])
    enc_before, heads_before = encoder_state(predictor), heads_state(predictor)
    predictor.finetune(archs[30:], acc[30:], mode="heads")
    for k, v in predictor.encoder.state_dict().items():
        assert torch.equal(v, enc_before[k]), k
    assert any(not torch.equal(v, heads_before[k]) for k, v in predictor.heads.state_dict().items())
    assert predictor.report["mode"] == "heads"


def test_finetune_full_changes_the_encoder(space, split):
    (archs, acc, _), _ = split
    predictor = make(space).fit(archs[:30], acc[:30], mode="heads")
    enc_before = encoder_state(predictor)
    predictor.finetune(archs[30:], acc[30:], mode="full")
    assert any(not torch.equal(v, enc_before[k]) for k, v in predictor.encoder.state_dict().items())


def test_fit_heads_mode_keeps_the_encoder(space, split):
    (archs, acc, _), _ = split
    predictor = make(space, epochs=5)
    before = encoder_state(predictor)
    predictor.fit(archs[:20], acc[:20], mode="heads")
    assert all(torch.equal(v, before[k]) for k, v in predictor.encoder.state_dict().items())


def test_finetune_renormalises_to_new_units(space, split):
    (archs, acc, _), (test_archs, _, _) = split
    predictor = make(space).fit(archs[:30], acc[:30])
    new = acc[30:] / 100.0  # accuracy as a fraction
    predictor.finetune(archs[30:], new, mode="heads")
    mean, _ = predictor.predict(test_archs[:50])
    assert new.min() - 0.2 <= mean.mean() <= new.max() + 0.2


def test_finetune_errors(space, split):
    (archs, acc, params), _ = split
    with pytest.raises(ConfigError):
        make(space).finetune(archs[:10], acc[:10])  # before fit
    predictor = make(space, epochs=2).fit(archs[:10], acc[:10], metric="acc")
    with pytest.raises(ConfigError):
        predictor.finetune(archs[:10], {"params": params[:10]})
    with pytest.raises(ConfigError):
        predictor.finetune(archs[:10], {"acc": acc[:10], "params": params[:10]})
    with pytest.raises(ConfigError, match="mode"):
        predictor.finetune(archs[:10], acc[:10], mode="encoder")
    with pytest.raises(ConfigError, match="mode"):
        make(space).fit(archs[:10], acc[:10], mode="partial")
    predictor.finetune(archs[:10], {"acc": acc[:10]}, epochs=2)  # the right name works


def test_user_encoder_is_never_modified(space, split):
    (archs, acc, _), _ = split
    torch.manual_seed(0)
    encoder = Encoder(hidden=16, layers=2, embed_dim=16)
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    predictor = Predictor(encoder=encoder, space=space, **TINY).fit(archs[:30], acc[:30], mode="full")
    predictor.finetune(archs[30:], acc[30:], mode="full")
    assert predictor.encoder is not encoder
    assert any(not torch.equal(v, before[k]) for k, v in predictor.encoder.state_dict().items())  # it did train a copy
    for k, v in encoder.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert all(p.requires_grad for p in encoder.parameters())


# --------------------------------------------------------------------- errors
def test_predict_before_fit(space, split):
    _, (test_archs, _, _) = split
    with pytest.raises(ConfigError, match="fit"):
        make(space).predict(test_archs[:3])


@pytest.mark.parametrize(
    "bad",
    [
        lambda a, y: (a, y[:-1]),  # length mismatch
        lambda a, y: (a, np.where(np.arange(len(y)) == 3, np.nan, y)),  # NaN
        lambda a, y: (a, np.where(np.arange(len(y)) == 3, np.inf, y)),  # inf
        lambda a, y: (a[:1], y[:1]),  # fewer than 2 items
        lambda a, y: ([], []),
        lambda a, y: (a, {}),  # no metric
        lambda a, y: (a, {"acc": y, "params": y[:-2]}),  # one metric too short
    ],
)
def test_fit_rejects_bad_labels(space, split, bad):
    (archs, acc, _), _ = split
    items, y = bad(archs[:10], acc[:10])
    with pytest.raises(ConfigError):
        make(space, epochs=2).fit(items, y)


def test_condition_errors(space, split):
    (archs, acc, _), _ = split
    items, y = archs[:10], acc[:10]
    with pytest.raises(ConfigError, match="condition"):
        make(space, epochs=2).fit(items, y, condition=np.zeros((10, 2)))
    conditioned = make(space, epochs=2, condition_dim=2)
    with pytest.raises(ConfigError, match="condition"):
        conditioned.fit(items, y)  # missing
    with pytest.raises(ConfigError, match="condition"):
        conditioned.fit(items, y, condition=np.zeros((10, 3)))
    with pytest.raises(ConfigError, match="condition"):
        conditioned.fit(items, y, condition=np.zeros((9, 2)))
    conditioned = make(space, epochs=2, condition_dim=2).fit(items, y, condition=np.zeros((10, 2)))
    with pytest.raises(ConfigError, match="condition"):
        conditioned.predict(items[:3])
    with pytest.raises(ConfigError, match="condition"):
        conditioned.predict(items[:3], condition=np.zeros(2))
    plain = make(space, epochs=2).fit(items, y)
    with pytest.raises(ConfigError, match="condition"):
        plain.predict(items[:3], condition=np.zeros((3, 2)))


def test_condition_changes_the_prediction(space, split):
    (archs, acc, _), (test_archs, _, _) = split
    rng = np.random.default_rng(0)
    condition = rng.normal(size=(30, 2))
    predictor = make(space, condition_dim=2).fit(archs[:30], acc[:30], condition=condition)
    a, std = predictor.predict(test_archs[:5], condition=np.zeros((5, 2)))
    b, _ = predictor.predict(test_archs[:5], condition=np.full((5, 2), 3.0))
    assert a.shape == (5,) and np.all(np.isfinite(a)) and np.all(std >= 0)
    assert not np.allclose(a, b)


def test_fit_with_fewer_labels_than_heads(space, split):
    (archs, acc, _), _ = split
    predictor = make(space, epochs=2, heads=5).fit(archs[:3], acc[:3])
    mean, _ = predictor.predict(archs[3:6])
    assert np.all(np.isfinite(mean))


@pytest.mark.parametrize("call", ["fit-condition", "fit-mode", "finetune-condition"])
def test_failed_call_leaves_a_fitted_predictor_alone(space, split, call):
    (archs, acc, _), (test_archs, _, _) = split
    predictor = make(space, epochs=5).fit(archs[:20], acc[:20])
    before = predictor.predict(test_archs[:5])[0]
    with pytest.raises(ConfigError):
        if call == "fit-condition":
            predictor.fit(archs[20:40], acc[20:40] * 0 + 5, condition=np.zeros((20, 2)))
        elif call == "fit-mode":
            predictor.fit(archs[20:40], acc[20:40], mode="bogus")
        else:
            predictor.finetune(archs[20:40], acc[20:40] * 100, condition=np.zeros((20, 2)))
    assert np.array_equal(predictor.predict(test_archs[:5])[0], before)


def test_unknown_encoder_argument(space):
    with pytest.raises(ConfigError):
        Predictor(encoder="best", space=space, **TINY)


# ------------------------------------------------------------------ membership
def test_memberships_rows_sum_to_one():
    torch.manual_seed(0)
    x, centers = torch.randn(20, 4), torch.randn(3, 4)
    u = memberships(x, centers, m=2.0)
    assert u.shape == (20, 3)
    assert torch.all(u >= 0)
    torch.testing.assert_close(u.sum(1), torch.ones(20))
    # nearer center -> larger membership
    assert torch.equal(u.argmax(1), torch.cdist(x, centers).argmin(1))


def test_membership_at_a_center_is_one():
    torch.manual_seed(0)
    centers = torch.randn(4, 3)
    u = memberships(centers[2:3].clone(), centers, m=2.0)
    assert u[0, 2] > 1 - 1e-6
    assert torch.all(u[0, [0, 1, 3]] < 1e-6)


def test_fuzzy_cmeans():
    torch.manual_seed(0)
    blobs = torch.cat([torch.randn(30, 2) * 0.1 + torch.tensor([5.0, 0.0]), torch.randn(30, 2) * 0.1 - torch.tensor([5.0, 0.0])])
    centers = fuzzy_cmeans(blobs, 2, seed=0)
    assert centers.shape == (2, 2)
    found = sorted(centers[:, 0].tolist())
    assert found[0] == pytest.approx(-5.0, abs=0.2) and found[1] == pytest.approx(5.0, abs=0.2)
    assert fuzzy_cmeans(torch.randn(3, 5), 8).shape == (3, 5)  # k capped at n
    assert torch.equal(fuzzy_cmeans(blobs, 2, seed=1), fuzzy_cmeans(blobs, 2, seed=1))


# ----------------------------------------------------------------------- losses
def test_pairwise_rank_loss_prefers_the_right_order():
    target = torch.tensor([1.0, 2.0, 3.0, 4.0])
    right = pairwise_rank_loss(target * 2, target)
    wrong = pairwise_rank_loss(-target * 2, target)
    assert right < wrong
    assert pairwise_rank_loss(target, torch.ones(4)) == 0  # ties weigh nothing
    # a weight of 0 removes the pairs of a mis-ranked element
    pred = torch.tensor([1.0, 2.0, 3.0, -10.0])
    weight = torch.tensor([1.0, 1.0, 1.0, 0.0])
    torch.testing.assert_close(pairwise_rank_loss(pred, target, weight), pairwise_rank_loss(pred[:3], target[:3]))


def test_weighted_mse():
    pred, target = torch.tensor([1.0, 2.0, 5.0]), torch.tensor([1.0, 3.0, 3.0])
    torch.testing.assert_close(weighted_mse(pred, target), torch.tensor(5.0 / 3.0))
    torch.testing.assert_close(weighted_mse(pred, target, torch.tensor([1.0, 1.0, 0.0])), torch.tensor(0.5))
    torch.testing.assert_close(weighted_mse(pred, target, torch.tensor([0.0, 1.0, 3.0])), torch.tensor(13.0 / 4.0))


# ---------------------------------------------------------------------- baselines
def test_onehot(space, split):
    (archs, _, _), _ = split
    x = onehot(space, archs[:10])
    assert x.shape == (10, 30)
    assert np.all(x.sum(1) == 6)
    assert np.all(x.reshape(10, 6, 5).sum(-1) == 1)  # one 1 per edge
    assert np.array_equal(onehot(space, [space.to_str(a) for a in archs[:10]]), x)
    # the column of each edge's op
    first = space.choices(archs[0])
    assert all(x[0, 5 * edge + c] == 1 for edge, c in enumerate(first))


def test_baselines(space, split):
    pytest.importorskip("sklearn")
    (archs, acc, _), (test_archs, test_acc, _) = split
    gbdt = GBDTBaseline(space, max_iter=30).fit(archs, acc)
    mlp = MLPBaseline(space, hidden_layer_sizes=(16,), max_iter=300).fit(archs, acc)
    ridge = make_baseline("ridge", space).fit(archs, acc)
    for model in (gbdt, mlp, ridge):
        mean, std = model.predict(test_archs[:40])  # the interface Predictor has: (mean, std)
        assert mean.shape == std.shape == (40,) and np.all(np.isfinite(mean)) and np.all(std >= 0)
    assert abs(mlp.predict(archs)[0].mean() - acc.mean()) < 0.5 * acc.std()  # back in the labels' units
    assert (ridge.predict(test_archs[:40])[1] > 0).all()  # Bayesian ridge says how unsure it is


def test_baselines_register_by_name_and_save_without_pickle(space, split, tmp_path):
    pytest.importorskip("sklearn")
    (archs, acc, _), (test_archs, _, _) = split
    assert BASELINES.names() == ["gbdt", "mlp", "ridge"]
    for name in BASELINES.names():
        model = make_baseline(name, space, seed=3, **({"max_iter": 30} if name != "ridge" else {})).fit(archs, acc)
        folder = model.save(tmp_path / name)
        assert [p.name for p in folder.iterdir()] == ["baseline.json"]
        back = OneHotBaseline.load(folder)
        assert type(back) is type(model)
        np.testing.assert_allclose(back.predict(test_archs[:20])[0], model.predict(test_archs[:20])[0])
    (tmp_path / "gbdt" / "baseline.json").write_text("{}")
    with pytest.raises(CheckpointError, match="not a saved baseline"):
        OneHotBaseline.load(tmp_path / "gbdt")
    with pytest.raises(ConfigError, match="not fitted"):
        make_baseline("ridge", space).predict(test_archs[:2])


def test_default_encoder_is_the_shipped_pretrained_one(space):
    shipped = Encoder.from_pretrained().state_dict()
    default = Predictor(space=space, **TINY).encoder.state_dict()
    assert default.keys() == shipped.keys() and all(torch.equal(default[k], shipped[k]) for k in shipped)
    fresh = Predictor(encoder="scratch", space=space, **TINY).encoder.state_dict()
    assert not all(torch.equal(fresh[k], shipped[k]) for k in shipped)


@pytest.mark.parametrize("name", ["nb201-cifar10", "nbgraph-citeseer"])
def test_shipped_predictor_reaches_the_figures_its_config_records(name):
    """``nag fit``'s split (seed 0: the first 500 of the permutation train, the next 5,000
    test), scored again from the shipped checkpoint."""
    predictor = Predictor.from_pretrained(name)
    config = json.loads((PRETRAINED_DIR / name / "config.json").read_text())
    archs, values = bench.load(config["bench"]).table("accuracy")
    order = np.random.default_rng(0).permutation(len(archs))
    test = order[500:5500]
    rho = spearmanr(predictor.predict([archs[i] for i in test])[0], values[test])[0]
    assert config["reached"]["test_archs"] == len(test)
    assert rho == pytest.approx(config["reached"]["spearman"], abs=1e-6)
