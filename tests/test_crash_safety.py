"""Searches that train candidates survive crashes: no worker outlives a killed search, no
finished training is lost, and two searches never share (and overwrite) one table."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nag import search
from nag.bench import from_table
from nag.errors import ConfigError, EvaluationError
from nag.executors import SerialExecutor
from nag.search.training import TrainingOracle
from nag.train import TrainConfig

TINY = {"C": 2, "N": 1}
CONFIG = TrainConfig(epochs=1, progress=False)
SEARCH = ["search", "strategy=random", "oracle=train", "space=nb201", "data=digits", "epochs=1", "model.C=4", "model.N=1",
          "quiet=true"]  # fmt: skip


class FailingExecutor(SerialExecutor):
    """Trains the first ``ok`` jobs of a batch, then fails, as a crash in the middle of a batch."""

    def __init__(self, ok: int):
        super().__init__()
        self.ok = ok

    def _map(self, fn, items, on_result):
        def job(item):
            if items.index(item) >= self.ok:
                raise RuntimeError("the machine went down")
            return fn(item)

        return super()._map(job, items, on_result)


def test_rows_finished_before_a_failure_are_in_the_table(tmp_path):
    table = tmp_path / "runs.csv"
    archs = search.run("random", lambda a: np.zeros(len(a)), space="nb201", budget=4, seed=0).archs
    with TrainingOracle("nb201", "digits", CONFIG, table=table, executor=FailingExecutor(ok=2), build=TINY) as objective:
        with pytest.raises(EvaluationError, match="item 2 failed"):
            objective(archs)  # one batch of four: the whole search when budget < population
    saved = from_table(table, "nb201")
    assert [saved.space.to_str(a) for a in saved.archs] == [str(a) for a in archs[:2]]
    with TrainingOracle("nb201", "digits", CONFIG, table=table, executor=FailingExecutor(ok=2), build=TINY) as again:
        again(archs[:2])  # replayed from the table: nothing trains, so nothing fails
        assert again.reused == set(archs[:2])


def test_a_torn_last_row_is_dropped_and_the_table_stays_readable(tmp_path):
    table = tmp_path / "runs.csv"
    with TrainingOracle("nb201", "digits", CONFIG, table=table, executor="serial", build=TINY) as objective:
        search.run("random", objective, space="nb201", budget=2, seed=0)
    complete = table.read_text()
    table.write_text(complete + "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|no")  # killed while writing a row
    with TrainingOracle("nb201", "digits", CONFIG, table=table, executor="serial", build=TINY) as objective:
        assert len(objective.rows) == 2
        search.run("random", objective, space="nb201", budget=3, seed=0)
    assert table.read_text().startswith(complete) and len(from_table(table, "nb201")) == 3


def test_one_process_may_reopen_its_table(tmp_path):
    """A notebook cell run twice makes a second oracle while the first still exists."""
    table = tmp_path / "runs.csv"
    first = TrainingOracle("nb201", "digits", CONFIG, table=table, executor="serial", build=TINY)
    search.run("random", first, space="nb201", budget=2, seed=0)
    second = TrainingOracle("nb201", "digits", CONFIG, table=table, executor="serial", build=TINY)
    search.run("random", second, space="nb201", budget=2, seed=0)
    assert second.reused and len(from_table(table, "nb201")) == 2
    first.close()
    second.close()


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "nag", *args]


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.2)


def _rows(table: Path) -> list[str]:
    return table.read_text().splitlines()[1:] if table.is_file() else []


@pytest.mark.slow
def test_a_second_search_on_a_table_in_use_is_refused_in_one_line(tmp_path, cli):
    table = tmp_path / "runs.csv"
    first = subprocess.Popen(_cli(*SEARCH, "executor=serial", "budget=3", f"table={table}"), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        _wait_for(lambda: table.with_name("runs.csv.meta.json").is_file(), 120, "the first search to take the table")
        code, out, err = cli(*SEARCH, "executor=serial", "budget=2", f"table={table}")
        assert code == 2 and out == ""
        assert len(err.strip().splitlines()) == 1 and "in use by another search" in err
        stdout, stderr = first.communicate(timeout=300)
    finally:
        first.kill()
    assert first.returncode == 0, stderr
    assert len(from_table(table, "nb201")) == 3  # the first search's rows, all of them


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc)."""
    found, frontier = set(), [pid]
    while frontier:
        parent = frontier.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            children = (task / "children").read_text().split() if (task / "children").is_file() else []
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    frontier.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")  # a zombie has exited; only its parent has not collected it


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process tree from /proc")
def test_kill_9_of_a_process_pool_search_leaves_no_worker_and_loses_no_result(tmp_path):
    table = tmp_path / "runs.csv"
    argv = _cli(*SEARCH, "executor=process", "workers=2", "budget=8", f"table={table}")
    victim = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: len(_rows(table)) >= 1 or victim.poll() is not None, 300, "a first finished training")
        workers = _descendants(victim.pid)
        assert victim.poll() is None and workers, "the search ended before it could be killed"
        finished = _rows(table)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
    finally:
        victim.kill()
    deadline = time.monotonic() + 10
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    survivors = [pid for pid in workers if _alive(pid)]
    for pid in survivors:  # leave no stray process behind, even when the assertion fails
        os.kill(pid, signal.SIGKILL)
    assert not survivors, "workers outlived their killed parent by more than 10 s"
    rerun = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    rows = _rows(table)
    assert rows[: len(finished)] == finished and len(rows) == 8  # the finished ones untouched, none trained twice
    assert f"{len(finished)} of the 8 queries were answered from it without training" in rerun.stdout


def test_results_reach_on_result_as_each_job_finishes():
    seen = []
    results = SerialExecutor().map(abs, [-1, -2, 3], on_result=lambda i, r: seen.append((i, r)))
    assert results == [1, 2, 3] and seen == [(0, 1), (1, 2), (2, 3)]


def test_a_table_in_use_by_another_process_is_refused(tmp_path):
    table = tmp_path / "runs.csv"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from nag.search.results_table import TableLock; lock = TableLock(sys.argv[1]); print('held', flush=True); "
        "time.sleep(60)"), str(table)], stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ConfigError, match="in use by another search"):
            TrainingOracle("nb201", "digits", CONFIG, table=table, executor="serial", build=TINY)
    finally:
        holder.kill()
        holder.wait()
    with TrainingOracle("nb201", "digits", CONFIG, table=table, executor="serial", build=TINY):
        pass  # the lock died with its process
