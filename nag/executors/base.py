"""``Executor``: run one function over a batch of jobs and get one result per job, in order."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from nag.errors import ConfigError, EvaluationError

T = TypeVar("T")
R = TypeVar("R")
#: ``on_result(index, result)``: told of each finished job
OnResult = Callable[[int, Any], None]


def _ignore(index: int, result: Any) -> None:
    return None


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

    def map(self, fn: Callable[[T], R], items: Iterable[T], on_result: OnResult | None = None) -> list[R]:
        """``[fn(item) for item in items]``, evaluated by this executor's workers.

        Args:
            fn: a top-level module function (see the subclass for what it must be).
            items: the jobs.
            on_result: called as ``on_result(index, result)`` in the calling process as
                soon as each job finishes, in the order they finish (e.g. to save each
                result at once, so a crash loses none that finished).

        Raises:
            EvaluationError: a job raised; the message names the first failing item's
                index (in input order) and the original error, chained as ``__cause__``.
                Jobs of the batch that have not started yet are cancelled; those already
                running finish, and their results still reach ``on_result``.
            ConfigError: the executor is closed.
        """
        if self._closed:
            raise ConfigError(f"this {type(self).__name__} is closed; make a new executor to run more jobs")
        items = list(items)
        if not items:
            return []
        if "on_result" not in inspect.signature(self._map).parameters:  # an executor written before on_result
            results = self._map(fn, items)  # type: ignore[call-arg]
            for index, result in enumerate(results):
                (on_result or _ignore)(index, result)
            return results
        return self._map(fn, items, on_result or _ignore)

    def _map(self, fn: Callable[[T], R], items: list[T], on_result: OnResult) -> list[R]:
        """The results of ``fn`` over a non-empty batch, in order, each passed to ``on_result``
        as it finishes; raise :func:`job_failed` on a failure."""
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


def first_failure(failures: dict[int, BaseException], hint: str = "") -> EvaluationError:
    """The :func:`job_failed` error of the lowest failing index in ``failures`` (index -> error)."""
    index = min(failures)
    return job_failed(index, failures[index], hint)


def job_failed(index: int, error: BaseException, hint: str = "") -> EvaluationError:
    """The :class:`EvaluationError` for item ``index`` failing with ``error`` (raise it ``from`` the error)."""
    message = f"item {index} failed with {type(error).__name__}: {error}"
    return EvaluationError(message + (f" ({hint})" if hint else ""), index=index)
