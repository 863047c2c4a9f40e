"""``TrainResult``: what one training run reached, JSON-ready."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional


@dataclass(frozen=True)
class TrainResult:
    """Figures of a finished run, measured with the best epoch's weights.

    ``accuracy`` is the test accuracy where the data has a test split (chosen on
    validation, reported on test), else the validation accuracy. Accuracies are
    fractions in [0, 1]. ``seconds`` and ``samples_per_second`` count training steps
    only (not evaluation), summed over every resumed part of the run.
    """

    accuracy: float
    val_accuracy: float
    test_accuracy: Optional[float]
    best_epoch: int
    epochs: int
    stopped_early: bool
    params: int
    seconds: float
    samples_per_second: float
    device: str
    precision: str
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, with_history: bool = True) -> dict[str, Any]:
        data = asdict(self)
        if not with_history:
            data.pop("history")
        return data
