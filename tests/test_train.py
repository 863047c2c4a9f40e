"""Training built archs: accuracy on real digits, exact resume, divergence, early stopping, precision choices."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from nag import spaces
from nag.errors import CheckpointError, ConfigError, TrainingError
from nag.train import TrainConfig, load_dataset, load_weights, train
from nag.train.precision import choose_device, choose_precision
from nag.train.state import METRICS_FILE, STATE_FILE, WEIGHTS_FILE

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"
TIMING = ("seconds", "samples_per_second")


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def small_net(data, arch=BEST, seed=0):
    torch.manual_seed(seed)
    return spaces.get("nb201").build(arch, C=4, N=1, **data.model_kwargs())


class Interrupted(Exception):
    pass


class StopsAt(nn.Module):
    """Wraps a net; its ``at``-th training forward raises (a crash in the middle of an
    epoch) or, with ``nan=True``, returns NaN logits from then on."""

    def __init__(self, net: nn.Module, at: int | None, nan: bool = False):
        super().__init__()
        self.net, self.at, self.nan, self.calls = net, at, nan, 0

    def forward(self, x):
        if self.training:
            self.calls += 1
            if self.at is not None and self.calls >= self.at:
                if not self.nan:
                    raise Interrupted
                return self.net(x) * float("nan")
        return self.net(x)


def without_timing(result) -> dict:
    data = result.to_dict()
    for key in TIMING:
        data.pop(key)
    data["history"] = [{k: v for k, v in r.items() if k not in TIMING} for r in data["history"]]
    return data


def test_digits_are_learned_well_above_chance(digits):
    result = train(small_net(digits), digits, TrainConfig(epochs=2, progress=False))
    assert result.test_accuracy is not None and result.accuracy == result.test_accuracy
    assert result.accuracy > 0.6  # chance is 0.1
    assert result.epochs == 2 and len(result.history) == 2
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    assert result.params == sum(p.numel() for p in small_net(digits).parameters())


def test_same_seed_same_run(digits):
    first = train(small_net(digits), digits, TrainConfig(epochs=1, progress=False))
    second = train(small_net(digits), digits, TrainConfig(epochs=1, progress=False))
    assert without_timing(first) == without_timing(second)


def test_resume_after_a_crash_mid_epoch_matches_an_uninterrupted_run(digits, tmp_path):
    config = TrainConfig(epochs=3, progress=False)
    whole = train(StopsAt(small_net(digits), None), digits, config, out_dir=tmp_path / "whole")
    steps = -(-len(digits.y_train) // config.batch_size)
    with pytest.raises(Interrupted):  # dies half-way through epoch 3
        train(StopsAt(small_net(digits), 2 * steps + steps // 2), digits, config, out_dir=tmp_path / "cut")
    saved = json.loads((tmp_path / "cut" / METRICS_FILE).read_text())
    assert [r["epoch"] for r in saved] == [1, 2]  # at most the running epoch is lost
    resumed = train(StopsAt(small_net(digits, seed=123), None), digits, config, out_dir=tmp_path / "cut", resume=True)
    assert without_timing(resumed) == without_timing(whole)
    a, b = load_weights(tmp_path / "whole" / WEIGHTS_FILE), load_weights(tmp_path / "cut" / WEIGHTS_FILE)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_saved_weights_reload_into_a_fresh_model(digits, tmp_path):
    result = train(small_net(digits), digits, TrainConfig(epochs=1, progress=False), out_dir=tmp_path)
    fresh = small_net(digits, seed=7)
    fresh.load_state_dict(load_weights(tmp_path / WEIGHTS_FILE))
    fresh.eval()
    with torch.no_grad():
        accuracy = (fresh(digits.x_test).argmax(1) == digits.y_test).float().mean().item()
    assert accuracy == pytest.approx(result.test_accuracy)


def test_a_finished_run_is_never_overwritten_and_resume_checks_settings(digits, tmp_path):
    train(small_net(digits), digits, TrainConfig(epochs=1, progress=False), out_dir=tmp_path)
    before = (tmp_path / STATE_FILE).read_bytes()
    with pytest.raises(ConfigError, match="already holds a training run"):
        train(small_net(digits), digits, TrainConfig(epochs=1, progress=False), out_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"lr: 0\.05 -> 0\.1"):
        train(small_net(digits), digits, TrainConfig(epochs=1, lr=0.1, progress=False), out_dir=tmp_path, resume=True)
    assert (tmp_path / STATE_FILE).read_bytes() == before
    with pytest.raises(ConfigError, match="needs out_dir"):
        train(small_net(digits), digits, TrainConfig(epochs=1, progress=False), resume=True)


def test_resuming_with_another_model_is_a_checkpoint_error(digits, tmp_path):
    train(small_net(digits), digits, TrainConfig(epochs=1, progress=False), out_dir=tmp_path)
    torch.manual_seed(0)
    wider = spaces.get("nb201").build(BEST, C=8, N=1, **digits.model_kwargs())
    with pytest.raises(CheckpointError, match="trained another model"):
        train(wider, digits, TrainConfig(epochs=1, progress=False), out_dir=tmp_path, resume=True)


def test_a_damaged_state_file_is_a_checkpoint_error(digits, tmp_path):
    (tmp_path / STATE_FILE).write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="state.pt"):
        train(small_net(digits), digits, TrainConfig(epochs=1, progress=False), out_dir=tmp_path, resume=True)


def test_nan_loss_stops_with_a_clear_error_and_keeps_the_last_good_epoch(digits, tmp_path):
    steps = -(-len(digits.y_train) // 64)
    with pytest.raises(TrainingError, match=r"became nan in epoch 2.*after epoch 1 is kept"):
        train(StopsAt(small_net(digits), steps + 3, nan=True), digits, TrainConfig(epochs=3, progress=False), out_dir=tmp_path)
    state = torch.load(tmp_path / STATE_FILE, weights_only=True)
    assert state["epoch"] == 1
    assert all(torch.isfinite(v).all() for v in state["model"].values() if v.is_floating_point())


def test_early_stopping_keeps_the_best_epoch(digits):
    # a learning rate this high makes validation accuracy stall quickly
    result = train(small_net(digits), digits, TrainConfig(epochs=30, lr=3.0, grad_clip=None, patience=2, progress=False))
    assert result.stopped_early and result.epochs < 30
    best = max(r["val_accuracy"] for r in result.history)
    assert result.epochs - result.best_epoch == 2
    assert result.val_accuracy == pytest.approx(best)


@pytest.mark.parametrize("amp, channels_last", [("bf16", "on"), ("fp16", "off")])
def test_mixed_precision_paths_train_on_cpu(digits, amp, channels_last):
    result = train(small_net(digits), digits, TrainConfig(epochs=1, amp=amp, channels_last=channels_last, progress=False))
    assert result.precision.startswith(amp) and (("channels_last" in result.precision) == (channels_last == "on"))
    assert result.history[0]["train_loss"] == result.history[0]["train_loss"]  # finite, not NaN
    assert result.accuracy > 0.2


def test_precision_choices_on_cuda_and_cpu():
    bf16 = choose_precision("cuda", "auto", "auto", bf16_supported=True, images=True)
    assert bf16.dtype is torch.bfloat16 and not bf16.scaled and bf16.channels_last
    fp16 = choose_precision("cuda", "auto", "auto", bf16_supported=False, images=True)
    assert fp16.dtype is torch.float16 and fp16.scaled
    assert not choose_precision("cuda", "auto", "auto", True, images=False).channels_last  # graphs have no NHWC
    cpu = choose_precision("cpu", "auto", "auto", False, images=True)
    assert cpu.dtype is None and not cpu.channels_last and cpu.name == "fp32"
    with pytest.raises(ConfigError, match="no bf16 support"):
        choose_precision("cuda", "bf16", "auto", bf16_supported=False, images=True)
    assert choose_device("auto", cuda_available=False).type == "cpu"
    assert choose_device("auto", cuda_available=True).type == "cuda"
    with pytest.raises(ConfigError, match="no CUDA device"):
        choose_device("cuda:0", cuda_available=False)


def test_node_classification_on_karate_club():
    data = load_dataset("karate")
    space = spaces.get("nbgraph")
    torch.manual_seed(0)
    model = space.build("0,0,0,0:gcn,gcn,gcn,gcn", in_dim=data.num_features, num_classes=4)
    result = train(model, data, TrainConfig(epochs=60, lr=0.01, optimizer="adamw", progress=False))
    assert result.history[-1]["train_accuracy"] == 1.0  # the four labelled nodes are fitted
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    assert result.test_accuracy is not None and result.accuracy > 0.6  # the largest class holds 13 of 34 nodes


@pytest.mark.parametrize("bad, message", [({"epochs": 0}, "epochs"), ({"lr": -1.0}, "lr"), ({"amp": "fp8"}, "amp"),
                                          ({"optimizer": "lion"}, "optimizer"), ({"device": "tpu"}, "device"),
                                          ({"patience": 0}, "patience")])  # fmt: skip
def test_bad_settings_are_rejected_before_any_work(bad, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**bad)


def test_wrong_data_is_a_dataset_error():
    from nag.errors import DatasetError

    with pytest.raises(DatasetError, match="cannot train on"):
        train(nn.Linear(2, 2), [1, 2, 3], TrainConfig(epochs=1, progress=False))
