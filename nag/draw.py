"""Pictures of computation graphs: ``draw(graph, "cell.png")``, ``draw_arch(space, arch, "cell.svg")``.

Nodes are laid out left to right by topological generation (every node one column
right of its deepest input), labelled with their op (and kernel size), and joined by
arrows. Rendering uses matplotlib's Agg canvas directly, so no window ever opens and the
caller's pyplot backend is left alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx

from nag.atomic_write import write_atomic
from nag.graph import CompGraph
from nag.plots import image_format, new_figure

_ENDS = ("input", "output")


def draw(graph: CompGraph, path: Path | str, title: str | None = None) -> Path:
    """Render ``graph`` to ``path`` (PNG or SVG, by the suffix), atomically.

    Args:
        graph: the computation graph.
        path: the file to write; ``.png`` or ``.svg``.
        title: a line above the drawing.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ConfigError: the suffix is neither ``.png`` nor ``.svg``, or matplotlib is missing.
    """
    path = Path(path)
    fmt = image_format(path)

    g = nx.DiGraph()
    g.add_nodes_from(range(graph.num_nodes))
    g.add_edges_from(graph.edges)
    layers = list(nx.topological_generations(g))
    for depth, layer in enumerate(layers):
        for node in layer:
            g.nodes[node]["layer"] = depth
    pos = nx.multipartite_layout(g, subset_key="layer")
    widest = max(len(layer) for layer in layers)
    fig = new_figure((min(1.3 * len(layers) + 1, 80), max(2.5, 0.9 * widest + 1)), layout=None)
    ax = fig.add_subplot()
    ax.set_axis_off()
    nx.draw_networkx_edges(g, pos, ax=ax, arrows=True, arrowstyle="-|>", arrowsize=12, node_size=1800,
                           edge_color="#555555", connectionstyle="arc3,rad=0.08")  # fmt: skip
    for node, (x, y) in pos.items():
        op = graph.nodes[node].op
        color = "#dddddd" if op in _ENDS else "#cfe2f3"
        ax.text(x, y, _label(graph.nodes[node]), ha="center", va="center", fontsize=8, zorder=3,
                bbox={"boxstyle": "round,pad=0.4", "facecolor": color, "edgecolor": "#333333"})  # fmt: skip
    if title:
        ax.set_title(title, fontsize=9)
    xs, ys = zip(*pos.values())
    x_pad, y_pad = 0.5 / max(len(layers) - 1, 1) + 0.02, 0.15 * max(max(ys) - min(ys), 0.2)
    ax.set_xlim(min(xs) - x_pad, max(xs) + x_pad)
    ax.set_ylim(min(ys) - y_pad, max(ys) + y_pad)
    fig.tight_layout()
    write_atomic(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=100))
    return path


def draw_arch(space: Any, arch: Any, path: Path | str, level: str | None = None, title: str | None = None) -> Path:
    """Draw ``space.to_graph(arch, level)`` (``space``: a SearchSpace or its name; ``arch``:
    an arch or its string); the title defaults to the space, level and arch string."""
    if isinstance(space, str):
        from nag import spaces

        space = spaces.get(space)
    arch = space.coerce(arch)
    level = level or space.levels[0]
    graph = space.to_graph(arch, level)
    return draw(graph, path, title if title is not None else f"{space.name} {level}: {space.to_str(arch)}")


def _label(node: Any) -> str:
    return f"{node.op}\n{node.kernel}x{node.kernel}" if node.kernel else node.op
