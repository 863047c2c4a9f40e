"""The example scripts run in their fast mode (what CI runs) and print their results."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_example(name: str, *options: str) -> str:
    done = subprocess.run([sys.executable, "-m", f"examples.{name}", "--fast", *options], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_sample_constrained_runs_in_its_fast_mode():
    out = run_example("sample_constrained")
    assert "nb201   guided: mean true accuracy" in out
    assert "mbv3 under 3e+08 MACs, k in (5, 7): all 16 within budget" in out
    assert "mbv3 reward-guided towards the budget: best" in out


@pytest.mark.slow
def test_sample_targets_runs_in_its_fast_mode():
    out = run_example("sample_targets")
    assert "nb201   target 90: accuracy median" in out
    assert "nbgraph nbgraph-cora: cora accuracy mean" in out


@pytest.mark.slow
def test_export_and_draw_runs_in_its_fast_mode(tmp_path):
    out = run_example("export_and_draw", "--out", str(tmp_path))
    assert "best of 8 samples: |" in out
    assert (tmp_path / "cell.png").is_file() and (tmp_path / "network.png").is_file()
    assert "ONNX: skipped" in out or (tmp_path / "net.onnx").is_file()
