"""The README's Python snippets run as written, in order, in one namespace.

The snippets use a few names that stand for the user's own things (``my_score``,
``torch_model``, ``new_archs``...); the prelude below defines small ones. Everything else
is the README's text, unchanged."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

PRELUDE = """
import numpy as np
import torch
from nag import bench as _bench

_b = _bench.load("nb201-cifar10")
my_score = lambda arch: float(len(str(arch)))                      # a user's objective
my_latency = lambda archs: np.array([len(str(a)) for a in archs], dtype=float)
acc_fn = lambda archs: _b.query_many(archs, "accuracy")
params_fn = lambda archs: _b.query_many(archs, "params")
torch_model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                                  torch.nn.Flatten(), torch.nn.Linear(8, 10))
new_archs, new_y = list(_b.archs[-20:]), _b.query_many(_b.archs[-20:], "analog_accuracy")
any_module = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
_cora = _bench.load("nbgraph-citeseer")
best_labelled_archs_of_my_dataset = [_cora.archs[i] for i in np.argsort(-_cora.values("accuracy"))[:10]]
weights = np.ones(15625)
names = ["good" if i % 7 == 0 else None for i in range(15625)]
_b.space.to_str(_b.archs[0])
import shutil                                                       # the README runs from the repository root:
shutil.copytree(_repo / "examples" / "tnb101_micro", "examples/tnb101_micro")   # its example space file, here
open("results.csv", "w").write("arch,accuracy\\n" + "".join(f"{_b.space.to_str(a)},{v}\\n" for a, v in zip(_b.archs[:5], range(5))))
"""


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_the_readme_has_python_snippets():
    assert len(python_blocks(README.read_text())) >= 3


@pytest.mark.slow
def test_every_readme_snippet_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "readme", "_repo": README.parent}
    exec(compile(PRELUDE, "prelude", "exec"), namespace)
    for number, block in enumerate(python_blocks(README.read_text()), start=1):
        exec(compile(block, f"README.md python block {number}", "exec"), namespace)
