"""Whether a value fits a plain type annotation: what configs and options read from
JSON, YAML or the command line are checked with before anything compares them."""

from __future__ import annotations

import math
import sys
import types
import typing
from numbers import Real
from typing import Any


def is_int(value: Any) -> bool:
    """Whether ``value`` is an int (a bool is not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """Whether ``value`` is a finite real number (a bool is not)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return False
    return isinstance(value, int) or math.isfinite(value)  # an int is finite (and may be too big for a float)


def fits(hint: Any, value: Any) -> bool:
    """Whether ``value`` is of the annotated type: ``bool`` is not an ``int`` here, an ``int``
    is a ``float``, a ``float`` is finite; unions (``X | None``, ``Optional[X]``) take any of
    their members; other annotations (classes, containers, ``Any``) are not checked."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(fits(member, value) for member in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return is_int(value)
    if hint is float:  # and a float can hold it
        return is_number(value) and abs(value) <= sys.float_info.max
    if hint is str:
        return isinstance(value, str)
    return True


def describe(hint: Any) -> str:
    """``hint`` in words, e.g. ``"an int or None"``."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(describe(member) for member in typing.get_args(hint))
    words = {type(None): "None", bool: "true or false", int: "an int", float: "a finite number", str: "a string"}
    return words.get(hint, getattr(hint, "__name__", str(hint)))
