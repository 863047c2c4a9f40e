"""Allowed-option restrictions and searches under hard constraints: every strategy proposes
only feasible archs, in small and large spaces, and the oracle refuses any other."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_declared import brute_force, declarations

from nag import Generator, search, spaces
from nag.errors import ConfigError, InvalidArchitecture
from nag.generator.feasible import FeasibleSpace, feasible
from nag.spaces.allowed import option_masks, permits
from nag.spaces.declared import DeclaredSpace

NO_POOL = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3"]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(declaration=declarations(), data=st.data())
def test_restricted_diagram_equals_brute_force_filter(declaration, data):
    choices, rules, costs = declaration
    members = brute_force(choices, rules, costs)
    if not members:
        return
    space = DeclaredSpace("random", choices, rules, costs)
    restricted = {c.name: data.draw(st.lists(st.sampled_from(c.options), min_size=1, unique=True)) for c in choices
                  if data.draw(st.booleans())}  # fmt: skip
    masks = option_masks(space, restricted)
    rows = np.array(sorted(members))
    kept = {tuple(r) for r, ok in zip(rows.tolist(), permits(space, masks, rows)) if ok}
    if not kept:
        with pytest.raises(ConfigError, match="keeps to the allowed options"):
            space.restricted_diagram(masks)
        return
    diagram = space.restricted_diagram(masks)
    assert set(diagram.enumerate()) == kept
    for name, values in restricted.items():  # absent choices are free, present ones keep to their options
        i = [c.name for c in choices].index(name)
        assert all(not p or choices[i].options[row[i]] in values for row in kept for p in [space.presence(row)[i]])


def test_generator_keeps_to_allowed_ops_in_nb201():
    generator = Generator.from_pretrained("nb201")
    archs = generator.sample(300, seed=0, allowed={"op": NO_POOL})
    assert not any("avg_pool_3x3" in a.ops for a in archs)
    assert len(generator.feasible_set(allowed={"op": NO_POOL})) == 4**6
    by_name = generator.feasible_set(allowed={"op3_2": ["none"], "op1_*": ["skip_connect"]})
    assert len(by_name) == 5**4
    assert generator.sample(5, seed=1) == generator.sample(5, seed=1)  # no restriction: as before


def test_large_space_restrictions_keep_absent_blocks_free():
    mbv3 = spaces.get("mbv3")
    generator = Generator(mbv3)  # unfitted: validity and restrictions never depend on the fit
    archs = generator.sample(60, seed=0, allowed={"k": [5, 7], "s1.depth": [2]}, constraints={"flops": "<=3.2e8"})
    for arch in archs:
        stages = mbv3.stages(arch)
        assert len(stages[0]) == 2
        assert all(k in (5, 7) for stage in stages for k, _ in stage)
    assert max(mbv3.cost(archs, "flops")) <= 3.2e8
    masks = option_masks(mbv3, {"k": [7]})
    assert mbv3.restricted_diagram(masks).size == (3**2 + 3**3 + 3**4) ** 5  # expand still free


@pytest.mark.parametrize("allowed, message", [
    ({"zz": ["none"]}, "names no choice of nb201"),
    ({"op": ["conv_9x9"]}, "are not options of op1_0"),
    ({"op": []}, "non-empty list"),
    ({"op": "none"}, "non-empty list"),
    (["op"], "must map choice names"),
])  # fmt: skip
def test_bad_restrictions_are_config_errors(allowed, message):
    with pytest.raises(ConfigError, match=message):
        Generator.from_pretrained("nb201").sample(3, allowed=allowed)


def test_no_feasible_arch_is_named():
    with pytest.raises(ConfigError, match="no arch of nb201 is feasible"):
        feasible(spaces.get("nb201"), {"params": "<=1"})
    with pytest.raises(ConfigError, match="minimum flops"):
        Generator(spaces.get("mbv3")).sample(2, constraints={"flops": "<=1e7"})


def _cost(space, metric):
    return lambda archs: space.cost(archs, metric) / 1e6


@pytest.mark.parametrize("strategy", ["random", "re", "local"])
def test_every_strategy_respects_constraints_in_large_spaces(strategy):
    mbv3 = spaces.get("mbv3")
    trajectory = search.run(strategy, _cost(mbv3, "params"), space=mbv3, budget=60, seed=0,
                            constraints={"flops": "<=2.9e8"}, allowed={"e": [3, 4]})  # fmt: skip
    archs = list(trajectory.archs)
    assert len(archs) == 60
    assert max(mbv3.cost(archs, "flops")) <= 2.9e8
    assert all(e in (3, 4) for a in archs for stage in mbv3.stages(a) for _, e in stage)


@pytest.mark.parametrize("strategy", ["random", "re", "local"])
def test_every_strategy_respects_constraints_in_listed_spaces(strategy):
    nb201 = spaces.get("nb201")
    trajectory = search.run(strategy, "nb201-cifar10", budget=80, seed=0, constraints={"params": "<=4e5"},
                            allowed={"op": NO_POOL})  # fmt: skip
    from nag import bench

    params = bench.load("nb201-cifar10").query_many(list(trajectory.archs), "params")
    assert max(params) <= 4e5
    assert not any("avg_pool_3x3" in a.ops for a in trajectory.archs)
    assert isinstance(search.feasible(nb201, {"params": "<=4e5"}), FeasibleSpace)


def test_the_oracle_refuses_an_infeasible_proposal():
    mbv3 = spaces.get("mbv3")
    heavy = max(mbv3.sample(200, seed=0), key=lambda a: mbv3.cost([a], "flops")[0])

    def stubborn(oracle, rng):  # a strategy that ignores the constraints
        oracle.query_many([heavy])

    search.register("stubborn-test", stubborn)
    with pytest.raises(InvalidArchitecture, match="not in the feasible archs"):
        search.run("stubborn-test", _cost(mbv3, "params"), space=mbv3, budget=5, constraints={"flops": "<=2.9e8"})


def test_tight_bounds_fall_back_to_decoding_and_stay_feasible():
    darts = spaces.get("darts")
    low = float(np.percentile(darts.cost(darts.sample(2000, seed=0), "params"), 0.5))
    view = feasible(darts, {"params": f"<={low}"})
    archs = view.sample(50, seed=3)
    assert max(darts.cost(archs, "params")) <= low
    assert view.sample(50, seed=3) == archs
    assert all(view.contains(a) for a in archs)


def test_non_additive_constraints_read_the_users_function():
    mbv3 = spaces.get("mbv3")
    depth = {"depth": lambda archs: np.array([sum(len(s) for s in mbv3.stages(a)) for a in archs], dtype=float)}
    trajectory = search.run("re", _cost(mbv3, "params"), space=mbv3, budget=30, seed=0,
                            constraints={"depth": "<=14"}, constraint_metrics=depth)  # fmt: skip
    assert max(depth["depth"](list(trajectory.archs))) <= 14
    with pytest.raises(ConfigError, match="no analytic cost 'depth'"):
        search.run("random", _cost(mbv3, "params"), space=mbv3, budget=3, constraints={"depth": "<=14"})


@pytest.mark.slow
@pytest.mark.parametrize("name, metric, bound", [("mbv3", "flops", 3e8), ("darts", "params", 3e6)])
def test_diffusion_search_under_constraints_with_the_shipped_generators(name, metric, bound):
    space = spaces.get(name)
    trajectory = search.run("diffusion", _cost(space, "params"), space=space, budget=18, seed=0,
                            constraints={metric: ("<=", bound)}, batch=6, initial=6, candidates=16, epochs=5,
                            guidance_archs=64)  # fmt: skip
    archs = list(trajectory.archs)
    assert len(archs) == 18 and len(set(archs)) == 18
    assert max(space.cost(archs, metric)) <= bound


@pytest.mark.parametrize("name", ["mbv3", "darts"])
def test_shipped_large_space_generators_sample_within_bounds_and_reload_the_same(name, tmp_path):
    space = spaces.get(name)
    generator = Generator.from_pretrained(name)
    assert generator.report["fitted_on"] == "20,000 uniform samples"
    bound = float(np.percentile(space.cost(space.sample(500, seed=0), "flops"), 10))
    archs = generator.sample(40, seed=5, constraints={"flops": ("<=", bound)})
    assert all(space.contains(a) for a in archs) and max(space.cost(archs, "flops")) <= bound
    generator.save(tmp_path / "g")
    assert Generator.load(tmp_path / "g").sample(40, seed=5, constraints={"flops": ("<=", bound)}) == archs


@pytest.mark.parametrize("name", ["nb201", "mbv3"])
def test_draw_archs_under_constraints_draws_distinct_feasible_archs(name):
    space = spaces.get(name)
    generator = Generator.from_pretrained(name)
    bound = float(np.percentile(space.cost(space.sample(500, seed=0), "params"), 20))
    archs = generator.draw_archs(300, seed=1, constraints={"params": ("<=", bound)})
    assert len(archs) >= 290 and len(set(archs)) == len(archs)
    assert max(space.cost(archs, "params")) <= bound
    assert generator.draw_archs(300, seed=1, constraints={"params": ("<=", bound)}) == archs


class _Params:
    """A predictor that knows each arch's analytic params."""

    metrics = ("params",)

    def __init__(self, space):
        self.space = space

    def predict(self, archs):
        values = self.space.cost(archs, "params")
        return values, np.zeros_like(values)


def test_predictor_guidance_under_a_budget_beats_uniform_feasible_archs():
    """The surrogate learns from feasible archs: guided to the most params under the median
    MACs budget, mbv3 samples hold more params than uniform archs under the same budget."""
    from nag.guidance import PredictorGuidance

    space, generator = spaces.get("mbv3"), Generator.from_pretrained("mbv3")
    uniform = space.sample(2000, seed=1)
    flops = space.cost(uniform, "flops")
    bound = float(np.median(flops))
    guide = PredictorGuidance(_Params(space), scale=32.0, archs=1024, iterations=200, seed=0)
    archs = generator.sample(100, seed=5, guidance=guide, constraints={"flops": ("<=", bound)})
    assert max(space.cost(archs, "flops")) <= bound
    assert space.cost(archs, "params").mean() > 1.1 * space.cost(uniform, "params")[flops <= bound].mean()
