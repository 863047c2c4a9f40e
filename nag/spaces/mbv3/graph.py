"""``mbv3`` networks as computation graphs of atomic ops, written without tracing.

Node for node what :func:`nag.graph.from_module` finds in the built
:class:`~nag.spaces.mbv3.network.MBV3Network`, in the same order: ``input``; the stem
``conv, batchnorm, hardswish``; per block ``[conv, batchnorm, act]`` (expansion),
``dwconv, batchnorm, act``, ``[globalpool, conv, relu, conv, hardsigmoid, mul]``
(squeeze-excite: the ``mul`` takes the block's activation and the gate), ``conv,
batchnorm`` (projection), ``[add]`` (residual: the projection and the block input);
the head ``conv, batchnorm, hardswish, globalpool, conv, hardswish, flatten, dropout,
linear``; ``output``.

Every node carries its channels; convolutions their kernel, stride and groups; nodes on
feature maps the side of their output (``spatial``). A block's nodes depend only on its
plan and input side, so they are made once and shared (nodes are immutable).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from nag.graph import CompGraph, GraphBuilder, Node
from nag.spaces.mbv3.options import build_options
from nag.spaces.mbv3.skeleton import BlockPlan, Stages, blocks, downsample, stage_sides, widths

_ACT_OPS = {"relu": "relu", "hswish": "hardswish"}


def _same(op: str, channels: int, spatial: int | None) -> Node:
    return Node(op, in_channels=channels, out_channels=channels, spatial=spatial)


def _conv(c_in: int, c_out: int, kernel: int, stride: int, groups: int, spatial: int) -> Node:
    op = "dwconv" if groups > 1 and groups == c_in else "conv"
    return Node(op, kernel=kernel, stride=stride, groups=groups, in_channels=c_in, out_channels=c_out, spatial=spatial)


class BlockNodes(NamedTuple):
    """The nodes of one block, in graph order."""

    body: tuple[Node, ...]  # [expansion conv, batchnorm, act], depthwise conv, batchnorm, act
    gate: tuple[Node, ...]  # squeeze-excite: globalpool, conv, relu, conv, hardsigmoid (or none)
    mul: Node | None  # the body's output times the gate
    project: tuple[Node, ...]  # 1x1 conv, batchnorm
    add: Node | None  # the residual addition


@lru_cache(maxsize=4096)
def block_nodes(plan: BlockPlan, side_in: int) -> BlockNodes:
    """The nodes of the block ``plan`` on a ``side_in x side_in`` input."""
    mid, act, side = plan.mid_channels, _ACT_OPS[plan.act], downsample(side_in, plan.stride)
    body: list[Node] = []
    if plan.expand:
        body += [_conv(plan.in_channels, mid, 1, 1, 1, side_in), _same("batchnorm", mid, side_in), _same(act, mid, side_in)]
    body += [_conv(mid, mid, plan.kernel, plan.stride, mid, side), _same("batchnorm", mid, side), _same(act, mid, side)]
    gate: tuple[Node, ...] = ()
    if plan.se_channels:
        se = plan.se_channels
        gate = (_same("globalpool", mid, 1), _conv(mid, se, 1, 1, 1, 1), _same("relu", se, 1),
                _conv(se, mid, 1, 1, 1, 1), _same("hardsigmoid", mid, 1))  # fmt: skip
    return BlockNodes(tuple(body), gate, _same("mul", mid, side) if gate else None,
                      (_conv(mid, plan.out_channels, 1, 1, 1, side), _same("batchnorm", plan.out_channels, side)),
                      _same("add", plan.out_channels, side) if plan.residual else None)  # fmt: skip


@lru_cache(maxsize=64)
def _fixed_nodes(width: float, in_channels: int, resolution: int, num_classes: int) -> tuple[tuple[Node, ...], tuple[Node, ...]]:
    """The input and stem nodes, and the head nodes (from the final expansion to the classifier)."""
    w = widths(width)
    sides = stage_sides(resolution)
    side, last = sides[0], sides[-1]
    stem = (Node("input", out_channels=in_channels, spatial=resolution), _conv(in_channels, w.stem, 3, 2, 1, side),
            _same("batchnorm", w.stem, side), _same("hardswish", w.stem, side))  # fmt: skip
    c, f, m = w.stages[-1], w.final_expand, w.feature_mix
    head = (_conv(c, f, 1, 1, 1, last), _same("batchnorm", f, last), _same("hardswish", f, last),
            _same("globalpool", f, 1), _conv(f, m, 1, 1, 1, 1), _same("hardswish", m, 1),
            _same("flatten", m, None), _same("dropout", m, None),
            Node("linear", in_channels=m, out_channels=num_classes), Node("output"))  # fmt: skip
    return stem, head


def _attach(b: GraphBuilder, node: Node, inputs: tuple[int, ...]) -> int:
    """Append an already made node fed by ``inputs``; returns its index."""
    b.nodes.append(node)
    index = len(b.nodes) - 1
    b.edges.extend((i, index) for i in inputs)
    return index


def _add_block(b: GraphBuilder, x: int, plan: BlockPlan, side_in: int) -> int:
    """Append one block fed by node ``x``; returns its last node."""
    nodes = block_nodes(plan, side_in)
    y = b.chain(x, nodes.body)
    if nodes.mul is not None:
        y = _attach(b, nodes.mul, (y, b.chain(y, nodes.gate)))
    y = b.chain(y, nodes.project)
    return _attach(b, nodes.add, (y, x)) if nodes.add is not None else y


def network_graph(stages: Stages, **options: Any) -> CompGraph:
    """The graph of the network of ``stages`` built with ``options`` (those of
    :class:`~nag.spaces.mbv3.options.BuildOptions`)."""
    o = build_options(**options)
    stem, head = _fixed_nodes(o.width, o.in_channels, o.resolution, o.num_classes)
    b = GraphBuilder()
    x = b.chain(_attach(b, stem[0], ()), stem[1:])
    side = stem[1].spatial
    for plan in blocks(stages, o.width):
        x = _add_block(b, x, plan, side)
        side = downsample(side, plan.stride)
    b.chain(x, head)
    return b.build()
