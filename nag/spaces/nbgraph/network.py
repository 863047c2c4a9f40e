"""Build a trainable PyG network from a NAS-Bench-Graph architecture ``(link, ops)``.

An architecture has four computing nodes. ``link[i]`` names the input of computing
node ``i + 1`` (0 = the preprocessed graph input, ``k`` = computing node ``k``) and
``ops[i]`` its operation. The macro structure follows the benchmark's light setting::

    x -> Linear(in_dim, hidden) -> 4 computing nodes -> sum of contributing leaves
      -> Linear(hidden, num_classes)

Every non-skip computing node is ``dropout(relu(op(h, edge_index)))``. A leaf that
only forwards the raw input (a skip, or a chain of skips, fed by node 0) contributes
nothing, as in the benchmark's canonicalisation; with no contributing leaf the last
computing node's output is used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data
from torch_geometric.nn import ARMAConv, ChebConv, GATConv, GCNConv, GINConv, GraphConv, SAGEConv

from nag.build.limits import check_dims
from nag.errors import ConfigError, InvalidArchitecture

NUM_NODES = 4


class EdgeFree(nn.Module):
    """Wrap a module that ignores the graph so it takes ``(x, edge_index)`` like a conv."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        """Args: x ``[N, in]``; edge_index ``[2, E]`` (unused). Returns ``[N, out]``."""
        return self.module(x)


def _gat(in_dim: int, out_dim: int) -> nn.Module:
    """Two-head GAT: concatenated heads of ``out_dim // 2`` when even, averaged heads of
    ``out_dim`` when odd (so any width works)."""
    if out_dim % 2 == 0:
        return GATConv(in_dim, out_dim // 2, heads=2)
    return GATConv(in_dim, out_dim, heads=2, concat=False)


def _gin(in_dim: int, out_dim: int) -> nn.Module:
    """GIN whose update is ``Linear -> ReLU -> Linear``."""
    return GINConv(nn.Sequential(nn.Linear(in_dim, out_dim), nn.ReLU(), nn.Linear(out_dim, out_dim)))


#: NAS-Bench-Graph op name -> factory ``(in_dim, out_dim) -> module(x, edge_index)``,
#: in the benchmark's op order.
GNN_LAYERS: dict[str, Callable[[int, int], nn.Module]] = {
    "gat": _gat,
    "gcn": GCNConv,
    "gin": _gin,
    "cheb": lambda i, o: ChebConv(i, o, K=2),
    "sage": SAGEConv,
    "arma": ARMAConv,
    "graph": GraphConv,  # k-GNN
    "fc": lambda i, o: EdgeFree(nn.Linear(i, o)),
    "skip": lambda i, o: EdgeFree(nn.Identity()),
}


def validate_arch(link: Sequence[int], ops: Sequence[str]) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Check ``link`` and ``ops`` and return them as tuples.

    Raises:
        InvalidArchitecture: wrong length, ``link[i]`` outside ``0..i``, or an unknown op.
    """
    link, ops = tuple(link), tuple(ops)
    if len(link) != NUM_NODES:
        raise InvalidArchitecture(f"link must have {NUM_NODES} entries, got {len(link)}: {list(link)}")
    if len(ops) != NUM_NODES:
        raise InvalidArchitecture(f"ops must have {NUM_NODES} entries, got {len(ops)}: {list(ops)}")
    for i, src in enumerate(link):
        if isinstance(src, bool) or not isinstance(src, int) or not 0 <= src <= i:
            raise InvalidArchitecture(
                f"link[{i}] = {src!r} is invalid: computing node {i + 1} takes an int input in 0..{i} "
                "(0 = graph input, k = computing node k)"
            )
    for i, op in enumerate(ops):
        if op not in GNN_LAYERS:
            raise InvalidArchitecture(f"ops[{i}] = {op!r} is not an op; choose one of: {', '.join(GNN_LAYERS)}")
    return link, ops


def is_raw_input(node: int, link: Sequence[int], ops: Sequence[str]) -> bool:
    """Whether computing node ``node`` (1-based) just forwards the graph input: it and
    every node on its input chain down to node 0 are ``skip``."""
    while node > 0:
        if ops[node - 1] != "skip":
            return False
        node = link[node - 1]
    return True


def output_nodes(link: Sequence[int], ops: Sequence[str]) -> tuple[int, ...]:
    """The 1-based computing nodes summed into the output.

    These are the leaves (nodes no other node takes as input) that are not raw-input
    skips; when there are none, the last computing node alone.
    """
    leaves = [k for k in range(1, NUM_NODES + 1) if k not in link]
    kept = tuple(k for k in leaves if not is_raw_input(k, link, ops))
    return kept or (NUM_NODES,)


class NBGraphNet(nn.Module):
    """A NAS-Bench-Graph architecture as a node-classification network.

    Args:
        link: 4 ints, ``link[i]`` in ``0..i`` is the input of computing node ``i + 1``.
        ops: 4 names from :data:`GNN_LAYERS`.
        in_dim: node feature width.
        num_classes: number of output logits per node.
        hidden: width of every computing node.
        dropout: dropout probability after every non-skip computing node, in ``[0, 1)``.

    Attributes:
        link, ops: the architecture, as tuples.
        output_nodes: 1-based ids of the computing nodes summed into the output.
        preprocess: ``Linear(in_dim, hidden)``; layers: one module per computing node;
        classifier: ``Linear(hidden, num_classes)``.
    """

    def __init__(
        self,
        link: Sequence[int],
        ops: Sequence[str],
        in_dim: int,
        num_classes: int,
        hidden: int = 64,
        dropout: float = 0.5,
    ):
        super().__init__()
        self.link, self.ops = validate_arch(link, ops)
        check_dims(in_dim=in_dim, num_classes=num_classes, hidden=hidden)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {dropout!r}")
        self.dropout = dropout
        self.output_nodes = output_nodes(self.link, self.ops)
        self.preprocess = nn.Linear(in_dim, hidden)
        self.layers = nn.ModuleList(GNN_LAYERS[op](hidden, hidden) for op in self.ops)
        self.classifier = nn.Linear(hidden, num_classes)

    def forward(self, x: Tensor | Data, edge_index: Tensor | None = None) -> Tensor:
        """Node logits.

        Args:
            x: node features ``[N, in_dim]``, or a ``Data`` holding ``x`` and ``edge_index``.
            edge_index: ``[2, E]`` edges; omitted when ``x`` is a ``Data``.

        Returns:
            ``[N, num_classes]`` logits.
        """
        if isinstance(x, Data):
            x, edge_index = x.x, x.edge_index
        if edge_index is None:
            raise ConfigError("forward needs edge_index, or a single torch_geometric Data argument")
        states = [self.preprocess(x)]
        for src, op, layer in zip(self.link, self.ops, self.layers):
            h = layer(states[src], edge_index)
            if op != "skip":
                h = F.dropout(F.relu(h), p=self.dropout, training=self.training)
            states.append(h)
        return self.classifier(sum(states[k] for k in self.output_nodes))


def build_nbgraph(
    link: Sequence[int],
    ops: Sequence[str],
    in_dim: int,
    num_classes: int,
    hidden: int = 64,
    dropout: float = 0.5,
) -> NBGraphNet:
    """Build :class:`NBGraphNet` (see there for the arguments)."""
    return NBGraphNet(link, ops, in_dim, num_classes, hidden=hidden, dropout=dropout)
