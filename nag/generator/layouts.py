"""A space's diffusion layout, checked against its choices (the space describes it:
:meth:`nag.spaces.SearchSpace.layout`)."""

from __future__ import annotations

from typing import Any

from nag.diffusion.layout import GraphLayout
from nag.errors import ConfigError

#: the largest space the generator lists; a larger one needs its rules as a decision diagram
MAX_LISTED = 10**6


def layout_for(space: Any) -> GraphLayout:
    """The layout of ``space`` (``ConfigError`` if it has none, if it is too large to list
    and has no decision diagram of its rules, or if its slot sizes differ from the space's
    own choice sizes)."""
    if space.size > MAX_LISTED and getattr(space, "diagram", None) is None:
        raise ConfigError(f"the generator cannot sample {space.name}: it holds {space.size:.3g} archs, more than the "
                          f"{MAX_LISTED:,} the generator lists, and declares no rules it could decode by (a DeclaredSpace)")  # fmt: skip
    layout = space.layout()
    if layout.sizes != tuple(space.choice_sizes()):
        raise ConfigError(f"the {space.name} layout has slot sizes {layout.sizes}, the space {space.choice_sizes()}")
    return layout
