"""``PathGP``: a Gaussian process on architectures' path statistics.

The predictor's second member next to its GNN heads. With few labels a GP with one RBF
length scale over the standardised :data:`nag.graph.paths.PATH_STATS` ranks NAS-Bench-201
cells better than the heads do alone, and blending both ranks better than either
(``benchmarks/predictors.py``). Kernel: ``c * RBF(l) + white(s)`` on standardised targets
(scikit-learn's ``GaussianProcessRegressor``); ``c, l, s`` maximise the marginal likelihood
(L-BFGS-B from the default and from ``restarts`` random starts).

A fitted GP is its training inputs, targets and the three kernel values: rebuilding it from
them (:meth:`PathGP.__init__`) gives the same predictions as the fit did, which is how the
predictor's checkpoints store it.
"""

from __future__ import annotations

import warnings

import numpy as np

#: the GP is fitted on at most this many labels (a seeded subset beyond it): the cost grows
#: with the cube of the number of points
MAX_POINTS = 1000
_LENGTH_BOUNDS = (1e-2, 1e3)


class PathGP:
    """A fitted GP: inputs ``x`` ``[n, d]``, targets ``y`` ``[n]`` and kernel ``params``
    (constant, length scale, noise level), all float64."""

    def __init__(self, x: np.ndarray, y: np.ndarray, params: np.ndarray):
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

        self.x, self.y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        self.params = np.asarray(params, dtype=np.float64)
        constant, length, noise = (float(v) for v in self.params)
        kernel = ConstantKernel(constant, "fixed") * RBF(length, "fixed") + WhiteKernel(noise, "fixed")
        self.model = GaussianProcessRegressor(kernel, optimizer=None, normalize_y=True).fit(self.x, self.y)

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, seed: int = 0, restarts: int = 2, max_points: int = MAX_POINTS) -> PathGP:
        """Fit the kernel's values on ``(x, y)`` (at most ``max_points`` of them, chosen by ``seed``)."""
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if len(x) > max_points:
            keep = np.sort(np.random.default_rng(seed).choice(len(x), max_points, replace=False))
            x, y = x[keep], y[keep]
        kernel = ConstantKernel(1.0) * RBF(3.0, length_scale_bounds=_LENGTH_BOUNDS) + WhiteKernel(0.1)
        search = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=restarts, random_state=seed)
        with warnings.catch_warnings():  # a bound reached is an answer here, not a failure
            warnings.simplefilter("ignore", ConvergenceWarning)
            fitted = search.fit(x, y).kernel_
        params = np.array([fitted.k1.k1.constant_value, fitted.k1.k2.length_scale, fitted.k2.noise_level])
        return cls(x, y, params)

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation ``[m]`` at ``x`` ``[m, d]``."""
        mean, std = self.model.predict(np.asarray(x, dtype=np.float64), return_std=True)
        return mean, std
