"""Benchmarks: published figures, the Benchmark API, the cache, the safe unpickler,
user tables (from_table) and parameter / MAC counting."""

import os
import pickle

import numpy as np
import pytest
import torch
from torch import nn

from nag import (
    BenchmarkDataError,
    ConfigError,
    InvalidArchitecture,
    UnknownNameError,
    bench,
    count_flops,
    count_params,
    spaces,
)
from nag.sources import cache
from nag.sources.safe_pickle import Record, safe_load
from nag.spaces.nbgraph import source as nas_bench_graph

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"
DATASETS = ("cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers", "arxiv", "proteins")
NB201_ARCHS = [
    BEST,
    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
    "|avg_pool_3x3~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|avg_pool_3x3~1|skip_connect~2|",
    "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|",
    "|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_1x1~1|nor_conv_1x1~2|",
]


@pytest.fixture(scope="module")
def nb201_bench():
    return bench.load("nb201-cifar10")


# ====================================================================== registry
def test_names():
    names = bench.names()
    assert "nb201-cifar10" in names
    assert {f"nbgraph-{d}" for d in DATASETS} <= set(names)
    assert len(names) == 10


def test_unknown_benchmark():
    with pytest.raises(UnknownNameError) as info:
        bench.load("nb201-imagenet")
    assert "nb201-imagenet" in str(info.value)
    assert "nb201-cifar10" in str(info.value) and "nbgraph-cora" in str(info.value)


def test_load_is_cached():
    assert bench.load("nbgraph-cora") is bench.load("nbgraph-cora")


# ====================================================================== NAS-Bench-201 figures
def test_nb201_best_cell(nb201_bench):
    space = spaces.get("nb201")
    assert nb201_bench.query(BEST) == pytest.approx(94.066, abs=1e-3)
    assert nb201_bench.query(space.from_str(BEST)) == pytest.approx(94.066, abs=1e-3)
    assert nb201_bench.query(space.to_graph(BEST), "accuracy") == pytest.approx(94.066, abs=1e-3)
    assert nb201_bench.query(space.from_tuple((2, 2, 0, 2, 3, 2))) == pytest.approx(94.066, abs=1e-3)
    arch, value = nb201_bench.best()
    assert str(arch) == BEST and value == pytest.approx(94.066, abs=1e-3)
    assert nb201_bench.rank(value) == 0


def test_nb201_figures(nb201_bench):
    assert len(nb201_bench) == 15_625
    assert nb201_bench.space is spaces.get("nb201") or nb201_bench.space.name == "nb201"
    assert nb201_bench.default_metric == "accuracy"
    s = nb201_bench.summary()
    assert s["size"] == 15_625 and s["metric"] == "accuracy" and s["best_arch"] == BEST
    assert s["best"] == pytest.approx(94.066, abs=1e-3)
    assert s["top_0.1%"] == pytest.approx(93.815, abs=1e-3)
    assert s["top_1%"] == pytest.approx(93.437, abs=1e-3)
    assert s["top_5%"] == pytest.approx(92.933, abs=1e-3)
    assert s["median"] == pytest.approx(90.406, abs=1e-3)
    assert s["worst"] == 10.0
    assert nb201_bench.threshold(0.001) == pytest.approx(93.815, abs=1e-3)
    assert nb201_bench.threshold(10 / 15_625) == pytest.approx(93.861, abs=1e-3)  # 10th best
    assert int(np.sum(nb201_bench.values() == 10.0)) == 341
    assert nb201_bench.rank(nb201_bench.threshold(0.001)) == 15  # the 16th best


def test_nb201_metrics(nb201_bench):
    metrics = nb201_bench.metrics
    for m in ("accuracy", "ptq_accuracy", "qat_accuracy", "noisy_accuracy", "analog_accuracy", "params", "flops",
              "baseline_drift_60", "analog_drift_2592000"):  # fmt: skip
        assert m in metrics
    assert nb201_bench.query(BEST, "params") == 1_073_466
    assert nb201_bench.query(BEST, "flops") == 153_272_960
    # the analog accuracy ranks differently: its best cell is another one
    assert str(nb201_bench.best("analog_accuracy")[0]) != BEST
    flops = nb201_bench.values("flops")
    assert flops.min() > 0 and np.all(flops == np.round(flops))


# ====================================================================== NAS-Bench-Graph figures
@pytest.mark.parametrize(
    ("dataset", "best", "top1", "median"),
    [("cora", 0.831, 0.813, 0.785), ("computers", 0.856, None, 0.768), ("arxiv", 0.724, None, 0.705)],
)
def test_nbgraph_figures(dataset, best, top1, median):
    b = bench.load(f"nbgraph-{dataset}")
    s = b.summary("accuracy")
    assert s["best"] == pytest.approx(best, abs=1e-3)
    assert s["median"] == pytest.approx(median, abs=1e-3)
    if top1 is not None:
        assert b.threshold(0.01) == pytest.approx(top1, abs=1e-3)
    assert len(b) == 26_206 and b.space.name == "nbgraph"
    assert b.query(s["best_arch"]) == s["best"]


def test_nbgraph_datasets_share_the_space():
    space = spaces.get("nbgraph")
    members = set(space.all_archs())
    for dataset in DATASETS[:-1]:
        b = bench.load(f"nbgraph-{dataset}")
        assert set(b.archs) == members, dataset
        assert b.metrics == ["valid_accuracy", "accuracy", "latency", "params"]
    proteins = bench.load("nbgraph-proteins")
    assert len(proteins) == 2_021 and proteins.space.name == "nbgraph-proteins"
    assert set(proteins.archs) == set(spaces.get("nbgraph-proteins").all_archs())


def test_nbgraph_rankings_differ_between_datasets():
    cora, arxiv = bench.load("nbgraph-cora"), bench.load("nbgraph-arxiv")
    assert cora.best()[0] != arxiv.best()[0]


def test_nbgraph_params_is_a_count():
    b = bench.load("nbgraph-cora")
    params = b.values("params")
    assert params.min() > 1000
    assert np.all(params == np.round(params))
    assert b.query("0,1,2,2:fc,gat,gcn,graph", "params") > 1000


def test_nbgraph_query_non_canonical_string():
    b = bench.load("nbgraph-cora")
    assert b.query("0,0,0,0:gcn,gat,skip,skip") == b.query("0,0,0,0:gat,gcn,skip,skip")
    assert "0,0,0,0:gcn,gat,skip,skip" in b


# ====================================================================== Benchmark API
def test_unknown_metric_names_the_valid_ones(nb201_bench):
    with pytest.raises(UnknownNameError) as info:
        nb201_bench.query(BEST, "accuracy_top5")
    message = str(info.value)
    assert "accuracy_top5" in message and "accuracy" in message and "params" in message and "flops" in message
    with pytest.raises(UnknownNameError, match="valid_accuracy"):
        bench.load("nbgraph-cora").values("acc")


def test_query_non_members(nb201_bench):
    with pytest.raises(InvalidArchitecture):
        nb201_bench.query("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    with pytest.raises(InvalidArchitecture):
        nb201_bench.query("0,0,1,2:gcn,gat,skip,fc")
    with pytest.raises(InvalidArchitecture):
        bench.load("nbgraph-proteins").query("0,0,1,2:gcn,gat,skip,fc")  # gat is not a proteins op
    with pytest.raises(InvalidArchitecture):
        bench.load("nbgraph-cora").query("0,0,0,0:skip,skip,skip,skip")
    assert BEST in nb201_bench and "garbage" not in nb201_bench and 42 not in nb201_bench


def test_query_many(nb201_bench):
    values = nb201_bench.query_many(NB201_ARCHS)
    assert values.shape == (5,)
    assert values[0] == pytest.approx(94.066, abs=1e-3) and values[1] == 10.0
    assert list(values) == [nb201_bench.query(a) for a in NB201_ARCHS]


def test_table_returns_fresh_arrays(nb201_bench):
    archs, values = nb201_bench.table("accuracy")
    assert len(archs) == len(values) == 15_625
    assert isinstance(values, np.ndarray) and values.dtype == np.float64
    i = archs.index(spaces.get("nb201").from_str(BEST))
    assert values[i] == pytest.approx(94.066, abs=1e-3)
    values[:] = -1.0
    archs.clear()
    assert nb201_bench.query(BEST) == pytest.approx(94.066, abs=1e-3)
    assert len(nb201_bench.table()[0]) == 15_625
    assert nb201_bench.values().min() == 10.0


def test_values_are_read_only(nb201_bench):
    values = nb201_bench.values("accuracy")
    with pytest.raises(ValueError):
        values[0] = 0.0
    assert nb201_bench.values().max() == pytest.approx(94.066, abs=1e-3)


def test_best_and_threshold_when_minimising(nb201_bench):
    arch, value = nb201_bench.best("params", maximize=False)
    assert value == nb201_bench.values("params").min()
    assert all(op in ("none", "skip_connect", "avg_pool_3x3") for op in arch.ops)
    assert nb201_bench.threshold(1.0, "params", maximize=False) == nb201_bench.values("params").max()


@pytest.mark.parametrize("fraction", [2.0, -0.5])
def test_threshold_rejects_fractions_outside_0_1(nb201_bench, fraction):
    with pytest.raises(ConfigError):
        nb201_bench.threshold(fraction)


# ====================================================================== cache
@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty cache dir, and a counter of how often the NAS-Bench-Graph source is read."""
    monkeypatch.setenv("NAG_CACHE_DIR", str(tmp_path))
    calls = []
    real = nas_bench_graph.safe_load

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(nas_bench_graph, "safe_load", counting)
    return tmp_path, calls


def _same_table(a, b):
    assert sorted(a) == sorted(b)
    for k in a:
        assert np.array_equal(a[k], b[k]), k


def test_cache_file_is_created_and_reused(fresh_cache):
    root, calls = fresh_cache
    assert cache.cache_dir() == root
    table = nas_bench_graph.load_table("proteins")
    path = root / "nas-bench-graph-proteins.npz"
    assert path.is_file() and len(calls) == 1
    assert sorted(table) == ["accuracy", "key", "latency", "params", "valid_accuracy"]
    assert len(table["key"]) == 2_021
    assert [p.name for p in root.iterdir()] == [path.name]  # no temporary file left behind
    with np.load(path, allow_pickle=False) as data:  # a plain npz, readable without pickle
        assert "__fingerprint__" in data.files
    again = nas_bench_graph.load_table("proteins")
    assert len(calls) == 1  # served from the cache
    _same_table(table, again)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupted_cache_is_rebuilt(fresh_cache, damage):
    root, calls = fresh_cache
    table = nas_bench_graph.load_table("proteins")
    path = root / "nas-bench-graph-proteins.npz"
    data = path.read_bytes()
    path.write_bytes({"truncate": data[: len(data) // 2], "garbage": os.urandom(4096), "empty": b""}[damage])
    rebuilt = nas_bench_graph.load_table("proteins")
    assert len(calls) == 2
    _same_table(table, rebuilt)
    with np.load(path, allow_pickle=False) as entry:  # the entry is whole again
        _same_table(table, {k: entry[k] for k in entry.files if not k.startswith("__")})  # less the entry's own arrays
    nas_bench_graph.load_table("proteins")
    assert len(calls) == 2


def test_stale_format_version_triggers_rebuild(fresh_cache, monkeypatch):
    root, calls = fresh_cache
    table = nas_bench_graph.load_table("proteins")
    assert len(calls) == 1
    monkeypatch.setattr(nas_bench_graph, "FORMAT_VERSION", nas_bench_graph.FORMAT_VERSION + 1)
    _same_table(table, nas_bench_graph.load_table("proteins"))
    assert len(calls) == 2
    nas_bench_graph.load_table("proteins")
    assert len(calls) == 2  # the rebuilt entry is fresh for the new version


def test_unwritable_cache_dir_still_returns_the_table(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("NAG_CACHE_DIR", str(blocker / "cache"))
    table = nas_bench_graph.load_table("proteins")
    assert len(table["key"]) == 2_021
    assert blocker.read_text().startswith("a file")


def test_cached_table_rebuilds_when_a_source_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("NAG_CACHE_DIR", str(tmp_path / "cache"))
    source = tmp_path / "source.txt"
    source.write_text("1 2 3")
    builds = []

    def build():
        builds.append(1)
        return {"x": np.array([float(v) for v in source.read_text().split()])}

    first = cache.cached_table("toy", [source], 1, build)
    assert cache.cached_table("toy", [source], 1, build)["x"].tolist() == [1.0, 2.0, 3.0] and len(builds) == 1
    source.write_text("4 5")
    assert cache.cached_table("toy", [source], 1, build)["x"].tolist() == [4.0, 5.0] and len(builds) == 2
    assert cache.cached_table("toy", [source], 2, build)["x"].tolist() == [4.0, 5.0] and len(builds) == 3
    assert first["x"].tolist() == [1.0, 2.0, 3.0]


def test_cache_dir_defaults(monkeypatch, tmp_path):
    monkeypatch.delenv("NAG_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "nag"
    monkeypatch.setenv("NAG_CACHE_DIR", str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"


# ====================================================================== safe unpickler
class _RunsCommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _CallsEval:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"open({str(self.marker)!r}, 'w').close()",))


@pytest.mark.parametrize("payload", [_RunsCommand, _CallsEval])
def test_malicious_pickle_is_refused_and_never_runs(tmp_path, payload):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.bench"
    path.write_bytes(pickle.dumps({"key": payload(marker)}))
    with pytest.raises(BenchmarkDataError, match="does not allow") as info:
        safe_load(path)
    assert str(path) in str(info.value)
    assert not marker.exists()


def test_numpy_object_scalars_and_dtypes_are_refused(tmp_path):
    path = tmp_path / "obj.pkl"
    path.write_bytes(pickle.dumps(np.dtype(object)))
    with pytest.raises(BenchmarkDataError, match="refusing numpy dtype"):
        safe_load(path)

    class ObjectScalar:
        def __reduce__(self):
            return (np._core.multiarray.scalar, (np.dtype(object), b"\0" * 8))

    path.write_bytes(pickle.dumps(ObjectScalar()))
    with pytest.raises(BenchmarkDataError, match="refusing"):
        safe_load(path)
    path.write_bytes(pickle.dumps(np.str_("hello")))
    with pytest.raises(BenchmarkDataError, match="refusing"):
        safe_load(path)


def test_safe_load_reads_plain_data_and_numeric_scalars(tmp_path):
    data = {"a": np.float64(1.5), "b": np.int64(-7), "c": [1, 2.5, "x"], 1234: {"perf": np.float32(0.25)}, "d": (True, None)}
    path = tmp_path / "ok.pkl"
    path.write_bytes(pickle.dumps(data))
    loaded = safe_load(path)
    assert loaded == data
    assert isinstance(loaded["a"], np.float64) and isinstance(loaded["b"], np.int64)


class _Rec:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def test_safe_load_extra_classes_become_records(tmp_path):
    path = tmp_path / "rec.pkl"
    path.write_bytes(pickle.dumps({(0, 1): _Rec(accuracy=91.5, label="x")}))
    with pytest.raises(BenchmarkDataError, match="_Rec"):
        safe_load(path)
    loaded = safe_load(path, {(_Rec.__module__, "_Rec"): Record})
    record = loaded[(0, 1)]
    assert isinstance(record, Record) and record.accuracy == 91.5 and record.label == "x"


def test_safe_load_damaged_or_missing_file(tmp_path):
    path = tmp_path / "cut.pkl"
    path.write_bytes(pickle.dumps({"a": list(range(100))})[:20])
    with pytest.raises(BenchmarkDataError, match="cannot read"):
        safe_load(path)
    with pytest.raises(BenchmarkDataError):
        safe_load(tmp_path / "missing.pkl")


# ====================================================================== from_table
@pytest.fixture
def frame():
    pd = pytest.importorskip("pandas")
    return pd.DataFrame({
        "arch": NB201_ARCHS,
        "accuracy": [94.0, 10.0, 85.5, 70.25, 90.0],
        "params": [1_073_466, 73_306, 200_000, 73_306, 150_000],
        "note": ["best", "dead", "a", "b", "c"],
    })  # fmt: skip


def _check_user_bench(b, name):
    space = spaces.get("nb201")
    assert b.name == name and len(b) == 5 and b.space is space
    assert b.metrics == ["accuracy", "params"]  # "note" is not numeric
    assert b.default_metric == "accuracy"
    assert b.query(BEST) == 94.0
    assert b.query(space.from_str(NB201_ARCHS[2]), "params") == 200_000
    assert b.best() == (space.from_str(BEST), 94.0)
    archs, values = b.table("params")
    assert [str(a) for a in archs] == NB201_ARCHS and values.tolist() == [1_073_466, 73_306, 200_000, 73_306, 150_000]
    # an arch of the space that the table does not hold
    with pytest.raises(InvalidArchitecture, match="has no entry"):
        b.query("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    with pytest.raises(UnknownNameError, match="accuracy, params"):
        b.query(BEST, "note")


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "parquet", "dataframe"])
def test_from_table_formats(frame, tmp_path, fmt):
    if fmt == "dataframe":
        _check_user_bench(bench.from_table(frame, "nb201"), "table")
        _check_user_bench(bench.from_table(frame, spaces.get("nb201"), name="mine"), "mine")
        return
    path = tmp_path / f"results.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "json":
        frame.to_json(path, orient="records")
    elif fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        pytest.importorskip("pyarrow")
        frame.to_parquet(path)
    _check_user_bench(bench.from_table(path, "nb201"), "results")
    _check_user_bench(bench.from_table(str(path), "nb201"), "results")


def test_from_table_custom_arch_column(frame):
    b = bench.from_table(frame.rename(columns={"arch": "cell"}), "nb201", arch_column="cell")
    assert b.query(BEST) == 94.0


def test_from_table_bad_row_is_named(frame):
    frame.loc[3, "arch"] = "|conv_7x7~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    with pytest.raises(InvalidArchitecture, match=r"row 3: .*conv_7x7"):
        bench.from_table(frame, "nb201")


def test_from_table_duplicates_are_named(frame):
    frame.loc[4, "arch"] = BEST
    with pytest.raises(InvalidArchitecture, match="rows 0 and 4 name the same arch"):
        bench.from_table(frame, "nb201")


def test_from_table_non_canonical_duplicates_in_nbgraph():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({
        "arch": ["0,1,2,3:gcn,gat,sage,fc", "0,0,0,0:gcn,gat,skip,skip", "0,0,1,1:gat,sage,gat,fc", "0,0,0,0:gat,gcn,skip,skip"],
        "accuracy": [0.8, 0.7, 0.75, 0.71],
    })  # fmt: skip
    with pytest.raises(InvalidArchitecture, match=r"rows 1 and 3 name the same arch"):
        bench.from_table(df, "nbgraph")
    ok = bench.from_table(df.iloc[:3], "nbgraph")
    assert ok.query("0,0,0,0:skip,skip,gat,gcn") == 0.7
    assert ok.space.name == "nbgraph"


def test_from_table_nbgraph_csv_with_commas_in_arch(tmp_path):
    pd = pytest.importorskip("pandas")
    path = tmp_path / "gnn.csv"
    pd.DataFrame({"arch": ["0,1,2,3:gcn,gat,sage,fc", "0,0,0,0:gcn,gat,skip,skip"], "accuracy": [0.8, 0.7]}).to_csv(
        path, index=False
    )
    b = bench.from_table(path, "nbgraph")
    assert b.query("0,0,0,0:gat,gcn,skip,skip") == 0.7 and len(b) == 2


def test_from_table_config_errors(frame, tmp_path):
    with pytest.raises(ConfigError, match="no column 'arch'.*accuracy"):
        bench.from_table(frame.rename(columns={"arch": "cell"}), "nb201")
    with pytest.raises(ConfigError, match="no numeric column"):
        bench.from_table(frame[["arch", "note"]], "nb201")
    txt = tmp_path / "results.txt"
    txt.write_text("arch,accuracy\n")
    with pytest.raises(ConfigError, match=r"\.csv"):
        bench.from_table(txt, "nb201")
    with pytest.raises(ConfigError, match="no such file"):
        bench.from_table(tmp_path / "missing.csv", "nb201")
    with pytest.raises(UnknownNameError):
        bench.from_table(frame, "nb999")


def test_from_table_unparsable_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="cannot parse"):
        bench.from_table(path, "nb201")


# ====================================================================== counting
def test_count_linear():
    layer = nn.Linear(10, 5)
    assert count_params(layer) == 55
    assert count_flops(layer, torch.zeros(1, 10)) == 50
    assert count_flops(layer, torch.zeros(4, 10)) == 200  # the whole batch


def test_count_sequential_and_conv():
    model = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))
    assert count_params(model) == 55 + 12
    assert count_flops(model, torch.zeros(1, 10)) == 50 + 10
    conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
    assert count_params(conv) == 3 * 8 * 9
    assert count_flops(conv, torch.zeros(1, 3, 32, 32)) == 3 * 8 * 9 * 32 * 32
    grouped = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
    assert count_params(grouped) == 72
    assert count_flops(grouped, torch.zeros(1, 8, 4, 4)) == 72 * 16


def test_count_params_shared_and_trainable():
    layer = nn.Linear(5, 5)
    shared = nn.Sequential(layer, nn.ReLU(), layer)
    assert count_params(shared) == 30
    assert count_flops(shared, torch.zeros(1, 5)) == 50  # used twice, computed twice
    layer.bias.requires_grad_(False)
    assert count_params(shared, trainable_only=True) == 25
    assert count_params(shared) == 30


class _Recorder(nn.Module):
    def __init__(self, fail=False):
        super().__init__()
        self.linear = nn.Linear(4, 2)
        self.fail = fail
        self.seen = []

    def forward(self, x, y):
        self.seen.append((self.training, torch.is_grad_enabled()))
        if self.fail:
            raise RuntimeError("boom")
        return self.linear(x) + self.linear(y)


def test_count_flops_restores_the_training_flag():
    model = _Recorder()
    model.train()
    assert count_flops(model, (torch.zeros(3, 4), torch.zeros(3, 4))) == 2 * 3 * 8
    assert model.seen == [(False, False)]  # counted in eval mode without gradients
    assert model.training and model.linear.training
    model.eval()
    count_flops(model, (torch.zeros(1, 4), torch.zeros(1, 4)))
    assert not model.training


def test_count_flops_restores_the_flag_on_error():
    model = _Recorder(fail=True).train()
    with pytest.raises(RuntimeError, match="boom"):
        count_flops(model, (torch.zeros(1, 4), torch.zeros(1, 4)))
    assert model.training and model.linear.training
