"""The two text forms of ``mbv3`` archs.

* The compact string, one token per stage joined by ``-``; a token is ``d{depth}:`` and
  then the present blocks as ``k{kernel}e{expand}``, joined by ``,``::

      d4:k3e6,k5e4,k5e4,k3e3-d2:k7e6,k7e6-d3:k3e3,k3e3,k3e3-d2:k5e4,k5e4-d2:k7e3,k7e3

  Parsing is strict: only surrounding whitespace is trimmed; the depth must equal the
  number of blocks written, and every number must be spelled as one of its options.
* OFA's dict ``{"ks": [20 ints], "e": [20 ints], "d": [5 ints]}``: four block slots per
  stage whatever its depth. Slots past a stage's depth are written as kernel 3 and
  expand 3 and are read whatever they hold (OFA ignores them).
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Any

from nag.errors import InvalidArchitecture
from nag.spaces.mbv3.skeleton import DEPTHS, EXPANDS, KERNELS, MAX_DEPTH, N_STAGES, Stages

_STAGE = re.compile(r"d([0-9]+):(.*)", re.DOTALL)
_BLOCK = re.compile(r"k([0-9]+)e([0-9]+)")
_EXAMPLE = "d2:k3e3,k3e3-d2:k3e3,k3e3-d2:k3e3,k3e3-d2:k3e3,k3e3-d2:k3e3,k3e3"
OFA_KEYS = ("ks", "e", "d")
#: what OFA dicts hold in block slots past a stage's depth
ABSENT_KERNEL, ABSENT_EXPAND = 3, 3


def write_compact(stages: Stages) -> str:
    """The compact string of an arch."""
    return "-".join(f"d{len(stage)}:" + ",".join(f"k{k}e{e}" for k, e in stage) for stage in stages)


def _option(spelled: str, options: Sequence[int], what: str, where: str) -> int:
    for option in options:
        if str(option) == spelled:
            return option
    raise InvalidArchitecture(f"{where}: {what} {spelled!r} is not one of {', '.join(map(str, options))}")


def _read_stage(token: str, number: int, text: str) -> tuple[tuple[int, int], ...]:
    where = f"mbv3 arch {text!r}, stage {number} ({token!r})"
    match = _STAGE.fullmatch(token)
    if not match:
        raise InvalidArchitecture(f"{where} is not 'd<depth>:k<kernel>e<expand>,...' (e.g. d2:k3e6,k5e4)")
    depth = _option(match.group(1), DEPTHS, "depth", where)
    stage = []
    for item in match.group(2).split(","):
        found = _BLOCK.fullmatch(item)
        if not found:
            raise InvalidArchitecture(f"{where}: block {item!r} is not 'k<kernel>e<expand>' (e.g. k5e4)")
        stage.append((_option(found.group(1), KERNELS, "kernel", where), _option(found.group(2), EXPANDS, "expand ratio", where)))
    if len(stage) != depth:
        raise InvalidArchitecture(f"{where} has depth {depth} but writes {len(stage)} block(s)")
    return tuple(stage)


def read_compact(text: Any) -> Stages:
    """The stages of a compact string (``InvalidArchitecture`` naming what is wrong)."""
    if not isinstance(text, str):
        raise InvalidArchitecture(f"an mbv3 arch string must be a str, got {type(text).__name__} {text!r}")
    cleaned = text.strip()
    tokens = cleaned.split("-")
    if len(tokens) != N_STAGES:
        raise InvalidArchitecture(f"mbv3 arch {text!r} has {len(tokens)} stage(s) separated by '-'; it needs "
                                  f"{N_STAGES}, e.g. {_EXAMPLE!r}")  # fmt: skip
    return tuple(_read_stage(token, s + 1, cleaned) for s, token in enumerate(tokens))


def write_ofa(stages: Stages) -> dict[str, list[int]]:
    """OFA's ``{"ks", "e", "d"}`` dict of an arch."""
    ks: list[int] = []
    es: list[int] = []
    for stage in stages:
        padded = list(stage) + [(ABSENT_KERNEL, ABSENT_EXPAND)] * (MAX_DEPTH - len(stage))
        ks += [k for k, _ in padded]
        es += [e for _, e in padded]
    return {"ks": ks, "e": es, "d": [len(stage) for stage in stages]}


def _int_list(value: Any, key: str, length: int) -> list[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != length:
        raise InvalidArchitecture(f"OFA arch key {key!r} must be a list of {length} ints, got {value!r}")
    return list(value)


def _member(value: Any, options: Sequence[int], what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) not in options:
        raise InvalidArchitecture(f"OFA arch: {what} is {value!r}; expected one of {', '.join(map(str, options))}")
    return int(value)


def read_ofa(arch: Any) -> Stages:
    """The stages of an OFA dict (``InvalidArchitecture`` naming what is wrong)."""
    if not isinstance(arch, Mapping) or set(arch) != set(OFA_KEYS):
        keys = sorted(map(str, arch)) if isinstance(arch, Mapping) else type(arch).__name__
        raise InvalidArchitecture(f"an OFA arch is a dict with exactly the keys ks, e and d; got {keys}")
    slots = N_STAGES * MAX_DEPTH
    ks, es, ds = _int_list(arch["ks"], "ks", slots), _int_list(arch["e"], "e", slots), _int_list(arch["d"], "d", N_STAGES)
    stages = []
    for s in range(N_STAGES):
        depth = _member(ds[s], DEPTHS, f"d[{s}] (the depth of stage {s + 1})")
        slot = [s * MAX_DEPTH + j for j in range(depth)]
        stages.append(tuple((_member(ks[i], KERNELS, f"ks[{i}]"), _member(es[i], EXPANDS, f"e[{i}]")) for i in slot))
    return tuple(stages)
