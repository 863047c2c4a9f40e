"""Benchmarks: ``nag.bench.load(name)``, ``nag.bench.names()`` and ``nag.bench.from_table``."""

from __future__ import annotations

from nag.bench.benchmark import Benchmark
from nag.bench.from_table import from_table
from nag.registry import Registry
from nag.sources.nas_bench_graph import DATASETS as NBGRAPH_DATASETS

_REGISTRY: Registry[Benchmark] = Registry("benchmark", cache=True)


def load(name: str) -> Benchmark:
    """The benchmark registered as ``name`` (converted once, then read from the cache)."""
    return _REGISTRY.get(name)


def names() -> list[str]:
    return _REGISTRY.names()


def register(name: str, factory) -> None:
    """Register a benchmark factory (a callable returning a :class:`Benchmark`)."""
    _REGISTRY.register(name, factory)


def _nb201_cifar10() -> Benchmark:
    from nag.bench import nb201_cifar10

    return nb201_cifar10.load()


def _nbgraph(dataset: str):
    def factory() -> Benchmark:
        from nag import spaces
        from nag.bench import nbgraph

        return nbgraph.load(dataset, spaces.get("nbgraph-proteins" if dataset == "proteins" else "nbgraph"))

    return factory


register("nb201-cifar10", _nb201_cifar10)
for _dataset in NBGRAPH_DATASETS:
    register(f"nbgraph-{_dataset}", _nbgraph(_dataset))

__all__ = ["Benchmark", "load", "names", "register", "from_table"]
