"""``Block``: a stationary kernel on one block of columns of the GP's inputs.

Summing one ``ConstantKernel * Block`` per block gives each kind of input (path
statistics, the adjacency encoding) its own scale and length scale, so the marginal
likelihood decides per task how much each says. scikit-learn's kernels measure distances
with ``scipy.spatial.distance.cdist``, which is slow on the wide 0/1 adjacency rows (about
2 s for 5,000 x 500 rows of 1,440 columns); here they come from one matrix product
(``|a|^2 + |b|^2 - 2 a.b``, about 0.1 s; both timed on the 2-core machine), and the kernel
is a :data:`PROFILES` function of the distance over the length scale. It needs
scikit-learn, so :mod:`nag.predictors.gp` imports it on first use.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.gaussian_process.kernels import Hyperparameter, Kernel, NormalizedKernelMixin, StationaryKernelMixin

from nag.registry import Registry

Profile = tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]

#: kernel name (as in :data:`nag.predictors.gp.KERNELS`) -> (``k(r)``, ``dk/dlog(length)``
#: as a function of ``r``), with ``r`` the distance over the length scale
PROFILES: Registry[Profile] = Registry("GP kernel profile")
_S3, _S5 = np.sqrt(3.0), np.sqrt(5.0)
PROFILES.register("rbf", lambda: (lambda r: np.exp(-0.5 * r**2), lambda r: r**2 * np.exp(-0.5 * r**2)))
PROFILES.register("matern12", lambda: (lambda r: np.exp(-r), lambda r: r * np.exp(-r)))
PROFILES.register("matern32", lambda: (lambda r: (1 + _S3 * r) * np.exp(-_S3 * r), lambda r: 3 * r**2 * np.exp(-_S3 * r)))
PROFILES.register("matern52", lambda: (lambda r: (1 + _S5 * r + 5 / 3 * r**2) * np.exp(-_S5 * r),
                                       lambda r: 5 / 3 * r**2 * (1 + _S5 * r) * np.exp(-_S5 * r)))  # fmt: skip


class Block(StationaryKernelMixin, NormalizedKernelMixin, Kernel):
    """``k(|x[start:stop] - y[start:stop]| / length_scale)`` with ``k`` the profile named
    ``profile``; ``length_scale_bounds="fixed"`` keeps the length scale."""

    def __init__(self, profile: str = "matern32", length_scale: float = 1.0, length_scale_bounds=(1e-5, 1e5),
                 start: int = 0, stop: int | None = None):  # fmt: skip
        self.profile, self.length_scale, self.length_scale_bounds = profile, length_scale, length_scale_bounds
        self.start, self.stop = start, stop

    @property
    def hyperparameter_length_scale(self) -> Hyperparameter:
        return Hyperparameter("length_scale", "numeric", self.length_scale_bounds)

    def _distances(self, X: np.ndarray, Y: np.ndarray | None) -> np.ndarray:
        a = np.asarray(X, dtype=np.float64)[:, self.start : self.stop]
        b = a if Y is None else np.asarray(Y, dtype=np.float64)[:, self.start : self.stop]
        squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
        if Y is None:
            np.fill_diagonal(squared, 0.0)
        return np.sqrt(np.maximum(squared, 0.0))

    def __call__(self, X, Y=None, eval_gradient=False):
        if eval_gradient and Y is not None:
            raise ValueError("the gradient is only defined when Y is None")
        r = self._distances(X, Y) / self.length_scale
        value, slope = PROFILES.get(self.profile)
        K = value(r)
        if not eval_gradient:
            return K
        if self.hyperparameter_length_scale.fixed:
            return K, np.empty((len(K), len(K), 0))
        return K, slope(r)[:, :, None]
