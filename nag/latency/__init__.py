"""Latency measured on this machine: tables of a space's parts, the additive latency
model, and latency as a constraint.

* :func:`measure` times every part of a space's latency plan (mbv3: each block
  configuration at each slot's input shape; nb201: each op at each stage; darts: each op
  at each edge shape) with a runtime (``torch``, ``onnxruntime``, ``cuda``) and returns a
  :class:`LatencyTable`; ``table.save("lut.json")`` / :func:`load` (JSON or CSV).
* :func:`predict` sums an arch's entries and the fixed part; :func:`check` compares that
  with whole networks timed end to end.
* ``Generator.sample(constraints={"latency": "<=15"}, latency_table=table)`` and
  ``search.run(..., latency_table=)`` bound it exactly (:func:`added_cost`).
"""

from nag.latency.check import CheckReport, check
from nag.latency.measure import Settings, measure, measure_archs
from nag.latency.model import added_cost, as_table, predict
from nag.latency.runtimes import RUNTIMES
from nag.latency.table import Entry, LatencyTable, load

__all__ = ["CheckReport", "Entry", "LatencyTable", "RUNTIMES", "Settings", "added_cost", "as_table", "check", "load",
           "measure", "measure_archs", "predict"]  # fmt: skip
