"""The tables :mod:`nag.graph.trace` uses to turn traced PyTorch calls into nag ops.

A traced call is looked up in :data:`MODULE_OPS` (leaf ``nn.Module`` calls of torch.fx,
by class, walking the MRO so subclasses match) or in :data:`CALL_OPS` (functions, tensor
methods and the aten ops of ``torch.export``, all by their bare name: ``torch.add``,
``operator.add``, ``Tensor.add`` and ``aten.add.Tensor`` are all ``"add"``; a trailing
in-place ``_`` is dropped). A table value is either an op of :data:`nag.graph.OPS` or a
*pseudo-op* that a :data:`REFINE` handler resolves once the call's shapes are known.
:data:`ATTRS` handlers read kernel / stride / groups per op family.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch.fx as fx
from torch import nn

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Call:
    """What the attribute and refine handlers may read about one traced call.

    Args:
        node: the torch.fx node of the call.
        key: its :data:`CALL_OPS` name (``"conv2d"``), or ``""`` for module calls.
        module: the called submodule for torch.fx ``call_module`` nodes, else ``None``.
        inp: shape of the first input tensor that depends on a model input (``None`` if unknown).
        out: shape of the output tensor (the first tensor for tuple outputs).
        shape_of: shape of any fx node's tensor value (``None`` for non-tensors).
    """

    node: fx.Node
    key: str
    module: nn.Module | None
    inp: Shape | None
    out: Shape | None
    shape_of: Callable[[fx.Node], Shape | None]

    def arg(self, pos: int, name: str, default: Any = None) -> Any:
        """Argument ``name`` (keyword) or at position ``pos`` (the tensor itself is position 0)."""
        if name in self.node.kwargs:
            return self.node.kwargs[name]
        return self.node.args[pos] if pos < len(self.node.args) else default


# --------------------------------------------------------------------- tables
MODULE_OPS: dict[type[nn.Module], str] = {
    nn.Conv1d: "conv",
    nn.Conv2d: "conv",
    nn.Conv3d: "conv",
    nn.ConvTranspose1d: "conv",
    nn.ConvTranspose2d: "conv",
    nn.ConvTranspose3d: "conv",
    nn.Linear: "linear",
    nn.modules.batchnorm._BatchNorm: "batchnorm",
    nn.LayerNorm: "layernorm",
    nn.GroupNorm: "other",
    nn.ReLU: "relu",
    nn.ReLU6: "relu",
    nn.GELU: "gelu",
    nn.SiLU: "silu",
    nn.Sigmoid: "sigmoid",
    nn.Tanh: "tanh",
    nn.Hardswish: "hardswish",
    nn.Hardsigmoid: "hardsigmoid",
    nn.MaxPool1d: "maxpool",
    nn.MaxPool2d: "maxpool",
    nn.MaxPool3d: "maxpool",
    nn.AvgPool1d: "avgpool",
    nn.AvgPool2d: "avgpool",
    nn.AvgPool3d: "avgpool",
    nn.AdaptiveAvgPool1d: "adaptive_avgpool",
    nn.AdaptiveAvgPool2d: "adaptive_avgpool",
    nn.AdaptiveAvgPool3d: "adaptive_avgpool",
    nn.AdaptiveMaxPool1d: "adaptive_maxpool",
    nn.AdaptiveMaxPool2d: "adaptive_maxpool",
    nn.AdaptiveMaxPool3d: "adaptive_maxpool",
    nn.Identity: "identity",
    nn.modules.dropout._DropoutNd: "dropout",
    nn.Softmax: "softmax",
    nn.MultiheadAttention: "attention",
    nn.Flatten: "flatten",
    nn.Unflatten: "flatten",
    nn.Embedding: "embedding",
}


def _names(op: str, *names: str) -> dict[str, str]:
    return dict.fromkeys(names, op)


CALL_OPS: dict[str, str] = {
    **_names("conv", "conv1d", "conv2d", "conv3d", "convolution", "_convolution"),
    **_names("conv", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"),
    **_names("linear", "linear", "addmm"),
    **_names("matmul", "matmul", "mm", "bmm"),
    **_names("batchnorm", "batch_norm", "native_batch_norm", "_native_batch_norm_legit"),
    **_names("batchnorm", "_native_batch_norm_legit_no_training", "_native_batch_norm_legit_functional"),
    **_names("layernorm", "layer_norm", "native_layer_norm"),
    **_names("relu", "relu", "relu6"),
    **_names("hardtanh", "hardtanh"),
    **_names("gelu", "gelu"),
    **_names("silu", "silu"),
    **_names("sigmoid", "sigmoid"),
    **_names("tanh", "tanh"),
    **_names("hardswish", "hardswish"),
    **_names("hardsigmoid", "hardsigmoid"),
    **_names("maxpool", "max_pool1d", "max_pool2d", "max_pool3d", "max_pool2d_with_indices", "max_pool3d_with_indices"),
    **_names("avgpool", "avg_pool1d", "avg_pool2d", "avg_pool3d"),
    **_names("adaptive_avgpool", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d"),
    **_names("adaptive_avgpool", "_adaptive_avg_pool2d", "_adaptive_avg_pool3d"),
    **_names("adaptive_maxpool", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d"),
    # sub is an add of the negation, div a mul by the reciprocal: the vocabulary has neither
    **_names("add", "add", "iadd", "sub", "isub", "rsub"),
    **_names("mul", "mul", "imul", "div", "truediv", "itruediv"),
    **_names("concat", "cat", "concat", "concatenate", "stack"),
    **_names("identity", "contiguous", "clone", "alias", "detach", "_to_copy", "to", "lift_fresh_copy"),
    **_names("dropout", "dropout", "native_dropout", "feature_dropout", "alpha_dropout"),
    **_names("dropout", "dropout1d", "dropout2d", "dropout3d"),
    **_names("softmax", "softmax", "_softmax", "_safe_softmax"),
    **_names("attention", "scaled_dot_product_attention", "_native_multi_head_attention"),
    **_names("attention", "_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_efficient_attention"),
    **_names("attention", "_scaled_dot_product_flash_attention", "multi_head_attention_forward"),
    **_names("flatten", "flatten", "view", "_unsafe_view", "reshape", "view_as", "reshape_as", "unflatten"),
    **_names("flatten", "permute", "transpose", "t", "movedim", "swapaxes", "squeeze", "unsqueeze"),
    **_names("flatten", "getitem", "getattr", "select", "slice", "narrow", "split", "split_with_sizes"),
    **_names("flatten", "chunk", "unbind", "expand", "expand_as"),
    **_names("embedding", "embedding"),
    **_names("mean", "mean"),
}

#: Calls whose non-tensor result describes a tensor's metadata, not its data: they
#: carry no data dependency (``torch.zeros(x.size(0), 8)`` does not depend on ``x``'s values).
SHAPE_QUERIES: frozenset[str] = frozenset(
    {"size", "dim", "numel", "stride", "getattr", "sym_size", "sym_numel", "sym_stride", "sym_storage_offset"}
)

#: Ops whose channel count is the last dimension of their tensors.
FEATURE_LAST: frozenset[str] = frozenset({"linear", "layernorm", "embedding", "attention", "matmul"})
#: Ops whose channel count is dimension 1 even for 3-D (N, C, L) tensors.
CHANNEL_FIRST: frozenset[str] = frozenset({"conv", "dwconv", "batchnorm", "maxpool", "avgpool", "globalpool"})


# ------------------------------------------------------------------ attributes
def _first(value: Any) -> int | None:
    """An int, or the first of a non-empty int sequence (``(3, 3)`` -> 3), else ``None``."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _conv_attrs(call: Call) -> dict[str, int | None]:
    m = call.module
    if m is not None:
        return {"kernel": _first(m.kernel_size), "stride": _first(m.stride), "groups": m.groups}
    weight = call.shape_of(call.node.args[1]) if len(call.node.args) > 1 else None
    groups_pos = 8 if call.key in ("convolution", "_convolution") else 6
    return {
        "kernel": weight[2] if weight is not None and len(weight) > 2 else None,
        "stride": _first(call.arg(3, "stride", 1)),
        "groups": _first(call.arg(groups_pos, "groups", 1)),
    }


def _pool_attrs(call: Call) -> dict[str, int | None]:
    m = call.module
    kernel, stride = (m.kernel_size, m.stride) if m is not None else (call.arg(1, "kernel_size"), call.arg(2, "stride"))
    kernel = _first(kernel)
    return {"kernel": kernel, "stride": _first(stride) or kernel}


#: op family -> handler returning kernel / stride / groups (channels and spatial come from shapes).
ATTRS: dict[str, Callable[[Call], dict[str, int | None]]] = {
    "conv": _conv_attrs,
    "maxpool": _pool_attrs,
    "avgpool": _pool_attrs,
}


def _channel_axis(op: str, shape: Shape | None) -> int | None:
    """Where an op's tensors keep their channels: last for feature-last ops, else
    dimension 1 of (N, C) and (N, C, H, W, ...) tensors (3-D only for channel-first ops)."""
    if shape is None or not shape:
        return None
    if op in FEATURE_LAST:
        return -1
    if len(shape) < 2 or (len(shape) == 3 and op not in CHANNEL_FIRST):
        return None
    return 1


def shape_attrs(op: str, inp: Shape | None, out: Shape | None) -> dict[str, int]:
    """Channels and spatial size (height of a 4-D NCHW output) read from tensor shapes."""
    attrs = {}
    for key, shape in (("in_channels", inp), ("out_channels", out)):
        axis = _channel_axis(op, shape)
        if axis is not None:
            attrs[key] = shape[axis]
    if out is not None and len(out) == 4 and op not in FEATURE_LAST:
        attrs["spatial"] = out[2]
    return attrs


# ---------------------------------------------------------------------- refine
def _conv_kind(call: Call, attrs: dict[str, Any]) -> str:
    groups, channels = attrs.get("groups"), attrs.get("in_channels")
    return "dwconv" if groups is not None and groups > 1 and groups == channels else "conv"


def _adaptive(pool: str) -> Callable[[Call, dict[str, Any]], str]:
    def refine(call: Call, attrs: dict[str, Any]) -> str:
        to_one = call.out is not None and len(call.out) > 2 and all(d == 1 for d in call.out[2:])
        return "globalpool" if to_one else pool

    return refine


def _mean_kind(call: Call, attrs: dict[str, Any]) -> str:
    """A mean over every spatial dimension (2.. of an N, C, ... tensor) is global pooling."""
    dims = call.arg(1, "dim")
    rank = len(call.inp) if call.inp is not None else 0
    if rank < 3 or dims is None:
        return "other"
    dims = {d % rank for d in (dims if isinstance(dims, (list, tuple)) else [dims]) if isinstance(d, int)}
    return "globalpool" if dims == set(range(2, rank)) else "other"


def _hardtanh_kind(call: Call, attrs: dict[str, Any]) -> str:
    """``hardtanh(x, 0, 6)`` is how ReLU6 reaches the aten level."""
    return "relu" if call.arg(1, "min_val", -1.0) == 0 else "other"


#: pseudo-op (or op) -> handler choosing the final op from the call and its attributes.
REFINE: dict[str, Callable[[Call, dict[str, Any]], str]] = {
    "conv": _conv_kind,
    "adaptive_avgpool": _adaptive("avgpool"),
    "adaptive_maxpool": _adaptive("maxpool"),
    "mean": _mean_kind,
    "hardtanh": _hardtanh_kind,
}


def module_op(module: nn.Module) -> str | None:
    """The table entry for a module's class or its nearest listed base class."""
    return next((MODULE_OPS[c] for c in type(module).__mro__ if c in MODULE_OPS), None)


def call_key(name: str) -> str:
    """The :data:`CALL_OPS` key of a function / method / aten op name (in-place ``_`` dropped)."""
    return name[:-1] if name.endswith("_") and not name.endswith("__") else name
