"""Malformed command lines, listed and generated: each exits 2 with one line on stderr, no
traceback, nothing printed before it, and nothing left behind; never exit 0.

``NAG_FUZZ_EXAMPLES`` sets how many invocations each generated test tries (default 25;
``benchmarks/reliability.py`` runs many more)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"
EXAMPLES = int(os.environ.get("NAG_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A binary file, a file that is not a folder, and a missing file."""
    root = tmp_path_factory.mktemp("fuzz-files")
    binary = root / "binary.dat"
    binary.write_bytes(bytes(range(256)) * 8)
    plain = root / "plain.txt"
    plain.write_text("not a folder\n")
    return {"binary": str(binary), "file": str(plain), "missing": str(root / "missing.txt")}


def _words(template: tuple[str, ...], files: dict[str, str]) -> list[str]:
    return [word.format(**files) for word in template]


#: command -> invocations each of which is invalid whatever else is added (in words after
#: the command; {binary}, {file}, {missing} are the fixture's paths)
INVALID: dict[str, list[tuple[str, ...]]] = {
    "bench": [
        ("nb201-cifar10", f"arch={BEST}", "metric=nosuch"),
        ("nb201-cifar10", "json=2"),
        ("nb201-cifar10", "maximize=2"),
        (
            "nb201-cifar10",
            "arch=|nor_co nv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|",
        ),
        ("nbgraph-cora", "arch=00,0,1,2:gcn,gat,skip,fc"),
        ("nbgraph-cora", "arch=+0,0,1,2:gcn,gat,skip,fc"),
        ("nbgraph-cora", "arch=0_0,0,1,2:gcn,gat,skip,fc"),
        ("nbgraph-cora", "arch=\u0660,0,1,2:gcn,gat,skip,fc"),
        ("nosuch",),
        ("nb201-cifar10", "nosuchkey=1"),
    ],
    "search": [
        ("seed=-1",),
        ("maximize=2",),
        ("budget=0",),
        ("budget=abc",),
        ("out={file}/trajectory.json",),
        ("strategy=nosuch",),
        ("options.population=abc",),
        ("options.population=-3",),
        ("strategy=diffusion", "options.generator=abc"),
        ("oracle=nosuch",),
        ("oracle=train", "executor=serial", "train.nosuch=1"),
        ("oracle=train", "executor=serial", "train.lr=abc"),
        ("oracle=train", "executor=serial", "model.nosuch=1"),
        ("oracle=train", "executor=serial", "model.C=-4"),
        ("oracle=train", "executor=serial", "model.C=0"),
        ("oracle=train", "executor=serial", "model.N=-1"),
        ("oracle=train", "workers=0"),
        ("oracle=train", "executor=nosuch"),
        ("oracle=train", "executor=serial", "table={file}/runs.csv"),
        ("oracle=train", "executor=serial", "data={binary}"),
        ("oracle=train", "executor=serial", "epochs=0"),
    ],
    "sample": [
        ("seed=-1",),
        ("n=5000000",),
        ("n=0",),
        ("n=2000",),
        ("maximize=2",),
        ("out={file}/samples.jsonl",),
        ("out=samples.csv",),
        ("condition_scale=50",),
        ("guidance=predictor", "scale=-1"),
        ("guidance=nosuch",),
        ("constraints.params=<=abc",),
        ("constraints.nosuch=<=1",),
        ("generator={missing}",),
        ("space=nosuch",),
    ],
    "fit": [
        ("test_cap=0",),
        ("n_labels=-1",),
        ("seed=-1",),
        ("out={file}/predictor",),
        ("gp_weight=2",),
        ("encoder=nosuch",),
        ("bench=nosuch",),
    ],
    "predict": [
        ("archs={binary}",),
        ("archs={missing}",),
        ("ckpt=nosuch", "archs={missing}"),
        ("out={file}/p.csv", "archs={missing}"),
    ],
    "export": [
        (f"arch={BEST}", "out={file}/net.onnx"),
        (f"arch={BEST}", "resolution=-1", "out=net.onnx"),
        (f"arch={BEST}", "resolution=99999", "out=net.onnx"),
        (f"arch={BEST}", "N=-1", "out=net.onnx"),
        (f"arch={BEST}", "num_classes=0", "out=net.onnx"),
        (f"arch={BEST}", "C=0", "out=net.onnx"),
        (f"arch={BEST}", "C=4096", "out=net.onnx"),
        ("arch=best-of:{binary}", "out=net.onnx"),
        (f"arch={BEST}", "format=nosuch", "out=net.onnx"),
        (f"arch={BEST}", "dynamic=2", "out=net.onnx"),
        ("space=nbgraph", "arch=0,0,1,2:gcn,gat,skip,fc", "in_dim=0", "out=net.onnx"),
    ],
    "draw": [
        (f"arch={BEST}", "level=nosuch", "out=cell.svg"),
        ("arch=best-of:{binary}", "out=cell.svg"),
        (f"arch={BEST}", "out={file}/cell.svg"),
        (f"arch={BEST}",),
    ],
    "train-arch": [
        (f"arch={BEST}", "model.C=-4"),
        (f"arch={BEST}", "model.C=0"),
        (f"arch={BEST}", "model.N=-1"),
        (f"arch={BEST}", "model.nosuch=1"),
        (f"arch={BEST}", "data_options.resolution=-1"),
        (f"arch={BEST}", "data_options.nosuch=1"),
        ("arch=best-of:{binary}",),
        (f"arch={BEST}", "epochs=0"),
        (f"arch={BEST}", "lr=abc"),
        (f"arch={BEST}", "data=nosuch"),
        (f"arch={BEST}", "out={file}/run"),
        (f"arch={BEST}", "resume=2"),
        (f"arch={BEST}", "resume=true"),
    ],
    "pretrain": [("epochs=0",), ("out={file}/encoder",), ("soft_positives=2",), ("seed=-1",), ("network_graphs=-1",)],
    "demo": [("n=0",), ("seed=-1",), ("quiet=2",)],
    "spaces": [("nosuchkey=1",), ("extra",)],
}

#: options that are valid for a command and cheap, added around an invalid invocation
EXTRAS: dict[str, list[str]] = {
    "bench": ["json=true", "maximize=false"],
    "search": ["quiet=true", "seed=3", "budget=2", "maximize=false", "strategy=random"],
    "sample": ["quiet=true", "seed=4", "n=3", "maximize=false"],
    "fit": ["quiet=true", "epochs=2", "n_labels=20", "test_cap=50", "encoder=scratch"],
    "predict": ["quiet=true", "ckpt=nb201-cifar10"],
    "export": ["seed=1", "check=false", "format=torchscript", "in_channels=1"],
    "draw": ["title=x", "level=network"],
    "train-arch": ["quiet=true", "epochs=1", "model.N=1", "seed=2", "lr=0.1"],
    "pretrain": ["quiet=true", "epochs=1", "batch_size=8"],
    "demo": ["quiet=true", "n=2"],
    "spaces": [],
}

CASES = [(command, words) for command, invalid in INVALID.items() for words in invalid]


def _key(word: str) -> str:
    return word.split("=", 1)[0] if "=" in word else f"<positional {word}>"


def _check_refused(capfd, tmp_path, monkeypatch, argv: list[str]) -> None:
    from nag.cli.main import main

    monkeypatch.chdir(tmp_path)  # relative outputs land here, and must not appear
    before = set(tmp_path.iterdir())
    code = main(argv)
    out, err = capfd.readouterr()
    assert code == 2, f"nag {' '.join(argv)} exited {code}: {err[-500:]}"
    assert out == "", f"nag {' '.join(argv)} printed before its error: {out[:300]!r}"
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, f"nag {' '.join(argv)}: {err[-500:]}"
    assert err.startswith(f"nag {argv[0]}:") or err.startswith("nag: "), err
    assert set(tmp_path.iterdir()) == before, f"nag {' '.join(argv)} left files behind"


@pytest.mark.parametrize(("command", "words"), CASES, ids=[f"{c}:{' '.join(w)[:50]}" for c, w in CASES])
def test_each_listed_malformed_invocation_is_one_line_and_exit_2(command, words, files, capfd, tmp_path, monkeypatch):
    _check_refused(capfd, tmp_path, monkeypatch, [command, *_words(words, files)])


@st.composite
def invalid_invocations(draw) -> tuple[str, tuple[str, ...], list[str]]:
    command = draw(st.sampled_from(sorted(INVALID)))
    words = draw(st.sampled_from(INVALID[command]))
    taken = {_key(w) for w in words}
    extras = draw(st.lists(st.sampled_from(EXTRAS[command]), max_size=3, unique=True)) if EXTRAS[command] else []
    extras = [e for e in extras if _key(e) not in taken and not taken.add(_key(e))]
    positional = [w for w in words if "=" not in w]
    rest = draw(st.permutations([w for w in words if "=" in w] + extras))
    return command, tuple(positional), list(rest)


@FUZZ
@given(invocation=invalid_invocations())
def test_invalid_invocations_with_valid_options_around_them_still_fail_first(invocation, files, capfd, tmp_path_factory,
                                                                          monkeypatch):  # fmt: skip
    command, positional, rest = invocation
    argv = [command, *_words(positional, files), *_words(tuple(rest), files)]
    _check_refused(capfd, tmp_path_factory.mktemp("run"), monkeypatch, argv)


JUNK = st.one_of(
    st.sampled_from(["-1", "0", "-0", "1e400", "nan", "inf", "-inf", "2", "1.5", "true", "null", "", "~", "[1,2]", "{a: 1}",
                     "${oops}", "''", "x" * 300, "\u0660", "..", "/", "/dev/null"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
    st.integers(-(10**20), 10**20).map(str),
)  # fmt: skip


@FUZZ
@given(key=st.sampled_from(["name", "metric", "arch", "maximize", "json"]), value=JUNK)
def test_junk_in_any_bench_option_never_crashes(key, value, capfd):
    from nag.cli.main import main

    code = main(["bench", "nb201-cifar10", f"{key}={value}"])
    out, err = capfd.readouterr()
    assert code in (0, 2) and "Traceback" not in err
    if code == 2:
        assert out == "" and len(err.strip().splitlines()) == 1, err


@FUZZ
@given(key=st.sampled_from(["seed", "budget", "maximize", "metric", "strategy", "bench", "options.population",
                            "options.sample_size", "out"]), value=JUNK)  # fmt: skip
def test_junk_in_a_search_option_never_crashes(key, value, capfd, tmp_path_factory, monkeypatch):
    from nag.cli.main import main

    monkeypatch.chdir(tmp_path_factory.mktemp("search"))
    budget = [] if key == "budget" else ["budget=3"]
    code = main(["search", "quiet=true", *budget, f"{key}={value}"])
    out, err = capfd.readouterr()
    assert code in (0, 2) and "Traceback" not in err
    if code == 2:
        assert out == "" and len(err.strip().splitlines()) == 1, err


def test_a_real_process_prints_one_line_for_bad_input(files):
    """The same through ``python -m nag``: what a terminal shows, warnings and logs included."""
    for argv in (["predict", f"archs={files['binary']}"], ["search", "seed=-1"], ["sample", "n=5000000"],
                 ["bench", "nb201-cifar10", "json=2"]):  # fmt: skip
        result = subprocess.run([sys.executable, "-m", "nag", *argv], capture_output=True, text=True, timeout=300)
        assert result.returncode == 2 and result.stdout == "", (argv, result.stdout, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, (argv, result.stderr)


#: options that name files, folders or registered things, with the words that make them matter
NAMED = [("predict", "archs", ()), ("predict", "ckpt", ("archs=/dev/null",)), ("sample", "generator", ()),
         ("sample", "predictor", ("guidance=predictor",)), ("sample", "space", ()), ("sample", "bench", ("guidance=bench",)),
         ("export", "arch", ("out=net.pt", "format=torchscript")), ("draw", "arch", ("out=cell.svg",)),
         ("train-arch", "arch", ("epochs=1",)), ("train-arch", "data", (f"arch={BEST}", "epochs=1", "model.C=2", "model.N=1")),
         ("search", "table", ("oracle=train", "executor=serial", "budget=1", "model.C=2", "model.N=1"))]  # fmt: skip


@FUZZ
@given(named=st.sampled_from(NAMED), value=JUNK)
def test_junk_in_a_file_or_name_option_never_crashes(named, value, capfd, tmp_path_factory, monkeypatch):
    from nag.cli.main import main

    command, key, words = named
    monkeypatch.chdir(tmp_path_factory.mktemp("named"))
    code = main([command, "quiet=true" if command not in ("export", "draw") else "seed=0", *words, f"{key}={value}"])
    out, err = capfd.readouterr()
    assert code in (0, 2) and "Traceback" not in err, err[-500:]
    if code == 2:
        assert out == "" and len(err.strip().splitlines()) == 1, err
