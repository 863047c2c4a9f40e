"""BatchNorm statistics recomputed before evaluation: what they become, what stays, and
that a short run of a deep network no longer evaluates at chance."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nag import spaces
from nag.errors import ConfigError
from nag.train import TrainConfig, load_dataset, train
from nag.train.arch import build_for
from nag.train.batchnorm import recalibrate
from nag.train.data import IMAGE_TASK
from nag.train.precision import choose_precision
from nag.train.tasks import make_task

CPU = torch.device("cpu")


def _task(data):
    precision = choose_precision("cpu", "off", "off", False, True)
    return make_task(IMAGE_TASK, data).to(CPU, precision), precision


def test_running_statistics_become_those_of_the_training_inputs():
    data = load_dataset("digits")
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.BatchNorm1d(16, momentum=0.3), nn.ReLU(), nn.Linear(16, 10))
    model.eval()
    task, precision = _task(data)
    n = len(data.y_train)
    seen = recalibrate(model, task, samples=n, batch_size=n, device=CPU, precision=precision)  # one batch: all of them
    with torch.no_grad():
        hidden = model[1](model[0](data.x_train))
    norm = model[2]
    assert seen == n
    torch.testing.assert_close(norm.running_mean, hidden.mean(0), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(norm.running_var, hidden.var(0, unbiased=True), rtol=1e-4, atol=1e-5)
    assert norm.momentum == 0.3 and not model.training  # restored
    before = {k: v.clone() for k, v in model.state_dict().items() if "running" not in k and "num_batches" not in k}
    recalibrate(model, task, samples=n, batch_size=n, device=CPU, precision=precision)
    after = model.state_dict()
    assert all(torch.equal(v, after[k]) for k, v in before.items())  # weights untouched


def test_nothing_to_do_without_batchnorm_or_samples():
    data = load_dataset("digits")
    task, precision = _task(data)
    plain = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    assert recalibrate(plain, task, 512, 256, CPU, precision) == 0
    normed = nn.Sequential(nn.Flatten(), nn.BatchNorm1d(64))
    assert recalibrate(normed, task, 0, 256, CPU, precision) == 0
    assert normed[1].num_batches_tracked == 0


@pytest.mark.parametrize("bad", [-1, 1.5, True, "all"])
def test_bad_bn_recalibration_is_refused(bad):
    with pytest.raises(ConfigError, match="bn_recalibration"):
        TrainConfig(bn_recalibration=bad)


@pytest.mark.slow
def test_a_two_epoch_mbv3_run_evaluates_above_chance():
    data = load_dataset("digits")
    space = spaces.get("mbv3")
    arch = space.sample(1, seed=3)[0]
    accuracy = {}
    for samples in (0, 2048):
        model = build_for(space, arch, data, seed=0)
        result = train(model, data, TrainConfig(epochs=2, progress=False, bn_recalibration=samples))
        accuracy[samples] = result.val_accuracy
    assert accuracy[2048] > 0.5
    assert accuracy[2048] > accuracy[0]
