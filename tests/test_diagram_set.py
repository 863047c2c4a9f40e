"""DiagramSet: the sampler's valid set for spaces too large to list. Against brute force
on randomly declared small spaces: every decoded row is a member meeting every cost bound,
no member meeting them is ruled out, membership agrees, and impossible bounds say the
space's minimum or maximum."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from test_declared import brute_force, declarations

from nag.diffusion import DiagramSet
from nag.errors import ConfigError
from nag.spaces.declared import Choice, Cost, DeclaredSpace


def _space(declaration) -> DeclaredSpace:
    choices, rules, costs = declaration
    return DeclaredSpace("random", choices, rules, costs)


def _uniform(diagram_set: DiagramSet, n: int) -> torch.Tensor:
    return diagram_set.slot_masks.double().expand(n, -1, -1).clone()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(declaration=declarations(), data=st.data())
def test_decoded_rows_meet_every_bound_and_none_is_ruled_out(declaration, data):
    members = brute_force(*declaration)
    if not members:
        return
    space = _space(declaration)
    costs = sorted(set(members.values()))
    bound = data.draw(st.sampled_from(costs))
    op = data.draw(st.sampled_from(["<=", ">=", "==", "<", ">"]))
    feasible = {row for row, cost in members.items() if {"<=": cost <= bound, ">=": cost >= bound, "==": cost == bound,
                                                         "<": cost < bound, ">": cost > bound}[op]}  # fmt: skip
    if not feasible:
        with pytest.raises(ConfigError, match="no architecture has c"):
            DiagramSet(space.diagram, [("c", op, bound)])
        return
    valid = DiagramSet(space.diagram, [("c", op, bound)])
    rows = valid.decode(_uniform(valid, 40 * len(feasible)), torch.Generator().manual_seed(0))
    drawn = {tuple(r) for r in rows.tolist()}
    assert drawn <= feasible
    assert drawn == feasible  # uniform options over 40 draws per member: each one is reached
    every = torch.tensor(sorted(members))
    assert valid.contains(every).tolist() == [tuple(r) in feasible for r in every.tolist()]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(declaration=declarations(), data=st.data())
def test_several_bounds_and_exclusions_hold_together(declaration, data):
    members = brute_force(*declaration)
    if not members:
        return
    space = _space(declaration)
    costs = sorted(set(members.values()))
    low, high = sorted(data.draw(st.lists(st.sampled_from(costs), min_size=2, max_size=2)))
    excluded = data.draw(st.lists(st.sampled_from(sorted(members)), max_size=3))
    feasible = {row for row, cost in members.items() if low <= cost <= high and row not in excluded}
    if not feasible:
        return
    valid = DiagramSet(
        space.diagram, [("c", ">=", low), ("c", "<=", high)], exclude=np.array(excluded).reshape(-1, len(space.choice_sizes()))
    )
    rows = valid.decode(_uniform(valid, 30 * len(feasible)), torch.Generator().manual_seed(1))
    drawn = {tuple(r) for r in rows.tolist()}
    assert drawn == feasible


def test_decoding_follows_the_model_where_it_may():
    space = DeclaredSpace("fixed", [Choice("a", [0, 1, 2]), Choice("b", [0, 1, 2])],
                          costs=[Cost("c", ("a",), float), Cost("c", ("b",), float)])  # fmt: skip
    valid = DiagramSet(space.diagram, [("c", "<=", 2)])
    probs = torch.zeros(200, 2, 3, dtype=torch.float64)
    probs[:, 0, 2] = 1.0  # the model wants a = 2, allowed (b = 0 completes it)
    probs[:, 1, 2] = 1.0  # ... and b = 2, which then breaks the bound: the draw falls back to what is allowed
    rows = valid.decode(probs, torch.Generator().manual_seed(0))
    assert set(map(tuple, rows.tolist())) == {(2, 0)}


def test_bounds_name_the_costs_and_the_reachable_range():
    space = DeclaredSpace("fixed", [Choice("a", [1, 2, 3])], costs=[Cost("params", ("a",), float)])
    with pytest.raises(ConfigError, match="the space's minimum params is 1"):
        DiagramSet(space.diagram, [("params", "<=", 0.5)])
    with pytest.raises(ConfigError, match="the space's maximum params is 3"):
        DiagramSet(space.diagram, [("params", ">", 3)])
    with pytest.raises(ConfigError, match="no cost 'latency'"):
        DiagramSet(space.diagram, [("latency", "<=", 1)])
    with pytest.raises(ConfigError, match="op must be one of"):
        DiagramSet(space.diagram, [("params", "=<", 1)])


def test_a_bound_no_row_can_meet_with_the_exclusions_is_a_clear_error():
    space = DeclaredSpace("fixed", [Choice("a", [1, 2, 3])], costs=[Cost("params", ("a",), float)])
    valid = DiagramSet(space.diagram, [("params", "<=", 1)], exclude=np.array([[0]]), max_redraws=3)
    with pytest.raises(ConfigError, match="found no arch meeting every bound outside the excluded archs in 4 draws"):
        valid.decode(_uniform(valid, 5))


@pytest.mark.parametrize("name, metric, bound", [("mbv3", "flops", 300e6), ("darts", "params", 3e6)])
def test_generator_samples_large_spaces_within_exact_bounds(name, metric, bound):
    from nag import Generator, spaces

    space = spaces.get(name)
    generator = Generator.fit(space, samples=300, iterations=20)
    assert generator.universe is None and generator.report["fitted_on"] == "300 uniform samples"
    archs = generator.sample(40, constraints={metric: f"<={bound}"}, seed=0)
    assert len(archs) == 40 and all(space.contains(a) for a in archs)
    assert (space.cost(archs, metric) <= bound).all()
    again = generator.sample(40, constraints={metric: f"<={bound}"}, seed=0)
    assert archs == again  # seeded
    low, _ = space.diagram.cost_range(metric)
    with pytest.raises(ConfigError, match=f"the space's minimum {metric} is"):
        generator.sample(5, constraints={metric: f"<={low / 2}"})
    excluded = generator.sample(10, exclude=archs[:20], seed=1)
    assert not set(excluded) & set(archs[:20])
    with pytest.raises(ConfigError, match="only 0 of .* drawn archs met"):
        generator.sample(3, constraints={"odd": ">=2"}, metrics={"odd": lambda a: np.ones(len(a))}, seed=0)
    with pytest.raises(ConfigError, match="has no analytic cost 'latency'"):
        generator.sample(3, constraints={"latency": "<=1"})
