"""Closed-loop search with the generator: sample guided by a predictor fit on every label
so far, query the most promising unseen samples, refit, repeat until the budget is spent.

Round 0 queries unguided samples of the (shipped or freshly fitted) generator; with
``warm_start="proxies"`` it draws ``warm_pool`` of them and queries those of highest
zero-cost proxy vote (:func:`nag.proxies.prior`, a label-free accuracy estimate). By default
(``"auto"``, and ``proxies=None``) the proxies are used, as the warm start and as the
predictor's extra inputs, exactly when they estimate what is searched for: a benchmark's
accuracy (:data:`nag.proxies.ESTIMATES`), maximised, on a space with a shipped proxy table
(nb201); a user's objective or any other metric gets plain unguided samples. Every later
round fits a :class:`nag.Predictor` on all (arch, score) pairs so far, samples
``candidates`` archs with :class:`~nag.guidance.PredictorGuidance` (strength calibrated
each round) and fills ``1 - local_share`` of the batch with the guided samples of highest
upper confidence bound ``mean + kappa * std``; the rest comes, by the same bound, from a
trust region: the unseen one-choice neighbours of the ``neighbours`` best archs so far
(the predictor cannot rank the very top finely from few labels; the incumbents' region
is where the next improvement most often is). Samples exclude the archs already queried (by masking).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nag.errors import ConfigError
from nag.generator.feasible import FeasibleSpace
from nag.search.oracle import Oracle

WARM_STARTS = ("auto", "generator", "proxies")
#: the search's predictors: a fresh encoder and the GP on path statistics alone (the
#: predictor's defaults, the pretrained encoder and a GP that also reads the adjacency
#: encoding, were not measured in the closed loop; see CHANGELOG.md)
SEARCH_PREDICTOR: dict[str, Any] = {"encoder": "scratch", "gp_adjacency": False}


def diffusion_search(oracle: Oracle, rng: np.random.Generator, batch: int = 10, initial: int = 10, candidates: int = 256,
                     kappa: float = 0.5, epochs: int = 100, guidance_archs: int = 4096, neighbours: int = 3, local_share: float = 0.5,
                     generator: Any = None, proxies: bool | None = None, warm_start: str = "auto",
                     warm_pool: int = 16384) -> None:  # fmt: skip
    """Generator-driven search (see the module docstring).

    Args:
        batch: archs queried per round after the first.
        initial: unguided archs queried in the first round.
        candidates: guided samples drawn per round.
        kappa: weight of the predictor's std in the acquisition (exploration).
        epochs: predictor training epochs per round.
        guidance_archs: archs the guidance's noise-aware surrogate learns from.
        neighbours: how many of the best archs so far define the trust region (their unseen
            one-choice neighbours).
        local_share: share of each batch taken from the trust region (0: guided samples only).
        generator: a :class:`nag.Generator` for the oracle's space (default: the shipped one).
        proxies: give the predictor each arch's zero-cost proxies as extra inputs (the
            shipped table of :mod:`nag.proxies`; nb201 only); ``None``: when they fit (module docstring).
        warm_start: how round 0 picks its ``initial`` archs: ``"generator"`` (unguided
            samples as drawn), ``"proxies"`` (the highest proxy vote among ``warm_pool``
            unguided samples; the proxies estimate accuracy, so use it when larger is better)
            or ``"auto"`` (``"proxies"`` when they fit, see the module docstring).
        warm_pool: unguided samples ranked by the proxies when ``warm_start="proxies"``.
    """
    from nag.generator import Generator
    from nag.guidance import PredictorGuidance
    from nag.predictors import Predictor

    if batch < 1 or initial < 2 or candidates < batch or not 0 <= local_share <= 1:
        raise ConfigError(f"need batch >= 1, initial >= 2, candidates >= batch and 0 <= local_share <= 1, "
                          f"got {batch}, {initial}, {candidates}, {local_share}")  # fmt: skip
    if warm_start not in WARM_STARTS:
        raise ConfigError(f"warm_start must be one of {', '.join(WARM_STARTS)}, got {warm_start!r}")
    if warm_pool < initial:
        raise ConfigError(f"need warm_pool >= initial, got {warm_pool} < {initial}")
    if generator is not None and not isinstance(generator, Generator):
        raise ConfigError(
            f"generator must be a nag.Generator of the searched space, got {type(generator).__name__} {generator!r:.60}"
        )
    if generator is not None and generator.space.name != oracle.space.name:
        raise ConfigError(f"the generator samples {generator.space.name} archs; the search is over {oracle.space.name}")
    space = oracle.space
    within = space.sample_options() if isinstance(space, FeasibleSpace) else {}  # the generator samples feasible archs only
    proxies, warm_start = _resolve_proxies(oracle, proxies, warm_start)
    if proxies or warm_start == "proxies":
        from nag.proxies import load_table

        load_table(space.name)  # no table for this space: fail before any query
    if generator is None:
        shipped = space.defaults.generator
        generator = Generator.from_pretrained(shipped) if shipped is not None else Generator.fit(space.base if within else space)

    def seed() -> int:
        return int(rng.integers(0, 2**31))

    archs: list[Any] = []
    scores: list[float] = []

    def query(chosen: list[Any]) -> None:
        values = oracle.query_many(chosen)  # one call: a parallel oracle evaluates the batch together
        archs.extend(chosen)
        scores.extend(map(oracle.score, values))

    query(_first_round(generator, oracle, initial, warm_start, warm_pool, seed(), within))
    while len(archs) < space.size:
        y = np.asarray(scores)
        finite = np.isfinite(y)
        y = np.where(finite, y, y[finite].min() if finite.any() else 0.0)  # failed archs: as bad as the worst
        if proxies:
            from nag.proxies import features

            fitted = Predictor(space=space, seed=seed(), epochs=epochs, condition_dim=2, **SEARCH_PREDICTOR)
            fitted.fit(archs, y, condition=features(space, archs))
            predictor: Any = _WithInputs(fitted, lambda items: features(space, items))
        else:
            predictor = Predictor(space=space, seed=seed(), epochs=epochs, **SEARCH_PREDICTOR).fit(archs, y)
        guide = PredictorGuidance(
            predictor, archs=guidance_archs, iterations=300, calibration_samples=64, seed=seed(), refine=0
        )  # the grid's scale: the 30-seed search figures were measured with it
        guided = _unseen(generator.sample(candidates, guidance=guide, seed=seed(), exclude=archs, **within), oracle)
        best = [archs[i] for i in np.argsort(-y, kind="stable")[:neighbours]]
        local = _unseen([n for a in best for n in space.neighbours(a)], oracle)  # the incumbents' trust region
        n_local = min(len(local), round(batch * local_share))
        chosen = _top(predictor, local, n_local, kappa)
        chosen += _top(predictor, [a for a in guided if a not in set(chosen)], batch - len(chosen), kappa)
        query(chosen)


def _proxies_fit(oracle: Oracle) -> bool:
    """Whether the shipped proxies estimate what ``oracle`` answers: a benchmark accuracy,
    maximised, on a space with a proxy table."""
    from nag.proxies import ESTIMATES, has_table

    return oracle.maximize and oracle.metric in ESTIMATES and has_table(oracle.space.name)


def _resolve_proxies(oracle: Oracle, proxies: bool | None, warm_start: str) -> tuple[bool, str]:
    """``(proxies, warm_start)`` with ``None`` / ``"auto"`` decided by :func:`_proxies_fit`."""
    fits = _proxies_fit(oracle)
    return (fits if proxies is None else bool(proxies)), (
        ("proxies" if fits else "generator") if warm_start == "auto" else warm_start
    )


def _first_round(generator: Any, oracle: Oracle, initial: int, warm_start: str, warm_pool: int, seed: int,
                 within: dict[str, Any]) -> list[Any]:  # fmt: skip
    """The ``initial`` archs of round 0 (see ``warm_start`` in :func:`diffusion_search`)."""
    if warm_start == "generator":
        return _unseen(generator.sample(4 * initial, seed=seed, **within), oracle)[:initial]
    from nag.proxies import prior

    pool = _unseen(generator.sample(warm_pool, seed=seed, **within), oracle)
    return [pool[i] for i in np.argsort(-prior(oracle.space, pool), kind="stable")[:initial]]


class _WithInputs:
    """A predictor whose extra inputs are computed from the archs: ``predict(archs)``."""

    def __init__(self, predictor: Any, inputs: Any):
        self.predictor, self.inputs, self.metrics = predictor, inputs, predictor.metrics

    def predict(self, archs: list[Any]) -> Any:
        return self.predictor.predict(archs, condition=self.inputs(archs))


def _top(predictor: Any, pool: list[Any], k: int, kappa: float) -> list[Any]:
    """The ``k`` archs of ``pool`` with the highest ``mean + kappa * std``."""
    if k <= 0 or not pool:
        return []
    mean, std = predictor.predict(pool)
    return [pool[i] for i in np.argsort(-(mean + kappa * std), kind="stable")[:k]]


def _unseen(archs: list[Any], oracle: Oracle) -> list[Any]:
    """Distinct archs not queried yet, in sampling order."""
    return [a for a in dict.fromkeys(archs) if not oracle.seen(a)]
