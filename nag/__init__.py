"""nag: neural architecture generation.

Architectures from every search space (and any PyTorch model) become one kind of
computation graph (:class:`CompGraph`); benchmarks hold their published results;
search strategies look for the best ones.
"""

from nag.errors import (
    BenchmarkDataError,
    CheckpointError,
    ConfigError,
    InvalidArchitecture,
    NagError,
    UnknownNameError,
)
from nag.graph import CompGraph, Node

__version__ = "0.1.0"

__all__ = [
    "CompGraph",
    "Node",
    "NagError",
    "InvalidArchitecture",
    "ConfigError",
    "UnknownNameError",
    "BenchmarkDataError",
    "CheckpointError",
    "count_params",
    "count_flops",
    "Encoder",
    "Predictor",
    "Generator",
]


def __getattr__(name: str):
    # Keep `import nag` light: counting pulls in torch.utils.flop_counter.
    if name in ("count_params", "count_flops"):
        from nag import counting

        return getattr(counting, name)
    if name == "Encoder":
        from nag.encoder import Encoder

        return Encoder
    if name == "Generator":
        from nag.generator import Generator

        return Generator
    if name == "Predictor":
        from nag.predictors import Predictor

        return Predictor
    if name in ("spaces", "bench", "search", "graph", "guidance", "diffusion", "train", "executors", "export", "draw", "plots"):
        import importlib

        return importlib.import_module(f"nag.{name}")
    raise AttributeError(f"module 'nag' has no attribute {name!r}")
