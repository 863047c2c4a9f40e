"""``nag train-arch``: trained weights and results.json in DIR, resume, and one-line errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from nag.train import load_weights

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"
SMALL = ["model.C=4", "model.N=1", "quiet=true"]


def test_train_arch_writes_weights_and_results(cli, tmp_path):
    out = tmp_path / "run"
    code, text, err = cli("train-arch", f"arch={BEST}", "epochs=2", f"out={out}", *SMALL)
    assert code == 0, err
    results = json.loads((out / "results.json").read_text())
    assert results["arch"] == BEST and results["epochs"] == 2
    assert results["accuracy"] > 0.5  # digits: chance is 0.1
    assert results["params"] > 0 and results["flops"] > 0
    assert f"{results['accuracy']:.4f}" in text and "FLOPs" in text
    weights = load_weights(out / "model.safetensors")
    assert sum(v.numel() for k, v in weights.items() if "running" not in k and "num_batches" not in k) == results["params"]


def test_train_arch_takes_the_best_of_a_samples_file(cli, tmp_path):
    samples = tmp_path / "samples.jsonl"
    worse = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    samples.write_text(json.dumps({"arch": worse, "predicted_accuracy": 10.0}) + "\n"
                       + json.dumps({"arch": BEST, "predicted_accuracy": 93.5}) + "\n")  # fmt: skip
    code, _, err = cli("train-arch", f"arch=best-of:{samples}", "epochs=1", f"out={tmp_path / 'run'}", *SMALL)
    assert code == 0, err
    assert json.loads((tmp_path / "run" / "results.json").read_text())["arch"] == BEST


def test_train_arch_refuses_to_overwrite_or_resume_another_run(cli, tmp_path):
    out = tmp_path / "run"
    assert cli("train-arch", f"arch={BEST}", "epochs=1", f"out={out}", *SMALL)[0] == 0
    code, _, err = cli("train-arch", f"arch={BEST}", "epochs=1", f"out={out}", *SMALL)
    assert code == 2 and "already holds a trained model" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli("train-arch", f"arch={BEST}", "epochs=1", "lr=0.2", f"out={out}", "resume=true", *SMALL)
    assert code == 2 and "lr: 0.05 -> 0.2" in err
    other = BEST.replace("skip_connect~0", "avg_pool_3x3~0")  # same parameters, another arch
    code, _, err = cli("train-arch", f"arch={other}", "epochs=1", f"out={out}", "resume=true", *SMALL)
    assert code == 2 and "cannot resume" in err and "avg_pool_3x3" in err
    code, _, err = cli(
        "train-arch", f"arch={BEST}", "epochs=1", f"out={out}", "resume=true", "model.C=4", "model.N=2", "quiet=true"
    )
    assert code == 2 and "'N': 1" in err and "'N': 2" in err
    (tmp_path / "file").write_text("x")
    code, _, err = cli("train-arch", f"arch={BEST}", "epochs=1", f"out={tmp_path / 'file' / 'sub'}", *SMALL)
    assert code == 2 and "cannot write out=" in err


def test_train_arch_resumes_an_interrupted_run_to_the_same_result(cli, tmp_path, monkeypatch):
    from nag.train import trainer

    argv = ["train-arch", f"arch={BEST}", "epochs=3", *SMALL]
    assert cli(*argv, f"out={tmp_path / 'whole'}")[0] == 0
    real = trainer._train_epoch

    def dies_in_epoch_3(run_, *args):
        if run_.epoch == 2:
            raise KeyboardInterrupt
        return real(run_, *args)

    monkeypatch.setattr(trainer, "_train_epoch", dies_in_epoch_3)
    code, _, err = cli(*argv, f"out={tmp_path / 'cut'}")
    assert code == 130 and "interrupted" in err and not (tmp_path / "cut" / "results.json").exists()
    monkeypatch.setattr(trainer, "_train_epoch", real)
    assert cli(*argv, f"out={tmp_path / 'cut'}", "resume=true")[0] == 0
    whole, cut = (json.loads((tmp_path / d / "results.json").read_text()) for d in ("whole", "cut"))
    for key in ("accuracy", "val_accuracy", "test_accuracy", "best_epoch", "epochs", "params", "flops"):
        assert whole[key] == cut[key], key


@pytest.mark.parametrize("args, message", [
    (["arch=|bad|"], "not a NAS-Bench-201 arch string"),
    (["data=karate"], "builds image_classification models"),
    (["epochs=0"], "epochs must be a positive integer"),
    (["resume=true"], "resume=true needs out=DIR"),
    (["data=/no/such/folder"], "unknown dataset"),
    (["amp=fp8"], "amp must be one of"),
])  # fmt: skip
def test_train_arch_errors_are_one_line(cli, args, message):
    argv = ["train-arch", *([] if any(a.startswith("arch=") for a in args) else [f"arch={BEST}"]), *args, *SMALL]
    code, _, err = cli(*argv)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.slow
def test_kill_9_mid_run_then_resume_gives_the_uninterrupted_result(tmp_path):
    """A real crash: the process is killed with SIGKILL during epoch 3; resuming loses at most that epoch."""
    args = [sys.executable, "-m", "nag", "train-arch", f"arch={BEST}", "epochs=6", "model.C=8", "model.N=1", "quiet=true"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([*args, f"out={tmp_path / 'whole'}"], check=True, env=env, capture_output=True, timeout=300)
    victim = subprocess.Popen([*args, f"out={tmp_path / 'cut'}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    metrics = tmp_path / "cut" / "metrics.json"
    deadline = time.time() + 300
    while time.time() < deadline and not (metrics.exists() and len(json.loads(metrics.read_text())) >= 2):
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert not (tmp_path / "cut" / "results.json").exists(), "the run finished before it could be killed"
    subprocess.run([*args, f"out={tmp_path / 'cut'}", "resume=true"], check=True, env=env, capture_output=True, timeout=300)
    whole, cut = (json.loads((tmp_path / d / "results.json").read_text()) for d in ("whole", "cut"))
    for key in ("accuracy", "val_accuracy", "test_accuracy", "best_epoch", "epochs", "params", "flops"):
        assert whole[key] == cut[key], key
