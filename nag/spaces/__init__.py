"""Search spaces: ``nag.spaces.get(name)``, ``names()``, ``of(arch)``, ``load(path)``.

Each built-in space lives in its own subpackage (``nag.spaces.nb201``, ``.nbgraph``,
``.mbv3``, ``.darts``) holding everything about it; the rest of nag asks the space
object, never its name. A user's space is a :class:`~nag.spaces.declared.DeclaredSpace`,
written in Python or in a YAML file (:func:`load`); ``get`` also takes such a file's path.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nag.errors import ConfigError, UnknownNameError
from nag.spaces.base import SearchSpace, SpaceDefaults

#: built-in spaces: name -> (module, factory, its arguments), imported on first use
_BUILT_IN: dict[str, tuple[str, str, tuple]] = {
    "nb201": ("nag.spaces.nb201", "make_space", ()),
    "nbgraph": ("nag.spaces.nbgraph", "make_space", ("full",)),
    "nbgraph-proteins": ("nag.spaces.nbgraph", "make_space", ("proteins",)),
    "mbv3": ("nag.spaces.mbv3", "make_space", ()),
    "darts": ("nag.spaces.darts", "make_space", ()),
}
_FACTORIES: dict[str, Callable[[], SearchSpace]] = {}
_SPACES: dict[str, SearchSpace] = {}
#: what a file's path must end with for ``get`` to read it as a declared space
SPACE_FILES = (".yaml", ".yml", ".json")


def get(name: str) -> SearchSpace:
    """The search space registered as ``name`` (one shared instance per name), or the space
    declared in the file ``name`` (``.yaml``/``.yml``/``.json``: loaded and registered)."""
    if not isinstance(name, str):
        raise UnknownNameError("space", name, names())
    if name.endswith(SPACE_FILES) and name not in _FACTORIES and name not in _BUILT_IN:
        return register_space(load(name))
    if name not in _SPACES:
        _SPACES[name] = _factory(name)()
    return _SPACES[name]


def _factory(name: str) -> Callable[[], SearchSpace]:
    if name in _FACTORIES:
        return _FACTORIES[name]
    if name in _BUILT_IN:
        module, factory, args = _BUILT_IN[name]
        return lambda: getattr(importlib.import_module(module), factory)(*args)
    raise UnknownNameError("space", name, names())


def names() -> list[str]:
    return sorted({*_BUILT_IN, *_FACTORIES})


def register(name: str, factory: Callable[[], SearchSpace]) -> None:
    """Register a search space factory (a callable returning a ``SearchSpace``) as ``name``."""
    if not isinstance(name, str) or not name or name in _BUILT_IN or name in _FACTORIES:
        raise ConfigError(f"space name {name!r} is taken or invalid; registered: {', '.join(names())}")
    _FACTORIES[name] = factory


def register_space(space: SearchSpace) -> SearchSpace:
    """Register a space object under its name and return the registered one. Registering a
    space of the same definition again (a notebook cell run twice, a checkpoint's space) is
    not an error and returns the first; another space under a taken name is."""
    if space.name in _SPACES or space.name in _FACTORIES or space.name in _BUILT_IN:
        known = get(space.name)
        if known is space or _definition(known) == _definition(space) is not None:
            return known
        raise ConfigError(f"a different space is already registered as {space.name!r}; give yours another name")
    _FACTORIES[space.name] = lambda: space
    _SPACES[space.name] = space
    return space


def _definition(space: SearchSpace) -> str | None:
    definition = getattr(space, "definition", None)
    return definition() if callable(definition) else None


def of(arch: Any) -> SearchSpace:
    """The space an arch object belongs to (every arch type of nag's spaces knows its own;
    an arch of a declared space carries the space itself, registered or not)."""
    carried = getattr(arch, "space", None)
    if isinstance(carried, SearchSpace):
        return carried
    name = getattr(arch, "space_name", None)
    if not isinstance(name, str):
        raise ConfigError(f"{type(arch).__name__} {arch!r:.60} is not an arch of a nag space; pass space=")
    return get(name)


def record(space: SearchSpace | None) -> dict[str, Any]:
    """What a checkpoint stores of ``space`` to find it again in a fresh process: its name,
    and for a space nag does not ship (a declared one) its declaration document."""
    if space is None:
        return {"space": None}
    if space.name in _BUILT_IN or not hasattr(space, "declared_choices"):
        return {"space": space.name}
    from nag.spaces.declared.document import to_dict

    return {"space": space.name, "space_document": to_dict(space)}


def from_record(name: str | None, document: Any = None) -> SearchSpace | None:
    """The space a checkpoint's :func:`record` names: registered already (or built in), or
    registered now from its declaration document."""
    if name is None:
        return None
    if document is not None and name not in names():
        from nag.spaces.declared.document import from_dict

        return register_space(from_dict(document, source=f"the declaration of space {name!r}"))
    return get(name)


def load(path: str | Path) -> SearchSpace:
    """The space declared in a YAML or JSON file (see :mod:`nag.spaces.declared.document`)."""
    from nag.spaces.declared.document import load as load_document

    return load_document(path)


__all__ = ["SearchSpace", "SpaceDefaults", "get", "names", "register", "register_space", "of", "load", "record", "from_record"]
