"""``RayExecutor``: run the jobs as Ray tasks, on a local Ray instance or a cluster."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from nag.errors import ConfigError
from nag.executors.base import Executor, OnResult, first_failure

T = TypeVar("T")
R = TypeVar("R")


def _import_ray():
    try:
        import ray
    except ImportError as error:
        raise ConfigError("the 'ray' executor needs Ray, which is not installed: pip install nag[ray]") from error
    return ray


def _call(fn: Callable[[T], R], item: T) -> R:
    """The one Ray task: ``fn(item)`` (``fn`` travels as an argument, so any picklable callable works)."""
    return fn(item)


def concurrency(resources: Mapping[str, float], num_cpus: float, num_gpus: float) -> int:
    """How many tasks needing ``num_cpus`` CPUs and ``num_gpus`` GPUs fit in ``resources`` at once (at least 1).

    ``resources`` is what ``ray.cluster_resources()`` returns (``{"CPU": 8.0, "GPU": 2.0, ...}``).
    """
    fits = [math.floor(resources.get(kind, 0.0) / need) for kind, need in (("CPU", num_cpus), ("GPU", num_gpus)) if need > 0]
    return max(1, min(fits)) if fits else max(1, int(resources.get("CPU", 1)))


class RayExecutor(Executor):
    """Runs each job as a ``ray.remote`` task reserving ``num_cpus`` CPUs and ``num_gpus`` GPUs.

    Connects to the cluster at ``address`` if given; otherwise ``ray.init()`` finds one
    the usual way (``RAY_ADDRESS``, then a cluster started on this machine with
    ``ray start``) or starts a local Ray instance. If Ray is already initialised in this
    process, that connection is used as it is (``init_options`` are then ignored).
    :meth:`close` calls ``ray.shutdown()`` only if this executor called ``ray.init``:
    that stops a local instance it started and merely disconnects from a cluster it
    joined (the cluster keeps running).

    ``fn`` (any picklable callable) is shipped with cloudpickle, a module function by
    reference, so the workers must be able to import its module (and ``nag``): put it
    in an installed package (as ``nag``'s own jobs are), or give Ray a ``runtime_env``
    through ``init_options``.

    Args:
        address: the cluster to connect to (``"auto"``, ``"ray://host:10001"``, ...);
            ``"local"`` always starts a new local instance.
        num_cpus: CPUs reserved by each task.
        num_gpus: GPUs reserved by each task (may be fractional); by default 1 if the
            cluster has GPUs, else 0. Ray sets ``CUDA_VISIBLE_DEVICES`` for the task.
        init_options: more keyword arguments for ``ray.init``, e.g.
            ``{"num_cpus": 2, "include_dashboard": False}`` for a small local instance.

    Attributes:
        workers: how many tasks fit in the cluster at once when the executor was made.
    """

    def __init__(self, address: str | None = None, num_cpus: float = 1, num_gpus: float | None = None,
                 init_options: Mapping[str, Any] | None = None):  # fmt: skip
        super().__init__()
        if num_cpus < 0 or (num_gpus is not None and num_gpus < 0):
            raise ConfigError(f"num_cpus and num_gpus must be >= 0, got {num_cpus!r} and {num_gpus!r}")
        init_options = dict(init_options or {})
        clash = sorted({"address", "ignore_reinit_error"} & set(init_options))
        if clash:
            raise ConfigError(f"init_options may not set {clash}: pass address= to the executor itself")
        ray = _import_ray()
        self._started = not ray.is_initialized()
        try:
            ray.init(address=address, ignore_reinit_error=True, **init_options)
        except Exception as e:  # ray raises ConnectionError, ValueError, RuntimeError... for a bad address or option
            where = f"the Ray cluster at {address}" if address else "a local Ray instance"
            raise ConfigError(
                f"cannot start or join {where}: {type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"
            ) from None
        resources = ray.cluster_resources()
        if num_gpus is None:
            num_gpus = 1 if resources.get("GPU", 0) > 0 else 0
        self.address, self.num_cpus, self.num_gpus = address, num_cpus, num_gpus
        self.workers = concurrency(resources, num_cpus, num_gpus)
        self._task = ray.remote(num_cpus=num_cpus, num_gpus=num_gpus)(_call)

    def _map(self, fn: Callable[[T], R], items: list[T], on_result: OnResult) -> list[R]:
        ray = _import_ray()
        fn_ref = ray.put(fn)  # stored once per batch, not once per task
        index_of = {self._task.remote(fn_ref, item): index for index, item in enumerate(items)}
        results: list = [None] * len(items)
        failures: dict[int, BaseException] = {}
        pending = list(index_of)
        while pending:
            (ref,), pending = ray.wait(pending, num_returns=1)
            index = index_of[ref]
            try:
                results[index] = ray.get(ref)
            except Exception as error:
                if failures and isinstance(error, ray.exceptions.TaskCancelledError):
                    continue
                # A RayTaskError carries the job's own exception as .cause; name that one.
                cause = getattr(error, "cause", None)
                failures[index] = cause if isinstance(cause, BaseException) else error
                for rest in pending:
                    ray.cancel(rest)
                continue
            on_result(index, results[index])
        if failures:
            raise first_failure(failures) from failures[min(failures)]
        return results

    def close(self) -> None:
        """Shut Ray down if this executor initialised it (see the class docstring)."""
        if self._started and not self._closed:
            ray = _import_ray()
            if ray.is_initialized():
                ray.shutdown()
        super().close()

    def __repr__(self) -> str:
        options = f"address={self.address!r}, num_cpus={self.num_cpus}, num_gpus={self.num_gpus}"
        return f"RayExecutor({options}, workers={self.workers})"
