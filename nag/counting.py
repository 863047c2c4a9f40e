"""Parameter and multiply-accumulate counts of PyTorch modules."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_params(module: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (shared parameters counted once)."""
    seen = {id(p): p for p in module.parameters() if p.requires_grad or not trainable_only}
    return sum(p.numel() for p in seen.values())


def count_flops(module: nn.Module, example_inputs: Any) -> int:
    """Multiply-accumulates (MACs) of one forward pass on ``example_inputs``.

    Counted with ``torch.utils.flop_counter`` (matrix multiplications and convolutions;
    normalisation, activations, pooling and additions count zero) and halved, since that
    counter reports 2 FLOPs per multiply-accumulate. The module runs once in eval mode,
    without gradients; its training flag is restored afterwards.

    Args:
        module: the model.
        example_inputs: one tensor or a tuple of positional inputs (batch included; the
            count is for the whole batch).
    """
    inputs = example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            module(*inputs)
    finally:
        module.train(was_training)
    return counter.get_total_flops() // 2
