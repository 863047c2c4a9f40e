"""Latency tables: the file formats round-trip, a hand-made table gives the exact sum, the
plans time each part at the shape it meets in the network, latency budgets are never
exceeded, and a table measured for other settings is refused naming the difference."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nag import Generator, latency, search, spaces
from nag.errors import ConfigError, UnknownNameError
from nag.latency import Entry, LatencyTable
from nag.spaces.darts.latency import part_key as darts_key
from nag.spaces.darts.plan import network_plan
from nag.spaces.mbv3.latency import part_key as mbv3_key
from nag.spaces.nb201.latency import part_key as nb201_key

SETTINGS = {"runtime": "torch", "batch": 1, "threads": 1, "warmup": 0, "repeats": 1, "statistic": "median", "options": {}}


def hand_table(space, value, options=None, fixed=1.5, statistic="median") -> LatencyTable:
    """A table whose entry ``key`` is ``value(key)`` (quartiles around it)."""
    plan = space.latency_plan(1, **(options or {}))
    entries = {k: Entry(value(k), value(k) * 0.9, value(k) * 1.1) for k in plan.parts}
    record = {**SETTINGS, "statistic": statistic, "options": dict(options or {})}
    return LatencyTable(space.name, record, entries, Entry(fixed, fixed * 0.9, fixed * 1.1))


def by_hash(key: str) -> float:
    """A distinct, reproducible milliseconds value per key."""
    return 0.01 + (sum(ord(c) * (i + 1) for i, c in enumerate(key)) % 997) / 100


# ------------------------------------------------------------------ format
entry_values = st.floats(0, 1e4, allow_nan=False, allow_infinity=False)


@st.composite
def tables(draw):
    keys = draw(st.lists(st.text("abcdefgh.0123456789_", min_size=1, max_size=12).filter(lambda k: k != "fixed"),
                         min_size=1, max_size=8, unique=True))  # fmt: skip
    entries = {}
    for key in keys:
        a, b, c = sorted(draw(st.tuples(entry_values, entry_values, entry_values)))
        entries[key] = Entry(b, a, c)
    options = draw(st.dictionaries(st.sampled_from(["resolution", "C", "width"]), st.integers(1, 512), max_size=2))
    record = {**SETTINGS, "statistic": draw(st.sampled_from(["median", "p25", "p75"])), "options": options,
              "repeats": draw(st.integers(1, 100))}  # fmt: skip
    return LatencyTable("nb201", record, entries, Entry(1.0, 0.5, 2.0), {"platform": "test", "cpus": 2})


@settings(max_examples=40, deadline=None, derandomize=True)
@given(table=tables(), suffix=st.sampled_from([".json", ".csv"]))
def test_table_files_round_trip_exactly(tmp_path_factory, table, suffix):
    path = tmp_path_factory.mktemp("lut") / f"table{suffix}"
    table.save(path)
    back = latency.load(path)
    assert back.entries == table.entries and back.fixed == table.fixed
    assert dict(back.settings) == dict(table.settings) and dict(back.machine) == dict(table.machine)
    assert back.digest == table.digest


def test_a_table_written_by_hand_as_csv_loads(tmp_path):
    path = tmp_path / "phone.csv"
    path.write_text('# format_version: 1\n# space: "nb201"\n'
                    '# settings: {"runtime": "phone-tflite", "batch": 1, "threads": 4, "warmup": 5, "repeats": 50, '
                    '"statistic": "median", "options": {}}\n'
                    "part,median_ms,p25_ms,p75_ms\nfixed,2.0,1.9,2.1\nstage1.nor_conv_3x3,0.5,0.4,0.6\n")  # fmt: skip
    table = latency.load(path)
    assert table.settings["runtime"] == "phone-tflite" and table.entry("stage1.nor_conv_3x3") == 0.5
    assert table.fixed_ms == 2.0


@pytest.mark.parametrize(
    "text, message",
    [("{", "invalid JSON"), ('{"format_version": 9}', "format_version 9"),
     ('{"format_version": 1, "space": "nb201", "entries": {"a": {"median": 1}}}', "entry 'a' must be"),
     ('{"format_version": 1, "space": "nb201", "entries": {"a": {"median": 2, "p25": 3, "p75": 4}}, '
      '"fixed": {"median": 0, "p25": 0, "p75": 0}, "settings": {}}', "p25 <= median <= p75"),
     ('{"format_version": 1, "space": "nb201", "entries": {"a": {"median": 1, "p25": 1, "p75": 1}}, '
      '"fixed": {"median": 0, "p25": 0, "p75": 0}, "settings": {"runtime": "torch"}}', "settings lack")],
)  # fmt: skip
def test_a_damaged_table_file_is_refused_naming_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        latency.load(path)


def test_saving_is_atomic_and_refuses_other_suffixes(tmp_path):
    space = spaces.get("nb201")
    table = hand_table(space, by_hash)
    with pytest.raises(ConfigError, match=r"\.json or \.csv"):
        table.save(tmp_path / "t.txt")
    path = table.save(tmp_path / "t.json")
    assert json.loads(path.read_text())["space"] == "nb201"
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]


# ------------------------------------------------------------------ exact sums
def test_nb201_table_latency_is_the_exact_sum_of_its_ops():
    space = spaces.get("nb201")
    table = hand_table(space, by_hash, {"N": 3})
    archs = space.sample(50, seed=0)
    expected = [1.5 + sum(3 * sum(by_hash(nb201_key(s, op)) for s in range(3)) for op in a.ops if op != "none") for a in archs]
    np.testing.assert_allclose(latency.predict(table, space, archs), expected, rtol=1e-12)


def test_mbv3_table_latency_is_the_exact_sum_of_its_blocks():
    space = spaces.get("mbv3")
    table = hand_table(space, by_hash, {"resolution": 160})
    archs = space.sample(50, seed=1)
    expected = [1.5 + sum(by_hash(mbv3_key(s, j, k, e)) for s, stage in enumerate(space.stages(a)) for j, (k, e) in enumerate(stage))
                for a in archs]  # fmt: skip
    np.testing.assert_allclose(latency.predict(table, space, archs), expected, rtol=1e-12)


def test_darts_table_latency_is_the_exact_sum_over_every_cell():
    space = spaces.get("darts")
    table = hand_table(space, by_hash, {"C": 8, "layers": 5})
    plan = network_plan(8, 5)
    archs = space.sample(20, seed=2)
    expected = []
    for a in archs:
        normal, reduce = space.edges(a)
        total = 1.5
        for cell in plan.cells:
            for op, source in reduce if cell.reduction else normal:
                stride = cell.stride(source)
                total += by_hash(darts_key(op, cell.channels, cell.spatial_in if stride == 2 else cell.spatial, stride))
        expected.append(total)
    np.testing.assert_allclose(latency.predict(table, space, archs), expected, rtol=1e-12)


def test_the_model_sums_the_statistic_the_table_names():
    space = spaces.get("nb201")
    arch = space.coerce("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    low, high = (latency.predict(hand_table(space, by_hash, statistic=s), space, [arch])[0] for s in ("p25", "p75"))
    body = 5 * sum(by_hash(nb201_key(s, "nor_conv_3x3")) for s in range(3))
    assert low == pytest.approx(0.9 * (1.5 + body)) and high == pytest.approx(1.1 * (1.5 + body))


# ------------------------------------------------------- parts meet their shapes
def _recorded_inputs(net: torch.nn.Module, kinds: tuple[type, ...], x: torch.Tensor) -> list[tuple]:
    seen = []
    hooks = [m.register_forward_hook(lambda mod, inp, out: seen.append((type(mod), tuple(inp[0].shape))))
             for m in net.modules() if isinstance(m, kinds)]  # fmt: skip
    with torch.no_grad():
        net.eval()(x)
    for h in hooks:
        h.remove()
    return seen


def test_mbv3_parts_are_timed_at_the_shapes_their_blocks_meet():
    from nag.spaces.mbv3.network import MBConv

    space = spaces.get("mbv3")
    plan = space.latency_plan(2, resolution=96)
    arch = space.sample(1, seed=3)[0]
    seen = _recorded_inputs(space.build(arch), (MBConv,), torch.zeros(2, 3, 96, 96))[1:]  # the fixed first block
    keys = [mbv3_key(s, j, k, e) for s, stage in enumerate(space.stages(arch)) for j, (k, e) in enumerate(stage)]
    assert [plan.parts[k].input_shape for k in keys] == [shape for _, shape in seen]


def test_nb201_and_darts_parts_are_timed_at_the_shapes_their_ops_meet():
    from nag.spaces.darts.cell import DartsCell

    space = spaces.get("nb201")
    plan = space.latency_plan(1, C=8, N=2, resolution=16)
    net = space.build("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|", C=8, N=2)
    shapes = {tuple(p.input_shape) for k, p in plan.parts.items() if "nor_conv_3x3" in k}
    seen = {shape for _, shape in _recorded_inputs(net, (type(net.cells[0].edges["1<-0"]),), torch.zeros(1, 3, 16, 16))}
    assert shapes <= seen
    darts = spaces.get("darts")
    plan = darts.latency_plan(1, C=4, layers=5, resolution=16)
    arch = darts.sample(1, seed=4)[0]
    cells = _recorded_inputs(darts.build(arch, C=4, layers=5), (DartsCell,), torch.zeros(1, 3, 16, 16))
    assert len(cells) == 5
    for key, part in plan.parts.items():  # every part builds and runs at its shape
        with torch.no_grad():
            part.make().eval()(torch.zeros(part.input_shape))
        assert key.startswith(tuple(darts_ops()))


def darts_ops() -> tuple[str, ...]:
    from nag.spaces.darts.choices import OPS

    return OPS


def test_a_space_without_a_plan_says_so():
    with pytest.raises(ConfigError, match="no latency plan"):
        spaces.get("nbgraph").latency_plan()
    with pytest.raises(ConfigError, match="has no option 'depth'"):
        spaces.get("nb201").latency_plan(depth=3)


# ------------------------------------------------------------------ budgets
@settings(max_examples=12, deadline=None, derandomize=True)
@given(fraction=st.floats(0.02, 0.9), seed=st.integers(0, 2**16))
def test_mbv3_latency_budgets_are_never_exceeded(fraction, seed):
    space = spaces.get("mbv3")
    table = hand_table(space, by_hash)
    low, high = space.diagram_with(latency.added_cost(table, space)).cost_range("latency")
    bound = low + fraction * (high - low)
    archs = Generator.from_pretrained("mbv3").sample(64, constraints={"latency": ("<=", bound)}, latency_table=table, seed=seed)
    assert len(archs) == 64 and latency.predict(table, space, archs).max() <= bound


def test_nb201_latency_budget_in_the_generator_and_every_search():
    space = spaces.get("nb201")
    table = hand_table(space, by_hash)
    values = latency.predict(table, space, space.all_archs())
    bound = float(np.quantile(values, 0.1))
    archs = Generator.from_pretrained("nb201").sample(100, constraints={"latency": f"<={bound}"}, latency_table=table, seed=0)
    assert latency.predict(table, space, archs).max() <= bound
    for strategy in ("random", "re", "local"):
        t = search.run(strategy, "nb201-cifar10", budget=40, seed=1, constraints={"latency": f"<={bound}"}, latency_table=table)
        assert latency.predict(table, space, t.archs).max() <= bound


def test_a_latency_constraint_without_a_table_names_what_is_missing():
    with pytest.raises(ConfigError, match="latency_table="):
        Generator.from_pretrained("mbv3").sample(4, constraints={"latency": "<=10"})


# ------------------------------------------------------------------ refusals
def test_a_table_for_other_settings_is_refused_naming_the_difference():
    nb201 = spaces.get("nb201")
    table = hand_table(nb201, by_hash, {"resolution": 32})
    with pytest.raises(ConfigError, match="space 'nb201', not 'mbv3'"):
        latency.added_cost(table, spaces.get("mbv3"))
    with pytest.raises(ConfigError, match="runtime='torch', not 'onnxruntime'"):
        latency.check(nb201, table, n=2, runtime="onnxruntime")
    with pytest.raises(ConfigError, match="resolution=32, not 64"):
        table.require(options={"resolution": 64})
    with pytest.raises(ConfigError, match="threads=1, not 4; batch=1, not 8"):
        table.require(threads=4, batch=8)
    short = LatencyTable("nb201", table.settings, dict(list(table.entries.items())[:3]), table.fixed)
    with pytest.raises(ConfigError, match="lacks 9 of the 12 parts"):
        latency.predict(short, nb201, nb201.sample(1, seed=0))


def test_runtimes_that_cannot_run_here_say_why():
    with pytest.raises(UnknownNameError, match="latency runtime"):
        latency.measure(spaces.get("nb201"), runtime="tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="needs a CUDA device"):
            latency.measure(spaces.get("nb201"), runtime="cuda")
    with pytest.raises(ConfigError, match="repeats must be an int >= 1"):
        latency.measure(spaces.get("nb201"), repeats=0)


# ------------------------------------------------------------------ measuring
TINY = {"C": 4, "N": 1, "resolution": 8}


def test_measuring_a_table_records_every_part_and_how(tmp_path):
    space = spaces.get("nb201")
    table = latency.measure(space, warmup=1, repeats=3, calibration=2, progress=False, **TINY)
    assert set(table.entries) == set(space.latency_plan(1, **TINY).parts)
    assert all(e.p25 <= e.median <= e.p75 and e.median > 0 for e in table.entries.values())
    assert table.settings["options"] == TINY and table.machine["cpus"] >= 1 and "torch" in table.machine["runtime"]
    assert len(table.calibration) == 2 and table.fixed_ms >= 0
    report = latency.check(space, table.save(tmp_path / "t.csv"), n=3, repeats=2, progress=False)
    assert len(report.measured) == 3 and all(m > 0 for m in report.measured)
    assert np.isfinite(report.mape) and report.to_dict()["spearman"] == report.spearman


@pytest.mark.slow
def test_onnxruntime_tables_measure_exported_parts():
    pytest.importorskip("onnxruntime")
    table = latency.measure(
        spaces.get("nb201"), runtime="onnxruntime", warmup=1, repeats=2, calibration=1, progress=False, **TINY
    )
    assert "onnxruntime" in table.machine["runtime"] and len(table.entries) == 12


def test_timing_interleaves_runs_and_restores_threads():
    from nag.latency.measure import time_runs

    calls = []
    before = torch.get_num_threads()
    entries = time_runs([lambda: calls.append("a"), lambda: calls.append("b")], warmup=1, repeats=4, rounds=2, burn_in=0)
    assert len(entries) == 2 and calls[:2] == ["a", "b"]
    assert calls.count("a") == calls.count("b") == 1 + 4 + 2  # warm-up, timed, one untimed call per visit
    assert torch.get_num_threads() == before


# ------------------------------------------------------------------ CLI
def test_cli_measures_checks_and_samples_under_a_latency_budget(cli, tmp_path):
    out = tmp_path / "lut.json"
    code, text, _ = cli("latency", "measure", "space=nb201", f"out={out}", "repeats=2", "warmup=0", "calibration=1",
                        "resolution=8", "model.C=4", "model.N=1", "quiet=true")  # fmt: skip
    assert code == 0 and "12 parts" in text and out.exists()
    code, text, _ = cli("latency", "check", "space=nb201", f"table={out}", "n=3", "quiet=true", f"out={tmp_path / 'r.json'}")
    assert code == 0 and "Spearman" in text and json.loads((tmp_path / "r.json").read_text())["measured"]
    code, _, err = cli("latency", "check", "space=nb201", f"table={out}", "n=3", "resolution=16", "quiet=true")
    assert code == 2 and "resolution=8, not 16" in err and "Traceback" not in err
    table = latency.load(out)
    bound = float(np.quantile(latency.predict(table, spaces.get("nb201"), spaces.get("nb201").all_archs()), 0.2))
    code, text, _ = cli("sample", "space=nb201", "n=5", f"constraints.latency=<={bound}", f"latency_table={out}")
    assert code == 0 and "latency" in text.splitlines()[1]
    code, _, err = cli("sample", "space=nb201", "n=5", "constraints.latency=<=5")
    assert code == 2 and "latency_table=FILE" in err
    code, _, err = cli("latency", "measure", "space=nb201")
    assert code == 2 and "out=FILE.json" in err
