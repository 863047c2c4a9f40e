"""Pareto fronts and multi-objective search: dominance, ranks and the exact hypervolume
against brute force, and searches whose fronts read the benchmark and the latency table."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nag import latency, search, spaces
from nag.errors import ConfigError
from nag.latency import Entry, LatencyTable
from nag.search.pareto import crowding, dominates, fronts, hypervolume, non_dominated

OBJECTIVES = [("accuracy", "max"), ("latency", "min")]


def integer_points(m: int):
    return st.lists(st.tuples(*[st.integers(0, 5)] * m), min_size=1, max_size=7).map(lambda p: np.array(p, dtype=float))


def grid_volume(points: np.ndarray, ref: int) -> int:
    """The number of unit cells of ``[0, ref)^m`` some point weakly dominates (exact for integer points)."""
    m = points.shape[1]
    return sum(any(np.all(p <= np.array(c)) for p in points) for c in itertools.product(range(ref), repeat=m))


@settings(max_examples=80, deadline=None, derandomize=True)
@given(points=st.one_of(integer_points(2), integer_points(3)))
def test_hypervolume_equals_brute_force_on_small_fronts(points):
    assert hypervolume(points, [6] * points.shape[1]) == pytest.approx(grid_volume(points, 6))


@settings(max_examples=80, deadline=None, derandomize=True)
@given(points=st.one_of(integer_points(2), integer_points(3)))
def test_non_dominated_and_ranks_agree_with_pairwise_dominance(points):
    keep = non_dominated(points)
    for i, p in enumerate(points):
        assert keep[i] == (not any(dominates(q, p) for q in points))
    rank = fronts(points)
    assert np.array_equal(rank == 0, keep)
    for i in range(len(points)):
        if rank[i] > 0:
            assert any(dominates(points[j], points[i]) for j in np.flatnonzero(rank == rank[i] - 1))


def test_points_outside_the_reference_add_nothing_and_extremes_are_most_crowded():
    points = np.array([[1.0, 4.0], [2.0, 2.0], [4.0, 1.0], [7.0, 0.0]])
    assert hypervolume(points, [5.0, 5.0]) == pytest.approx(1 * 1 + 2 * 3 + 1 * 4)
    assert hypervolume(np.array([[np.nan, 1.0]]), [5, 5]) == 0.0
    distance = crowding(points[:3])
    assert np.isinf(distance[0]) and np.isinf(distance[2]) and np.isfinite(distance[1])
    with pytest.raises(ConfigError, match="finite"):
        hypervolume(points, [np.inf, 1])


def _table(space):
    plan = space.latency_plan(1)
    entries = {k: Entry(0.1 + i / 50, 0.1 + i / 50, 0.1 + i / 50) for i, k in enumerate(plan.parts)}
    record = {"runtime": "torch", "batch": 1, "threads": 1, "warmup": 0, "repeats": 1, "statistic": "median", "options": {}}
    return LatencyTable(space.name, record, entries, Entry(1.0, 1.0, 1.0))


@pytest.mark.parametrize("strategy", ["random", "re", "diffusion"])
def test_pareto_search_reads_the_benchmark_and_the_table(strategy):
    from nag import bench as benchmarks

    space = spaces.get("nb201")
    table = _table(space)
    options = {"batch": 10, "candidates": 20, "epochs": 5} if strategy == "diffusion" else {}
    found = search.run(strategy, "nb201-cifar10", objectives=OBJECTIVES, latency_table=table, budget=25, seed=0, **options)
    assert len(found) == 25 and len(set(found.archs)) == 25
    values = np.array(found.values)
    assert np.allclose(values[:, 0], benchmarks.load("nb201-cifar10").query_many(found.archs, "accuracy"))
    assert np.allclose(values[:, 1], latency.predict(table, space, found.archs))
    front, front_values = found.front()
    assert 1 <= len(front) <= 25 and found.hypervolume([0.0, 100.0]) > found.hypervolume([0.0, 100.0], upto=1) > 0
    best_accuracy = values[:, 0].max()
    assert best_accuracy in front_values[:, 0]  # the most accurate arch found is on the front


def test_pareto_search_keeps_to_constraints_and_user_objectives():
    space = spaces.get("mbv3")
    table = _table(space)
    found = search.run("re", None, space=space, objectives=["params:min", "latency:min"], latency_table=table,
                       objective_metrics={"params": lambda archs: space.cost(archs, "params")}, budget=30, seed=1,
                       constraints={"flops": "<=3e8"})  # fmt: skip
    assert len(found) == 30 and (space.cost(found.archs, "flops") <= 3e8).all()
    assert np.allclose(np.array(found.values)[:, 0], space.cost(found.archs, "params"))


@pytest.mark.parametrize(
    "kwargs, message",
    [({"objectives": [("accuracy", "max")]}, "at least two"),
     ({"objectives": [("accuracy", "up"), ("latency", "min")]}, "'max'|'min'"),
     ({"objectives": OBJECTIVES}, "pass latency_table="),
     ({"objectives": OBJECTIVES, "latency_table": None, "population": 0}, "no option"),
     ({"objectives": [("accuracy", "max"), ("accuracy", "min")]}, "repeat a name")],
)  # fmt: skip
def test_bad_objectives_are_refused_with_a_clear_message(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        search.run("random", "nb201-cifar10", budget=5, **kwargs)


def test_cli_pareto_search_prints_the_front_and_its_hypervolume(cli, tmp_path):
    table = _table(spaces.get("nb201")).save(tmp_path / "lut.json")
    out = tmp_path / "front.json"
    code, text, _ = cli("search", "re", "objectives=[accuracy:max,latency:min]", f"latency_table={table}", "budget=30",
                        "reference=[0,100]", "quiet=true", f"out={out}")  # fmt: skip
    assert code == 0 and "hypervolume" in text and "reference [0.0, 100.0]" in text
    import json

    saved = json.loads(out.read_text())
    assert len(saved["archs"]) == 30 and saved["hypervolume"] > 0
    code, _, err = cli("search", "re", "objectives=[accuracy:max,latency:min]", "budget=30", "quiet=true")
    assert code == 2 and "latency_table=" in err
    code, _, err = cli("search", "re", "objectives=[accuracy:max,latency:min]", f"latency_table={table}", "reference=[1]")
    assert code == 2 and "reference needs 2 values" in err


def test_generate_front_returns_non_dominated_samples_under_constraints():
    from nag import Generator
    from nag.search.multi import generate_front

    space = spaces.get("mbv3")
    table = _table(space)
    gen = Generator.from_pretrained("mbv3")
    objectives = {"params": (lambda archs: space.cost(archs, "params"), "max"),
                  "latency": (lambda archs: latency.predict(table, space, archs), "min")}  # fmt: skip
    archs, values = generate_front(gen, objectives, n=16, weights=3, seed=0, constraints={"flops": "<=3e8"})
    assert archs and values.shape == (len(archs), 2) and (space.cost(archs, "flops") <= 3e8).all()
    assert non_dominated(np.c_[-values[:, 0], values[:, 1]]).all()
    np.testing.assert_allclose(values[:, 1], latency.predict(table, space, archs))
    with pytest.raises(ConfigError, match="at least 2 objectives"):
        generate_front(gen, {"params": objectives["params"]})
