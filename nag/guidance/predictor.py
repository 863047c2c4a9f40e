"""Gradient guidance by a noise-aware predictor (classifier guidance for discrete
diffusion, as in DiGress): ``p(x_s | x_t) * exp(scale * <grad_x g(x_t, t), x_s>)``.

``g`` is a small MLP on the noisy slot one-hots and the time, trained in seconds inside
:meth:`PredictorGuidance.bind` to regress the user's fitted predictor: archs of the
space are scored by the predictor once, noised by the generator's own forward process at
random steps, and ``g`` learns ``E[score | x_t]``. So any fitted ``nag.Predictor`` (or
anything with ``predict(archs) -> (mean, std)``) works without the user training a
noise-aware model. The sampler never sees the predictor, only the bound callable.

The score ``g`` learns is the normal score of each arch's rank under the predictor, not
the predicted value: benchmark metrics have long tails (nb201 cells without an
input-output path sit at 10% accuracy), and standardising raw values squeezes the archs
that matter, the best ones, into a sliver of the target range (the measured effect on
nb201-cifar10 is in CHANGELOG.md).

Under constraints (or ``allowed``), the archs ``g`` learns from are drawn from those that
meet them. Learned on the whole space, ``g`` tilts every slot towards what scores well
there, and a budget then forces the slots decoded last to pay for it: on mbv3 under the
median MACs budget, guidance to maximise params gave samples with fewer params than
uniform feasible archs (figures in CHANGELOG.md).

Scale: when ``scale=None`` a short calibration samples a small batch at each scale of a
grid and keeps the one whose samples the predictor rates best, among those whose samples
stay at least ``min_unique`` unique, then bisects towards the next grid scale. The true
quality keeps climbing as the scale grows and the samples concentrate, so ``min_unique`` is the knob that trades diversity for quality; the refinement lands
close to it instead of up to a grid step short.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from torch import nn

from nag.diffusion.denoiser import _time_features
from nag.diffusion.noise import draw
from nag.diffusion.sampler import Step
from nag.errors import ConfigError
from nag.guidance.objective import oriented
from nag.predictors.targets import fit_scaling
from nag.seeds import check_seed

#: the calibration grid: 0, then powers of sqrt(2) from 0.5 to 128 (a step of 2 was too coarse:
#: near the uniqueness floor the quality changes a lot between 4 and 8)
SCALES = (0.0, *(float(round(2 ** (k / 2), 2)) for k in range(-2, 15)))
#: default bisections between the chosen grid scale and the next one when that one loses too much uniqueness
REFINE = 3


class PredictorGuidance:
    """Guide towards archs a fitted predictor rates high (``maximize``), low, or near ``target``.

    Args:
        predictor: a fitted :class:`nag.Predictor` (or any ``predict(archs) -> (mean, std)``).
        metric: which of its metrics (default: its only one).
        scale: guidance strength; ``None`` calibrates it when bound to a generator.
        archs: how many archs of the space the surrogate learns from (all if fewer).
        min_unique: calibration keeps scales whose samples are at least this unique.
        refine: bisections after the grid (0: the grid scale as chosen).
    """

    def __init__(self, predictor: Any, metric: str | None = None, maximize: bool = True, scale: float | None = None,
                 target: float | None = None, archs: int = 16384, iterations: int = 2000, min_unique: float = 0.5,
                 calibration_samples: int = 128, seed: int = 0, refine: int = REFINE):  # fmt: skip
        if not hasattr(predictor, "predict"):
            raise ConfigError(f"PredictorGuidance needs a fitted predictor, got {type(predictor).__name__}")
        metrics = list(getattr(predictor, "metrics", []) or [])
        if metric is not None and metrics and metric not in metrics:
            raise ConfigError(f"the predictor has no metric {metric!r}; it predicts {metrics}")
        if metric is None and len(metrics) > 1:
            raise ConfigError(f"the predictor predicts {metrics}; say which with metric=")
        if scale is not None and not (isinstance(scale, (int, float)) and scale >= 0):
            raise ConfigError(f"scale must be a number >= 0 or None (automatic), got {scale!r}")
        if isinstance(refine, bool) or not (isinstance(refine, (int, np.integer)) and refine >= 0):
            raise ConfigError(f"refine must be an integer >= 0, got {refine!r}")
        seed = int(check_seed(seed, allow_none=False))  # type: ignore[arg-type]  # never None here
        self.predictor, self.metric, self.maximize, self.target = predictor, metric, maximize, target
        self.scale, self.archs, self.iterations = scale, archs, iterations
        self.min_unique, self.calibration_samples, self.seed, self.refine = min_unique, calibration_samples, seed, refine
        self.calibration: dict[float, tuple[float, float]] = {}  # scale -> (mean score, uniqueness)
        self.chosen_scale: float | None = None

    def score(self, archs: list[Any]) -> np.ndarray:
        """The predictor's oriented mean for ``archs`` (higher is better)."""
        mean, _ = self.predictor.predict(archs)
        if isinstance(mean, dict):
            mean = mean[self.metric or next(iter(mean))]
        return oriented(mean, self.maximize, self.target)

    def bind(self, generator: Any, **sample_kwargs: Any) -> _Bound:
        """Train the noise-aware surrogate for ``generator`` and (if asked) calibrate the scale
        on samples drawn like the real ones (``sample_kwargs``: constraints, exclude, ...)."""
        within = {key: sample_kwargs.get(key) for key in ("constraints", "allowed", "metrics", "latency_table")}
        archs = generator.draw_archs(self.archs, seed=self.seed, **within)  # the feasible archs only (module docstring)
        y = self.score(archs)
        y = fit_scaling("gauss", y).forward(y)  # order kept, the top spread out (module docstring)
        surrogate = _fit_surrogate(generator, generator.to_rows(archs), y, self.iterations, self.seed)
        bound = _Bound(surrogate, 0.0)
        self.calibration = {}  # this binding's record only
        if self.scale is not None:
            bound.scale = self.chosen_scale = float(self.scale)
            return bound
        bound.scale = self.chosen_scale = self._calibrate(generator, bound, sample_kwargs)
        return bound

    def _try(self, generator: Any, bound: _Bound, scale: float, sample_kwargs: dict[str, Any]) -> tuple[float, float]:
        """(mean score, uniqueness) of a calibration batch at ``scale``, recorded in ``calibration``."""
        bound.scale = scale
        sampled = generator.sample(self.calibration_samples, guidance=bound, seed=self.seed, **sample_kwargs)
        self.calibration[scale] = (float(np.mean(self.score(sampled))), len(set(sampled)) / len(sampled))
        return self.calibration[scale]

    def _calibrate(self, generator: Any, bound: _Bound, sample_kwargs: dict[str, Any]) -> float:
        """The grid scale whose batch scores best while unique enough, then ``refine``
        bisections (in log scale) towards the next grid scale when that one was not unique
        enough: the quality climbs steeply near the uniqueness floor (module docstring).
        No refinement when the best is scale 0 (no geometric midpoint) or the top of the grid."""
        best, best_value = 0.0, -np.inf
        for scale in SCALES:
            value, unique = self._try(generator, bound, scale, sample_kwargs)
            if unique >= self.min_unique and value > best_value:
                best, best_value = scale, value
        above = [s for s in SCALES if s > best]
        if best == 0.0 or not above or self.calibration[above[0]][1] >= self.min_unique:
            return best
        low, high = best, above[0]
        for _ in range(self.refine):
            middle = float(round(np.sqrt(low * high), 3))
            value, unique = self._try(generator, bound, middle, sample_kwargs)
            if unique < self.min_unique:
                high = middle
                continue
            low = middle
            if value > best_value:
                best, best_value = middle, value
        return best


class _Surrogate(nn.Module):
    def __init__(self, slots: int, k: int, hidden: int = 128):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(slots * k + 16, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 1)
        )

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x.flatten(1), _time_features(t)], -1)).squeeze(-1)


def _fit_surrogate(generator: Any, rows: torch.Tensor, y: np.ndarray, iterations: int, seed: int) -> _Surrogate:
    """Regress standardised ``y`` from the rows noised to uniform random steps."""
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = _Surrogate(rows.shape[1], generator.layout.max_size)
    target = torch.as_tensor((y - y.mean()) / max(float(y.std()), 1e-12), dtype=torch.float32)
    noise, k, steps = copy.copy(generator.noise), generator.layout.max_size, generator.config.steps
    noise.marginals = noise.marginals.cpu()
    alpha = torch.as_tensor(generator.alpha_bar, dtype=torch.float32)
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(iterations):
        idx = torch.randint(0, len(rows), (min(512, len(rows)),), generator=gen)
        t = torch.randint(0, steps + 1, (len(idx),), generator=gen)
        x_t = draw(noise.q_xt(nn.functional.one_hot(rows[idx], k).float(), alpha[t]), gen)
        loss = nn.functional.mse_loss(model(nn.functional.one_hot(x_t, k).float(), t.float() / steps), target[idx])
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    return model.eval()


class _Bound:
    """The step callable: tilt the proposal by the surrogate's gradient at ``x_t``."""

    def __init__(self, surrogate: _Surrogate, scale: float):
        self.surrogate, self.scale = surrogate, scale

    def __call__(self, step: Step) -> torch.Tensor:
        if self.scale == 0:
            return step.probs
        k = step.probs.shape[-1]
        device = step.probs.device
        self.surrogate.to(device)
        x = nn.functional.one_hot(step.x_t, k).float().requires_grad_(True)
        t = torch.full((len(x),), step.t / step.steps, device=device)
        with torch.enable_grad():
            (grad,) = torch.autograd.grad(self.surrogate(x, t).sum(), x)
        logits = torch.log(step.probs.clamp_min(0)) + self.scale * grad.to(step.probs.dtype)
        return torch.softmax(logits, -1)  # in log space: strong tilts cannot underflow a whole row
