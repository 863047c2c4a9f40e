"""nag.Generator: valid samples, constraints never violated, seeded and reloadable
sampling, guidance that moves samples the right way, and errors before any work."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nag import CheckpointError, ConfigError, bench, spaces
from nag.generator import Generator, GeneratorConfig, metrics
from nag.guidance import PredictorGuidance, RewardGuidance, weighted_sum
from nag.guidance.predictor import SCALES

TINY = GeneratorConfig(hidden=16, layers=1, heads=2, iterations=40, batch_size=64, steps=20, sample_steps=5)
CONV = {"nor_conv_3x3": 1.0, "nor_conv_1x1": 0.5}


def conv_score(archs):
    """A black-box score: how much convolution a cell holds."""
    return np.array([sum(CONV.get(op, 0.0) for op in a.ops) for a in archs])


class ConvPredictor:
    """Stands in for a fitted nag.Predictor: predict(archs) -> (mean, std)."""

    metrics = ["convs"]

    def predict(self, archs):
        return conv_score(archs), np.zeros(len(archs))


@pytest.fixture(scope="module")
def nb201_gen():
    return Generator.fit("nb201", config=TINY)


@pytest.fixture(scope="module")
def nbgraph_gen():
    return Generator.fit("nbgraph", config=TINY)


@pytest.fixture(scope="module")
def nb201_bench():
    return bench.load("nb201-cifar10")


def test_every_sample_is_a_member_and_raw_validity_is_reported(nb201_gen, nbgraph_gen):
    for gen in (nb201_gen, nbgraph_gen):
        archs = gen.sample(300, seed=0)
        assert len(archs) == 300 and metrics.validity(archs, gen.space) == 1.0
        assert all(gen.space.canonical(a) == a for a in archs)
        assert 0.0 <= gen.last["raw_validity"] <= 1.0


@pytest.mark.parametrize("iterations", [1, 2, 10, 11])
def test_fit_takes_any_number_of_iterations(iterations):
    gen = Generator.fit(
        "nb201",
        config=GeneratorConfig(hidden=8, layers=1, heads=2, iterations=iterations, batch_size=8, steps=10, sample_steps=2),
    )
    assert len(gen.report) and metrics.validity(gen.sample(5, seed=0), gen.space) == 1.0


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31), quantile=st.floats(0.02, 1.0), metric=st.sampled_from(["params", "flops"]))
def test_constraints_are_never_violated(nb201_gen, nb201_bench, seed, quantile, metric):
    bound = float(np.quantile(nb201_bench.values(metric), quantile))
    archs = nb201_gen.sample(64, constraints={metric: ("<=", bound)}, seed=seed)
    assert max(nb201_bench.query_many(archs, metric)) <= bound
    assert metrics.validity(archs, nb201_gen.space) == 1.0


def test_constraints_follow_each_user_function_not_a_stale_cache(nbgraph_gen):
    for op in ("gcn", "gat", "sage"):
        count = lambda archs, op=op: np.array([a.ops.count(op) for a in archs])  # noqa: E731
        archs = nbgraph_gen.sample(40, constraints={"n": (">=", 3)}, metrics={"n": count}, seed=0)
        assert min(count(archs)) >= 3


def test_fit_is_reproducible_from_the_config_seed():
    first, second = (Generator.fit("nb201", config=TINY).denoiser.state_dict() for _ in range(2))
    assert all(torch.equal(first[k], second[k]) for k in first)


@pytest.mark.parametrize(
    ("fields", "match"),
    [({"sample_steps": 200}, "cannot exceed"), ({"hidden": 30, "heads": 4}, "multiple of heads"), ({"layers": 0}, "layers"),
     ({"schedule": "sqrt"}, "unknown schedule")],
)  # fmt: skip
def test_generator_config_is_checked_before_any_work(fields, match):
    with pytest.raises(ConfigError, match=match):
        GeneratorConfig(**fields)


def test_constraints_accept_text_and_several_metrics(nb201_gen, nb201_bench):
    archs = nb201_gen.sample(100, constraints={"params": "<=6e5", "flops": (">", 5e7)}, seed=3)
    assert max(nb201_bench.query_many(archs, "params")) <= 6e5 and min(nb201_bench.query_many(archs, "flops")) > 5e7


def test_constraints_with_a_user_metric_function(nbgraph_gen):
    n_gcn = lambda archs: np.array([a.ops.count("gcn") for a in archs])  # noqa: E731
    archs = nbgraph_gen.sample(100, constraints={"gcn": (">=", 2)}, metrics={"gcn": n_gcn}, seed=0)
    assert min(n_gcn(archs)) >= 2


@pytest.mark.parametrize(
    ("constraints", "match"),
    [({"params": ("~", 1)}, "op one of"), ({"params": ("<=", "big")}, "not a number"), ({"nope": "<=1"}, "no metric 'nope'"),
     ({"params": ("<", 0)}, "no architecture satisfies"), (["params"], "mapping")],
)  # fmt: skip
def test_bad_constraints_are_rejected_before_sampling(nb201_gen, constraints, match):
    with pytest.raises(ConfigError, match=match):
        nb201_gen.sample(10, constraints=constraints)


def test_exclude_gives_only_novel_archs(nb201_gen, nb201_bench):
    train = nb201_gen.universe[::2]
    archs = nb201_gen.sample(300, exclude=train, seed=5)
    assert metrics.novelty(archs, train) == 1.0 and metrics.validity(archs, nb201_gen.space) == 1.0
    assert nb201_gen.last["raw_validity"] == 1.0  # measured against the space (every nb201 assignment is a cell)
    small = nb201_gen.sample(50, exclude=train, constraints={"params": "<=4e5"}, seed=5)
    assert not set(small) & set(train) and max(nb201_bench.query_many(small, "params")) <= 4e5
    with pytest.raises(ConfigError, match="no architecture"):
        nb201_gen.sample(5, exclude=nb201_gen.universe)


def test_bad_arguments_are_rejected(nb201_gen):
    with pytest.raises(ConfigError, match="n must be"):
        nb201_gen.sample(-1)
    with pytest.raises(ConfigError, match="guidance must be callable"):
        nb201_gen.sample(4, guidance="accuracy")
    with pytest.raises(ConfigError, match="weights"):
        Generator.fit("nb201", archs=nb201_gen.universe[:3], weights=[1, -1, 0], config=TINY)
    with pytest.raises(ConfigError, match="sample_steps"):
        nb201_gen.sample(4, sample_steps=1000)


def test_same_seed_same_samples_and_save_load_round_trip(nb201_gen, tmp_path):
    first = nb201_gen.sample(50, seed=7)
    assert nb201_gen.sample(50, seed=7) == first and nb201_gen.sample(50, seed=8) != first
    nb201_gen.save(tmp_path / "gen")
    loaded = Generator.load(tmp_path / "gen")
    assert loaded.sample(50, seed=7) == first
    assert loaded.config == nb201_gen.config


def test_checkpoint_errors_name_the_file(nb201_gen, tmp_path):
    nb201_gen.save(tmp_path / "gen")
    config = json.loads((tmp_path / "gen" / "config.json").read_text())
    (tmp_path / "gen" / "config.json").write_text(json.dumps({**config, "space": "nbgraph"}))
    with pytest.raises(CheckpointError, match="weights.safetensors|does not match"):
        Generator.load(tmp_path / "gen")
    from nag.checkpoint import load_checkpoint, save_checkpoint

    tensors, config = load_checkpoint(nb201_gen.save(tmp_path / "bad"), "generator")
    save_checkpoint(tmp_path / "bad", "generator", {**tensors, "marginals": tensors["marginals"] * 2}, config)
    with pytest.raises(CheckpointError, match="marginals"):
        Generator.load(tmp_path / "bad")
    (tmp_path / "gen" / "weights.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="weights.safetensors"):
        Generator.load(tmp_path / "gen")
    with pytest.raises(CheckpointError, match="no shipped generator"):
        Generator.from_pretrained("no-such-space")


def test_weights_skew_the_prior():
    space = spaces.get("nb201")
    archs = space.sample(200, seed=0)
    heavy = [3.0 if a.ops[0] == "nor_conv_3x3" else 0.01 for a in archs]
    gen = Generator(space, TINY)
    gen._set_marginals(gen.to_rows(archs), torch.tensor(heavy))
    conv3 = space.choices(space.from_ops(["nor_conv_3x3"] * 6))[0]
    assert gen.noise.marginals[0, conv3] > 0.9


def test_reward_guidance_raises_the_score(nb201_gen):
    plain = conv_score(nb201_gen.sample(100, seed=1)).mean()
    guided = conv_score(nb201_gen.sample(100, guidance=RewardGuidance(conv_score, candidates=4), seed=1)).mean()
    assert guided > plain + 0.5
    lower = conv_score(nb201_gen.sample(100, guidance=RewardGuidance(conv_score, candidates=4, maximize=False), seed=1))
    assert lower.mean() < plain - 0.5


def test_weighted_sum_combines_objectives(nb201_gen):
    n_pool = lambda archs: np.array([a.ops.count("avg_pool_3x3") for a in archs], dtype=float)  # noqa: E731
    score = weighted_sum([(conv_score, 1.0), (n_pool, 1.0)])
    archs = nb201_gen.sample(100, guidance=RewardGuidance(score, candidates=4), seed=2)
    assert np.allclose(score(archs), conv_score(archs) + n_pool(archs))
    assert score(archs).mean() > score(nb201_gen.sample(100, seed=2)).mean()
    with pytest.raises(ConfigError):
        weighted_sum([])


def test_predictor_guidance_calibrates_and_raises_the_prediction(nb201_gen):
    guide = PredictorGuidance(ConvPredictor(), archs=2000, iterations=150, calibration_samples=48)
    bound = guide.bind(nb201_gen)
    assert bound.scale > 0 and guide.calibration[bound.scale][0] > guide.calibration[0.0][0]
    plain = conv_score(nb201_gen.sample(200, seed=4)).mean()
    guided = conv_score(nb201_gen.sample(200, guidance=bound, seed=4)).mean()
    assert guided > plain + 0.5
    fixed = PredictorGuidance(ConvPredictor(), scale=4.0, archs=2000, iterations=150).bind(nb201_gen)
    assert fixed.scale == 4.0


def test_predictor_guidance_calibration_bisects_towards_the_uniqueness_floor(nb201_gen):
    guide = PredictorGuidance(ConvPredictor(), archs=2000, iterations=150, calibration_samples=48, min_unique=0.5)
    bound = guide.bind(nb201_gen)
    assert guide.calibration[bound.scale][1] >= 0.5
    grid = [s for s in SCALES if s in guide.calibration]
    low = max((s for s in grid if guide.calibration[s][1] >= 0.5), key=lambda s: guide.calibration[s][0])
    high = min(s for s in grid if s > low)
    assert guide.calibration[high][1] < 0.5  # the next grid scale lost too much uniqueness ...
    bisected = sorted(set(guide.calibration) - set(grid))
    assert len(bisected) == 3 and all(low < s < high for s in bisected)  # ... so the calibration looked between them
    assert low <= bound.scale < high
    guide.refine = 0  # binding again starts a fresh record: nothing of the first calibration stays
    assert guide.bind(nb201_gen).scale in SCALES and set(guide.calibration) <= set(SCALES)
    with pytest.raises(ConfigError, match="refine must be an integer >= 0"):
        PredictorGuidance(ConvPredictor(), refine=True)
    assert PredictorGuidance(ConvPredictor(), refine=0).bind(nb201_gen).scale in SCALES


class TailedPredictor(ConvPredictor):
    """The conv score, except that a fifth of the cells (those with an avg pool on the
    first edge) score -1000: a long tail like nb201's 10%-accuracy cells."""

    def predict(self, archs):
        score = conv_score(archs)
        return np.where([a.ops[0] == "avg_pool_3x3" for a in archs], -1000.0, score), np.zeros(len(archs))


def test_predictor_guidance_is_not_flattened_by_a_long_tail(nb201_gen):
    # the surrogate learns ranks, so a far tail does not squeeze the good archs together
    bound = PredictorGuidance(TailedPredictor(), scale=4.0, archs=2000, iterations=150).bind(nb201_gen)
    plain = nb201_gen.sample(200, seed=4)
    guided = nb201_gen.sample(200, guidance=bound, seed=4)
    assert conv_score(guided).mean() > conv_score(plain).mean() + 0.5


def test_predictor_guidance_rejects_bad_specs():
    with pytest.raises(ConfigError, match="fitted predictor"):
        PredictorGuidance(object())
    with pytest.raises(ConfigError, match="no metric"):
        PredictorGuidance(ConvPredictor(), metric="latency")
    with pytest.raises(ConfigError, match="scale"):
        PredictorGuidance(ConvPredictor(), scale=-1)


def test_metrics_of_a_batch(nb201_bench):
    space = spaces.get("nb201")
    a = space.sample(20, seed=0)
    assert metrics.uniqueness(a + a) == pytest.approx(len(set(a)) / 40)
    assert metrics.novelty(a, a[:10]) == pytest.approx(len(set(a) - set(a[:10])) / len(set(a)))
    rows = np.array([space.choices(x) for x in a])
    assert np.allclose(metrics.slot_total_variation(rows, rows, 5), 0)
    best, _ = nb201_bench.best("accuracy")
    q = metrics.quality([best] * 3, nb201_bench, "accuracy")
    assert q["top0.1%"] == 1.0 and q["best"] == q["mean"]
    assert metrics.validity(["not an arch", a[0]], space) == 0.5


@pytest.mark.slow
def test_diffusion_search_spends_the_budget_on_distinct_valid_archs(nb201_gen, nb201_bench):
    from nag import search

    traj = search.run("diffusion", nb201_bench, metric="accuracy", budget=16, seed=0, generator=nb201_gen,
                      initial=8, batch=4, candidates=32, epochs=5, guidance_archs=500)  # fmt: skip
    assert len(traj) == 16 and len(set(traj.archs)) == 16
    assert all(nb201_gen.space.contains(a) for a in traj.archs)
    assert traj.best[1] == max(nb201_bench.query_many(traj.archs, "accuracy"))
    with pytest.raises(ConfigError, match="batch"):
        search.run("diffusion", nb201_bench, budget=5, generator=nb201_gen, batch=0)
