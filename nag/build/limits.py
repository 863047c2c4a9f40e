"""Checks a builder runs before it allocates: options it takes, sizes that are positive
ints, and a network whose parameter count fits in memory (counted on the meta device,
which allocates nothing)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence

import torch
from torch import nn

from nag.errors import ConfigError

#: the most parameters :func:`build_within` lets a builder allocate by default (4 GB in fp32)
MAX_PARAMS = 1_000_000_000


def check_dims(**dims: int) -> None:
    """Raise :class:`ConfigError` naming the first size that is not a positive int."""
    for name, value in dims.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(f"{name} must be a positive int, got {value!r}")


def check_options(fn: Callable[..., object], options: Mapping[str, object], kind: str, fixed: Sequence[str] = ()) -> None:
    """``ConfigError`` naming any key of ``options`` that ``fn`` does not take as a keyword
    (or that is in ``fixed``: set by the caller), with the ones it takes; ``kind`` names
    what takes them (``"nb201 build"``, ``"dataset digits"``)."""
    params = inspect.signature(fn).parameters
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        takes = [n for n, p in params.items() if p.kind == p.KEYWORD_ONLY or p.kind == p.POSITIONAL_OR_KEYWORD]
        unknown = [k for k in options if k in fixed]  # **kwargs: any other name may be meant for it
    else:
        takes = [n for n, p in params.items() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
        unknown = [k for k in options if k not in takes or k in fixed]
    if unknown:
        allowed = [n for n in takes if n not in fixed and n != "self"]
        raise ConfigError(f"{kind} has no option {unknown[0]!r}; it takes: {', '.join(allowed) or 'none'}")


def build_within(build: Callable[[], nn.Module], max_params: int = MAX_PARAMS) -> nn.Module:
    """``build()``, after building it once on the meta device to count its parameters:
    :class:`ConfigError` if there are more than ``max_params`` (the sizes asked for would
    fill the memory before any error could say why)."""
    with torch.device("meta"):
        params = sum(p.numel() for p in build().parameters())
    if params > max_params:
        raise ConfigError(f"this network would have {params:,} parameters ({params * 4 / 2**30:,.1f} GiB in fp32), "
                          f"more than the {max_params:,} allowed; choose smaller sizes")  # fmt: skip
    return build()
