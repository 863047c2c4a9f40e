"""Conditioned generators: sample for a named condition or a learned embedding; save/load; errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nag import bench
from nag.errors import ConfigError
from nag.generator import Generator

GOOD, BAD = 400, 4000


@pytest.fixture(scope="module")
def nb201():
    return bench.load("nb201-cifar10")


@pytest.fixture(scope="module")
def conditioned(nb201):
    """nb201 archs under two conditions: the best 400 ("good") and the worst 4,000 ("bad")."""
    archs, acc = nb201.table("accuracy")
    order = np.argsort(-acc, kind="stable")
    good, bad = [archs[i] for i in order[:GOOD]], [archs[i] for i in order[-BAD:]]
    data = list(archs) + good + bad
    conditions = [None] * len(archs) + ["good"] * GOOD + ["bad"] * BAD
    weights = np.r_[np.full(len(archs), 0.5 / len(archs)), np.full(GOOD, 0.25 / GOOD), np.full(BAD, 0.25 / BAD)]
    return Generator.fit("nb201", data, weights, conditions=conditions, iterations=400)


def mean_accuracy(b, archs):
    return float(np.mean(b.query_many(archs, "accuracy")))


def test_a_condition_steers_the_samples_and_keeps_them_valid(conditioned, nb201):
    assert conditioned.config.conditions == ("bad", "good")
    good = conditioned.sample(200, seed=0, condition="good")
    plain = conditioned.sample(200, seed=0)
    bad = conditioned.sample(200, seed=0, condition="bad")
    assert mean_accuracy(nb201, good) > mean_accuracy(nb201, plain) + 2 > mean_accuracy(nb201, bad) + 4
    sharper = conditioned.sample(200, seed=0, condition="good", condition_scale=3.0)
    assert mean_accuracy(nb201, sharper) > mean_accuracy(nb201, good)
    assert all(a in set(conditioned.universe) for a in good + bad + sharper)


def test_an_embedding_learned_from_a_few_good_archs_acts_like_their_condition(conditioned, nb201):
    archs, acc = nb201.table("accuracy")
    few = [archs[i] for i in np.argsort(-acc, kind="stable")[:GOOD:20]]  # 20 of the 400 "good" archs
    embedding = conditioned.embed(few, iterations=150)
    assert embedding.shape == (conditioned.config.hidden,) and torch.isfinite(embedding).all()
    learned = conditioned.sample(200, seed=1, condition=embedding)
    assert mean_accuracy(nb201, learned) > mean_accuracy(nb201, conditioned.sample(200, seed=1)) + 2


def test_conditions_survive_save_and_load(conditioned, tmp_path):
    conditioned.save(tmp_path / "g")
    again = Generator.load(tmp_path / "g")
    assert again.config.conditions == conditioned.config.conditions
    assert again.sample(50, seed=3, condition="good") == conditioned.sample(50, seed=3, condition="good")


def test_condition_errors_are_clear(conditioned):
    with pytest.raises(ConfigError, match="unknown condition 'medium'; this generator knows: bad, good"):
        conditioned.sample(4, condition="medium")
    with pytest.raises(ConfigError, match=r"finite embedding of shape \(32,\)"):
        conditioned.sample(4, condition=torch.zeros(3))
    with pytest.raises(ConfigError, match="condition_scale"):
        conditioned.sample(4, condition="good", condition_scale=-1)
    plain = Generator.from_pretrained("nb201")
    with pytest.raises(ConfigError, match="fit without conditions"):
        plain.sample(4, condition="good")
    with pytest.raises(ConfigError, match="one name \\(or None\\) per arch"):
        Generator.fit("nb201", plain.universe[:3], conditions=["a"], iterations=1)
    from nag.generator.config import GeneratorConfig

    with pytest.raises(ConfigError, match="must be a list of names"):
        GeneratorConfig(conditions="cora")
    with pytest.raises(ConfigError, match="got no conditions="):
        Generator.fit("nb201", plain.universe[:3], config=GeneratorConfig(conditions=("x",), iterations=1))


def test_learning_an_embedding_leaves_the_network_as_the_user_set_it(conditioned):
    conditioned.denoiser.node_in.requires_grad_(False)
    before = {k: v.clone() for k, v in conditioned.denoiser.state_dict().items()}
    try:
        conditioned.embed(conditioned.universe[:5], iterations=3)
        assert not conditioned.denoiser.node_in.weight.requires_grad
        assert conditioned.denoiser.layers[0].qkv.weight.requires_grad
        assert all(torch.equal(before[k], v) for k, v in conditioned.denoiser.state_dict().items())
    finally:
        conditioned.denoiser.node_in.requires_grad_(True)


def test_the_shipped_dataset_generator_samples_for_each_nbgraph_dataset():
    generator = Generator.from_pretrained("nbgraph-datasets")
    cs = bench.load("nbgraph-cs")
    archs, values = cs.table("accuracy")  # test accuracy: the conditions were made from validation accuracy
    rank = dict(zip(archs, np.argsort(np.argsort(values, kind="stable"), kind="stable") / (len(archs) - 1)))
    conditioned = generator.sample(200, seed=0, condition="nbgraph-cs")
    plain = generator.sample(200, seed=0)
    sharper = generator.sample(200, seed=0, condition="nbgraph-cs", condition_scale=2.0)
    mean = lambda items: np.mean([rank[a] for a in items])  # noqa: E731
    assert mean(sharper) > mean(conditioned) > mean(plain) + 0.2
    assert len(generator.config.conditions) == 8 and "nbgraph-pubmed" in generator.config.conditions


def test_cli_sample_takes_a_condition(cli):
    code, out, _ = cli("sample", "space=nbgraph", "n=4", "condition=nbgraph-cs", "quiet=true")
    assert code == 0
    assert "conditioned on nbgraph-cs" in out and "4 archs in" in out
    code, _, err = cli("sample", "space=nbgraph", "n=4", "condition=nbgraph-mnist")
    assert code == 2
    assert "unknown condition 'nbgraph-mnist'" in err and len(err.strip().splitlines()) == 1


def test_cli_condition_on_a_space_without_a_conditioned_generator(cli):
    code, _, err = cli("sample", "space=nb201", "n=4", "condition=good")
    assert code == 2 and "no conditioned generator ships for space nb201" in err
