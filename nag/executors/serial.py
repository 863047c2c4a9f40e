"""``SerialExecutor``: run the jobs one after another in the calling process."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from nag.executors.base import Executor, OnResult, job_failed

T = TypeVar("T")
R = TypeVar("R")


class SerialExecutor(Executor):
    """Runs every job in the calling process, in order (``workers == 1``).

    The reference executor: no start-up cost, no pickling, and a debugger or profiler
    sees the job's own stack. A failing job stops the batch.
    """

    workers = 1

    def _map(self, fn: Callable[[T], R], items: list[T], on_result: OnResult) -> list[R]:
        results = []
        for index, item in enumerate(items):
            try:
                results.append(fn(item))
            except Exception as error:
                raise job_failed(index, error) from error
            on_result(index, results[-1])
        return results
