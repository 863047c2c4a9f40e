"""The text form of a declared space's archs, derived from its choices.

* Pairs (the default): ``name=value`` for every present choice, in declaration order,
  separated by ``", "``; absent choices are left out. The parser takes the pairs in any
  order, with or without spaces around ``,`` and ``=``, and needs every present choice
  exactly once.
* A template (spaces whose choices are all unconditional): a string with one ``{name}``
  placeholder per choice, e.g. NAS-Bench-201's ``"|{e0}~0|+|{e1}~0|{e2}~1|+|...|"``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from nag.errors import ConfigError, InvalidArchitecture
from nag.spaces.declared.choices import Choice

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")
_RESERVED = re.compile(r"[,=\s{}]")


def _spellings(choice: Choice) -> dict[str, int]:
    """Written option -> index; every option must have a distinct spelling."""
    spelled = {str(option): i for i, option in enumerate(choice.options)}
    if len(spelled) != len(choice.options):
        raise ConfigError(f"choice {choice.name!r}: options {list(choice.options)} do not all print differently")
    for text in spelled:
        if not text or _RESERVED.search(text):
            raise ConfigError(f"choice {choice.name!r}: option {text!r} cannot be written (no spaces, ',', '=', braces)")
    return spelled


class TextForm:
    """Writes and reads archs (given as per-choice option indices, ``None`` where absent)."""

    def __init__(self, choices: Sequence[Choice], template: str | None = None):
        self.choices = tuple(choices)
        self.template = template
        self._spellings = [_spellings(c) for c in self.choices]
        self._index = {c.name: i for i, c in enumerate(self.choices)}
        self._pattern, self._order = self._compile(template) if template is not None else (None, ())

    def _compile(self, template: str) -> tuple[re.Pattern[str], tuple[int, ...]]:
        if not isinstance(template, str):
            raise ConfigError(f"text template must be a string, got {template!r}")
        names = _PLACEHOLDER.findall(template)
        if sorted(names) != sorted(c.name for c in self.choices):
            raise ConfigError(f"text template must name every choice once; it names {names}")
        if any(c.when is not None for c in self.choices):
            raise ConfigError("a text template needs every choice unconditional; use the default name=value form")
        parts, order, last = [], [], 0
        for match in _PLACEHOLDER.finditer(template):
            parts.append(re.escape(template[last : match.start()]))
            i = self._index[match.group(1)]
            spellings = sorted(self._spellings[i], key=len, reverse=True)
            parts.append("(" + "|".join(re.escape(s) for s in spellings) + ")")
            order.append(i)
            last = match.end()
        parts.append(re.escape(template[last:]))
        return re.compile("".join(parts)), tuple(order)

    def write(self, indices: Sequence[int | None]) -> str:
        if self.template is not None:
            values = {c.name: str(c.options[i]) for c, i in zip(self.choices, indices)}
            return _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.template)
        return ", ".join(f"{c.name}={c.options[i]}" for c, i in zip(self.choices, indices) if i is not None)

    def read(self, text: Any, space: str) -> dict[int, int]:
        """``{choice index: option index}`` of the choices ``text`` writes."""
        if not isinstance(text, str):
            raise InvalidArchitecture(f"a {space} arch string must be a str, got {type(text).__name__}")
        cleaned = text.strip()
        if self._pattern is not None:
            match = self._pattern.fullmatch(cleaned)
            if not match:
                raise InvalidArchitecture(f"{text!r} is not a {space} arch string; expected {self.template!r} with each "
                                          "placeholder one of its choice's options")  # fmt: skip
            return {i: self._spellings[i][value] for i, value in zip(self._order, match.groups())}
        found: dict[int, int] = {}
        for pair in cleaned.split(","):
            name, sep, value = (part.strip() for part in pair.partition("="))
            if not sep or name not in self._index:
                raise InvalidArchitecture(f"{text!r} is not a {space} arch string: {pair.strip()!r} is not name=value "
                                          f"with a choice name (e.g. {self.choices[0].name}={self.choices[0].options[0]})")  # fmt: skip
            i = self._index[name]
            if i in found:
                raise InvalidArchitecture(f"{text!r} sets {name!r} twice")
            if value not in self._spellings[i]:
                options = ", ".join(self._spellings[i])
                raise InvalidArchitecture(f"{text!r}: {value!r} is not an option of {name!r}; options: {options}")
            found[i] = self._spellings[i][value]
        return found
