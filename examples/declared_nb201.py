"""NAS-Bench-201 declared in nag's space language, in Python: six edges, five ops each,
the benchmark's text form, and the built-in cell and network graphs as the space's
``to_graph`` (a space may give its own graphs instead of tracing its networks).

It holds the same 15,625 archs, strings and graphs as ``nag.spaces.get("nb201")``
(``tests/test_user_space.py`` checks it).  Run from the repository root:

    python -m examples.declared_nb201
"""

from __future__ import annotations

from typing import Any

from nag.graph import CompGraph
from nag.spaces.declared import Choice, DeclaredSpace
from nag.spaces.nb201 import graph as nb201_graph

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES = ("e1_0", "e2_0", "e2_1", "e3_0", "e3_1", "e3_2")  # edge "ei_j": node j -> node i
TEXT = "|{e1_0}~0|+|{e2_0}~0|{e2_1}~1|+|{e3_0}~0|{e3_1}~1|{e3_2}~2|"


def to_graph(arch: Any, level: str, **options: Any) -> CompGraph:
    ops = tuple(arch[edge] for edge in EDGES)
    return nb201_graph.cell_graph(ops) if level == "cell" else nb201_graph.network_graph(ops, **options)


def make_space(name: str = "nb201-declared") -> DeclaredSpace:
    return DeclaredSpace(name, [Choice(edge, OPS) for edge in EDGES], text=TEXT, to_graph=to_graph,
                         levels=("cell", "network"), description="NAS-Bench-201 cells, declared")  # fmt: skip


if __name__ == "__main__":
    space = make_space()
    arch = space.sample(1, seed=0)[0]
    print(f"{space.name}: {space.size:,} archs; e.g. {space.to_str(arch)} ({space.to_graph(arch).num_nodes} cell nodes)")
