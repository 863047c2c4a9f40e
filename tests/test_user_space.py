"""A space nag does not ship, end to end: declared in a YAML file plus one builder, a
results table of its archs, ``nag fit`` / ``nag finetune`` on that table, checkpoints that
carry the space into a fresh process, and the example script that does it all."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr

from nag import Generator, Predictor, bench, spaces
from nag.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
SPACE_FILE = ROOT / "examples" / "tnb101_micro" / "space.yaml"

pytestmark = pytest.mark.filterwarnings("ignore:tracing NB201Network")


@pytest.fixture(scope="module", autouse=True)
def _examples_importable():
    """The space file names its builder ``examples.tnb101_micro.model.build``, importable
    from the repository root (where the example is run from)."""
    patch = pytest.MonkeyPatch()
    patch.syspath_prepend(str(ROOT))
    yield
    patch.undo()


@pytest.fixture(scope="module")
def tnb():
    return spaces.load(SPACE_FILE)


@pytest.fixture(scope="module")
def table(tnb, tmp_path_factory):
    """150 archs of the declared space with a real accuracy each: the micro cell's ops are
    NAS-Bench-201 ops, so a cell's NAS-Bench-201 CIFAR-10 accuracy stands in for a run."""
    nb201 = spaces.get("nb201")
    archs, accuracy = bench.load("nb201-cifar10").table("accuracy")
    by_text = {nb201.to_str(a): v for a, v in zip(archs, accuracy)}
    sampled = tnb.sample_distinct(150, seed=0)
    path = tmp_path_factory.mktemp("table") / "runs.csv"
    lines = ["arch,val_accuracy,run_id"] + [f'"{tnb.to_str(a)}",{by_text[tnb.to_str(a)]},{i}' for i, a in enumerate(sampled)]
    path.write_text("\n".join(lines) + "\n")
    return path, sampled, np.array([by_text[tnb.to_str(a)] for a in sampled])


def test_nb201_declared_equals_the_built_in_space():
    from examples.declared_nb201 import make_space

    declared, built_in = make_space(), spaces.get("nb201")
    assert declared.size == built_in.size == 15625
    texts = [declared.to_str(a) for a in declared.enumerate()]
    assert sorted(texts) == sorted(built_in.to_str(a) for a in built_in.enumerate())
    for arch in declared.sample(25, seed=3):
        same = built_in.from_str(declared.to_str(arch))
        assert declared.from_str(built_in.to_str(same)) == arch
        for level in ("cell", "network"):
            assert declared.to_graph(arch, level).canonical_hash() == built_in.to_graph(same, level).canonical_hash()


def test_archs_of_an_unregistered_space_name_it(tnb):
    arch = tnb.sample(1, seed=0)[0]
    assert spaces.of(arch) is tnb


def test_the_declared_space_traces_its_networks(tnb):
    arch = tnb.from_str("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|none~1|nor_conv_3x3~2|")
    graph = tnb.to_graph(arch)
    assert sum(op == "conv" for op in graph.ops) >= 3


def test_the_shipped_nb201_predictor_finetunes_on_another_space(tnb, table):
    _, archs, y = table
    predictor = Predictor.from_pretrained("nb201-cifar10").finetune(archs[:40], y[:40])
    assert predictor.space is tnb
    mean, _ = predictor.predict(archs[40:])
    assert spearmanr(mean, y[40:])[0] > 0.6


def test_fit_and_finetune_read_a_table_of_a_declared_space(cli, table, tmp_path):
    path, archs, y = table
    fitted = tmp_path / "fitted"
    code, out, err = cli("fit", f"bench={path}", f"space={SPACE_FILE}", "metric=val_accuracy", "n_labels=30",
                         "encoder=scratch", "epochs=10", "test_cap=60", "quiet=true", f"out={fitted}")  # fmt: skip
    assert code == 0, err
    assert "Spearman" in out and "60" in out
    tuned = tmp_path / "tuned"
    code, out, err = cli("finetune", "ckpt=nb201-cifar10", f"bench={path}", f"space={SPACE_FILE}", "metric=val_accuracy",
                         "n_labels=40", "test_cap=100", "quiet=true", f"out={tuned}")  # fmt: skip
    assert code == 0, err
    config = json.loads((tuned / "config.json").read_text())
    assert config["space"] == "tnb101-micro" and config["space_document"]["name"] == "tnb101-micro"
    assert config["command"].startswith("nag finetune ckpt=nb201-cifar10") and config["reached"]["spearman"] > 0.6
    assert config["reached"]["test_archs"] == 100


@pytest.mark.parametrize(
    "argv, message",
    [
        (["fit", "bench={table}", "n_labels=10"], "is a table: add space=NAME or space=FILE.yaml"),
        (["fit", "bench=nb201-cifar10", "space=nbgraph", "n_labels=10"], "measures nb201 archs, not nbgraph"),
        (["finetune", "bench={table}", "space={space}", "metric=nosuch"], "nosuch"),
        (["finetune", "bench={table}", "space={space}", "mode=all"], "mode must be 'heads' or 'full'"),
        (["finetune", "bench={table}", "space={space}", "n_labels=150"], "n_labels must be in 2..149"),
        (["finetune", "ckpt=nosuch", "bench={table}", "space={space}"], "nosuch"),
    ],
)
def test_table_commands_refuse_bad_input_in_one_line(cli, table, tmp_path, argv, message):
    argv = [a.format(table=table[0], space=SPACE_FILE) for a in argv]
    code, _, err = cli(*argv, f"out={tmp_path / 'never'}")
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "never").exists()


def _fresh_process(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_checkpoints_carry_the_declared_space_into_a_fresh_process(tnb, table, tmp_path):
    _, archs, y = table
    predictor = Predictor(encoder="scratch", epochs=10, seed=0, progress=False).fit(archs[:30], y[:30])
    saved = predictor.save(tmp_path / "predictor")
    probe = [tnb.to_str(a) for a in archs[30:35]]
    expected = predictor.predict(archs[30:35])[0]
    script = (f"import json; from nag import Predictor; p = Predictor.load(r'{saved}'); "
              f"print(json.dumps([p.space.name, p.space.size, p.predict([p.space.from_str(t) for t in {probe!r}])[0].tolist()]))")  # fmt: skip
    name, size, values = json.loads(_fresh_process(script))
    assert (name, size) == ("tnb101-micro", 4096)
    np.testing.assert_allclose(values, expected, rtol=1e-6)

    generator = Generator.fit(tnb, iterations=60)
    saved = generator.save(tmp_path / "generator")
    expected = [tnb.to_str(a) for a in generator.sample(6, seed=1)]
    script = f"import json; from nag import Generator; g = Generator.load(r'{saved}'); print(json.dumps([str(a) for a in g.sample(6, seed=1)]))"
    assert json.loads(_fresh_process(script)) == expected


def test_registering_the_same_declaration_again_is_not_an_error(tmp_path):
    first = spaces.register_space(spaces.load(SPACE_FILE))
    assert spaces.register_space(spaces.load(SPACE_FILE)) is first
    other = tmp_path / "space.yaml"
    other.write_text(SPACE_FILE.read_text().replace("nor_conv_3x3]}", "avg_pool_3x3]}", 1))
    with pytest.raises(ConfigError, match="a different space is already registered as 'tnb101-micro'"):
        spaces.register_space(spaces.load(other))


@pytest.mark.slow
def test_the_example_runs_in_its_fast_mode(tmp_path):
    done = subprocess.run([sys.executable, "-m", "examples.tnb101_micro.run", "--fast", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "tnb101-micro: 4,096 archs" in out and "a fresh process loads the predictor with its space: tnb101-micro 4096" in out
    assert (tmp_path / "runs.csv").is_file() and len((tmp_path / "runs.csv").read_text().splitlines()) == 13
