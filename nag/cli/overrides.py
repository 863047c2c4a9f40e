"""Turn command-line words into Hydra overrides, accepting values as users paste them."""

from __future__ import annotations

import re

from nag.errors import ConfigError

#: Values made only of these characters pass to Hydra as they are; others get quoted, so
#: arch strings like ``|nor_conv_3x3~0|+|...|`` or ``0,0,1,2:gcn,gat,skip,fc`` work.
_PLAIN_VALUE = re.compile(r"^[A-Za-z0-9_.\-/]*$")
#: a list of plain values (``allowed.op=[skip_connect,nor_conv_3x3]``) passes as a list
_PLAIN_LIST = re.compile(r"^\[[A-Za-z0-9_.\-]+(,[A-Za-z0-9_.\-]+)*\]$")
_KEY = re.compile(r"^[+~]{0,2}[A-Za-z_][A-Za-z0-9_.]*$")


def quote(value: str) -> str:
    if _PLAIN_VALUE.match(value) or _PLAIN_LIST.match(value) or (len(value) > 1 and value[0] == value[-1] and value[0] in "'\""):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def to_overrides(words: list[str], positional: tuple[str, ...] = ()) -> list[str]:
    """``key=value`` words become quoted overrides; bare words fill ``positional`` keys."""
    overrides, free = [], list(positional)
    for word in words:
        key, sep, value = word.partition("=")
        if not sep:
            if not free:
                raise ConfigError(f"unexpected argument {word!r}; pass options as key=value")
            overrides.append(f"{free.pop(0)}={quote(word)}")
        elif not _KEY.match(key):
            raise ConfigError(f"{word!r} is not key=value with a valid key")
        else:
            overrides.append(f"{key}={quote(value)}")
    return overrides
