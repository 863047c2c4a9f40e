"""The command line: outputs users read, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nag.cli.main import main

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_help_lists_commands(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("spaces", "bench", "search", "demo", "pretrain", "fit", "predict"):
        assert command in out


def test_spaces_lists_every_space_with_its_size(capsys):
    code, out, _ = run(capsys, "spaces")
    assert code == 0
    assert "nb201" in out and "15625" in out and "26206" in out and "2021" in out


def test_bench_summary_shows_the_published_figures(capsys):
    code, out, _ = run(capsys, "bench", "nb201-cifar10", "json=true")
    assert code == 0
    summary = json.loads(out)
    assert summary["best"] == pytest.approx(94.0664)
    assert summary["best_arch"] == BEST
    assert summary["size"] == 15625


def test_bench_accepts_a_pasted_arch_string(capsys):
    code, out, _ = run(capsys, "bench", "nb201-cifar10", f"arch={BEST}", "json=true")
    assert code == 0
    row = json.loads(out)
    assert row["accuracy"] == pytest.approx(94.0664)
    assert row["params"] == 1073466
    assert row["rank by accuracy"].startswith("1 of")


def test_bench_accepts_a_quoted_arch_string(capsys):
    code, out, _ = run(capsys, "bench", "nbgraph-cora", "arch='0,0,1,2:gcn,gat,skip,fc'", "json=true")
    assert code == 0
    assert json.loads(out)["arch"] == "0,1,1,2:skip,gat,gcn,fc"


def test_search_writes_its_trajectory(capsys, tmp_path):
    out_file = tmp_path / "sub" / "trajectory.json"
    code, out, _ = run(capsys, "search", "strategy=re", "budget=40", "seed=1", "quiet=true", "options.population=10",
                       f"out={out_file}")  # fmt: skip
    assert code == 0 and "re" in out
    data = json.loads(out_file.read_text())
    assert len(data["archs"]) == len(set(data["archs"])) == 40
    assert data["best_so_far"] == sorted(data["best_so_far"])
    assert data["config"]["options"] == {"population": 10}


def test_demo_compares_with_random_search(capsys):
    code, out, _ = run(capsys, "demo", "budget=60", "quiet=true")
    assert code == 0
    assert "random" in out and "re" in out and "94.07" in out


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["bench", "nope"], "unknown benchmark 'nope'; choose one of: nb201-cifar10"),
        (["bench", "nb201-cifar10", "metric=acc"], "unknown metric"),
        (["bench", "nb201-cifar10", "arch=|nor_conv_3x3~0|+|bad|"], "not a NAS-Bench-201 arch string"),
        (["search", "strategy=annealing"], "unknown strategy 'annealing'; choose one of: local, random, re"),
        (["search", "budgt=3"], "unknown option 'budgt'"),
        (["search", "budget=abc"], "could not be converted to Integer"),
        (["search", "options.popsize=3", "quiet=true"], "has no option(s) ['popsize']"),
        (["search", "budget=0", "quiet=true"], "budget must be a positive integer"),
        (["fit", "n_labels=1"], "n_labels must be in 2.."),
        (["predict", "ckpt=does-not-exist", "archs=missing.txt"], "no such file"),
        (["frobnicate"], "unknown command 'frobnicate'"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(capsys, argv, fragment):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert fragment in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_fit_then_predict_round_trip(capsys, tmp_path):
    ckpt = tmp_path / "predictor"
    code, out, _ = run(capsys, "fit", "encoder=scratch", "n_labels=30", "epochs=20", "test_cap=200", "quiet=true", f"out={ckpt}")
    assert code == 0 and "Spearman" in out
    config = json.loads((ckpt / "config.json").read_text())
    assert config["command"].startswith("nag fit") and -1 <= config["reached"]["spearman"] <= 1
    archs = tmp_path / "archs.txt"
    archs.write_text(f"# best and worst\n{BEST}\n|none~0|+|none~0|none~1|+|none~0|none~1|none~2|\n")
    out_file = tmp_path / "pred.csv"
    code, out, _ = run(capsys, "predict", f"ckpt={ckpt}", f"archs={archs}", f"out={out_file}")
    assert code == 0
    lines = out_file.read_text().splitlines()
    assert lines[0] == "arch,accuracy,accuracy_std" and len(lines) == 3


def test_python_dash_m_nag_exits_2_without_traceback():
    result = subprocess.run([sys.executable, "-m", "nag", "bench", "nope"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "unknown benchmark" in result.stderr
