"""A space's diffusion layout, checked against its choices (the space describes it:
:meth:`nag.spaces.SearchSpace.layout`)."""

from __future__ import annotations

from typing import Any

from nag.diffusion.layout import GraphLayout
from nag.errors import ConfigError

#: the largest space the generator handles today: it keeps the space's archs as a list
MAX_LISTED = 10**6


def layout_for(space: Any) -> GraphLayout:
    """The layout of ``space`` (``ConfigError`` if it has none, if it is too large to list,
    or if its slot sizes differ from the space's own choice sizes)."""
    if space.size > MAX_LISTED:
        raise ConfigError(f"the generator cannot sample {space.name} yet: it lists the archs of a space, and {space.name} "
                          f"holds {space.size:.3g} (at most {MAX_LISTED:,})")  # fmt: skip
    layout = space.layout()
    if layout.sizes != tuple(space.choice_sizes()):
        raise ConfigError(f"the {space.name} layout has slot sizes {layout.sizes}, the space {space.choice_sizes()}")
    return layout
