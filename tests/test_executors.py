"""Executors: results in input order, work done in other processes, job failures as
``EvaluationError`` naming the item, option errors, and Ray on a small local instance."""

from __future__ import annotations

import math
import os
import sys
import time

import pytest

from nag import ConfigError, UnknownNameError
from nag.errors import EvaluationError
from nag.executors import Executor, ProcessExecutor, SerialExecutor, executor_options, make_executor, names
from nag.executors.ray import concurrency

ITEMS = list(range(6))


def slow_square(x: int) -> int:
    """``x * x``, the earlier items the slower, so a pool finishes them out of order."""
    time.sleep(0.02 * (len(ITEMS) - x))
    return x * x


def where_run(x: int) -> tuple[int, int, int]:
    """The item, the process id and torch's thread count of the process that ran it."""
    import torch

    return x, os.getpid(), torch.get_num_threads()


def fail_from_three(x: int) -> int:
    if x >= 3:
        raise ValueError(f"bad item {x}")
    return x


def crash(x: int) -> int:
    os._exit(3)  # the worker dies, as when the kernel kills it for memory


@pytest.fixture(scope="module")
def pool() -> ProcessExecutor:
    """One pool for the module: each spawned worker imports torch once (about a second)."""
    with make_executor("process", workers=2, threads_per_worker=1) as executor:
        yield executor


@pytest.fixture(params=["serial", "process"])
def executor(request, pool) -> Executor:
    return pool if request.param == "process" else make_executor("serial")


def test_names_and_options():
    assert names() == ["process", "ray", "serial"]
    assert executor_options("process") == {"workers": None, "threads_per_worker": None}
    assert executor_options("serial") == {}
    assert set(executor_options("ray")) == {"address", "num_cpus", "num_gpus", "init_options"}


def test_results_in_input_order(executor):
    assert executor.map(slow_square, ITEMS) == [x * x for x in ITEMS]
    assert executor.map(slow_square, iter(ITEMS)) == [x * x for x in ITEMS]  # any iterable
    assert executor.map(slow_square, []) == []


def test_process_pool_runs_elsewhere_with_its_thread_limit(pool):
    assert pool.workers == 2
    results = pool.map(where_run, ITEMS)
    assert [x for x, _, _ in results] == ITEMS
    assert all(pid != os.getpid() for _, pid, _ in results)
    assert {threads for _, _, threads in results} == {1}


def test_serial_runs_here():
    executor = SerialExecutor()
    assert executor.workers == 1
    assert {pid for _, pid, _ in executor.map(where_run, ITEMS)} == {os.getpid()}


def test_job_failure_names_first_failing_item(executor):
    with pytest.raises(EvaluationError, match=r"item 3 failed with ValueError: bad item 3") as caught:
        executor.map(fail_from_three, ITEMS)
    assert caught.value.index == 3
    assert isinstance(caught.value.__cause__, ValueError)
    assert executor.map(fail_from_three, [0, 1, 2]) == [0, 1, 2]  # still usable afterwards


def test_process_refuses_unpicklable_function(pool):
    with pytest.raises(ConfigError, match="top-level module function"):
        pool.map(lambda x: x, ITEMS)


def test_dead_worker_is_reported_and_replaced(pool):
    with pytest.raises(EvaluationError, match=r"item 0 failed with BrokenProcessPool: .*worker process died"):
        pool.map(crash, [0])
    assert pool.map(slow_square, [2, 3]) == [4, 9]  # a fresh pool


def test_closed_executor_refuses_work():
    with make_executor("serial") as executor:
        assert executor.map(abs, [-1]) == [1]
    with pytest.raises(ConfigError, match="closed"):
        executor.map(abs, [-1])
    executor.close()  # closing twice is fine


def test_unknown_executor_or_option():
    with pytest.raises(UnknownNameError, match="process, ray, serial"):
        make_executor("threads")
    with pytest.raises(ConfigError, match=r"no option\(s\) \['worker'\]; it takes: \['threads_per_worker', 'workers'\]"):
        make_executor("process", worker=2)
    with pytest.raises(ConfigError, match="it takes: none"):
        make_executor("serial", workers=2)
    with pytest.raises(ConfigError, match="workers must be a positive integer"):
        make_executor("process", workers=0)
    with pytest.raises(ConfigError, match="threads_per_worker"):
        make_executor("process", threads_per_worker=0)


def test_ray_missing_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` raise ImportError
    with pytest.raises(ConfigError, match=r"pip install nag\[ray\]"):
        make_executor("ray")


def test_ray_concurrency_from_cluster_resources():
    assert concurrency({"CPU": 8.0}, num_cpus=1, num_gpus=0) == 8
    assert concurrency({"CPU": 8.0, "GPU": 2.0}, num_cpus=1, num_gpus=1) == 2
    assert concurrency({"CPU": 8.0, "GPU": 1.0}, num_cpus=1, num_gpus=0.25) == 4
    assert concurrency({"CPU": 1.0}, num_cpus=2, num_gpus=0) == 1  # never less than one
    assert concurrency({"CPU": 3.0}, num_cpus=0, num_gpus=0) == 3


@pytest.mark.slow
def test_ray_local_instance(monkeypatch):
    """A 2-CPU local Ray instance: order, failures, and it is shut down on close.

    The jobs are builtins (``math.factorial``) because Ray workers import a job's module
    from the installed packages, and this test module is not one of them.
    """
    ray = pytest.importorskip("ray")
    assert not ray.is_initialized()
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    init = {"num_cpus": 2, "num_gpus": 0, "include_dashboard": False, "log_to_driver": False}
    try:
        with make_executor("ray", address="local", init_options=init) as executor:
            assert ray.is_initialized()
            assert (executor.workers, executor.num_gpus) == (2, 0)
            assert executor.map(math.factorial, ITEMS) == [math.factorial(x) for x in ITEMS]
            with pytest.raises(EvaluationError, match=r"item 2 failed with ValueError: factorial") as caught:
                executor.map(math.factorial, [3, 2, -1, 4])
            assert caught.value.index == 2 and isinstance(caught.value.__cause__, ValueError)
            assert executor.map(abs, [-2, 5]) == [2, 5]
        assert not ray.is_initialized()
    finally:
        if ray.is_initialized():
            ray.shutdown()
