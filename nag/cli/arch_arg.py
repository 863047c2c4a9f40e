"""The ``space=... arch=...`` arguments shared by ``train-arch``, ``export`` and ``draw``.

``arch`` is an arch string of the space, or ``best-of:FILE.jsonl``: the best row of a
file written by ``nag sample out=...`` (or any JSON lines with an ``arch`` column),
ranked by a column (default: the first ``predicted_*`` column, else ``val_accuracy``, else
``accuracy``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from nag.errors import ConfigError

BEST_OF = "best-of:"


def resolve_arch(space: Any, text: str | None, by: str | None = None, maximize: bool = True) -> Any:
    """The arch of ``space`` that ``text`` names (an arch string or ``best-of:FILE``)."""
    if not text:
        raise ConfigError(f'give arch="..." (a {space.name} arch string) or arch=best-of:FILE.jsonl')
    if not text.startswith(BEST_OF):
        return space.coerce(text)
    rows = read_rows(Path(text[len(BEST_OF) :]))
    column = by or _default_column(rows[0])
    scored = [(float(row[column]), i) for i, row in enumerate(rows) if _is_number(row.get(column))]
    if not scored:
        raise ConfigError(f"no row of {text[len(BEST_OF) :]} has a numeric {column!r}")
    _, best = max(scored) if maximize else min(scored)
    return space.coerce(str(rows[best]["arch"]))


def read_text(path: Path | str) -> str:
    """The text of a UTF-8 file a user named; ``ConfigError`` if it is missing, unreadable
    or not text."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no such file: {path}")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path} is not a UTF-8 text file (byte {e.start} cannot be decoded)") from None
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror or e}") from None


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The JSON-lines rows of ``path``; each must be an object with an ``arch``."""
    rows = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path} line {number} is not JSON: {e.msg}") from None
        except RecursionError:
            raise ConfigError(f"{path} line {number} nests too deeply to be a row") from None
        if not isinstance(row, dict) or "arch" not in row:
            raise ConfigError(f"{path} line {number} has no 'arch' field")
        rows.append(row)
    if not rows:
        raise ConfigError(f"{path} holds no rows")
    return rows


def _default_column(row: dict[str, Any]) -> str:
    predicted = [k for k in row if k.startswith("predicted_") and not k.endswith("_std")]
    # a training table's "accuracy" is measured on test data: rank by validation where there is one
    return predicted[0] if predicted else "val_accuracy" if "val_accuracy" in row else "accuracy"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
