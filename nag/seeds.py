"""Seeds: what nag accepts as one, checked once, and the numpy generator it gives."""

from __future__ import annotations

import numbers

import numpy as np

from nag.errors import ConfigError

#: the largest seed accepted (numpy takes any non-negative int; torch's manual_seed takes 64 bits)
MAX_SEED = 2**63 - 1


def check_seed(seed: object, allow_none: bool = True) -> int | None:
    """``seed`` as an int in ``0..MAX_SEED`` (or ``None`` where allowed: fresh entropy);
    :class:`~nag.errors.ConfigError` for anything else (negative, a float, a bool, a string)."""
    if seed is None and allow_none:
        return None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or not 0 <= int(seed) <= MAX_SEED:
        allowed = "an int in 0..2**63-1" + (" or None" if allow_none else "")
        raise ConfigError(f"seed must be {allowed}, got {seed!r}")
    return int(seed)


def rng(seed: np.random.Generator | int | None) -> np.random.Generator:
    """A numpy Generator from a Generator (itself), a checked seed or ``None`` (fresh entropy)."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(check_seed(seed))
