"""Measure a latency table on this machine, and whole networks end to end.

``measure(space, runtime="torch", batch=1, threads=1, resolution=224)`` times every part of
the space's latency plan (median and quartiles of ``repeats`` runs after ``warmup``), then
``calibration`` random archs end to end: the table's fixed part is the median of what
those networks take beyond the sum of their parts (stem, head, node sums, framework
overhead). ``measure_archs`` times whole networks with a table's settings, the reference
the model is checked against (:mod:`nag.latency.check`).
"""

from __future__ import annotations

import inspect
import os
import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from nag.errors import ConfigError
from nag.latency import runtimes
from nag.latency.model import parts_sum
from nag.latency.table import STATISTICS, Entry, LatencyTable

#: visits of every run the timed calls are spread over
ROUNDS = 15
#: seconds of calls before any is timed
BURN_IN_S = 2.0
#: networks timed together (their memory is held at once)
NETWORK_CHUNK = 100


@dataclass(frozen=True)
class Settings:
    """How parts and networks are timed.

    Args:
        runtime: a name of :data:`~nag.latency.runtimes.RUNTIMES`.
        batch: inputs per run.
        threads: intra-op threads (torch: ``torch.set_num_threads``).
        warmup: untimed runs before the timed ones.
        repeats: timed runs; an entry is their median and quartiles.
        statistic: the figure the latency model sums and whole networks are compared on
            (``"p25"``, ``"median"`` or ``"p75"``).
    """

    runtime: str = "torch"
    batch: int = 1
    threads: int = 1
    warmup: int = 10
    repeats: int = 30
    statistic: str = "p25"

    def __post_init__(self) -> None:
        if self.statistic not in STATISTICS:
            raise ConfigError(f"statistic must be one of {list(STATISTICS)}, got {self.statistic!r}")
        if not isinstance(self.runtime, str):
            raise ConfigError(f"runtime must be a name ({', '.join(runtimes.RUNTIMES.names())}), got {self.runtime!r}")
        for name, low in (("batch", 1), ("threads", 1), ("warmup", 0), ("repeats", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"{name} must be an int >= {low}, got {value!r}")


def time_runs(runs: Sequence[Callable[[], None]], warmup: int, repeats: int, rounds: int = ROUNDS,
              burn_in: float = BURN_IN_S, progress: Any = None) -> list[Entry]:  # fmt: skip
    """The median and quartiles (ms) of ``repeats`` timed calls of each of ``runs``.

    Every run is called ``warmup`` times, and all of them in turn for at least ``burn_in``
    seconds in all (a processor's speed settles in the first seconds of load). The timed
    calls are spread over ``rounds`` visits of every run in turn, each visit opened by one
    untimed call, so a slow spell of the machine falls on all runs alike."""
    started = time.perf_counter()
    for run in runs:
        for _ in range(warmup):
            run()
    while runs and time.perf_counter() - started < burn_in:
        for run in runs:
            run()
    rounds = max(1, min(rounds, repeats))
    counts = [repeats // rounds + (r < repeats % rounds) for r in range(rounds)]
    times: list[list[float]] = [[] for _ in runs]
    for r, count in enumerate(counts):
        for i, run in enumerate(runs):
            run()
            for _ in range(count):
                start = time.perf_counter_ns()
                run()
                times[i].append((time.perf_counter_ns() - start) / 1e6)
            if progress is not None and r == rounds - 1:
                progress.update()
    return [_entry(t) for t in times]


def _entry(times: Sequence[float]) -> Entry:
    p25, median, p75 = np.percentile(times, [25, 50, 75])
    return Entry(float(median), float(p25), float(p75))


def machine(runtime: Any, threads: int) -> dict[str, Any]:
    """Where a table is measured: platform, processor, cores, Python and runtime versions."""
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "python": sys.version.split()[0], "runtime": runtime.version(),
            "torch_threads": threads}  # fmt: skip


def measure(space: Any, runtime: str = "torch", batch: int = 1, threads: int = 1, warmup: int = 10, repeats: int = 30,
            statistic: str = "p25", calibration: int = 5, seed: int = 0, progress: bool = True,
            **options: Any) -> LatencyTable:  # fmt: skip
    """The latency table of ``space``'s parts for networks built with ``options`` (e.g.
    ``resolution=224``), measured here with these settings (see :class:`Settings`).

    ``calibration`` random archs (drawn with ``seed``) are timed whole to find the fixed part:
    the median of what they take (their ``statistic``) beyond the sum of their parts, with
    the quartiles of that difference as its spread."""
    settings = Settings(runtime, batch, threads, warmup, repeats, statistic)
    if isinstance(calibration, bool) or not isinstance(calibration, int) or calibration < 1:
        raise ConfigError(f"calibration must be an int >= 1 (archs timed whole for the fixed part), got {calibration!r}")
    plan = space.latency_plan(batch, **options)
    engine = runtimes.get(runtime)
    archs = space.sample(calibration, seed=seed)
    bar = tqdm(total=len(plan.parts) + len(archs), desc=f"latency {space.name}", disable=not progress, unit="part")
    with engine.session(threads):
        runs = [engine.prepare(part.make(), torch.zeros(part.input_shape), threads) for part in plan.parts.values()]
        runs += [_network_run(engine, space, a, settings, options) for a in archs]
        timed = time_runs(runs, warmup, repeats, progress=bar)  # parts and whole networks interleaved
    bar.close()
    entries, whole = dict(zip(plan.parts, timed)), timed[len(plan.parts) :]
    record = {**vars(settings), "options": dict(options)}
    draft = LatencyTable(space.name, record, entries, Entry(0.0, 0.0, 0.0), machine(engine, threads))
    measured = np.array([w.value(statistic) for w in whole])
    residual = measured - parts_sum(draft, space, archs)
    low, middle, high = (max(0.0, float(v)) for v in np.percentile(residual, [25, 50, 75]))
    calibrated = [{"arch": space.to_str(a), "measured_ms": float(m), "parts_ms": float(m - r)}
                  for a, m, r in zip(archs, measured, residual)]  # fmt: skip
    return LatencyTable(space.name, record, entries, Entry(middle, low, high), draft.machine, tuple(calibrated))


def measure_archs(space: Any, archs: Sequence[Any], settings: Settings, options: Mapping[str, Any] | None = None,
                  progress: bool = True) -> list[Entry]:  # fmt: skip
    """Each of ``archs``' networks (built with ``options``) timed end to end with ``settings``,
    :data:`NETWORK_CHUNK` at a time (interleaved, see :func:`time_runs`)."""
    engine, options = runtimes.get(settings.runtime), dict(options or {})
    bar = tqdm(total=len(archs), desc=f"end to end {space.name}", disable=not progress, unit="net")
    out: list[Entry] = []
    with engine.session(settings.threads):
        for start in range(0, len(archs), NETWORK_CHUNK):
            runs = [_network_run(engine, space, a, settings, options) for a in archs[start : start + NETWORK_CHUNK]]
            out += time_runs(runs, settings.warmup, settings.repeats, progress=bar)
    bar.close()
    return out


def _network_run(engine: Any, space: Any, arch: Any, settings: Settings, options: Mapping[str, Any]) -> Callable[[], None]:
    """One whole network, built with the options ``build`` takes, run on ``example_input``."""
    takes = inspect.signature(space.build).parameters
    built = space.build(arch, **{k: v for k, v in options.items() if k in takes})
    (x,) = space.example_input(settings.batch, **options)
    return engine.prepare(built, x, settings.threads)
