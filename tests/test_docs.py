"""The docs' results page is rendered from results JSON files (docs/gen_results.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def gen_results():
    spec = importlib.util.spec_from_file_location("gen_results", ROOT / "docs" / "gen_results.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_results_json_becomes_a_table_with_its_command(tmp_path):
    results, benchmarks = tmp_path / "results", tmp_path / "benchmarks"
    results.mkdir()
    benchmarks.mkdir()
    (benchmarks / "toy.py").write_text('"""Toy.\n\n    python benchmarks/toy.py --out results/toy.json\n"""\n')
    (benchmarks / "other.py").write_text('"""Other.\n\n    python benchmarks/other.py [--seeds 3]\n"""\n')
    (results / "toy.json").write_text(json.dumps({
        "command": "python benchmarks/toy.py --seeds 3 --out results/toy.json",
        "commit": "abc1234",
        "machine": "x86_64",
        "seeds": 3,
        "results": {"nb201": {"random": {"median": 93.5, "runs": 3, "per_seed": [1, 2, 3, 4, 5, 6]},
                              "re": {"median": 94.0664, "runs": 3, "per_seed": [1, 2, 3, 4, 5, 6]}}},
    }))  # fmt: skip
    page = gen_results().render(results, benchmarks)
    assert "`python benchmarks/toy.py --seeds 3 --out results/toy.json`" in page
    assert "commit: `abc1234`" in page and "machine: `x86_64`" in page
    assert "| key 1 | key 2 | median | runs |" in page
    assert "| nb201 | re | 94.0664 | 3 |" in page
    assert "`per_seed`" in page  # raw lists are named, not shown
    assert "`benchmarks/other.py`: `python benchmarks/other.py [--seeds 3]`" in page  # no JSON yet
    assert "`benchmarks/toy.py`:" not in page


def test_a_file_without_a_command_names_its_script_by_shape(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "x.json").write_text(json.dumps({"known": {"cora": {"mean": 60.0}}, "holdout": {}, "n": 200}))
    page = gen_results().render(tmp_path / "results", tmp_path)
    assert "Written by `benchmarks/conditioning.py`." in page
    assert "--out results/x.json" in page and "does not record its other options" in page
    assert "| cora | 60 |" in page


def test_the_page_renders_the_repository_results(tmp_path):
    out = tmp_path / "results.md"
    assert gen_results().main([str(out)]) == 0
    assert out.read_text().startswith("# Results")
