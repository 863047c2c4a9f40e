"""``PathGP``: a Gaussian process on architectures' path statistics.

The predictor's second member next to its GNN heads. With few labels a GP with one
length scale over the standardised :data:`nag.graph.paths.PATH_STATS` ranks NAS-Bench-201
cells better than the heads do alone, and blending both ranks better than either
(``benchmarks/predictors.py``). Kernel: ``c * k(l) + white(s)`` on standardised targets
(scikit-learn's ``GaussianProcessRegressor``), ``k`` one stationary kernel of
:data:`KERNELS` with one length scale; ``c, l, s`` maximise the marginal likelihood
(L-BFGS-B from the default and from ``restarts`` random starts). The default is Matern 3/2,
which ranked nb201 cells a little better than the RBF kernel (figures in CHANGELOG.md).

With ``blocks`` the inputs are consecutive column blocks (the predictor's: path statistics,
then the adjacency-with-ops encoding of :mod:`nag.encoder.adjacency`) and the kernel is a
sum ``sum_b c_b * k(l_b) + white(s)`` with one scale and length scale per block
(:class:`~nag.predictors.block_kernel.Block`), so the marginal likelihood weighs each kind
of input per task. In ``benchmarks/predictors.py`` it ranked NAS-Bench-Graph's citeseer
and cora clearly better than the GP on path statistics alone, and NAS-Bench-201 about the
same (figures in CHANGELOG.md).

A fitted GP is its training inputs, targets, per-point extra noise (zero except for points
carried over by fine-tuning) and its kernel values: rebuilding it from them
(:meth:`PathGP.__init__`) gives the same predictions as the fit did, which is how the
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
    (constant and length scale of each block, then the noise level), all float64, of the
    kernel named ``kernel`` on the column ``blocks`` (``None``: one block of all columns).

    ``alpha`` ``[n]`` (zeros by default) is extra noise variance of each point, in the
    targets' units: points known less well than the kernel's noise level says, such as a
    source task's labels carried into a fine-tuned predictor (:mod:`nag.predictors.transfer`).
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, params: np.ndarray, kernel: str = "rbf", alpha: np.ndarray | None = None,
                 blocks: tuple[int, ...] | None = None):  # fmt: skip
        from sklearn.gaussian_process import GaussianProcessRegressor

        self.x, self.y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        self.alpha = np.zeros(len(self.y)) if alpha is None else np.asarray(alpha, dtype=np.float64)
        self.params, self.kernel, self.blocks = np.asarray(params, dtype=np.float64), kernel, blocks
        kernel = _kernel(kernel, blocks, self.params[:-1], self.params[-1], fixed=True)
        self.model = GaussianProcessRegressor(kernel, alpha=_sklearn_alpha(self.y, self.alpha), optimizer=None,
                                              normalize_y=True).fit(self.x, self.y)  # fmt: skip

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, seed: int = 0, restarts: int = 2, max_points: int = MAX_POINTS,
            kernel: str = "rbf", extra: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
            blocks: tuple[int, ...] | None = None) -> PathGP:  # fmt: skip
        """Fit the values of the kernel named ``kernel`` on ``(x, y)`` (at most ``max_points``
        of them, chosen by ``seed``).

        ``blocks``: widths of consecutive column blocks of ``x``, each with its own kernel
        (scale and length scale) in a sum; ``None`` is one kernel on all columns.

        ``extra``: more points ``(x, y, alpha)`` known with extra noise variance ``alpha``
        (see the class); they fill what ``max_points`` leaves after ``(x, y)``.
        """
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor

        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        rng = np.random.default_rng(seed)
        x, y = _at_most(rng, max_points, x, y)
        alpha = np.zeros(len(y))
        if extra is not None and len(x) < max_points:
            ex, ey, ealpha = _at_most(rng, max_points - len(x), *(np.asarray(v, dtype=np.float64) for v in extra))
            x, y, alpha = np.concatenate([x, ex]), np.concatenate([y, ey]), np.concatenate([alpha, ealpha])
        start = _kernel(kernel, blocks, np.tile([1.0, 3.0], 1 if blocks is None else len(blocks)), 0.1)
        search = GaussianProcessRegressor(start, alpha=_sklearn_alpha(y, alpha), normalize_y=True,
                                          n_restarts_optimizer=restarts, random_state=seed)  # fmt: skip
        with warnings.catch_warnings():  # a bound reached is an answer here, not a failure
            warnings.simplefilter("ignore", ConvergenceWarning)
            fitted = search.fit(x, y).kernel_
        values = fitted.get_params()
        params = np.array([values[h.name] for h in fitted.hyperparameters])  # (scale, length) per block, then the noise
        return cls(x, y, params, kernel, alpha, blocks)

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation ``[m]`` at ``x`` ``[m, d]``."""
        mean, std = self.model.predict(np.asarray(x, dtype=np.float64), return_std=True)
        return mean, std


def _kernel(name: str, blocks: tuple[int, ...] | None, scales: np.ndarray, noise: float, fixed: bool = False):
    """``sum_b c_b * k(l_b) + white(noise)`` over the column blocks (``scales``: ``c_1, l_1,
    c_2, l_2, ...``); with ``blocks=None`` one scikit-learn kernel on all columns."""
    from sklearn.gaussian_process.kernels import ConstantKernel, WhiteKernel

    bounds = "fixed" if fixed else _LENGTH_BOUNDS
    c_bounds, noise_bounds = ("fixed", "fixed") if fixed else ((1e-5, 1e5), (1e-5, 1e5))
    if blocks is None:
        (constant, length) = scales
        return ConstantKernel(constant, c_bounds) * KERNELS.get(name)(length, bounds) + WhiteKernel(noise, noise_bounds)
    from nag.predictors.block_kernel import Block

    ends = np.cumsum(blocks)
    parts = [ConstantKernel(scales[2 * i], c_bounds) * Block(name, scales[2 * i + 1], bounds, int(end - width), int(end))
             for i, (width, end) in enumerate(zip(blocks, ends))]  # fmt: skip
    return sum(parts[1:], parts[0]) + WhiteKernel(noise, noise_bounds)


def _at_most(rng: np.random.Generator, limit: int, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """``arrays`` (rows aligned), or ``limit`` of their rows drawn by ``rng``, in order."""
    if len(arrays[0]) <= limit:
        return arrays
    keep = np.sort(rng.choice(len(arrays[0]), limit, replace=False))
    return tuple(a[keep] for a in arrays)


def _sklearn_alpha(y: np.ndarray, alpha: np.ndarray) -> np.ndarray | float:
    """scikit-learn's ``alpha`` for per-point noise ``alpha`` in target units: it adds
    ``alpha`` to the kernel's diagonal after ``normalize_y`` divides the targets by their std."""
    if not np.any(alpha):
        return 1e-10  # scikit-learn's default, so plain GPs stay exactly as before
    scale = float(np.std(y)) or 1.0  # scikit-learn replaces a (scalar) zero std by 1 the same way
    return 1e-10 + alpha / scale**2
