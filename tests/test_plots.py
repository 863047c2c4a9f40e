"""nag.plots: the Pareto front and best-so-far helpers on hand-checked cases; the plot
functions write valid PNG and SVG files and reject other suffixes."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from nag.errors import ConfigError
from nag.plots import (
    best_so_far,
    best_so_far_curves,
    curve_from_steps,
    improvement_steps,
    pad_curves,
    pareto_front,
    plot_best_so_far,
    plot_pareto,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- pareto_front


def test_pareto_front_minimize_x_maximize_y():
    #            0  1  2  3  4  5
    x = np.array([3, 1, 2, 4, 5, 2])
    y = np.array([5, 1, 4, 5, 6, 3])
    # (1,1) cheapest; (2,4) beats (2,3); (3,5); (4,5) is dominated by (3,5); (5,6) best.
    assert pareto_front(x, y).tolist() == [1, 2, 0, 4]


def test_pareto_front_ties_in_x_keep_only_the_best_y():
    x = [1, 1, 1, 2]
    y = [3, 5, 4, 5]  # (2,5) ties (1,5) in y with more x: dominated
    assert pareto_front(x, y).tolist() == [1]


def test_pareto_front_keeps_every_copy_of_a_duplicate_front_point():
    x = [2, 1, 2, 1, 3]
    y = [7, 5, 7, 5, 6]
    # (1,5) twice and (2,7) twice are on the front; (3,6) is dominated by (2,7).
    assert pareto_front(x, y).tolist() == [1, 3, 0, 2]


def test_pareto_front_other_directions():
    x = [1, 2, 3]
    y = [3, 2, 1]
    assert pareto_front(x, y).tolist() == [0]  # smallest x and largest y at once
    assert pareto_front(x, y, minimize_x=False).tolist() == [0, 1, 2]  # a trade-off: all three, by x
    assert pareto_front(x, y, maximize_y=False).tolist() == [0, 1, 2]
    assert pareto_front(x, y, minimize_x=False, maximize_y=False).tolist() == [2]  # largest x, smallest y
    assert pareto_front([1, 2], [1, 1], maximize_y=False).tolist() == [0]


def test_pareto_front_edge_cases():
    assert pareto_front([], []).tolist() == []
    assert pareto_front([5], [1]).tolist() == [0]
    assert pareto_front([1, np.nan, 2], [1, 9, np.nan]).tolist() == [0]  # NaNs never on the front
    with pytest.raises(ConfigError):
        pareto_front([1, 2], [1])


def test_pareto_front_matches_brute_force():
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 8, 60), rng.integers(0, 8, 60)  # many ties and duplicates
    brute = [i for i in range(60)
             if not any(x[j] <= x[i] and y[j] >= y[i] and (x[j] < x[i] or y[j] > y[i]) for j in range(60))]  # fmt: skip
    front = pareto_front(x, y)
    assert sorted(front.tolist()) == brute
    assert np.all(np.diff(x[front]) >= 0)


# --------------------------------------------------------------------------- best so far


def test_best_so_far_and_nan():
    assert best_so_far([3, 1, 5, 4]).tolist() == [3, 3, 5, 5]
    assert best_so_far([3, 1, 5, 0], maximize=False).tolist() == [3, 1, 1, 0]
    got = best_so_far([np.nan, 2, np.nan, 1])
    assert np.isnan(got[0]) and got[1:].tolist() == [2, 2, 2]


def test_pad_curves_holds_the_last_value_and_cuts():
    out = pad_curves([[1, 2, 3], [4], [5, 6]])
    assert out.tolist() == [[1, 2, 3], [4, 4, 4], [5, 6, 6]]
    assert pad_curves([[1, 2, 3], [4]], length=2).tolist() == [[1, 2], [4, 4]]
    with pytest.raises(ConfigError):
        pad_curves([])
    with pytest.raises(ConfigError):
        pad_curves([[1], []])


def test_best_so_far_curves_of_trajectories():
    out = best_so_far_curves([[1, 3, 2], [2, 1]], maximize=True)
    assert out.tolist() == [[1, 3, 3], [2, 2, 2]]
    out = best_so_far_curves([[1, 3, 2], [2, 1]], maximize=False, length=4)
    assert out.tolist() == [[1, 1, 1, 1], [2, 1, 1, 1]]


def test_improvement_steps_round_trip():
    curve = [1.0, 1.0, 2.0, 2.0, 2.0, 5.0, 5.0]
    steps = improvement_steps(curve)
    assert steps == [[1, 1.0], [3, 2.0], [6, 5.0]]
    assert curve_from_steps(steps, len(curve)).tolist() == curve
    assert curve_from_steps(steps, 9).tolist() == curve + [5.0, 5.0]  # the last value holds
    assert curve_from_steps(steps, 2).tolist() == [1.0, 1.0]
    nan_first = improvement_steps([np.nan, np.nan, 3.0])
    assert nan_first[1:] == [[3, 3.0]] and np.isnan(nan_first[0][1])
    assert improvement_steps([]) == []
    with pytest.raises(ConfigError):
        curve_from_steps([[2, 1.0]], 3)
    with pytest.raises(ConfigError):
        curve_from_steps([[1, 1.0], [1, 2.0]], 3)


def test_improvement_steps_of_a_real_search_trajectory():
    from nag import search, spaces

    space = spaces.get("nb201")
    score = lambda archs: [float(sum(space.to_tuple(a))) for a in archs]  # noqa: E731
    trajectory = search.run("random", score, space=space, budget=50, seed=0)
    steps = improvement_steps(trajectory.best_so_far)
    assert curve_from_steps(steps, len(trajectory)).tolist() == trajectory.best_so_far
    assert best_so_far(trajectory.values).tolist() == trajectory.best_so_far


# --------------------------------------------------------------------------- plot files


@pytest.fixture
def curves():
    rng = np.random.default_rng(0)
    return {
        "random": best_so_far_curves([rng.normal(size=200) for _ in range(5)]),
        "re": best_so_far_curves([rng.normal(0.5, 1, size=150) for _ in range(5)]),  # shorter: its own length
        "one run": best_so_far(rng.normal(size=100)),  # 1-D: a single run, no band
    }


def check_file(path):
    data = path.read_bytes()
    if path.suffix == ".png":
        assert data.startswith(PNG_SIGNATURE)
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert width > 100 and height > 100
    else:
        root = ET.fromstring(data)
        assert root.tag.endswith("svg")
    assert not list(path.parent.glob(".*.tmp"))  # the atomic write left nothing behind


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_plot_best_so_far_writes_a_valid_file(tmp_path, curves, suffix):
    pytest.importorskip("matplotlib")
    path = tmp_path / "sub" / f"search{suffix}"
    plot_best_so_far(curves, path, ylabel="accuracy", reference={"optimum": 3.0, "top 1%": 2.5}, title="t")
    check_file(path)
    minimized = {k: -np.asarray(v) for k, v in curves.items()}
    plot_best_so_far(minimized, path, ylabel="error", maximize=False, ylim=(None, 1.0))  # overwrites
    check_file(path)


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_plot_pareto_writes_a_valid_file(tmp_path, suffix):
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(0)
    params, acc = rng.random(300), rng.random(300)
    path = tmp_path / f"pareto{suffix}"
    plot_pareto(params, acc, path, highlight={"samples": (params[:10], acc[:10] + 0.1), "more": ([0.5], [0.5])},
                xlabel="params", ylabel="acc", title="t", logx=True, ylim=(0.2, None))  # fmt: skip
    check_file(path)


def test_plots_reject_other_suffixes_before_drawing(tmp_path, curves):
    for bad in ("plot.pdf", "plot", "plot.png.txt"):
        with pytest.raises(ConfigError, match=r"\.png, \.svg"):
            plot_best_so_far(curves, tmp_path / bad, ylabel="y")
        with pytest.raises(ConfigError):
            plot_pareto([1, 2], [1, 2], tmp_path / bad)
    assert not list(tmp_path.iterdir())


def test_plot_argument_errors(tmp_path):
    pytest.importorskip("matplotlib")
    with pytest.raises(ConfigError):
        plot_best_so_far({}, tmp_path / "a.png", ylabel="y")
    with pytest.raises(ConfigError):
        plot_best_so_far({"x": np.zeros((2, 3, 4))}, tmp_path / "a.png", ylabel="y")
    with pytest.raises(ConfigError):
        plot_pareto([1, 2], [1, 2], tmp_path / "a.png", highlight={"h": ([1, 2], [1])})
