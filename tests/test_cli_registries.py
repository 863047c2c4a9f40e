"""The CLI offers what the registries hold: the names in its usage text, and guidance kinds
registered after the fact."""

import re

import numpy as np
import pytest

from nag.cli.main import USAGE, main
from nag.errors import ConfigError, UnknownNameError
from nag.executors import EXECUTORS
from nag.export import FORMATS
from nag.guidance import GUIDANCE, GuidanceInputs, GuidanceKind, RewardGuidance, make
from nag.latency.runtimes import RUNTIMES
from nag.train.datasets import DATASETS

#: option -> the registry its names come from, and the non-name words usage may add
OFFERED = {
    "guidance": (GUIDANCE, set()),
    "executor": (EXECUTORS, set()),
    "format": (FORMATS, set()),
    "runtime": (RUNTIMES, set()),
    "data": (DATASETS, {"DIR"}),
}


def offered(option: str) -> set[str]:
    """The names usage lists as ``option=a|b|c`` (every listing of the option)."""
    lists = re.findall(rf"(?<![\w.]){re.escape(option)}=([\w.]+(?:\|[\w.]+)+)", USAGE)
    assert lists, f"usage lists no choices for {option}="
    return {name for listing in lists for name in listing.split("|")}


@pytest.mark.parametrize("option", sorted(OFFERED))
def test_usage_lists_exactly_the_registered_names(option):
    registry, extra = OFFERED[option]
    assert offered(option) - extra == set(registry.names())


def _params_kind() -> GuidanceKind:
    """A kind a user might add: reward guidance towards few parameters, read from the score."""
    return GuidanceKind(lambda inputs: RewardGuidance(inputs.score, maximize=False), needs=("score",),
                        summary="towards few {metric} in {source}")  # fmt: skip


def test_a_registered_guidance_is_offered_by_nag_sample(monkeypatch, capsys):
    monkeypatch.setitem(GUIDANCE._factories, "few-params", _params_kind)
    rc = main(["sample", "space=nb201", "n=4", "seed=0", "guidance=few-params", "metric=params", "quiet=true"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "towards few params in nb201-cifar10" in out
    assert "unknown guidance" not in out


def test_unknown_guidance_lists_the_registered_names(capsys):
    assert main(["sample", "guidance=magic"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("choose one of: " + ", ".join(GUIDANCE.names()))


def test_make_checks_what_a_kind_needs_and_takes():
    with pytest.raises(ConfigError, match="guidance predictor needs predictor"):
        make("predictor", GuidanceInputs())
    with pytest.raises(ConfigError, match="scale sets the strength of guidance=predictor"):
        make("bench", GuidanceInputs(score=lambda archs: np.zeros(len(archs)), scale=2.0))
    with pytest.raises(UnknownNameError):
        make("magic", GuidanceInputs())
    assert make("none", GuidanceInputs()) is None
    guide = make("bench", GuidanceInputs(score=lambda archs: np.ones(len(archs)), maximize=False))
    assert isinstance(guide, RewardGuidance) and guide.maximize is False
