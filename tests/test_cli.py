"""The command line: outputs users read, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"


def test_help_lists_commands(cli):
    code, out, _ = cli("--help")
    assert code == 0
    for command in ("spaces", "bench", "search", "sample", "demo", "pretrain", "fit", "predict"):
        assert command in out


def test_spaces_lists_every_space_with_its_size(cli):
    code, out, _ = cli("spaces")
    assert code == 0
    assert "nb201" in out and "15625" in out and "26206" in out and "2021" in out


def test_bench_summary_shows_the_published_figures(cli):
    code, out, _ = cli("bench", "nb201-cifar10", "json=true")
    assert code == 0
    summary = json.loads(out)
    assert summary["best"] == pytest.approx(94.0664)
    assert summary["best_arch"] == BEST
    assert summary["size"] == 15625


def test_bench_accepts_a_pasted_arch_string(cli):
    code, out, _ = cli("bench", "nb201-cifar10", f"arch={BEST}", "json=true")
    assert code == 0
    row = json.loads(out)
    assert row["accuracy"] == pytest.approx(94.0664)
    assert row["params"] == 1073466
    assert row["rank by accuracy"].startswith("1 of")


def test_bench_accepts_a_quoted_arch_string(cli):
    code, out, _ = cli("bench", "nbgraph-cora", "arch='0,0,1,2:gcn,gat,skip,fc'", "json=true")
    assert code == 0
    assert json.loads(out)["arch"] == "0,1,1,2:skip,gat,gcn,fc"


def test_search_writes_its_trajectory(cli, tmp_path):
    out_file = tmp_path / "sub" / "trajectory.json"
    code, out, _ = cli("search", "strategy=re", "budget=40", "seed=1", "quiet=true", "options.population=10",
                       f"out={out_file}")  # fmt: skip
    assert code == 0 and "re" in out
    data = json.loads(out_file.read_text())
    assert len(data["archs"]) == len(set(data["archs"])) == 40
    assert data["best_so_far"] == sorted(data["best_so_far"])
    assert data["config"]["options"] == {"population": 10}


def _table_archs(out: str) -> list[str]:
    """The first column of the table printed under the ``arch ...`` header."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("arch ")) + 2
    return [line.split()[0] for line in lines[start:] if line.startswith(("|", "0"))]


def test_sample_prints_n_valid_archs(cli):
    from nag import spaces

    code, out, _ = cli("sample", "n=6", "seed=1", "quiet=true")
    assert code == 0
    archs = _table_archs(out)
    assert len(archs) == 6
    space = spaces.get("nb201")
    assert all(space.to_str(space.from_str(a)) == a for a in archs)
    assert "raw validity" in out and "unique" in out


@pytest.mark.parametrize("space, bound", [("nb201", 4e5), ("nbgraph", 1.8e6)])
def test_sample_meets_constraints_and_writes_json_lines(cli, tmp_path, space, bound):
    from nag import bench, spaces

    out_file = tmp_path / "sub" / "archs.jsonl"
    code, out, _ = cli("sample", space, "n=12", f"constraints.params=<={bound:g}", f"out={out_file}", "quiet=true")
    assert code == 0 and f"archs written to {out_file}" in out
    rows = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert len(rows) == 12 and [r["arch"] for r in rows] == _table_archs(out)
    table = bench.load("nb201-cifar10" if space == "nb201" else "nbgraph-cora")
    for row in rows:
        arch = spaces.get(space).from_str(row["arch"])
        assert row["params"] == table.query(arch, "params") <= bound


def test_sample_guided_by_the_shipped_predictor(cli):
    code, out, _ = cli("sample", "n=4", "guidance=predictor", "scale=2", "quiet=true")
    assert code == 0
    assert "predicted accuracy" in out and "±" in out and "guidance scale 2" in out
    assert len(_table_archs(out)) == 4


def test_sample_guided_by_benchmark_lookups_shows_the_metric(cli):
    code, out, _ = cli("sample", "n=4", "guidance=bench", "metric=accuracy", "quiet=true")
    assert code == 0
    header = next(line for line in out.splitlines() if line.startswith("arch "))
    assert header.split()[1:] == ["accuracy", "params", "flops"]


def test_demo_compares_guided_samples_with_random_archs(cli):
    code, out, _ = cli("demo", "n=8", "quiet=true")
    assert code == 0
    assert "guided:" in out and "random:" in out and "94.07" in out
    assert out.count("true accuracy") == 2 and "in top 1%" in out
    summary = out.splitlines()[-2:]
    assert summary[0].startswith("guided") and summary[1].startswith("random")


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["bench", "nope"], "unknown benchmark 'nope'; choose one of: nb201-cifar10"),
        (["bench", "nb201-cifar10", "metric=acc"], "unknown metric"),
        (["bench", "nb201-cifar10", "arch=|nor_conv_3x3~0|+|bad|"], "not a NAS-Bench-201 arch string"),
        (["search", "strategy=annealing"], "unknown strategy 'annealing'; choose one of: diffusion, local, random, re"),
        (["search", "budgt=3"], "unknown option 'budgt'"),
        (["search", "budget=abc"], "could not be converted to Integer"),
        (["search", "options.popsize=3", "quiet=true"], "has no option(s) ['popsize']"),
        (["search", "budget=0", "quiet=true"], "budget must be a positive integer"),
        (["sample", "constraints.params=1e6"], "constraint on 'params' must be (op, bound)"),
        (["sample", "constraints.params=<=abc"], "bound 'abc' is not a number"),
        (["sample", "constraints.params=<=0", "quiet=true"], "no architecture satisfies the constraints"),
        (["sample", "constraints.latency=<=1", "quiet=true"], "a constraint on latency needs latency_table=FILE"),
        (["sample", "guidance=magic"], "unknown guidance 'magic'; choose one of: bench, none, predictor"),
        (["sample", "n=0"], "n must be >= 1"),
        (["sample", "space=nope"], "unknown space 'nope'; choose one of: darts, mbv3, nb201"),
        (["sample", "scale=2"], "scale sets the strength of guidance=predictor"),
        (["sample", "nbgraph-proteins", "guidance=predictor"], "no shipped predictor"),
        (["sample", "out=archs.csv"], "out must end in .jsonl"),
        (["fit", "n_labels=1"], "n_labels must be in 2.."),
        (["predict", "ckpt=does-not-exist", "archs=missing.txt"], "no such file"),
        (["frobnicate"], "unknown command 'frobnicate'"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(cli, argv, fragment):
    code, out, err = cli(*argv)
    assert code == 2
    assert fragment in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_fit_then_predict_round_trip(cli, tmp_path):
    ckpt = tmp_path / "predictor"
    code, out, _ = cli("fit", "encoder=scratch", "n_labels=30", "epochs=20", "test_cap=200", "quiet=true", f"out={ckpt}")
    assert code == 0 and "Spearman" in out
    config = json.loads((ckpt / "config.json").read_text())
    assert config["command"].startswith("nag fit") and -1 <= config["reached"]["spearman"] <= 1
    archs = tmp_path / "archs.txt"
    archs.write_text(f"# best and worst\n{BEST}\n|none~0|+|none~0|none~1|+|none~0|none~1|none~2|\n")
    out_file = tmp_path / "pred.csv"
    code, out, _ = cli("predict", f"ckpt={ckpt}", f"archs={archs}", f"out={out_file}")
    assert code == 0
    lines = out_file.read_text().splitlines()
    assert lines[0] == "arch,accuracy,accuracy_std" and len(lines) == 3


def test_fit_takes_the_target_scaling_and_gp_settings(cli, tmp_path):
    ckpt = tmp_path / "predictor"
    code, _, _ = cli("fit", "n_labels=20", "epochs=5", "test_cap=50", "quiet=true", "targets=standard", "gp_weight=0.5",
                     "gp_kernel=rbf", f"out={ckpt}")  # fmt: skip
    saved = json.loads((ckpt / "config.json").read_text())
    assert code == 0 and saved["predictor"]["targets"] == "standard" and saved["predictor"]["gp_weight"] == 0.5
    assert saved["predictor"]["gp_kernel"] == "rbf" and "gp_weight=0.5 gp_kernel=rbf" in saved["command"]
    code, _, err = cli("fit", "n_labels=20", "epochs=5", "targets=rank", f"out={tmp_path / 'never'}")
    assert code == 2 and "targets 'rank' is unknown" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli("fit", "n_labels=20", "epochs=5", "gp_weight=2", f"out={tmp_path / 'never'}")
    assert code == 2 and "gp_weight must be a number in [0, 1]" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli("fit", "n_labels=20", "epochs=5", "gp_kernel=linear", f"out={tmp_path / 'never'}")
    assert code == 2 and "gp_kernel 'linear' is unknown" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "never").exists()


def test_pretrain_rejects_a_bad_soft_positive_weight_before_building_the_corpus(cli, tmp_path):
    code, _, err = cli("pretrain", "soft_positives=2", f"out={tmp_path / 'never'}")
    assert code == 2 and "soft_positives must be in [0, 1]" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "never").exists()


def test_python_dash_m_nag_exits_2_without_traceback():
    result = subprocess.run([sys.executable, "-m", "nag", "bench", "nope"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "unknown benchmark" in result.stderr
