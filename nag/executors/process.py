"""``ProcessExecutor``: run the jobs in a pool of local worker processes."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import pickle
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from nag.errors import ConfigError
from nag.executors.base import Executor, OnResult, first_failure

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """``min(os.cpu_count(), 4)``: the process pool's default size."""
    return min(os.cpu_count() or 1, 4)


def _exit_with_parent() -> None:
    """Wait until the process that started this one is gone, then end this one at once.

    A worker whose parent was killed (``kill -9``, out of memory) would otherwise be
    re-parented to PID 1 and keep training, then wait forever for jobs."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    multiprocessing.connection.wait([parent.sentinel])
    os._exit(1)


def _start_worker(threads: int | None) -> None:
    """Worker initializer: watch the parent (see :func:`_exit_with_parent`) and, if given,
    let torch use ``threads`` intra-op threads in this process."""
    threading.Thread(target=_exit_with_parent, name="nag-exit-with-parent", daemon=True).start()
    if threads is not None:
        import torch

        torch.set_num_threads(threads)


class ProcessExecutor(Executor):
    """Runs the jobs in a :class:`~concurrent.futures.ProcessPoolExecutor` of "spawn"ed processes.

    "spawn" starts each worker as a fresh interpreter, which is safe with torch (a
    forked copy of a process that already ran torch's thread pools or CUDA can hang).
    Each worker imports ``fn``'s module once when it starts (torch included: about a
    second) and is reused for every later batch, until :meth:`close`. A worker ends on its
    own as soon as the process that started it is gone, even after a ``kill -9``.

    ``fn`` must be a top-level module function and the items and results picklable;
    a lambda or local function is refused up front. As with any "spawn" pool, a script
    that uses it must start its work under ``if __name__ == "__main__":``, since each
    worker imports the script again.

    Args:
        workers: processes run at once (default ``min(os.cpu_count(), 4)``).
        threads_per_worker: if given, each worker calls ``torch.set_num_threads`` with it
            when it starts, so ``workers`` processes do not oversubscribe the cores
            (e.g. ``os.cpu_count() // workers``); by default torch picks its own count.
    """

    def __init__(self, workers: int | None = None, threads_per_worker: int | None = None):
        super().__init__()
        workers = default_workers() if workers is None else workers
        if not isinstance(workers, int) or workers < 1:
            raise ConfigError(f"workers must be a positive integer, got {workers!r}")
        if threads_per_worker is not None and (not isinstance(threads_per_worker, int) or threads_per_worker < 1):
            raise ConfigError(f"threads_per_worker must be a positive integer or None, got {threads_per_worker!r}")
        self.workers, self.threads_per_worker = workers, threads_per_worker
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.threads_per_worker,),
            )
        return self._pool

    def _map(self, fn: Callable[[T], R], items: list[T], on_result: OnResult) -> list[R]:
        try:
            pickle.dumps(fn)
        except Exception as error:
            raise ConfigError(
                f"{fn!r} cannot be sent to worker processes ({error}); pass a top-level module function, "
                "not a lambda, local function or bound method of an unpicklable object"
            ) from error
        pool = self._get_pool()
        index_of = {pool.submit(fn, item): index for index, item in enumerate(items)}
        results: list = [None] * len(items)
        failures: dict[int, BaseException] = {}
        pending = set(index_of)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=index_of.__getitem__):
                if future.cancelled():
                    continue
                index, error = index_of[future], future.exception()
                if error is None:
                    results[index] = future.result()
                    on_result(index, results[index])
                    continue
                failures[index] = error
                for rest in pending:  # not started yet: never start; running ones finish and are kept
                    rest.cancel()
        if failures:
            hint = ""
            if any(isinstance(e, BrokenProcessPool) for e in failures.values()):
                # A dead worker breaks the whole pool: start a fresh one for the next batch.
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
                hint = (
                    "a worker process died: out of memory, a crash, a job that cannot be unpickled there, "
                    'or a script without an `if __name__ == "__main__":` guard'
                )
            raise first_failure(failures, hint) from failures[min(failures)]
        return results

    def close(self) -> None:
        """Cancel queued jobs, wait for running ones and stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        super().close()

    def __repr__(self) -> str:
        return f"ProcessExecutor(workers={self.workers}, threads_per_worker={self.threads_per_worker})"
