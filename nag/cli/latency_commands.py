"""``nag latency measure`` (a space's latency table, timed here) and ``nag latency check``
(a table's sum against whole networks timed end to end)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from nag import spaces
from nag.atomic_write import write_json
from nag.cli.table import format_table
from nag.errors import ConfigError


def _options(cfg: DictConfig) -> dict[str, Any]:
    """The build options: ``model.*`` plus ``resolution`` when given."""
    options = dict(OmegaConf.to_container(cfg.model, resolve=True) or {})  # type: ignore[arg-type]
    if cfg.resolution is not None:
        options["resolution"] = cfg.resolution
    return options


def _table_range(table: Any, space: Any) -> tuple[float, float]:
    """The cheapest and the dearest arch's table latency (exact, without listing a large space)."""
    from nag import latency

    added = latency.added_cost(table, space)
    if hasattr(space, "diagram_with"):
        return space.diagram_with(added).cost_range(added.name)
    values = added.values(space, space.all_archs())
    return float(values.min()), float(values.max())


def cmd_measure(cfg: DictConfig) -> int:
    from nag import latency

    if cfg.out is None or not cfg.out.lower().endswith((".json", ".csv")):
        raise ConfigError("give out=FILE.json or out=FILE.csv for the table")
    space = spaces.get(cfg.space)
    options = _options(cfg)
    space.latency_plan(cfg.batch, **options)  # unknown options or a space without a plan: fail now
    start = time.perf_counter()
    table = latency.measure(space, cfg.runtime, cfg.batch, cfg.threads, cfg.warmup, cfg.repeats, cfg.statistic,
                            cfg.calibration, cfg.seed, not cfg.quiet, **options)  # fmt: skip
    seconds = time.perf_counter() - start
    table.save(cfg.out)
    low, high = _table_range(table, space)
    where = ", ".join(f"{k}={v}" for k, v in options.items()) or "default options"
    print(f"{space.name} latency table ({cfg.runtime}, batch {cfg.batch}, {cfg.threads} thread(s), {where}): "
          f"{len(table.entries)} parts + fixed part in {seconds:.1f} s")  # fmt: skip
    print(f"fixed part {table.fixed_ms:.3f} ms ({table.statistic}); table latency of the space: {low:.3f} to {high:.3f} ms")
    print(f"table written to {cfg.out}")
    return 0


def cmd_check(cfg: DictConfig) -> int:
    from nag import latency

    if cfg.table is None:
        raise ConfigError("give table=FILE (a table of nag latency measure)")
    if cfg.out is not None and not cfg.out.lower().endswith(".json"):
        raise ConfigError(f"out must end in .json (the report), got {cfg.out}")
    space = spaces.get(cfg.space)
    table = latency.load(cfg.table)
    from nag.cli.config import LatencyConfig

    default = LatencyConfig()  # settings left at their defaults are the table's; the others must match it
    chosen = {k: cfg[k] for k in ("runtime", "batch", "threads") if cfg[k] != getattr(default, k)}
    report = latency.check(space, table, cfg.n, cfg.seed, progress=not cfg.quiet, options=_options(cfg) or None, **chosen)
    measured, predicted = np.array(report.measured), np.array(report.predicted)
    print(f"{space.name}: table latency of {cfg.n} random archs (seed {cfg.seed}) against end-to-end timing "
          f"({table.settings['runtime']}, batch {table.settings['batch']}, {table.settings['threads']} thread(s), {table.statistic})")  # fmt: skip
    rows = [["Spearman", f"{report.spearman:.3f}"], ["MAPE", f"{report.mape:.1f}%"],
            ["mean measured", f"{measured.mean():.3f} ms"], ["mean table", f"{predicted.mean():.3f} ms"]]  # fmt: skip
    print(format_table(["", "value"], rows))
    if cfg.out:
        write_json(cfg.out, report.to_dict())
        print(f"report written to {cfg.out}")
    return 0


ACTIONS: dict[str, Callable[[DictConfig], int]] = {"measure": cmd_measure, "check": cmd_check}


def cmd_latency(cfg: DictConfig) -> int:
    if cfg.action not in ACTIONS:
        raise ConfigError(f"nag latency takes one of: {', '.join(ACTIONS)}; got {cfg.action!r}")
    return ACTIONS[cfg.action](cfg)


COMMANDS = {"latency": cmd_latency}
