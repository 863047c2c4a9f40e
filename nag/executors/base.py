"""``Executor``: run one function over a batch of jobs and get one result per job, in order."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from nag.errors import ConfigError, EvaluationError

T = TypeVar("T")
R = TypeVar("R")


class Executor:
    """Evaluates ``fn(item)`` for every item of a batch, possibly many at once.

    Jobs are plain picklable objects (dataclasses) and ``fn`` is a top-level module
    function, so the same call runs in-process, in a local process pool or on a Ray
    cluster. Subclasses write only :meth:`_map` (and :meth:`close` if they hold
    resources).

    Use as a context manager, or call :meth:`close` when done::

        with make_executor("process", workers=4) as executor:
            scores = executor.map(train_and_score, jobs)

    Attributes:
        workers: how many jobs run at once; a search uses it as its batch size hint.
    """

    workers: int = 1

    def __init__(self) -> None:
        self._closed = False

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``[fn(item) for item in items]``, evaluated by this executor's workers.

        Raises:
            EvaluationError: a job raised; the message names the first failing item's
                index (in input order) and the original error, chained as ``__cause__``.
                Jobs of the batch that have not started yet are cancelled.
            ConfigError: the executor is closed.
        """
        if self._closed:
            raise ConfigError(f"this {type(self).__name__} is closed; make a new executor to run more jobs")
        items = list(items)
        if not items:
            return []
        return self._map(fn, items)

    def _map(self, fn: Callable[[T], R], items: list[T]) -> list[R]:
        """The results of ``fn`` over a non-empty batch, in order; raise :func:`job_failed` on a failure."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers; further :meth:`map` calls raise. Calling it again does nothing."""
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(workers={self.workers})"


def job_failed(index: int, error: BaseException, hint: str = "") -> EvaluationError:
    """The :class:`EvaluationError` for item ``index`` failing with ``error`` (raise it ``from`` the error)."""
    message = f"item {index} failed with {type(error).__name__}: {error}"
    return EvaluationError(message + (f" ({hint})" if hint else ""), index=index)
