"""Trace any PyTorch model into a network-level :class:`CompGraph` in nag's vocabulary.

Two tracers are tried: ``torch.fx.symbolic_trace`` (leaf ``torch.nn`` modules stay one
node each, shapes from ``ShapeProp``) and ``torch.export.export(strict=False)`` (handles
Python control flow on sizes, gives aten ops with ``meta["val"]`` shapes). Every fx node
then becomes either a graph node or nothing:

* user-input tensors become ``input`` nodes; parameters and buffers are not nodes;
* a node whose value depends on no model input (``torch.zeros``, ``arange``, anything
  computed from parameters only) is a constant, folded away like a parameter;
* Python-only nodes (sizes, integer arithmetic, picking a tensor out of a tuple) are not
  nodes: edges are re-wired through them, so a node's predecessors are its nearest
  tensor-producing ancestors. Shape queries (``x.size(0)``, ``x.shape``) carry no data,
  so nothing is wired through them;
* every other call is looked up in :mod:`nag.graph.trace_ops`; unknown ones become
  ``other`` nodes named after their target and are counted in :class:`TraceReport`.

The graph ends in one ``output`` node fed by every returned tensor.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.fx as fx
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp, TensorMetadata

from nag.errors import ConfigError, InvalidArchitecture
from nag.graph.compgraph import CompGraph, Node
from nag.graph.trace_ops import (
    ATTRS,
    CALL_OPS,
    REFINE,
    SHAPE_QUERIES,
    Call,
    Shape,
    call_key,
    module_op,
    shape_attrs,
)


@dataclass(frozen=True)
class TraceReport:
    """The result of tracing a model.

    Args:
        graph: the traced network-level graph.
        method: the tracer that produced it, ``"fx"`` or ``"export"``.
        unknown: target name -> number of nodes that became ``other``.
    """

    graph: CompGraph
    method: str
    unknown: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Tensor:
    shape: Shape | None  # None where symbolic


@dataclass(frozen=True)
class _Traced:
    """A traced graph module; ``values`` maps node names to abstract values (:class:`_Tensor`,
    tuples of values, ``None``); ``user_outputs`` is ``None`` when every returned value counts."""

    gm: fx.GraphModule
    values: dict[str, Any]
    user_inputs: frozenset[str]
    user_outputs: frozenset[str] | None


# ------------------------------------------------------------------- tracers
def _abstract(value: Any) -> Any:
    """Tensors (real, fake or ShapeProp metadata) -> :class:`_Tensor`, containers -> tuples."""
    if isinstance(value, (torch.Tensor, TensorMetadata)):  # TensorMetadata is a NamedTuple: test it first
        try:
            return _Tensor(tuple(int(d) for d in value.shape))
        except (TypeError, ValueError, RuntimeError):
            return _Tensor(None)
    if isinstance(value, (list, tuple)):
        return tuple(_abstract(v) for v in value)
    if isinstance(value, dict):
        return tuple(_abstract(v) for v in value.values())
    return None


def _tensors(value: Any) -> Iterator[_Tensor]:
    if isinstance(value, _Tensor):
        yield value
    elif isinstance(value, tuple):
        for v in value:
            yield from _tensors(v)


def _trace_fx(module: nn.Module, inputs: tuple) -> _Traced:
    gm = fx.symbolic_trace(module)
    with torch.no_grad():
        ShapeProp(gm).propagate(*inputs)
    values = {n.name: _abstract(n.meta.get("tensor_meta")) for n in gm.graph.nodes}
    placeholders = frozenset(n.name for n in gm.graph.nodes if n.op == "placeholder")
    return _Traced(gm, values, placeholders, None)


def _trace_export(module: nn.Module, inputs: tuple) -> _Traced:
    from torch.export.graph_signature import OutputKind

    exported = torch.export.export(module, inputs, strict=False)
    signature = exported.graph_signature
    outputs = frozenset(s.arg.name for s in signature.output_specs if s.kind == OutputKind.USER_OUTPUT and hasattr(s.arg, "name"))
    values = {n.name: _abstract(n.meta.get("val")) for n in exported.graph.nodes}
    return _Traced(exported.graph_module, values, frozenset(signature.user_inputs), outputs)


_TRACERS: dict[str, Callable[[nn.Module, tuple], _Traced]] = {"fx": _trace_fx, "export": _trace_export}
_PLANS: dict[str, tuple[str, ...]] = {"auto": ("fx", "export"), "fx": ("fx",), "export": ("export",)}


# ----------------------------------------------------------------- node making
def _identify(n: fx.Node, gm: fx.GraphModule) -> tuple[str, str, nn.Module | None]:
    """``(CALL_OPS key, target name, called module)`` of a call node."""
    if n.op == "call_module":
        module = gm.get_submodule(n.target)
        return "", type(module).__name__, module
    if n.op == "call_method":
        return call_key(n.target), f"Tensor.{n.target}", None
    packet = getattr(n.target, "overloadpacket", None)  # aten OpOverload
    if packet is not None:
        return call_key(packet.__name__), str(packet), None
    name = getattr(n.target, "__name__", str(n.target))
    where = (getattr(n.target, "__module__", None) or "").replace("_operator", "operator")
    return call_key(name), f"{where}.{name}" if where else name, None


def _scope(n: fx.Node) -> str:
    """A readable name: the module path of module calls and of aten ops inside a
    ``torch.nn`` module (export), else the fx node name."""
    if n.op == "call_module":
        return str(n.target)
    stack = n.meta.get("nn_module_stack") or {}
    if stack:
        path, cls = list(stack.values())[-1]
        cls_name = cls if isinstance(cls, str) else f"{cls.__module__}.{cls.__qualname__}"
        if path and cls_name.startswith("torch.nn."):
            return str(path)
    return n.name


def _make_node(n: fx.Node, t: _Traced, out: Shape | None, data: list[fx.Node]) -> Node:
    """The graph node of a call whose output tensor has shape ``out``; ``data`` are its
    arguments that depend on a model input, in argument order."""
    key, target, module = _identify(n, t.gm)  # cheap: a name look-up
    op = (module_op(module) if module is not None else CALL_OPS.get(key)) or "other"

    def shape_of(arg: Any) -> Shape | None:
        value = t.values.get(arg.name) if isinstance(arg, fx.Node) else None
        return value.shape if isinstance(value, _Tensor) else None

    inp = next((shape_of(a) for a in data if shape_of(a) is not None), None)
    call = Call(n, key, module, inp, out, shape_of)
    attrs: dict[str, Any] = {**(ATTRS[op](call) if op in ATTRS else {}), **shape_attrs(op, call.inp, out)}
    if op in REFINE:
        op = REFINE[op](call, attrs)
        attrs.update(shape_attrs(op, call.inp, out))
    attrs = {k: v for k, v in attrs.items() if isinstance(v, int) and not isinstance(v, bool) and v >= 0}
    return Node(op, name=target if op == "other" else _scope(n), **attrs)


def _union(sets: Iterable[frozenset[int]]) -> frozenset[int]:
    return frozenset().union(*sets)


def _convert(n: fx.Node, t: _Traced, sources: dict[fx.Node, frozenset[int]]) -> Node | frozenset[int]:
    """The graph node ``n`` becomes, or the graph nodes its users should be wired to instead.

    Args:
        n: an fx node other than the output.
        t: the traced graph.
        sources: for every earlier fx node, the graph nodes it stands for.
    """
    value = t.values.get(n.name)
    feeding = _union(sources[a] for a in n.all_input_nodes)
    if n.op == "placeholder":
        if n.name in t.user_inputs and isinstance(value, _Tensor):
            return Node("input", name=n.name, **shape_attrs("input", None, value.shape))
        return frozenset()  # parameters, buffers, constants and non-tensor arguments
    if n.op == "get_attr" or not feeding:
        return frozenset()  # no model input reaches it: a constant
    key, _, _ = _identify(n, t.gm)
    tensors = list(_tensors(value))
    if not tensors:
        return frozenset() if key in SHAPE_QUERIES else feeding
    if key == "getitem" and not isinstance(t.values.get(getattr(n.args[0], "name", None)), _Tensor):
        return feeding  # one element of a tuple / list of tensors: its producer is the node
    return _make_node(n, t, tensors[0].shape, [a for a in n.all_input_nodes if sources[a]])


def _build(t: _Traced) -> tuple[CompGraph, dict[str, int]]:
    """The CompGraph of a traced graph and the target names of its ``other`` nodes."""
    nodes: list[Node] = []
    edges: list[tuple[int, int]] = []
    sources: dict[fx.Node, frozenset[int]] = {}
    returned: list[fx.Node] = []
    for n in t.gm.graph.nodes:
        if n.op == "output":
            returned += [a for a in n.all_input_nodes if t.user_outputs is None or a.name in t.user_outputs]
            continue
        made = _convert(n, t, sources)
        if isinstance(made, Node):
            edges += [(s, len(nodes)) for s in sorted(_union(sources[a] for a in n.all_input_nodes))]
            sources[n] = frozenset({len(nodes)})
            nodes.append(made)
        else:
            sources[n] = made
    edges += [(s, len(nodes)) for s in sorted(_union(sources[a] for a in returned))]
    nodes.append(Node("output", name="output"))
    unknown = Counter(node.name for node in nodes if node.op == "other")
    return CompGraph(nodes, edges), dict(sorted(unknown.items()))


# ------------------------------------------------------------------ public API
@contextmanager
def _eval_mode(module: nn.Module) -> Iterator[None]:
    """Put every submodule in eval mode, then restore each one's own training flag."""
    flags = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for m, training in flags:
            m.training = training


def _brief(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:200] if lines else ''}"


def trace_report(module: nn.Module, example_inputs: tuple | torch.Tensor, method: str = "auto") -> TraceReport:
    """Trace ``module`` on ``example_inputs`` and say how it went.

    Args:
        module: any ``nn.Module``; left as it was (training flags restored, no gradients).
        example_inputs: one tensor or a tuple of forward arguments.
        method: ``"fx"``, ``"export"``, or ``"auto"`` (fx, then export on any failure).

    Raises:
        ConfigError: ``method`` or ``module`` is not valid.
        InvalidArchitecture: no tracer could trace the model (the message names each failure).
    """
    if method not in _PLANS:
        raise ConfigError(f"unknown trace method {method!r}; choose one of: {', '.join(_PLANS)}")
    if not isinstance(module, nn.Module):
        raise ConfigError(f"expected a torch.nn.Module, got {type(module).__name__}")
    inputs = (example_inputs,) if isinstance(example_inputs, torch.Tensor) else tuple(example_inputs)
    failures = []
    with _eval_mode(module):
        for name in _PLANS[method]:
            try:
                graph, unknown = _build(_TRACERS[name](module, inputs))
            except Exception as exc:  # any failure of one tracer moves on to the next
                failures.append(f"{name} failed ({_brief(exc)})")
                continue
            return TraceReport(graph, name, unknown)
    raise InvalidArchitecture(f"cannot trace {type(module).__name__}: " + "; ".join(failures))


def from_module(module: nn.Module, example_inputs: tuple | torch.Tensor, *, method: str = "auto") -> CompGraph:
    """The network-level :class:`CompGraph` of any PyTorch model.

    Ops outside nag's vocabulary become ``other`` nodes and are reported in one warning.
    See :func:`trace_report` for the arguments and errors.

    Example:
        >>> g = from_module(torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.ReLU()), torch.randn(1, 4))
        >>> g.ops
        ('input', 'linear', 'relu', 'output')
    """
    report = trace_report(module, example_inputs, method=method)
    if report.unknown:
        listed = ", ".join(f"{name} x{count}" for name, count in report.unknown.items())
        warnings.warn(
            f"tracing {type(module).__name__} ({report.method}): ops outside nag's vocabulary became 'other': {listed}",
            stacklevel=2,
        )
    return report.graph
