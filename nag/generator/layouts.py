"""Each search space's diffusion layout, and where its constraint metrics come from.

* ``nb201``: the cell's four nodes; each of the six edges is a slot whose type is one of
  the five ops (``none`` = no edge), so the topology diffuses with the ops.
* ``nbgraph`` / ``nbgraph-proteins``: input, four computing nodes, output; per computing
  node a ``parent`` slot (which earlier node feeds it: the link, i.e. edge presence
  under the space's one-input rule) and a ``node`` slot (its GNN op).
"""

from __future__ import annotations

from nag.diffusion.layout import GraphLayout, Slot
from nag.errors import ConfigError
from nag.registry import Registry

_LAYOUTS: Registry[GraphLayout] = Registry("diffusion layout", cache=True)
#: the benchmark a space's constraint metrics (params, flops, latency) are read from by default
DEFAULT_METRICS = {"nb201": "nb201-cifar10", "nbgraph": "nbgraph-cora", "nbgraph-proteins": "nbgraph-proteins"}


def _nb201() -> GraphLayout:
    from nag.build.nb201 import CELL_EDGES, NB201_OPS

    return GraphLayout(4, tuple(Slot("edge", (source, target), len(NB201_OPS)) for target, source in CELL_EDGES))


def _nbgraph(n_ops: int):
    def factory() -> GraphLayout:
        parents = tuple(Slot("parent", (i + 1,), i + 1, tuple(range(i + 1))) for i in range(4))
        ops = tuple(Slot("node", (i + 1,), n_ops) for i in range(4))
        return GraphLayout(6, parents + ops)

    return factory


_LAYOUTS.register("nb201", _nb201)
_LAYOUTS.register("nbgraph", _nbgraph(9))
_LAYOUTS.register("nbgraph-proteins", _nbgraph(5))


def layout_for(space) -> GraphLayout:
    """The layout of ``space`` (checked against the space's own choice sizes)."""
    layout = _LAYOUTS.get(space.name)
    if layout.sizes != tuple(space.choice_sizes()):
        raise ConfigError(f"the {space.name} layout has slot sizes {layout.sizes}, the space {space.choice_sizes()}")
    return layout


def register_layout(space_name: str, factory) -> None:
    """Make the generator support a new space: ``factory()`` returns its :class:`GraphLayout`."""
    _LAYOUTS.register(space_name, factory)
