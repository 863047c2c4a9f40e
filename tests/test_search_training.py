"""Searches whose oracle really trains candidates: the results table, resuming, executors, Ray."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nag import search
from nag.bench import from_table
from nag.errors import ConfigError, DatasetError
from nag.executors import SerialExecutor
from nag.search.training import TrainingOracle
from nag.train import TrainConfig

TINY = {"C": 2, "N": 1}
CONFIG = TrainConfig(epochs=1, progress=False)


class CountingExecutor(SerialExecutor):
    """A serial executor that counts the trainings it runs."""

    def __init__(self):
        super().__init__()
        self.jobs = 0

    def _map(self, fn, items, on_result):
        self.jobs += len(items)
        return super()._map(fn, items, on_result)


def oracle(table=None, executor=None, **kwargs):
    return TrainingOracle("nb201", "digits", CONFIG, table=table, executor=executor or CountingExecutor(), build=TINY, **kwargs)


def test_every_candidate_is_trained_once_and_recorded_as_a_benchmark(tmp_path):
    table = tmp_path / "runs.csv"
    objective = oracle(table)
    trajectory = search.run("random", objective, space="nb201", budget=3, seed=0)
    assert len(trajectory) == 3 and objective.executor.jobs == 3
    bench = from_table(table, "nb201")
    assert len(bench) == 3 and {"val_accuracy", "accuracy", "params", "seconds"} <= set(bench.metrics)
    for arch, value in zip(trajectory.archs, trajectory.values):
        assert bench.query(arch, "val_accuracy") == pytest.approx(value)
        assert 0.0 <= value <= 1.0


def test_a_rerun_with_the_same_table_resumes_without_retraining(tmp_path):
    table = tmp_path / "runs.csv"
    first = search.run("re", oracle(table), space="nb201", budget=2, seed=1, population=3, sample_size=2)  # cut short
    again = oracle(table)
    longer = search.run("re", again, space="nb201", budget=4, seed=1, population=3, sample_size=2)
    assert longer.archs[:2] == first.archs[:2] and longer.values[:2] == first.values[:2]
    assert again.executor.jobs == 2  # only the two queries the first run never reached
    replay = oracle(table)
    assert search.run("re", replay, space="nb201", budget=4, seed=1, population=3, sample_size=2).values == longer.values
    assert replay.executor.jobs == 0
    assert len(from_table(table, "nb201")) == 4


def test_the_search_sees_validation_accuracy_not_test(tmp_path):
    objective = oracle(tmp_path / "runs.csv")
    values = objective(["|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"])
    row = next(iter(objective.rows.values()))
    assert row["val_accuracy"] != row["test_accuracy"]  # else the check below could not tell them apart
    assert values[0] == row["val_accuracy"]


def test_bad_data_or_metric_fails_before_any_training():
    with pytest.raises(DatasetError, match="builds image_classification models"):
        TrainingOracle("nb201", "karate", CONFIG, executor=CountingExecutor())
    with pytest.raises(ConfigError, match="metric must be one of"):
        oracle(metric="loss")


def test_a_damaged_table_is_named(tmp_path):
    table = tmp_path / "runs.csv"
    oracle(table)  # writes the settings beside the (still absent) table
    table.write_text("arch,accuracy\n|x|,1\n")
    with pytest.raises(DatasetError, match="runs.csv line 2: need columns"):
        oracle(table)


def test_a_table_made_with_other_settings_is_never_mixed_in(tmp_path):
    table = tmp_path / "runs.csv"
    search.run("random", oracle(table), space="nb201", budget=1, seed=0)
    before = table.read_text()
    longer = TrainConfig(epochs=3, progress=False)
    with pytest.raises(ConfigError, match=r"other settings \(train: .*'epochs': 1.*'epochs': 3"):
        TrainingOracle("nb201", "digits", longer, table=table, executor=CountingExecutor(), build=TINY)
    with pytest.raises(ConfigError, match=r"other settings \(build"):
        TrainingOracle("nb201", "digits", CONFIG, table=table, executor=CountingExecutor(), build={"C": 4, "N": 1})
    table.with_name("runs.csv.meta.json").unlink()
    with pytest.raises(ConfigError, match="no runs.csv.meta.json"):
        oracle(table)
    assert table.read_text() == before
    table.with_name("runs.csv.meta.json").write_text("{not json")
    with pytest.raises(ConfigError, match="cannot read"):
        oracle(table)
    fresh = tmp_path / "fresh.csv"
    TrainingOracle("nb201", "digits", longer, table=fresh, executor=CountingExecutor(), build=TINY)  # settings only, no results
    oracle(fresh)  # so other settings may still take the table over
    with pytest.raises(ConfigError, match="is a folder"):
        oracle(tmp_path)


def test_a_diverging_candidate_is_the_worst_not_a_failed_search(tmp_path):
    table = tmp_path / "runs.csv"
    wild = TrainConfig(epochs=1, lr=1e12, grad_clip=None, progress=False)
    objective = TrainingOracle("nb201", "digits", wild, table=table, executor=CountingExecutor(), build=TINY)
    trajectory = search.run("random", objective, space="nb201", budget=3, seed=0)
    assert len(trajectory) == 3
    assert any(np.isnan(v) for v in trajectory.values)  # recorded as NaN, which the search ranks last
    assert len(from_table(table, "nb201")) == 3


@pytest.mark.slow
def test_process_pool_trains_a_batch_in_parallel(tmp_path):
    with TrainingOracle("nb201", "digits", CONFIG, executor="process", executor_options={"workers": 2, "threads_per_worker": 1},
                        build=TINY) as objective:  # fmt: skip
        trajectory = search.run("random", objective, space="nb201", budget=4, seed=0)
        assert objective.workers == 2
    serial = search.run("random", oracle(), space="nb201", budget=4, seed=0)
    assert trajectory.archs == serial.archs
    np.testing.assert_allclose(trajectory.values, serial.values)  # same seeds, same results wherever they ran


@pytest.mark.slow
def test_ray_backed_search_with_a_local_instance(tmp_path, monkeypatch):
    ray = pytest.importorskip("ray")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    init = {"num_cpus": 2, "num_gpus": 0, "include_dashboard": False, "log_to_driver": False}
    table = tmp_path / "runs.csv"
    try:
        with TrainingOracle("nb201", "digits", CONFIG, table=table, executor="ray", build=TINY,
                            executor_options={"address": "local", "init_options": init}) as objective:  # fmt: skip
            assert objective.workers == 2
            trajectory = search.run("random", objective, space="nb201", budget=4, seed=0)
        assert not ray.is_initialized()
    finally:
        if ray.is_initialized():
            ray.shutdown()
    assert len(trajectory) == 4 and len(from_table(table, "nb201")) == 4
    serial = search.run("random", oracle(), space="nb201", budget=4, seed=0)
    np.testing.assert_allclose(trajectory.values, serial.values)


def test_cli_search_with_the_training_oracle(cli, tmp_path):
    table, out = tmp_path / "runs.csv", tmp_path / "trajectory.json"
    argv = ["search", "strategy=random", "oracle=train", "space=nb201", "data=digits", "epochs=1", "budget=2", "model.C=2",
            "model.N=1", "executor=serial", f"table={table}", f"out={out}", "quiet=true"]  # fmt: skip
    code, text, _ = cli(*argv)
    assert code == 0
    assert "best val_accuracy" in text and str(table) in text
    assert len(json.loads(out.read_text())["values"]) == 2 and len(from_table(table, "nb201")) == 2


@pytest.mark.parametrize("args, message", [(["oracle=lookup"], "oracle must be bench"),
                                           (["executor=dask"], "unknown executor"),
                                           (["address=ray://x:10001"], "add executor=ray"),
                                           (["data=karate"], "builds image_classification models")])  # fmt: skip
def test_cli_training_search_errors_are_one_line(cli, args, message):
    code, _, err = cli("search", "oracle=train", "budget=2", "executor=serial", *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_regularized_evolution_breeds_a_batch_per_round_for_parallel_oracles():
    from nag import bench

    b = bench.load("nb201-cifar10")
    calls = []

    class FourAtOnce:
        workers = 4

        def __call__(self, archs):
            calls.append(len(archs))
            return b.query_many(archs, "accuracy")

    trajectory = search.run("re", FourAtOnce(), space="nb201", budget=60, seed=0, population=20)
    assert len(trajectory) == 60 and len(set(trajectory.archs)) == 60
    assert calls[0] == 20 and set(calls[1:]) == {4}  # the population at once, then four children per round
