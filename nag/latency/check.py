"""How well a table's sum predicts whole networks: ``check(space, table, n=100)`` times
``n`` random archs end to end with the table's settings and compares them with the table
latency (Spearman rank correlation, mean absolute percentage error)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from nag.errors import ConfigError
from nag.latency.measure import Settings, measure_archs
from nag.latency.model import as_table, predict
from nag.latency.table import SETTINGS, LatencyTable


@dataclass(frozen=True)
class CheckReport:
    """Table latency against end-to-end measurement on ``archs`` (ms)."""

    space: str
    settings: dict[str, Any]
    archs: list[str]
    measured: list[float]
    predicted: list[float]

    @property
    def spearman(self) -> float:
        return float(stats.spearmanr(self.measured, self.predicted).statistic)

    @property
    def mape(self) -> float:
        """Mean absolute percentage error of the table latency, in percent."""
        m, p = np.asarray(self.measured), np.asarray(self.predicted)
        return float(np.mean(np.abs(p - m) / m) * 100)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "spearman": self.spearman, "mape_percent": self.mape}


def check(space: Any, table: LatencyTable | str, n: int = 100, seed: int = 1, warmup: int | None = None,
          repeats: int | None = None, progress: bool = True, **settings: Any) -> CheckReport:  # fmt: skip
    """Compare ``table`` with ``n`` archs of ``space`` (drawn with ``seed``) timed whole.

    The networks are timed with the table's own settings; ``settings`` (runtime, batch,
    threads, options) state what the caller expects, and a table measured otherwise is
    refused with a message naming the difference. ``warmup`` / ``repeats`` default to the
    table's."""
    table = as_table(table)
    table.require(space.name, **settings)
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ConfigError(f"n must be an int >= 2 (archs to time), got {n!r}")
    own = {k: table.settings[k] for k in SETTINGS if k != "options"}
    timing = Settings(**{**own, **({"warmup": warmup} if warmup is not None else {}),
                         **({"repeats": repeats} if repeats is not None else {})})  # fmt: skip
    archs = space.sample(n, seed=seed)
    predicted = predict(table, space, archs)
    measured = [e.value(table.statistic) for e in measure_archs(space, archs, timing, table.options, progress)]
    return CheckReport(space.name, {**vars(timing), "options": table.options}, [space.to_str(a) for a in archs],
                       measured, [float(v) for v in predicted])  # fmt: skip
