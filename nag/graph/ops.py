"""The one operation vocabulary every search space and every traced model speaks.

The order of :data:`OPS` is part of nag's on-disk formats (it fixes the one-hot
features of :meth:`CompGraph.to_pyg`): new ops are appended, never inserted.
"""

from __future__ import annotations

#: Every atomic operation a computation-graph node can hold, in feature order.
OPS: tuple[str, ...] = (
    # graph boundary
    "input",  # a model or cell input; no predecessors
    "output",  # a model or cell output; no successors
    # dense layers
    "conv",  # any Conv1d/2d/3d (groups < channels); attrs: kernel, stride, groups, channels
    "dwconv",  # depthwise convolution (groups == in_channels)
    "linear",  # fully connected layer (NAS-Bench-Graph "fc" too)
    # normalisation
    "batchnorm",
    "layernorm",
    # activations
    "relu",
    "gelu",
    "silu",
    "sigmoid",
    "tanh",
    # pooling
    "maxpool",
    "avgpool",
    "globalpool",  # global / adaptive average or max pooling to 1x1
    # tensor arithmetic and plumbing
    "add",
    "mul",
    "concat",
    "identity",  # skip connection / no-op
    "zero",  # NAS-Bench-201 "none": outputs zeros
    # graph neural network layers of NAS-Bench-Graph
    "gat",
    "gcn",
    "gin",
    "cheb",
    "sage",
    "arma",
    "graph",  # k-GNN GraphConv
    # common in real models
    "softmax",
    "matmul",
    "attention",  # scaled dot-product / multi-head attention
    "dropout",
    "flatten",  # flatten / reshape / view / permute family
    "embedding",
    "hardswish",
    "hardsigmoid",
    # anything else
    "other",
)

OP_INDEX: dict[str, int] = {op: i for i, op in enumerate(OPS)}

#: Numeric node attributes, in the order they appear in ``to_pyg`` features.
NUMERIC_ATTRS: tuple[str, ...] = (
    "kernel",
    "stride",
    "groups",
    "in_channels",
    "out_channels",
    "spatial",
)


def op_index(op: str) -> int:
    """Index of ``op`` in :data:`OPS` (raises ``KeyError`` for unknown ops)."""
    return OP_INDEX[op]
