"""Baseline search strategies: random search, regularized evolution, local search.

A strategy is a function ``strategy(oracle, rng, **options)`` that queries ``oracle``
until it raises :class:`~nag.search.oracle.BudgetExhausted` (or the space runs out).
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np

from nag.errors import ConfigError
from nag.search.oracle import Oracle

#: spaces up to this many archs are listed and shuffled; larger ones are sampled
LISTED = 10**6


def unseen_archs(oracle: Oracle, rng: np.random.Generator) -> Iterator[Any]:
    """The space's archs in a uniformly random order, skipping those already queried.

    A space of up to :data:`LISTED` archs is listed and shuffled; a larger one is never
    listed: archs are drawn uniformly (``space.sample``) and those drawn before (kept by
    hash) or queried are skipped, which is uniform sampling without replacement."""
    space = oracle.space
    if space.size <= LISTED:
        archs = space.all_archs()
        for i in rng.permutation(len(archs)):
            if not oracle.seen(archs[i]):
                yield archs[i]
        return
    drawn: set[Any] = set()
    while len(drawn) < space.size:
        for arch in space.sample(64, seed=rng):
            if arch not in drawn and not oracle.seen(arch):
                drawn.add(arch)
                yield arch


def random_search(oracle: Oracle, rng: np.random.Generator) -> None:
    """Query archs drawn uniformly without replacement (``oracle.batch_size`` at a time)."""
    fresh = unseen_archs(oracle, rng)
    while batch := list(itertools.islice(fresh, oracle.batch_size)):
        oracle.query_many(batch)


def regularized_evolution(oracle: Oracle, rng: np.random.Generator, population: int = 20, sample_size: int = 5,
                          max_mutation_tries: int = 20) -> None:  # fmt: skip
    """Regularized (aging) evolution (Real et al., AAAI 2019).

    Args:
        population: archs kept alive; the oldest dies when a child is born.
        sample_size: archs drawn from the population per tournament; the best is the parent.
        max_mutation_tries: mutations tried to find a child not queried yet before a
            random unqueried arch is taken instead.
    """
    if population < 1 or not 1 <= sample_size <= population:
        raise ConfigError(f"need population >= 1 and 1 <= sample_size <= population, got {population}, {sample_size}")
    fresh = unseen_archs(oracle, rng)
    first = list(itertools.islice(fresh, population))  # evaluated together (in parallel where the oracle can)
    alive: deque[tuple[Any, float]] = deque(zip(first, map(oracle.score, oracle.query_many(first))))
    while True:  # oracle.batch_size children per round, evaluated together (one at a time: the classic loop)
        children: list[Any] = []
        for _ in range(oracle.batch_size):
            picks = rng.choice(len(alive), size=min(sample_size, len(alive)), replace=False)
            parent = max((alive[i] for i in picks), key=lambda item: item[1])[0]
            mutants = (oracle.space.mutate(parent, rng) for _ in range(max_mutation_tries))
            child = next((c for c in mutants if not oracle.seen(c) and c not in children), None)
            if child is None:
                child = next(a for a in fresh if a not in children)
            children.append(child)
        for child, value in zip(children, oracle.query_many(children)):
            alive.append((child, oracle.score(value)))
            alive.popleft()


def local_search(oracle: Oracle, rng: np.random.Generator) -> None:
    """Best-improvement hill climbing over one-choice neighbourhoods, restarting from a
    random unqueried arch at every local optimum."""
    for start in unseen_archs(oracle, rng):
        current, score = start, oracle.score(oracle(start))
        while True:
            neighbours = oracle.space.neighbours(current)
            order = [neighbours[i] for i in rng.permutation(len(neighbours))]
            scored = list(zip(map(oracle.score, oracle.query_many(order)), order))
            best_score, best = max(scored, key=lambda item: item[0], default=(-np.inf, None))
            if best_score <= score:
                break
            current, score = best, best_score
