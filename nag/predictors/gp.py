"""``PathGP``: a Gaussian process on architectures' path statistics.

The predictor's second member next to its GNN heads. With few labels a GP with one
length scale over the standardised :data:`nag.graph.paths.PATH_STATS` ranks NAS-Bench-201
cells better than the heads do alone, and blending both ranks better than either
(``benchmarks/predictors.py``). Kernel: ``c * k(l) + white(s)`` on standardised targets
(scikit-learn's ``GaussianProcessRegressor``), ``k`` one stationary kernel of
:data:`KERNELS` with one length scale; ``c, l, s`` maximise the marginal likelihood
(L-BFGS-B from the default and from ``restarts`` random starts). The default, Matern 3/2,
ranked nb201 cells a little better than the RBF kernel at every seed tried (5 seeds of 50
and 100 labels: held-out Spearman +0.002 to +0.007) and its top 100 of the space were
better too (true mean 93.43 vs 93.39 with 100 labels).

A fitted GP is its training inputs, targets and the three kernel values: rebuilding it from
them (:meth:`PathGP.__init__`) gives the same predictions as the fit did, which is how the
predictor's checkpoints store it.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np

from nag.registry import Registry

#: the GP is fitted on at most this many labels (a seeded subset beyond it): the cost grows
#: with the cube of the number of points
MAX_POINTS = 1000
_LENGTH_BOUNDS = (1e-2, 1e3)

#: stationary kernels ``k(length_scale, length_scale_bounds)`` the GP can use
KERNELS: Registry = Registry("GP kernel")


def _sklearn_kernel(name: str, **fixed: float):
    from sklearn.gaussian_process import kernels  # imported on first use: scikit-learn is slow to import

    return partial(getattr(kernels, name), **fixed)


KERNELS.register("rbf", lambda: _sklearn_kernel("RBF"))
for _name, _nu in (("matern12", 0.5), ("matern32", 1.5), ("matern52", 2.5)):
    KERNELS.register(_name, lambda nu=_nu: _sklearn_kernel("Matern", nu=nu))


class PathGP:
    """A fitted GP: inputs ``x`` ``[n, d]``, targets ``y`` ``[n]`` and kernel ``params``
    (constant, length scale, noise level), all float64, of the kernel named ``kernel``."""

    def __init__(self, x: np.ndarray, y: np.ndarray, params: np.ndarray, kernel: str = "rbf"):
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, WhiteKernel

        self.x, self.y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        self.params, self.kernel = np.asarray(params, dtype=np.float64), kernel
        constant, length, noise = (float(v) for v in self.params)
        kernel = ConstantKernel(constant, "fixed") * KERNELS.get(kernel)(length, "fixed") + WhiteKernel(noise, "fixed")
        self.model = GaussianProcessRegressor(kernel, optimizer=None, normalize_y=True).fit(self.x, self.y)

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, seed: int = 0, restarts: int = 2, max_points: int = MAX_POINTS,
            kernel: str = "rbf") -> PathGP:  # fmt: skip
        """Fit the values of the kernel named ``kernel`` on ``(x, y)`` (at most ``max_points``
        of them, chosen by ``seed``)."""
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, WhiteKernel

        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if len(x) > max_points:
            keep = np.sort(np.random.default_rng(seed).choice(len(x), max_points, replace=False))
            x, y = x[keep], y[keep]
        start = ConstantKernel(1.0) * KERNELS.get(kernel)(3.0, _LENGTH_BOUNDS) + WhiteKernel(0.1)
        search = GaussianProcessRegressor(start, normalize_y=True, n_restarts_optimizer=restarts, random_state=seed)
        with warnings.catch_warnings():  # a bound reached is an answer here, not a failure
            warnings.simplefilter("ignore", ConvergenceWarning)
            fitted = search.fit(x, y).kernel_
        params = np.array([fitted.k1.k1.constant_value, fitted.k1.k2.length_scale, fitted.k2.noise_level])
        return cls(x, y, params, kernel)

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation ``[m]`` at ``x`` ``[m, d]``."""
        mean, std = self.model.predict(np.asarray(x, dtype=np.float64), return_std=True)
        return mean, std
