"""How good a batch of generated archs is: validity, uniqueness, novelty, distribution
match and (with a benchmark) true quality. Pure functions of lists of archs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def validity(items: Sequence[Any], space: Any) -> float:
    """Share of ``items`` (archs, strings or graphs) that name a member of ``space``."""
    return float(np.mean([space.contains(item) for item in items])) if items else float("nan")


def uniqueness(archs: Sequence[Any]) -> float:
    """Distinct archs / archs."""
    return len(set(archs)) / len(archs) if archs else float("nan")


def novelty(archs: Sequence[Any], train: Sequence[Any]) -> float:
    """Share of the *distinct* sampled archs that are not among the training archs."""
    distinct, seen = set(archs), set(train)
    return len(distinct - seen) / len(distinct) if distinct else float("nan")


def slot_total_variation(rows: np.ndarray, reference: np.ndarray, k: int) -> np.ndarray:
    """Per slot, the total-variation distance between option frequencies of ``rows`` and
    ``reference`` (both [n, S] option indices): 0 = same distribution, 1 = disjoint."""

    def freq(r: np.ndarray) -> np.ndarray:
        return np.stack([np.bincount(r[:, s], minlength=k) / len(r) for s in range(r.shape[1])])

    return 0.5 * np.abs(freq(np.asarray(rows)) - freq(np.asarray(reference))).sum(1)


def quality(archs: Sequence[Any], bench: Any, metric: str | None = None, maximize: bool = True) -> dict[str, float]:
    """True ``metric`` of ``archs`` from a benchmark: mean, best, and the share in the
    space's top 1% / 0.1% (thresholds as :meth:`nag.bench.Benchmark.threshold`)."""
    v = np.asarray(bench.query_many(archs, metric), dtype=float)
    best = v.max() if maximize else v.min()
    reached = {f: (v >= bench.threshold(f, metric)) if maximize else (v <= bench.threshold(f, metric, maximize=False))
               for f in (0.01, 0.001)}  # fmt: skip
    return {"mean": float(v.mean()), "best": float(best),
            "top1%": float(reached[0.01].mean()), "top0.1%": float(reached[0.001].mean())}  # fmt: skip
