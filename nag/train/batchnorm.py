"""BatchNorm statistics recomputed before an evaluation.

During training each BatchNorm keeps running averages of its batches' mean and variance
(momentum 0.1 by default), and evaluation normalises with them. After a short run (the
few epochs a search gives each candidate) the averages of a deep network still lean on
their initial values, and the network in eval mode can score at chance although it fits
its batches well. :func:`recalibrate` replaces the averages by the plain average over a
fixed set of training batches under the current weights (as weight-sharing NAS does for
its subnets); the weights are untouched.
"""

from __future__ import annotations

import torch
from torch import nn

from nag.train.precision import Precision, autocast
from nag.train.tasks import Task

#: seeds the order of the batches the statistics are taken over (the same every time)
BATCH_ORDER_SEED = 0


def batch_norms(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    """The model's BatchNorm layers that keep running statistics."""
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]


def recalibrate(model: nn.Module, task: Task, samples: int, batch_size: int, device: torch.device,
                precision: Precision) -> int:  # fmt: skip
    """Set every BatchNorm's running mean and variance to their average over the first
    ``samples`` training inputs (whole batches, in a fixed order; train mode, no gradients)
    and return how many inputs were read (0 when the model has no BatchNorm or ``samples``
    is 0). Momenta and the model's train / eval mode are restored."""
    norms = batch_norms(model)
    if not norms or samples <= 0:
        return 0
    momenta, was_training = [m.momentum for m in norms], model.training
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average: every batch counts the same
    model.train()
    seen = 0
    try:
        with torch.no_grad(), autocast(device, precision):
            for args, y, _ in task.train_batches(batch_size, torch.Generator().manual_seed(BATCH_ORDER_SEED)):
                model(*args)
                seen += len(y)
                if seen >= samples:
                    break
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        model.train(was_training)
    return seen
