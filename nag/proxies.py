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
import functools
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from nag.errors import CheckpointError, ConfigError
from nag.registry import Registry

PROXIES: Registry[Callable[[nn.Module, torch.Tensor], float]] = Registry("proxy")
#: the proxies of the shipped tables, in column order
PROXY_NAMES = ("naswot", "synflow")


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
        total = sum(float((p.detach() * p.grad).sum()) for p in net.parameters() if p.grad is not None)
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
        with torch.random.fork_rng():  # the same initial weights for every arch; the caller's RNG untouched
            torch.manual_seed(seed)
            model = space.build(arch, **build)
        scores = zero_cost(model, x, proxies)
        rows.append([scores[p] for p in proxies])
    return np.asarray(rows, dtype=np.float64)


# ----------------------------------------------------------------------- shipped tables
TABLES_DIR = Path(__file__).resolve().parent / "checkpoints" / "proxies"
#: how the shipped tables score each arch: small networks, one seed, one random batch
TABLE_BUILD: dict[str, dict[str, Any]] = {"nb201": {"C": 8, "N": 1}}
#: the benchmark metrics the proxies vote for (larger is better)
ESTIMATES = ("accuracy",)


def has_table(space_name: str) -> bool:
    """Whether a proxy table ships for ``space_name``."""
    return (TABLES_DIR / space_name).is_dir()


def build_table(space_name: str, directory: Path | str, progress: bool = True) -> Path:
    """Score every arch of ``space_name`` (built as :data:`TABLE_BUILD` says) and save the
    table as a checkpoint: ``values`` [n_archs, 2] (naswot, synflow) in ``all_archs()`` order."""
    from nag import spaces
    from nag.checkpoint import save_checkpoint

    space = spaces.get(space_name)
    started = time.perf_counter()
    values = space_proxies(space, space.all_archs(), PROXY_NAMES, progress=progress, **TABLE_BUILD[space_name])
    config = {"space": space_name, "proxies": list(PROXY_NAMES), "build": TABLE_BUILD[space_name], "batch": 32, "seed": 0,
              "seconds": time.perf_counter() - started,
              "command": f"python -c \"from nag.proxies import build_table; build_table('{space_name}', '{directory}')\""}  # fmt: skip
    return save_checkpoint(directory, "proxies", {"values": torch.as_tensor(values)}, config)


@functools.lru_cache(maxsize=4)
def load_table(space_name: str) -> tuple[dict[Any, int], np.ndarray]:
    """``(row of each arch, values [n, 2])`` of the shipped proxy table of ``space_name``."""
    from nag import spaces
    from nag.checkpoint import load_checkpoint

    directory = TABLES_DIR / space_name
    if not has_table(space_name):
        raise ConfigError(f"no shipped proxy table for space {space_name!r}; shipped: {sorted(p.name for p in TABLES_DIR.iterdir())}")
    tensors, _ = load_checkpoint(directory, "proxies", allow_nonfinite=("values",))  # -inf / NaN: see features()
    archs = spaces.get(space_name).all_archs()
    expected = (len(archs), len(PROXY_NAMES))
    if set(tensors) != {"values"} or not tensors["values"].is_floating_point() or tuple(tensors["values"].shape) != expected:
        found = {k: (str(v.dtype), tuple(v.shape)) for k, v in tensors.items()}
        raise CheckpointError(f"{directory}: a proxy table holds one floating tensor 'values' of shape {expected}, found {found!r:.300}")
    values = tensors["values"].double().numpy()
    return {a: i for i, a in enumerate(archs)}, values


def features(space: Any, archs: Sequence[Any]) -> np.ndarray:
    """``[n, 2]`` proxies of ``archs`` from the shipped table, standardised over the whole
    space (-inf and NaN count as the space's lowest score, +inf as its highest): inputs for a predictor's
    ``condition=`` (``Predictor(condition_dim=2)``)."""
    rows, values = load_table(space.name)
    finite = np.where(np.isfinite(values), values, np.nan)
    if np.isnan(finite).all(axis=0).any():
        raise CheckpointError(f"the {space.name} proxy table has a column without a finite value")
    filled = np.where(values == -np.inf, np.nanmin(finite, axis=0), np.where(values == np.inf, np.nanmax(finite, axis=0), finite))
    filled = np.where(np.isnan(filled), np.nanmin(finite, axis=0), filled)
    z = (filled - filled.mean(0)) / np.maximum(filled.std(0), 1e-12)
    return z[[rows[space.coerce(a)] for a in archs]]


def prior(space: Any, archs: Sequence[Any]) -> np.ndarray:
    """A label-free accuracy estimate of each arch: the sum of its standardised proxies
    (:func:`features`), higher meaning more accurate (the proxies' equal-weight vote)."""
    return features(space, archs).sum(axis=1)
