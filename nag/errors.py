"""The error hierarchy of nag.

Every error a user can trigger is a :class:`NagError`; its message says what was
wrong and, where there is one, what to do instead.
"""

from __future__ import annotations

from collections.abc import Iterable


class NagError(Exception):
    """Base class of every error nag raises on purpose."""


class InvalidArchitecture(NagError, ValueError):
    """An architecture, arch string or computation graph is malformed or not in a space."""


class ConfigError(NagError, ValueError):
    """A configuration value, CLI argument or API argument is invalid."""


class UnknownNameError(ConfigError, KeyError):
    """A name (space, benchmark, metric, strategy) is not registered.

    The message lists the valid choices.
    """

    def __init__(self, kind: str, name: object, choices: Iterable[str]):
        self.kind, self.name, self.choices = kind, name, sorted(choices)
        super().__init__(f"unknown {kind} {name!r}; choose one of: {', '.join(self.choices)}")

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return self.args[0]


class BenchmarkDataError(NagError):
    """A benchmark data file or its cache cannot be read."""


class CheckpointError(NagError):
    """A checkpoint is missing, corrupted or does not match what loads it."""


class ExportError(NagError):
    """A model cannot be exported (missing package, exporter failure) or its export
    does not reproduce the PyTorch outputs."""


class DatasetError(NagError):
    """A dataset is missing, malformed or does not fit the model it is given to."""


class TrainingError(NagError):
    """Training cannot go on (the loss became NaN/inf); the last good checkpoint is kept."""


class EvaluationError(NagError):
    """A job run by an executor raised; ``index`` is the failing item's position in its batch.

    The message names the index and the original error, which is chained as ``__cause__``.
    """

    def __init__(self, message: str, index: int | None = None):
        super().__init__(message)
        self.index = index
