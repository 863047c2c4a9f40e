"""Zero-cost proxies: scores of an untrained network that correlate with its trained accuracy.

- ``naswot`` (Mellor et al., ICML 2021): ``log det K`` where ``K[i, j]`` counts the ReLUs on
  which inputs ``i`` and ``j`` agree (both active or both inactive), over one batch.
- ``synflow`` (Tanaka et al., NeurIPS 2020): ``log sum |theta * dR/dtheta|`` with
  ``R`` the summed output of the network with absolute weights on an all-ones input
  (computed in float64, BatchNorm in eval mode).

Both need one forward (and for synflow one backward) pass: a few ms for a small network
on a CPU. :func:`space_proxies` scores archs of a space built small (e.g. nb201 at C=8,
N=1), which ranks them almost as well as the full network at a tenth of the cost.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from nag.errors import ConfigError
from nag.registry import Registry

PROXIES: Registry[Callable[[nn.Module, torch.Tensor], float]] = Registry("proxy")


@PROXIES.register("naswot")
def _naswot() -> Callable[[nn.Module, torch.Tensor], float]:
    def score(model: nn.Module, x: torch.Tensor) -> float:
        codes: list[torch.Tensor] = []
        hooks = [m.register_forward_hook(lambda m, i, o: codes.append((o.detach() > 0).flatten(1).float()))
                 for m in model.modules() if isinstance(m, nn.ReLU)]  # fmt: skip
        try:
            with torch.no_grad():
                model(x)
        finally:
            for hook in hooks:
                hook.remove()
        if not codes:
            return 0.0
        c = torch.cat(codes, 1).double()
        return float(torch.linalg.slogdet(c @ c.T + (1 - c) @ (1 - c).T)[1])

    return score


@PROXIES.register("synflow")
def _synflow() -> Callable[[nn.Module, torch.Tensor], float]:
    def score(model: nn.Module, x: torch.Tensor) -> float:
        net = model.double().eval()
        with torch.no_grad():
            for p in net.parameters():
                p.abs_()
        net(torch.ones(1, *x.shape[1:], dtype=torch.float64)).sum().backward()
        total = sum(float((p * p.grad).sum()) for p in net.parameters() if p.grad is not None)
        return float(np.log(total)) if total > 0 else float("-inf")

    return score


def zero_cost(model: nn.Module, x: torch.Tensor, proxies: Sequence[str] = ("naswot", "synflow")) -> dict[str, float]:
    """The named proxies of ``model`` on the batch ``x``, each on a copy in training mode (so
    BatchNorm statistics of ``model`` stay as they are)."""
    scorers = [(name, PROXIES.get(name)) for name in proxies]  # unknown names fail before any work
    return {name: score(copy.deepcopy(model).train(), x) for name, score in scorers}


def space_proxies(space: Any, archs: Sequence[Any], proxies: Sequence[str] = ("naswot", "synflow"), batch: int = 32,
                  seed: int = 0, progress: bool = False, **build: Any) -> np.ndarray:  # fmt: skip
    """``[len(archs), len(proxies)]`` proxies of each arch built by ``space.build(**build)``
    (same initial weights seed and the same random batch for every arch)."""
    from tqdm.auto import tqdm

    shape = (3, 32, 32) if space.task == "image_classification" else None
    if shape is None:
        raise ConfigError(f"zero-cost proxies are implemented for image spaces, not {space.name}")
    x = torch.randn(batch, *shape, generator=torch.Generator().manual_seed(seed))
    rows = []
    for arch in tqdm(archs, desc="zero-cost proxies", disable=not progress):
        torch.manual_seed(seed)
        scores = zero_cost(space.build(arch, **build), x, proxies)
        rows.append([scores[p] for p in proxies])
    return np.asarray(rows, dtype=np.float64)
