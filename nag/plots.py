"""Figures of search and generator runs: best-so-far curves over queries, accuracy-vs-cost
Pareto plots, and the small pure functions behind them.

The plot functions draw on a bare :class:`matplotlib.figure.Figure` (Agg rendering, no
pyplot state, never a window) and write PNG or SVG, chosen by the path's suffix,
atomically. matplotlib is imported only when a plot is drawn (``pip install nag[plots]``);
the pure functions need numpy only.

Example::

    from nag import bench, search
    from nag.plots import best_so_far_curves, plot_best_so_far

    b = bench.load("nb201-cifar10")
    runs = {s: [search.run(s, b, budget=300, seed=i).values for i in range(10)] for s in ("random", "re")}
    curves = {s: best_so_far_curves(v) for s, v in runs.items()}           # [seeds, queries] each
    plot_best_so_far(curves, "search.png", ylabel="test accuracy (%)", reference={"optimum": b.best()[1]})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nag.atomic_write import write_atomic
from nag.errors import ConfigError

#: Suffix -> matplotlib format of the files the plot functions write.
FORMATS: dict[str, str] = {".png": "png", ".svg": "svg"}


# --------------------------------------------------------------------------- pure functions


def pareto_front(x: Any, y: Any, minimize_x: bool = True, maximize_y: bool = True) -> np.ndarray:
    """Indices of the non-dominated points, sorted by ``x`` (ascending; ties by index).

    Point ``i`` is dominated when some ``j`` is at least as good in both coordinates and
    strictly better in one. Identical points therefore do not dominate each other: every
    copy of a front point is returned. Points with a NaN coordinate are never on the front.

    Args:
        x, y: 1-D arrays of equal length (e.g. params and accuracy).
        minimize_x: whether smaller ``x`` is better (default: fewest params).
        maximize_y: whether larger ``y`` is better (default: highest accuracy).

    Returns:
        An int array of indices into ``x`` / ``y``.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape:
        raise ConfigError(f"pareto_front needs two 1-D arrays of one length (got shapes {x.shape} and {y.shape})")
    cost_a = x if minimize_x else -x  # both coordinates as costs: smaller is better
    cost_b = -y if maximize_y else y
    finite = np.flatnonzero(~(np.isnan(cost_a) | np.isnan(cost_b)))
    order = finite[np.lexsort((cost_b[finite], cost_a[finite]))]  # by cost_a, then cost_b
    front: list[int] = []
    best_b = np.inf  # best cost_b among points with a strictly smaller cost_a
    start = 0
    while start < len(order):
        stop = start
        while stop < len(order) and cost_a[order[stop]] == cost_a[order[start]]:
            stop += 1
        group = order[start:stop]  # equal cost_a, sorted by cost_b
        group_best = cost_b[group[0]]
        if group_best < best_b:
            front.extend(int(i) for i in group if cost_b[i] == group_best)
            best_b = group_best
        start = stop
    front_arr = np.asarray(front, dtype=np.int64)
    return front_arr[np.lexsort((front_arr, x[front_arr]))] if len(front_arr) else front_arr


def best_so_far(values: Sequence[float], maximize: bool = True) -> np.ndarray:
    """The best value after each query, NaN values skipped (as in
    :class:`nag.search.Trajectory`): ``[3, 1, 5] -> [3, 3, 5]`` when maximizing."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1:
        raise ConfigError(f"best_so_far needs a 1-D sequence of values (got shape {values.shape})")
    filled = np.where(np.isnan(values), -np.inf if maximize else np.inf, values)
    best = np.maximum.accumulate(filled) if maximize else np.minimum.accumulate(filled)
    best[np.cumsum(~np.isnan(values)) == 0] = np.nan  # no value seen yet
    return best


def pad_curves(curves: Sequence[Sequence[float]], length: int | None = None) -> np.ndarray:
    """Stack best-so-far curves of different lengths into one ``[runs, length]`` array.

    A shorter curve (a search that ended early, e.g. because its space ran out) keeps its
    last value; a longer one is cut. ``length`` defaults to the longest curve.
    """
    if not len(curves):
        raise ConfigError("pad_curves needs at least one curve")
    arrays = [np.asarray(c, dtype=np.float64) for c in curves]
    if any(a.ndim != 1 or len(a) == 0 for a in arrays):
        raise ConfigError("pad_curves needs non-empty 1-D curves")
    length = max(len(a) for a in arrays) if length is None else int(length)
    if length < 1:
        raise ConfigError(f"pad_curves needs length >= 1 (got {length})")
    out = np.empty((len(arrays), length))
    for row, a in zip(out, arrays):
        n = min(len(a), length)
        row[:n], row[n:] = a[:n], a[n - 1]
    return out


def best_so_far_curves(runs: Sequence[Sequence[float]], maximize: bool = True, length: int | None = None) -> np.ndarray:
    """``[runs, length]`` best-so-far curves from each run's values in query order
    (:func:`best_so_far` of each run, then :func:`pad_curves`)."""
    return pad_curves([best_so_far(v, maximize) for v in runs], length)


def improvement_steps(curve: Sequence[float]) -> list[list[float]]:
    """A best-so-far curve as its steps ``[[query, value], ...]`` (query counted from 1):
    the first query and every query where the value changes. Compact for JSON: a search
    over 15,625 archs improves a few dozen times. Inverse: :func:`curve_from_steps`."""
    curve = np.asarray(curve, dtype=np.float64)
    if not len(curve):
        return []
    changed = np.flatnonzero(curve[1:] != curve[:-1]) + 1
    both_nan = np.isnan(curve[1:]) & np.isnan(curve[:-1])
    changed = changed[~both_nan[changed - 1]]
    keep = np.concatenate([[0], changed])
    return [[int(i) + 1, float(curve[i])] for i in keep]


def curve_from_steps(steps: Sequence[Sequence[float]], length: int) -> np.ndarray:
    """The best-so-far curve of ``length`` queries whose steps are ``steps``
    (see :func:`improvement_steps`); the last value holds to the end."""
    if not len(steps) or int(steps[0][0]) != 1:
        raise ConfigError(f"steps must start at query 1 (got {list(steps[:1])})")
    queries = np.asarray([int(q) for q, _ in steps])
    if np.any(np.diff(queries) <= 0):
        raise ConfigError("steps must have strictly increasing queries")
    values = np.asarray([float(v) for _, v in steps])
    index = np.searchsorted(queries, np.arange(1, int(length) + 1), side="right") - 1
    return values[index]


# --------------------------------------------------------------------------- plots


def image_format(path: Path | str) -> str:
    """matplotlib's format for ``path`` (``png`` or ``svg``, by its suffix), else ``ConfigError``."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ConfigError(
            f"cannot write a picture to {str(path)!r}: the file name must end in .png or .svg ({', '.join(FORMATS)})"
        )
    return FORMATS[suffix]


def new_figure(figsize: tuple[float, float], layout: str | None = "constrained"):
    """A bare matplotlib ``Figure`` (no pyplot state, never a window)."""
    try:
        from matplotlib.figure import Figure
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ConfigError("pictures need matplotlib: pip install 'nag[plots]' (or matplotlib)") from e
    return Figure(figsize=figsize, layout=layout)


def _save(fig: Any, path: Path | str, fmt: str) -> None:
    # A bare Figure renders with Agg (PNG) or the SVG backend: no GUI, no pyplot state.
    write_atomic(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=150))


def _colors(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def _step_points(x: np.ndarray, *ys: np.ndarray) -> np.ndarray:
    """Indices at which any of the step curves ``ys`` changes, plus the ends: drawing only
    those with ``steps-post`` gives the exact curve with a few hundred points."""
    keep = np.zeros(len(x), dtype=bool)
    keep[0] = keep[-1] = True
    for y in ys:
        keep[1:] |= y[1:] != y[:-1]
    return np.flatnonzero(keep)


def plot_best_so_far(curves: Mapping[str, Any], path: Path | str, ylabel: str, maximize: bool = True,
                     reference: Mapping[str, float] | None = None, title: str | None = None,
                     xlabel: str = "queries", ylim: tuple[float | None, float | None] | None = None) -> None:  # fmt: skip
    """Best value so far against the number of queries, one line per strategy.

    Per strategy: the median over runs (seeds) as a line, the 25th-75th percentile as a
    band; the x-axis is logarithmic. The default y-range starts (``maximize``) or ends
    (minimizing) at the worst 25th/75th percentile after 10 queries, so that the first few
    lucky-or-not queries do not squash the region where strategies differ; pass ``ylim``
    to choose it.

    Args:
        curves: strategy -> ``[runs, queries]`` array of best-so-far values (e.g. from
            :func:`best_so_far_curves`); strategies may have different lengths.
        path: ``.png`` or ``.svg`` file to write.
        ylabel: the y-axis label (the metric and its unit).
        maximize: whether larger values are better.
        reference: optional horizontal lines ``{label: value}`` (the optimum, a top-0.1%
            threshold, ...).
        title: optional figure title.
        xlabel: the x-axis label.
        ylim: ``(bottom, top)``; ``None`` in either place keeps the automatic limit.
    """
    fmt = image_format(path)
    if not curves:
        raise ConfigError("plot_best_so_far needs at least one strategy's curves")
    arrays = {}
    for name, c in curves.items():
        a = np.asarray(c, dtype=np.float64)
        if a.ndim == 1:
            a = a[None]
        if a.ndim != 2 or a.shape[1] == 0:
            raise ConfigError(f"curves[{name!r}] must be a [runs, queries] array (got shape {a.shape})")
        arrays[name] = a
    fig = new_figure((7.0, 4.5))
    ax = fig.add_subplot()
    worst_early = []
    for (name, a), color in zip(arrays.items(), _colors(len(arrays))):
        x = np.arange(1, a.shape[1] + 1)
        p25, median, p75 = np.nanquantile(a, [0.25, 0.5, 0.75], axis=0)
        keep = _step_points(x, p25, median, p75)
        label = f"{name} (median, IQR; {a.shape[0]} runs)" if a.shape[0] > 1 else name
        ax.plot(x[keep], median[keep], drawstyle="steps-post", color=color, lw=1.8, label=label)
        if a.shape[0] > 1:
            ax.fill_between(x[keep], p25[keep], p75[keep], step="post", color=color, alpha=0.2, lw=0)
        early = min(10, a.shape[1]) - 1
        worst_early.append(p25[early] if maximize else p75[early])
    line_styles = ["--", ":", "-.", (0, (5, 1, 1, 1))]
    for i, (label, value) in enumerate((reference or {}).items()):
        ax.axhline(value, color="0.3", lw=1.0, ls=line_styles[i % len(line_styles)], label=f"{label} ({value:.4g})")
    ax.set_xscale("log")
    ax.set_xlim(1, max(a.shape[1] for a in arrays.values()))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.grid(True, which="minor", axis="x", alpha=0.1)
    # Automatic limits: from the worst early quantile to the best value drawn (lines included).
    top_values = [np.nanmax(a) if maximize else np.nanmin(a) for a in arrays.values()] + list((reference or {}).values())
    worst = np.nanmin(worst_early) if maximize else np.nanmax(worst_early)
    best = max(top_values) if maximize else min(top_values)
    if np.isfinite(worst) and np.isfinite(best) and worst != best:
        pad = 0.04 * abs(best - worst)
        lo, hi = (worst - pad, best + pad) if maximize else (best - pad, worst + pad)
        ax.set_ylim(lo, hi)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.legend(loc="lower right" if maximize else "upper right", fontsize="small", framealpha=0.9)
    _save(fig, path, fmt)


def plot_pareto(params: Any, accuracy: Any, path: Path | str, highlight: Mapping[str, tuple[Any, Any]] | None = None,
                xlabel: str = "parameters", ylabel: str = "accuracy", title: str | None = None,
                all_label: str = "all archs", front_label: str = "Pareto front (fewest params for the accuracy)",
                logx: bool = False, ylim: tuple[float | None, float | None] | None = None) -> None:  # fmt: skip
    """Accuracy against cost: every arch as a light scatter, the Pareto front (fewest
    ``params`` for the ``accuracy``, :func:`pareto_front`) as a step line, and optional
    highlighted groups of points in their own colours.

    Args:
        params, accuracy: 1-D arrays, one entry per arch of the space.
        path: ``.png`` or ``.svg`` file to write.
        highlight: optional ``{label: (params, accuracy)}`` groups drawn on top (e.g.
            generator samples).
        xlabel, ylabel, title, all_label, front_label: text of the figure.
        logx: logarithmic x-axis.
        ylim: ``(bottom, top)``; points outside are clipped, and the legend says how many
            archs of the space lie below the bottom.
    """
    fmt = image_format(path)
    params, accuracy = np.asarray(params, dtype=np.float64), np.asarray(accuracy, dtype=np.float64)
    front = pareto_front(params, accuracy)
    fig = new_figure((7.0, 4.8))
    ax = fig.add_subplot()
    hidden = 0
    if ylim is not None and ylim[0] is not None:
        hidden = int(np.sum(accuracy < ylim[0]))
    label = f"{all_label} ({len(params):,}" + (f"; {hidden:,} below {ylim[0]:g} not shown)" if hidden else ")")
    ax.scatter(params, accuracy, s=4, color="0.6", alpha=0.35, lw=0, label=label, rasterized=fmt == "svg")
    ax.plot(params[front], accuracy[front], drawstyle="steps-post", color="black", lw=1.4,
            marker="o", ms=2.5, label=f"{front_label}, {len(front)} archs")  # fmt: skip
    colors = _colors(len(highlight or {}) + 1)[1:] if highlight else []
    markers = ["o", "^", "s", "D", "v"]
    for i, ((name, (hx, hy)), color) in enumerate(zip((highlight or {}).items(), colors)):
        hx, hy = np.asarray(hx, dtype=np.float64), np.asarray(hy, dtype=np.float64)
        if hx.shape != hy.shape:
            raise ConfigError(f"highlight[{name!r}] needs params and accuracy of one length (got {hx.shape}, {hy.shape})")
        ax.scatter(hx, hy, s=22, color=color, marker=markers[i % len(markers)], edgecolor="white", lw=0.4,
                   alpha=0.9, label=f"{name} ({len(hx)})", zorder=3)  # fmt: skip
    if logx:
        ax.set_xscale("log")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize="small", framealpha=0.9)
    _save(fig, path, fmt)
