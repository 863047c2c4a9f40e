"""A declared space as a document: a YAML file or the JSON-able dict it holds.

::

    name: tnb101-micro
    description: the NAS-Bench-201 cell with four ops
    choices:
      - {name: e0, options: [none, skip_connect, nor_conv_1x1, nor_conv_3x3]}
      - {name: width, options: [16, 32]}
      - {name: extra, options: [0, 1], when: {width: [32]}}
      - repeat: {prefix: s1, depth: [2, 3, 4], block: [{name: k, options: [3, 5, 7]}]}
    rules:
      - {increasing: [a, b]}
      - {distinct: [a, b]}
      - {forbid: {e0: none, e1: none}}
    text: "|{e0}~0|+|{e1}~0|{e2}~1|"        # optional template
    build: mypackage.models.build_cell      # a callable (import path), or
    # build: {_target_: mypackage.models.build_cell, stem: 16}   # ... with bound options
    to_graph: mypackage.models.cell_graph   # optional
    costs: mypackage.models.costs           # optional: costs(**build options) -> [Cost]
    input_shape: [3, 32, 32]                # example input for tracing and export
    levels: [network]
    task: image_classification

Callables are import paths (as Hydra's ``_target_``): loading a file imports the code it
names, and nothing else runs. :func:`to_dict` writes a space back (its callables as import
paths), so a checkpoint can carry the space it was made on.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from nag.errors import ConfigError
from nag.spaces.declared.choices import Choice, Rule, repeat
from nag.spaces.declared.space import DeclaredSpace

#: the most bytes a space file may hold
MAX_BYTES = 1 << 20
_KEYS = {"name", "description", "choices", "rules", "text", "build", "to_graph", "costs", "input_shape", "levels", "task"}
_RULES: dict[str, Callable[[Any], Rule]] = {
    "increasing": lambda names: Rule.increasing(*_name_list(names, "increasing")),
    "distinct": lambda names: Rule.distinct(*_name_list(names, "distinct")),
    "forbid": lambda combination: Rule.forbid(combination),
}


def load(path: Path | str) -> DeclaredSpace:
    """The space declared in the YAML (or JSON) file ``path``."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no such space file: {path}")
    if path.stat().st_size > MAX_BYTES:
        raise ConfigError(f"{path} is larger than {MAX_BYTES} bytes; a space file declares choices, not data")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as e:
        raise ConfigError(f"{path} is not a YAML space declaration: {str(e).splitlines()[0]}") from None
    return from_dict(document, source=str(path))


def from_dict(document: Any, source: str = "the space declaration") -> DeclaredSpace:
    """The space a declaration dict describes (see the module docstring)."""
    if not isinstance(document, Mapping):
        raise ConfigError(f"{source} must be a mapping with name, choices, ...; got {type(document).__name__}")
    unknown = sorted(set(document) - _KEYS)
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {unknown}; a space file has: {', '.join(sorted(_KEYS))}")
    if "name" not in document or "choices" not in document:
        raise ConfigError(f"{source} needs a name and a list of choices")
    choices = _choices(document["choices"], source)
    rules = [_rule(item, source) for item in _list(document.get("rules", []), "rules", source)]
    shape = document.get("input_shape")
    return DeclaredSpace(
        str(document["name"]), choices, rules,
        costs=_callable(document["costs"], "costs", source) if document.get("costs") else (),
        build=_callable(document["build"], "build", source) if document.get("build") else None,
        to_graph=_callable(document["to_graph"], "to_graph", source) if document.get("to_graph") else None,
        example_input=_input_of(shape, source) if shape is not None else None,
        text=document.get("text"), levels=tuple(document.get("levels", ("network",))),
        task=str(document.get("task", "image_classification")), description=str(document.get("description", "")),
        document=_plain(document),
    )  # fmt: skip


def to_dict(space: DeclaredSpace) -> dict[str, Any]:
    """The declaration of ``space`` as a JSON-able dict (:func:`from_dict` reads it back).

    Raises ConfigError when the space holds something a document cannot name: a rule
    written as a Python function, or a builder that is not an importable function."""
    if space.document is not None:
        return json.loads(json.dumps(space.document))
    for rule in space.rules:
        if rule.kind not in _RULES:
            raise ConfigError(f"space {space.name}: a {rule.kind} rule is Python code and cannot be written to a document")
    document: dict[str, Any] = {
        "name": space.name, "description": space.description, "task": space.task, "levels": list(space.levels),
        "choices": [_choice_dict(c) for c in space.declared_choices],
        "rules": [{rule.kind: rule.spec} for rule in space.rules],
    }  # fmt: skip
    if space.text_template is not None:
        document["text"] = space.text_template
    for key, fn in (("build", space._build), ("to_graph", space._to_graph), ("costs", space._costs_fn)):
        if fn is not None:
            document[key] = import_path(fn, f"space {space.name}'s {key}")
    return document


def import_path(fn: Any, what: str) -> str:
    """``module.name`` of an importable function (``ConfigError`` for lambdas, locals, partials)."""
    module, name = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if not module or not name or "<" in name or module == "__main__":
        raise ConfigError(f"{what} ({fn!r}) is not an importable function; define it in a module to save the space")
    return f"{module}.{name}"


def _choices(items: Any, source: str) -> list[Choice]:
    out: list[Choice] = []
    for item in _list(items, "choices", source):
        if isinstance(item, Mapping) and set(item) == {"repeat"}:
            spec = item["repeat"]
            if not isinstance(spec, Mapping) or set(spec) != {"prefix", "depth", "block"}:
                raise ConfigError(f"{source}: repeat needs exactly prefix, depth and block, got {spec!r}")
            out.extend(repeat(str(spec["prefix"]), _list(spec["depth"], "depth", source),
                              [_choice(b, source) for b in _list(spec["block"], "block", source)]))  # fmt: skip
        else:
            out.append(_choice(item, source))
    return out


def _choice(item: Any, source: str) -> Choice:
    if not isinstance(item, Mapping) or not {"name", "options"} <= set(item) or set(item) - {"name", "options", "when"}:
        raise ConfigError(f"{source}: a choice is {{name, options[, when]}} or {{repeat: ...}}, got {item!r}")
    return Choice(item["name"], _list(item["options"], f"options of {item['name']!r}", source), item.get("when"))


def _choice_dict(choice: Choice) -> dict[str, Any]:
    out: dict[str, Any] = {"name": choice.name, "options": list(choice.options)}
    if choice.when is not None:
        out["when"] = {k: (list(v) if isinstance(v, (tuple, set, frozenset)) else v) for k, v in choice.when.items()}
    return out


def _rule(item: Any, source: str) -> Rule:
    if not isinstance(item, Mapping) or len(item) != 1 or next(iter(item)) not in _RULES:
        raise ConfigError(f"{source}: a rule is one of {{{', '.join(f'{k}: ...' for k in _RULES)}}}, got {item!r}")
    kind, spec = next(iter(item.items()))
    return _RULES[kind](spec)


def _name_list(names: Any, kind: str) -> list[str]:
    if not isinstance(names, (list, tuple)):
        raise ConfigError(f"rule {kind} takes a list of choice names, got {names!r}")
    return [str(n) for n in names]


def _list(value: Any, what: str, source: str) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{source}: {what} must be a list, got {type(value).__name__}")
    return list(value)


def _callable(spec: Any, what: str, source: str) -> Callable[..., Any]:
    """A function from its import path, or ``{_target_: path, **options}`` (options bound)."""
    from hydra.utils import get_method

    options: dict[str, Any] = {}
    if isinstance(spec, Mapping):
        if "_target_" not in spec:
            raise ConfigError(f"{source}: {what} must be an import path or {{_target_: path, ...}}, got {dict(spec)!r}")
        options = {k: v for k, v in spec.items() if k != "_target_"}
        spec = spec["_target_"]
    if not isinstance(spec, str):
        raise ConfigError(f"{source}: {what} must be an import path such as mypackage.models.build, got {spec!r}")
    try:
        fn = get_method(spec)
    except Exception as e:  # hydra raises ImportError / ValueError with the module's own message
        raise ConfigError(f"{source}: cannot import {what} {spec!r}: {str(e).splitlines()[0]}") from None
    return functools.partial(fn, **options) if options else fn


def _input_of(shape: Any, source: str) -> Callable[..., tuple]:
    if not isinstance(shape, (list, tuple)) or not shape or not all(isinstance(s, int) and 0 < s <= 4096 for s in shape):
        raise ConfigError(f"{source}: input_shape must list positive sizes (without the batch), e.g. [3, 32, 32]; got {shape!r}")

    def example_input(**_: Any) -> tuple:
        import torch

        return (torch.zeros(1, *shape),)

    return example_input


def _plain(document: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return json.loads(json.dumps(document))
    except (TypeError, ValueError) as e:
        raise ConfigError(f"the space declaration holds something JSON cannot write: {e}") from None
