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
import inspect
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
    (same initial weights seed and the same random batch, shaped as ``space.example_input``,
    for every arch). ``build`` options the builder does not take go to ``example_input`` only."""
    from tqdm.auto import tqdm

    if space.task != "image_classification":
        raise ConfigError(f"zero-cost proxies are implemented for image spaces, not {space.name}")
    shape = space.example_input(batch=batch, **build)[0].shape
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(seed))
    rows = []
    for arch in tqdm(archs, desc="zero-cost proxies", disable=not progress):
        with torch.random.fork_rng():  # the same initial weights for every arch; the caller's RNG untouched
            torch.manual_seed(seed)
            model = space.build(arch, **_build_options(space, build))
        scores = zero_cost(model, x, proxies)
        rows.append([scores[p] for p in proxies])
    return np.asarray(rows, dtype=np.float64)


def _build_options(space: Any, options: dict[str, Any]) -> dict[str, Any]:
    """The ``options`` ``space.build`` takes (all of them when it takes ``**options``)."""
    params = inspect.signature(space.build).parameters
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return dict(options)
    return {k: v for k, v in options.items() if k in params}


# ----------------------------------------------------------------------- shipped tables
TABLES_DIR = Path(__file__).resolve().parent / "checkpoints" / "proxies"
#: the benchmark metrics the proxies vote for (larger is better)
ESTIMATES = ("accuracy",)


def has_table(space_name: str) -> bool:
    """Whether a proxy table ships for ``space_name``."""
    return (TABLES_DIR / space_name).is_dir()


def build_table(space_name: str, directory: Path | str, progress: bool = True) -> Path:
    """Score every arch of ``space_name`` (small networks: its ``defaults.trace_options``) and save the
    table as a checkpoint: ``values`` [n_archs, 2] (naswot, synflow) in ``all_archs()`` order."""
    from nag import spaces
    from nag.checkpoint import save_checkpoint

    space = spaces.get(space_name)
    started = time.perf_counter()
    build = dict(space.defaults.trace_options)
    values = space_proxies(space, space.all_archs(), PROXY_NAMES, progress=progress, **build)
    config = {"space": space_name, "proxies": list(PROXY_NAMES), "build": build, "batch": 32, "seed": 0,
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
        raise ConfigError(
            f"no shipped proxy table for space {space_name!r}; shipped: {sorted(p.name for p in TABLES_DIR.iterdir())}"
        )
    tensors, _ = load_checkpoint(directory, "proxies", allow_nonfinite=("values",))  # -inf / NaN: see features()
    archs = spaces.get(space_name).all_archs()
    expected = (len(archs), len(PROXY_NAMES))
    if set(tensors) != {"values"} or not tensors["values"].is_floating_point() or tuple(tensors["values"].shape) != expected:
        found = {k: (str(v.dtype), tuple(v.shape)) for k, v in tensors.items()}
        raise CheckpointError(
            f"{directory}: a proxy table holds one floating tensor 'values' of shape {expected}, found {found!r:.300}"
        )
    values = tensors["values"].double().numpy()
    return {a: i for i, a in enumerate(archs)}, values


def features(space: Any, archs: Sequence[Any]) -> np.ndarray:
    """``[n, 2]`` proxies of ``archs``, standardised (-inf and NaN count as the lowest score,
    +inf as the highest): inputs for a predictor's ``condition=`` (``Predictor(condition_dim=2)``).

    From the shipped table where the space has one, standardised over the whole space;
    otherwise computed now on the space's small networks (its ``defaults.trace_options``)
    and standardised over ``archs``."""
    if has_table(space.name):
        rows, values = load_table(space.name)
        return _standardised(values, f"the {space.name} proxy table")[[rows[space.coerce(a)] for a in archs]]
    values = space_proxies(space, [space.coerce(a) for a in archs], PROXY_NAMES, **space.defaults.trace_options)
    return _standardised(values, f"the proxies of these {space.name} archs")


def _standardised(values: np.ndarray, what: str) -> np.ndarray:
    """Columns of ``values`` standardised, infinities and NaN replaced by each column's extremes."""
    finite = np.where(np.isfinite(values), values, np.nan)
    if np.isnan(finite).all(axis=0).any():
        raise CheckpointError(f"{what} has a column without a finite value")
    filled = np.where(values == -np.inf, np.nanmin(finite, axis=0), np.where(values == np.inf, np.nanmax(finite, axis=0), finite))
    filled = np.where(np.isnan(filled), np.nanmin(finite, axis=0), filled)
    return (filled - filled.mean(0)) / np.maximum(filled.std(0), 1e-12)


def prior(space: Any, archs: Sequence[Any]) -> np.ndarray:
    """A label-free accuracy estimate of each arch: the sum of its standardised proxies
    (:func:`features`), higher meaning more accurate (the proxies' equal-weight vote)."""
    return features(space, archs).sum(axis=1)
