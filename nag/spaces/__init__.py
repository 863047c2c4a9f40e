"""Search spaces: ``nag.spaces.get(name)`` and ``nag.spaces.names()``."""

from __future__ import annotations

from nag.registry import Registry
from nag.spaces.base import SearchSpace

_REGISTRY: Registry[SearchSpace] = Registry("space", cache=True)


def get(name: str) -> SearchSpace:
    """The search space registered as ``name`` (one shared instance per name)."""
    return _REGISTRY.get(name)


def names() -> list[str]:
    return _REGISTRY.names()


def register(name: str, factory) -> None:
    """Register a new search space factory (a callable returning a ``SearchSpace``)."""
    _REGISTRY.register(name, factory)


def _nb201() -> SearchSpace:
    from nag.spaces.nb201 import NB201Space

    return NB201Space()


def _nbgraph(variant: str):
    def factory() -> SearchSpace:
        from nag.spaces.nbgraph import NBGraphSpace

        return NBGraphSpace(variant)

    return factory


def _mbv3() -> SearchSpace:
    from nag.spaces.mbv3 import make_space

    return make_space()


def _darts() -> SearchSpace:
    from nag.spaces.darts import make_space

    return make_space()


register("nb201", _nb201)
register("nbgraph", _nbgraph("full"))
register("nbgraph-proteins", _nbgraph("proteins"))
register("darts", _darts)
register("mbv3", _mbv3)

__all__ = ["SearchSpace", "get", "names", "register"]
