"""Zero-cost proxies: finite, side-effect free, and they rank nb201 archs like their accuracy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from nag import bench, spaces
from nag.errors import ConfigError, UnknownNameError
from nag.proxies import space_proxies, zero_cost


def test_proxies_leave_the_model_as_it_was():
    torch.manual_seed(0)
    net = spaces.get("nb201").build(spaces.get("nb201").sample(1, seed=0)[0], C=4, N=1)
    net.eval()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    scores = zero_cost(net, torch.randn(8, 3, 16, 16))
    assert set(scores) == {"naswot", "synflow"} and all(np.isfinite(v) for v in scores.values())
    assert not net.training
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_proxies_rank_nb201_archs_with_their_accuracy():
    b = bench.load("nb201-cifar10")
    archs, acc = b.table("accuracy")
    pick = np.random.default_rng(0).choice(len(archs), 40, replace=False)
    scores = space_proxies(b.space, [archs[i] for i in pick], C=8, N=1)
    assert scores.shape == (40, 2)
    rho = [spearmanr(scores[:, j], acc[pick])[0] for j in range(2)]
    assert rho[0] > 0.5 and rho[1] > 0.5  # naswot and synflow (on all 15,625 archs: see CHANGELOG.md)


def test_proxy_errors():
    with pytest.raises(UnknownNameError, match="naswot"):
        zero_cost(torch.nn.Linear(2, 2), torch.zeros(1, 2), ["grasp"])
    with pytest.raises(ConfigError, match="image spaces"):
        space_proxies(spaces.get("nbgraph"), [])


def test_the_shipped_nb201_table_matches_fresh_scores_and_standardises():
    from nag.proxies import PROXY_NAMES, features, load_table

    space = spaces.get("nb201")
    rows, values = load_table("nb201")
    archs = space.all_archs()[:5]
    fresh = space_proxies(space, archs, PROXY_NAMES, **space.defaults.trace_options)
    np.testing.assert_allclose(fresh, values[[rows[a] for a in archs]])
    z = features(space, space.all_archs())
    assert z.shape == (15_625, 2) and np.isfinite(z).all()
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-9)
    with pytest.raises(ConfigError, match="no shipped proxy table"):
        load_table("nbgraph")


@pytest.mark.slow
def test_diffusion_search_can_feed_the_proxies_to_its_predictor():
    from nag import search
    from nag.generator import Generator

    b = bench.load("nb201-cifar10")
    traj = search.run("diffusion", b, metric="accuracy", budget=12, seed=0, generator=Generator.from_pretrained("nb201"),
                      initial=6, batch=3, candidates=16, epochs=5, guidance_archs=300, proxies=True)  # fmt: skip
    assert len(traj) == 12 and len(set(traj.archs)) == 12
    with pytest.raises(ConfigError, match="no shipped proxy table"):
        search.run("diffusion", "nbgraph-cora", budget=5, proxies=True)


def test_diffusion_search_warm_start_queries_the_best_proxy_votes_first():
    from nag import search
    from nag.generator import Generator
    from nag.proxies import prior

    b = bench.load("nb201-cifar10")
    gen = Generator.from_pretrained("nb201")
    options = {"generator": gen, "initial": 6, "batch": 3, "candidates": 16, "epochs": 5, "guidance_archs": 300}
    warm = search.run("diffusion", b, metric="accuracy", budget=6, seed=0, warm_start="proxies", warm_pool=2048, **options)
    cold = search.run("diffusion", b, metric="accuracy", budget=6, seed=0, warm_start="generator", **options)
    everything = prior(b.space, b.space.all_archs())
    assert len(set(warm.archs)) == 6
    # the top 6 of 2,048 draws sit in the space's top few percent by vote; plain draws do not
    assert np.all(prior(b.space, warm.archs) > np.quantile(everything, 0.95))
    assert np.median(prior(b.space, cold.archs)) < np.quantile(everything, 0.95)


def test_diffusion_search_uses_the_proxies_by_default_only_where_they_estimate_the_target():
    from nag import search
    from nag.search.diffusion import _proxies_fit, _resolve_proxies
    from nag.search.oracle import make_oracle

    b = bench.load("nb201-cifar10")
    assert _proxies_fit(make_oracle(b, "accuracy", None, 5, True, "diffusion"))
    assert _proxies_fit(make_oracle(b, None, None, 5, True, "diffusion"))  # accuracy is the default metric
    assert not _proxies_fit(make_oracle(b, "accuracy", None, 5, False, "diffusion"))  # minimising accuracy
    assert not _proxies_fit(make_oracle(b, "params", None, 5, True, "diffusion"))
    assert not _proxies_fit(make_oracle(lambda a: b.query_many(a, "accuracy"), None, "nb201", 5, True, "diffusion"))
    assert not _proxies_fit(make_oracle(bench.load("nbgraph-cora"), None, None, 5, True, "diffusion"))  # no table
    fits, plain = make_oracle(b, "accuracy", None, 5, True, "diffusion"), make_oracle(b, "params", None, 5, True, "diffusion")
    assert _resolve_proxies(fits, None, "auto") == (True, "proxies")
    assert _resolve_proxies(plain, None, "auto") == (False, "generator")
    assert _resolve_proxies(fits, False, "generator") == (False, "generator")  # the user's choice wins
    assert _resolve_proxies(plain, True, "proxies") == (True, "proxies")

    from nag.generator import Generator

    options = {"generator": Generator.from_pretrained("nb201"), "initial": 6, "budget": 6, "seed": 0, "warm_pool": 2048}
    # two rounds: the first batch (warm start) and a guided one (the predictor reads the proxies)
    looped = {**options, "budget": 9, "batch": 3, "candidates": 16, "epochs": 5, "guidance_archs": 300}
    default = search.run("diffusion", b, metric="accuracy", **looped)
    assert default.archs == search.run("diffusion", b, metric="accuracy", warm_start="proxies", proxies=True, **looped).archs
    objective = search.run("diffusion", lambda a: b.query_many(a, "accuracy"), space="nb201", **options)
    assert objective.archs == search.run("diffusion", b, metric="accuracy", warm_start="generator", **options).archs


def test_diffusion_search_warm_start_errors_before_any_query():
    from nag import search

    calls = []

    def fn(archs):
        calls.append(archs)
        return np.zeros(len(archs))

    with pytest.raises(ConfigError, match="warm_start must be one of auto, generator, proxies"):
        search.run("diffusion", fn, space="nb201", budget=5, warm_start="zc")
    with pytest.raises(ConfigError, match="warm_pool >= initial"):
        search.run("diffusion", fn, space="nb201", budget=5, warm_start="proxies", warm_pool=3)
    with pytest.raises(ConfigError, match="no shipped proxy table"):
        search.run("diffusion", "nbgraph-cora", budget=5, warm_start="proxies")
    assert calls == []
