"""Carrying a fitted predictor's knowledge into fine-tuning on a new task.

Fine-tuning on a handful of labels of a new dataset or objective would otherwise refit
the predictor's GP on those labels alone and forget the hundreds it was fitted on. Here
the old GP's points stay, as noisy observations of the new task: with the old
predictor's predictions ``p`` on the new labelled archs and their scaled labels ``z``, a
least-squares line ``z ~ a + b p`` says how the old task maps onto the new one, and its
residual variance how loosely. Each old point ``(x, y)`` becomes ``(x, a + b y)`` with
that residual variance as extra noise (:class:`~nag.predictors.gp.PathGP`'s ``alpha``),
so the new labels decide wherever they exist and the old ones fill the rest. Old points
at the inputs of a new label give way to it, so fine-tuning twice on the same labels does
not count them twice. Nothing is carried when the old predictions do not rise with the
new labels (``b <= 0``), are constant, or there are fewer than 3 new labels to fit a line.
"""

from __future__ import annotations

import numpy as np

from nag.predictors.gp import PathGP

#: smallest residual variance credited to the line (in the GP's target units): a few
#: labels can fit a line almost exactly by chance
MIN_RESIDUAL = 0.05


def carried_points(
    source: PathGP, prior: np.ndarray, x: np.ndarray, z: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The points of ``source`` as extra, noisy points ``(x, y, alpha)`` for a GP on the new
    labels ``z`` ``[n]`` at inputs ``x`` ``[n, d]``, given the old predictor's predictions
    ``prior`` ``[n]`` on the same archs; ``None`` when nothing is carried (module docstring)."""
    prior, z = np.asarray(prior, dtype=np.float64), np.asarray(z, dtype=np.float64)
    if len(z) < 3 or np.ptp(prior) == 0.0:
        return None
    design = np.stack([np.ones_like(prior), prior], axis=1)
    (a, b), *_ = np.linalg.lstsq(design, z, rcond=None)
    if b <= 0:
        return None
    residual = z - design @ np.array([a, b])
    variance = max(float(residual @ residual) / (len(z) - 2), MIN_RESIDUAL)
    labelled = {row.tobytes() for row in np.asarray(x, dtype=np.float64)}
    keep = np.array([row.tobytes() not in labelled for row in source.x], dtype=bool)
    return source.x[keep], a + b * source.y[keep], b**2 * source.alpha[keep] + variance
