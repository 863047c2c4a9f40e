"""The DARTS genotype: the text form users already have, read strictly, written canonically.

A genotype lists each cell's 8 edges as ``(op, input)`` pairs, two per intermediate node
2..5, and the nodes the cell output concatenates::

    Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ...], normal_concat=[2, 3, 4, 5],
             reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ...], reduce_concat=[2, 3, 4, 5])

Reading accepts single or double quotes, ``range(2, 6)`` for a concat, and a node's two
pairs in either order (they are sorted by input); it parses the bracketed lists with
:func:`ast.literal_eval`, never ``eval``. Anything else raises
:class:`~nag.errors.InvalidArchitecture` naming what is wrong. Writing gives the
canonical string (inputs ascending within a node), which equals ``repr`` of
:class:`Genotype`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from nag.errors import InvalidArchitecture
from nag.spaces.darts.choices import CELLS, CONCAT, NODES, OPS, Edge, cell_edges, edge_values, slot

#: the longest genotype string read (a genotype is about 400 characters)
MAX_TEXT = 4000


class Genotype(NamedTuple):
    """A DARTS arch as DARTS writes it (``repr`` is the canonical genotype string)."""

    normal: list[Edge]
    normal_concat: list[int]
    reduce: list[Edge]
    reduce_concat: list[int]


#: The published DARTS (second order) CIFAR-10 cells.
DARTS_V2 = Genotype(
    normal=[("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
            ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2)],
    normal_concat=[2, 3, 4, 5],
    reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
            ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1)],
    reduce_concat=[2, 3, 4, 5],
)  # fmt: skip

_LIST = r"\[[^\[\]]*\]"
_CONCAT = rf"{_LIST}|range\([^()]*\)"
_GENOTYPE = re.compile(
    rf"Genotype\(\s*normal\s*=\s*(?P<normal>{_LIST})\s*,\s*normal_concat\s*=\s*(?P<normal_concat>{_CONCAT})\s*,"
    rf"\s*reduce\s*=\s*(?P<reduce>{_LIST})\s*,\s*reduce_concat\s*=\s*(?P<reduce_concat>{_CONCAT})\s*\)",
    re.DOTALL,
)
_RANGE = re.compile(r"range\(\s*(\d+)\s*,\s*(\d+)\s*\)")
_EXPECTED = ("Genotype(normal=[('op', input), ... 8 pairs], normal_concat=[2, 3, 4, 5], "
             "reduce=[... 8 pairs], reduce_concat=[2, 3, 4, 5])")  # fmt: skip


def template() -> str:
    """The canonical genotype string with one ``{choice name}`` placeholder per choice."""

    def cell(c: str) -> str:
        return "[" + ", ".join(f"('{{{slot(c, n, 'op', k)}}}', {{{slot(c, n, 'in', k)}}})" for n in NODES for k in (0, 1)) + "]"

    concat = list(CONCAT)
    return f"Genotype(normal={cell('normal')}, normal_concat={concat}, reduce={cell('reduce')}, reduce_concat={concat})"


def parse(text: str) -> dict[str, Any]:
    """Choice values by name of a genotype string (whitespace around it already trimmed)."""
    if len(text) > MAX_TEXT:
        raise InvalidArchitecture(f"a DARTS genotype string is at most {MAX_TEXT} characters, got {len(text)}")
    match = _GENOTYPE.fullmatch(text)
    if match is None:
        raise InvalidArchitecture(f"{_clip(text)!r} is not a DARTS genotype string; expected {_EXPECTED}")
    values: dict[str, Any] = {}
    for cell in CELLS:
        pairs = _literal(match[cell], cell)
        values.update(cell_values(cell, pairs, _concat(match[f"{cell}_concat"], cell)))
    return values


def cell_values(cell: str, pairs: Any, concat: Any) -> dict[str, Any]:
    """Choice values by name of one cell's 8 ``(op, input)`` pairs, each node's two pairs
    sorted by input; :class:`InvalidArchitecture` naming the first problem."""
    if not isinstance(pairs, (list, tuple)) or len(pairs) != 2 * len(NODES):
        count = f"{len(pairs)} entries" if isinstance(pairs, (list, tuple)) else type(pairs).__name__
        raise InvalidArchitecture(f"{cell} needs {2 * len(NODES)} (op, input) pairs, two per node 2..5; got {count}")
    edges = [_edge(cell, NODES[j // 2], pair) for j, pair in enumerate(pairs)]
    for j, node in enumerate(NODES):
        first, second = edges[2 * j], edges[2 * j + 1]
        if first[1] == second[1]:
            raise InvalidArchitecture(f"{cell} node {node} takes input {first[1]} twice; a node's two inputs must differ")
        edges[2 * j : 2 * j + 2] = sorted((first, second), key=lambda e: e[1])
    if not isinstance(concat, (list, tuple, range)) or list(concat) != list(CONCAT):
        raise InvalidArchitecture(f"{cell}_concat is {concat!r}; DARTS cells concatenate nodes {list(CONCAT)}")
    return edge_values(cell, tuple(edges))


def to_genotype(values: dict[str, Any]) -> Genotype:
    """The :class:`Genotype` of choice values by name."""
    normal, reduce = (list(cell_edges(values, cell)) for cell in CELLS)
    return Genotype(normal, list(CONCAT), reduce, list(CONCAT))


def _edge(cell: str, node: int, pair: Any) -> Edge:
    """One checked ``(op, input)`` pair of ``node``."""
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
        raise InvalidArchitecture(f"{cell} node {node}: {pair!r} is not an (op, input) pair")
    op, source = pair
    if op not in OPS or not isinstance(op, str):
        hint = " ('none' is not part of final DARTS genotypes)" if op == "none" else ""
        raise InvalidArchitecture(f"{cell} node {node}: unknown op {op!r}{hint}; ops: {', '.join(OPS)}")
    if isinstance(source, bool) or not isinstance(source, int):
        raise InvalidArchitecture(f"{cell} node {node}: input {source!r} is not an int node index")
    if not 0 <= source < node:
        raise InvalidArchitecture(f"{cell} node {node}: input {source} is not an earlier node (0..{node - 1})")
    return op, source


def _literal(text: str, cell: str) -> Sequence[Any]:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        message = f"{cell}={_clip(text)} is not a list of ('op', input) pairs (ops quoted, inputs ints)"
        raise InvalidArchitecture(message) from None


def _concat(text: str, cell: str) -> Any:
    match = _RANGE.fullmatch(text)
    if match:
        return range(int(match[1]), int(match[2]))
    if text.startswith("range"):
        raise InvalidArchitecture(f"{cell}_concat={text} is not range(2, 6) or [2, 3, 4, 5]")
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise InvalidArchitecture(f"{cell}_concat={_clip(text)} is not a list of node indices") from None


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
