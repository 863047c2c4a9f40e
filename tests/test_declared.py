"""Declared spaces: counts, members, ranks, sampling and costs against brute force on
randomly declared small spaces; text round trips; clear errors."""

import itertools
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from nag.decision_diagram import DecisionDiagram
from nag.errors import ConfigError, InvalidArchitecture
from nag.spaces.declared import Choice, Cost, DeclaredSpace, Rule, repeat


@st.composite
def declarations(draw):
    """A small random declaration: 2-5 choices, conditions on earlier ones, rules, a cost."""
    n = draw(st.integers(2, 5))
    choices = []
    for i in range(n):
        k = draw(st.integers(1, 4))
        when = None
        if i > 0 and draw(st.booleans()):
            j = draw(st.integers(0, i - 1))
            earlier = choices[j]
            allowed = draw(st.lists(st.sampled_from(earlier.options), min_size=1, unique=True))
            when = {earlier.name: allowed}
        choices.append(Choice(f"c{i}", list(range(k)), when))
    rules = []
    for _ in range(draw(st.integers(0, 2))):
        a, b = draw(st.lists(st.sampled_from([c.name for c in choices]), min_size=2, max_size=2, unique=True))
        rules.append(draw(st.sampled_from([Rule.increasing(a, b), Rule.distinct(a, b), Rule.forbid({a: 0, b: 0})])))
    weights = draw(st.lists(st.integers(-3, 5), min_size=n, max_size=n))
    costs = [Cost("c", (c.name,), lambda v, w=w: 0.0 if v is None else float(w * (v + 1))) for c, w in zip(choices, weights)]
    costs.append(Cost.constant("c", 7))
    return choices, rules, costs


def brute_force(choices, rules, costs):
    """Every canonical member (option indices) and its cost, by listing the product."""
    members = {}
    for indices in itertools.product(*(range(len(c.options)) for c in choices)):
        present = []
        for c in choices:
            ok = True
            for name, allowed in (c.when or {}).items():
                j = next(i for i, d in enumerate(choices) if d.name == name)
                ok &= present[j] and choices[j].options[indices[j]] in allowed
            present.append(ok)
        canonical = tuple(i if p else 0 for i, p in zip(indices, present))
        values = {c.name: (c.options[i] if p else None) for c, i, p in zip(choices, canonical, present)}
        if all(r.fn(*(values[n] for n in r.over)) for r in rules):
            members[canonical] = sum(c.fn(*(values[n] for n in c.over)) for c in costs)
    return members


@settings(max_examples=80, deadline=None)
@given(declarations())
def test_counts_members_ranks_and_costs_equal_brute_force(declaration):
    choices, rules, costs = declaration
    expected = brute_force(choices, rules, costs)
    if not expected:
        with pytest.raises(ConfigError, match="no member"):
            DeclaredSpace("random", choices, rules, costs)
        return
    space = DeclaredSpace("random", choices, rules, costs)
    assert space.size == len(expected)
    listed = [a.choices for a in space.enumerate()]
    assert listed == sorted(expected)  # each canonical member once, in lexicographic order
    assert [space.rank(a) for a in space.enumerate()] == list(range(space.size))
    assert all(space.unrank(i).choices == row for i, row in enumerate(listed))
    costs_found = space.cost(list(space.enumerate()), "c")
    np.testing.assert_allclose(costs_found, [expected[row] for row in listed])
    assert space.diagram.cost_range("c") == (min(expected.values()), max(expected.values()))
    for arch in space.enumerate():
        assert space.from_str(space.to_str(arch)) == arch
        assert space.from_values(arch.as_dict()) == arch
        assert space.from_choices(arch.choices) == arch
    everything = itertools.product(*(range(len(c.options)) for c in choices))
    contained = space.diagram.contains(np.array(list(everything)))
    assert contained.sum() == space.size  # only canonical writings are members of the diagram


@settings(max_examples=60, deadline=None)
@given(declarations())
def test_batch_membership_equals_one_by_one_in_every_writing(declaration):
    choices, rules, costs = declaration
    if not brute_force(choices, rules, costs):
        return
    space = DeclaredSpace("random", choices, rules, costs)
    rows = np.array(list(itertools.product(*(range(len(c.options) + 1) for c in choices))))  # one past each range too
    rows = np.concatenate([rows, -rows[-1:] - 1])
    one_by_one = [space.contains_choices(row) for row in rows.tolist()]
    assert space.contains_rows(rows).tolist() == one_by_one
    assert sum(one_by_one) >= space.size  # absent choices may hold any option


@settings(max_examples=30, deadline=None)
@given(declarations(), st.integers(0, 2**32 - 1))
def test_cheapest_and_dearest_completion_equal_brute_force(declaration, seed):
    choices, rules, costs = declaration
    expected = brute_force(choices, rules, costs)
    if not expected:
        return
    space = DeclaredSpace("random", choices, rules, costs)
    low, high = space.diagram.cost_to_go("c")
    prefix_len = int(np.random.default_rng(seed).integers(0, len(choices) + 1))
    states, _ = space.diagram.walk(np.array(list(expected)))
    for row, state in zip(expected, states[:, prefix_len] if prefix_len < len(choices) else np.zeros(len(expected), int)):
        completions = [c for r, c in expected.items() if r[:prefix_len] == row[:prefix_len]]
        prefix_cost = sum(space.diagram.costs["c"][i][states[list(expected).index(row), i], row[i]] for i in range(prefix_len))
        assert np.isclose(prefix_cost + low[prefix_len][state], min(completions))
        assert np.isclose(prefix_cost + high[prefix_len][state], max(completions))


def stage_space():
    return DeclaredSpace("stages", [Choice("width", [16, 32]),
                                    *repeat("s1", [2, 3, 4], [Choice("k", [3, 5, 7]), Choice("e", [3, 4, 6])])])  # fmt: skip


def test_repeat_counts_each_depth_s_archs():
    assert stage_space().size == 2 * (9**2 + 9**3 + 9**4)


def test_sampling_is_uniform_over_archs_not_per_choice():
    """A uniform draw per choice would give depth 2 a third of the samples; uniform over archs
    gives it 81 / 7371 of them. Chi-square over every arch of a small space."""
    space = DeclaredSpace("small", repeat("s", [1, 2, 3], [Choice("k", [3, 5])]))
    assert space.size == 2 + 4 + 8
    counts = Counter(space.sample(14_000, seed=3))
    assert len(counts) == 14
    assert chisquare([counts[a] for a in space.enumerate()]).pvalue > 1e-3
    big = stage_space()
    shares = Counter(a["s1.depth"] for a in big.sample(20_000, seed=1))
    assert abs(shares[4] / 20_000 - 6561 / 7371) < 0.01


def test_sample_distinct_without_replacement_and_seeded():
    space = stage_space()
    drawn = space.sample_distinct(500, seed=4)
    assert len(set(drawn)) == 500
    assert drawn == space.sample_distinct(500, seed=4)
    small = DeclaredSpace("tiny", [Choice("a", [1, 2, 3])])
    assert sorted(small.sample_distinct(3, seed=0)) == list(small.enumerate())
    with pytest.raises(ConfigError, match="distinct"):
        small.sample_distinct(4, seed=0)


def test_text_form_is_strict_and_names_what_is_wrong():
    space = stage_space()
    arch = space.sample(1, seed=0)[0]
    text = space.to_str(arch)
    assert space.from_str("  " + text.replace(", ", ",") + " ") == arch
    depth = arch["s1.depth"]
    with pytest.raises(InvalidArchitecture, match="does not set"):
        space.from_str(text.rsplit(",", 1)[0])
    if depth < 4:
        with pytest.raises(InvalidArchitecture, match="does not exist"):
            space.from_str(text + f", s1.{depth}.k=3")
    for bad in ["", "width=16", "width = 17", "nosuch=1", text + ", width=16", None, 3]:
        with pytest.raises(InvalidArchitecture):
            space.from_str(bad)


def test_template_text_form():
    ops = ["none", "skip", "conv"]
    space = DeclaredSpace("cell", [Choice(f"e{i}", ops) for i in range(3)], text="|{e0}~0|+|{e1}~0|{e2}~1|")
    arch = space.from_str("|conv~0|+|skip~0|none~1|")
    assert arch.as_dict() == {"e0": "conv", "e1": "skip", "e2": "none"}
    assert space.to_str(arch) == "|conv~0|+|skip~0|none~1|"
    with pytest.raises(InvalidArchitecture):
        space.from_str("|con v~0|+|skip~0|none~1|")
    with pytest.raises(ConfigError, match="every choice"):
        DeclaredSpace("cell", [Choice("e0", ops)], text="{e0}{e1}")


def test_enumerate_refuses_large_spaces_and_archs_of_other_spaces():
    big = DeclaredSpace("big", [Choice(f"c{i}", range(10)) for i in range(8)])
    assert big.size == 10**8
    with pytest.raises(ConfigError, match="more than"):
        big.enumerate()
    other = stage_space().sample(1, seed=0)[0]
    with pytest.raises(InvalidArchitecture, match="not an arch of"):
        big.coerce(other)


def test_declaration_errors_are_config_errors():
    with pytest.raises(ConfigError, match="earlier"):
        DeclaredSpace("x", [Choice("a", [1], when={"b": [1]}), Choice("b", [1])])
    with pytest.raises(ConfigError, match="unknown"):
        DeclaredSpace("x", [Choice("a", [1, 2])], rules=[Rule.distinct("a", "zz")])
    with pytest.raises(ConfigError, match="twice"):
        Choice("a", [1, 1])
    with pytest.raises(ConfigError, match="unique"):
        DeclaredSpace("x", [Choice("a", [1]), Choice("a", [2])])
    with pytest.raises(ConfigError, match="no member"):
        DeclaredSpace(
            "x", [Choice("a", [1, 2]), Choice("b", [1, 2])], rules=[Rule.increasing("a", "b"), Rule.increasing("b", "a")]
        )
    with pytest.raises(ConfigError, match="failed"):
        DeclaredSpace("x", [Choice("a", [1, 2])], costs=[Cost("c", ("a",), lambda a: 1 / 0)])


def test_product_and_rows_diagrams():
    d = DecisionDiagram.product([5] * 6)
    assert d.size == 15625 and d.unrank(d.size - 1) == (4,) * 6
    rows = np.array([r for r in itertools.product(range(3), repeat=4) if r[0] < r[1]])
    t = DecisionDiagram.from_rows(rows, [3] * 4)
    assert list(t.enumerate()) == [tuple(r) for r in rows]
    assert t.contains(np.array([[0, 1, 2, 2], [1, 0, 0, 0]])).tolist() == [True, False]


def test_exact_sizes_beyond_int64():
    space = DeclaredSpace("wide", [c for s in range(5) for c in repeat(f"s{s}", [2, 3, 4], [Choice("k", [3, 5, 7]),
                                                                                          Choice("e", [3, 4, 6])])])  # fmt: skip
    assert space.size == 7371**5
    arch = space.unrank(space.size - 1)
    assert space.rank(arch) == space.size - 1
    assert space.from_str(space.to_str(arch)) == arch
