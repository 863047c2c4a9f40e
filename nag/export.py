"""Export a built model to a file other runtimes load: ONNX, TorchScript or a
``torch.export`` program.

``export(model, example_inputs, path, format=...)`` writes the model in eval mode, atomically;
``check_onnx`` runs an ONNX file in onnxruntime and compares it with PyTorch::

    net = spaces.get("nb201").build(arch, num_classes=10)
    x = torch.zeros(2, 3, 32, 32)
    export(net, (x,), "net.onnx", dynamic=({0: "batch"},))
    check_onnx("net.onnx", net, (torch.randn(5, 3, 32, 32),))      # max |difference|, ~1e-6

Formats (:data:`FORMATS`, extend with :func:`register`):

* ``"onnx"``: ``torch.onnx.export(..., dynamo=True)``, the exporter built on
  ``torch.export`` (needs ``onnx`` and ``onnxscript``: ``pip install nag[export]``). The
  older TorchScript-based exporter is deprecated since torch 2.9 and warns it will be removed.
* ``"torchscript"``: ``torch.jit.trace`` + ``torch.jit.save`` (``.pt``; deprecated in recent
  torch releases but still the format C++ ``torch::jit::load`` reads). ``dynamic`` does not
  apply: a trace keeps sizes symbolic where its ops allow.
* ``"torch.export"``: ``torch.export.export`` + ``torch.export.save`` (``.pt2``; load with
  ``torch.export.load(path).module()``).

What exports: NAS-Bench-201 networks in every format with a dynamic batch. NAS-Bench-Graph
GNNs (inputs ``(x, edge_index)``, dynamic ``({0: "nodes"}, {1: "edges"})``) in every
format, except that ONNX with dynamic sizes fails for archs with a ``gat`` node (PyG's
self-loop handling has data-dependent shapes); those export to ONNX with fixed sizes.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import logging
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nag.atomic_write import write_atomic
from nag.errors import ExportError, NagError
from nag.registry import Registry

#: Per input, the dimensions allowed to vary, by name: ``({0: "batch"},)``; equal names
#: are one size. ``None`` (for the whole or for one input) keeps the example's sizes.
Dynamic = Sequence[Mapping[int, str] | None] | None
#: ``writer(model, example_inputs, dynamic, tmp_path)`` writes the exported model to ``tmp_path``.
Writer = Callable[[nn.Module, tuple, Dynamic, Path], None]

FORMATS: Registry[Writer] = Registry("export format")
#: The usual file suffix of each built-in format.
SUFFIXES = {"onnx": ".onnx", "torchscript": ".pt", "torch.export": ".pt2"}
INSTALL_HINT = "pip install nag[export]"


def register(name: str, writer: Writer) -> None:
    """Plug in an export format ``writer(model, example_inputs, dynamic, path)`` under ``name``."""
    FORMATS.register(name, lambda: writer)


def formats() -> list[str]:
    return FORMATS.names()


def export(model: nn.Module, example_inputs: Any, path: Path | str, format: str = "onnx", dynamic: Dynamic = None) -> Path:
    """Write ``model`` (in eval mode; its training flag is restored) to ``path``.

    Args:
        model: the module to export.
        example_inputs: one tensor or a tuple of positional inputs the model is traced on.
        path: the file to write (parent folders are created; written atomically).
        format: a name of :data:`FORMATS` (``"onnx"``, ``"torchscript"``, ``"torch.export"``).
        dynamic: per input, the dimensions that may change size, e.g. ``({0: "batch"},)``;
            ``None`` fixes every size to the example's.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        UnknownNameError: ``format`` is not registered (the message lists the formats).
        ExportError: a package the format needs is missing, or the exporter failed (the
            message names the format and the cause).
    """
    writer = FORMATS.get(format)
    inputs = example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)
    if dynamic is not None and len(dynamic) != len(inputs):
        raise ExportError(f"dynamic has {len(dynamic)} entries for {len(inputs)} inputs; give one per input (or None)")
    path = Path(path)
    with _eval_mode(model):
        try:
            write_atomic(path, lambda tmp: writer(model, inputs, dynamic, tmp))
        except NagError:
            raise
        except Exception as e:
            hint = "; with fixed sizes (dynamic=None; CLI: dynamic=false) it may export" if dynamic is not None else ""
            raise ExportError(f"{format} export of {type(model).__name__} failed: {_cause(e)}{hint}") from e
    return path


def check_onnx(path: Path | str, model: nn.Module, example_inputs: Any, rtol: float = 1e-3, atol: float = 1e-4) -> float:
    """Run the ONNX file ``path`` in onnxruntime (CPU) and ``model`` (eval mode, no
    gradients) on ``example_inputs``; return the largest absolute difference of their outputs.

    Raises:
        ExportError: onnxruntime is missing, the file does not take these inputs, or some
            output differs by more than ``atol + rtol * |PyTorch output|``.
    """
    ort = _require("checking an ONNX file", "onnxruntime")
    inputs = example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)
    if not all(isinstance(x, torch.Tensor) for x in inputs):
        raise ExportError("check_onnx takes tensor inputs only")
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.log_severity_level = 3  # errors only: no per-run shape-inference notices
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as e:
        raise ExportError(f"onnxruntime cannot load {path}: {_cause(e)}") from None
    names = [i.name for i in session.get_inputs()]
    if len(names) != len(inputs):
        raise ExportError(f"{path} takes {len(names)} inputs ({', '.join(names)}), not {len(inputs)}")
    try:
        got = session.run(None, {n: x.detach().cpu().numpy() for n, x in zip(names, inputs)})
    except Exception as e:
        shapes = [tuple(x.shape) for x in inputs]
        raise ExportError(f"onnxruntime failed to run {path} on inputs of shapes {shapes}: {_cause(e)}") from None
    with _eval_mode(model), torch.no_grad():
        expected = _flat_outputs(model(*inputs))
    if len(got) != len(expected):
        raise ExportError(f"{path} gives {len(got)} outputs, PyTorch {len(expected)}")
    worst = 0.0
    for ours, theirs in zip(got, expected):
        ours = torch.as_tensor(ours).to(theirs.dtype)
        if ours.shape != theirs.shape:
            raise ExportError(f"{path} gives an output of shape {tuple(ours.shape)}, PyTorch {tuple(theirs.shape)}")
        diff = (ours - theirs).abs()
        worst = max(worst, float(diff.max()) if diff.numel() else 0.0)
        if not torch.all(diff <= atol + rtol * theirs.abs()):
            raise ExportError(f"onnxruntime's outputs of {path} differ from PyTorch's by up to {worst:.3g} "
                              f"(more than atol={atol:g} + rtol={rtol:g} * |output|)")  # fmt: skip
    return worst


# ------------------------------------------------------------------ the formats
def _onnx(model: nn.Module, inputs: tuple, dynamic: Dynamic, path: Path) -> None:
    _require("ONNX export", "onnx", "onnxscript")
    with _quiet_exporter():
        program = torch.onnx.export(model, inputs, None, dynamo=True, verbose=False, dynamic_shapes=_dims(dynamic))
    if program is None:
        raise ExportError("the ONNX exporter returned no program")
    path.write_bytes(program.model_proto.SerializeToString())  # one file, weights inside (< 2 GB)


def _torchscript(model: nn.Module, inputs: tuple, dynamic: Dynamic, path: Path) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.\w+` is deprecated")  # Future- or DeprecationWarning
        torch.jit.save(torch.jit.trace(model, inputs), str(path))


def _torch_export(model: nn.Module, inputs: tuple, dynamic: Dynamic, path: Path) -> None:
    with _quiet_exporter():
        program = torch.export.export(model, inputs, dynamic_shapes=_dims(dynamic))
    buffer = io.BytesIO()  # torch.export.save warns about paths not ending in .pt2, like the temporary file
    torch.export.save(program, buffer)
    path.write_bytes(buffer.getvalue())


register("onnx", _onnx)
register("torchscript", _torchscript)
register("torch.export", _torch_export)


# ------------------------------------------------------------------ internals
def _require(purpose: str, *modules: str) -> Any:
    """Import ``modules`` (returning the last); ExportError naming the missing ones."""
    missing, module = [], None
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ExportError(f"{purpose} needs {' and '.join(modules)} (missing: {', '.join(missing)}); {INSTALL_HINT}")
    return module


def _dims(dynamic: Dynamic) -> tuple | None:
    """``dynamic`` as ``torch.export`` dynamic shapes (one ``Dim`` per distinct name)."""
    if dynamic is None:
        return None
    dims: dict[str, Any] = {}
    for spec in dynamic:
        for name in (spec or {}).values():
            dims.setdefault(name, torch.export.Dim(name))
    return tuple(None if spec is None else {int(axis): dims[name] for axis, name in spec.items()} for spec in dynamic)


@contextlib.contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(training)


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """torch.export prints the partial graph to stderr when it fails and the ONNX exporter
    logs optional-op notices; the ExportError says what went wrong instead."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)


def _cause(error: BaseException) -> str:
    """The first line of the innermost cause of ``error``, without terminal colours."""
    while error.__cause__ is not None:
        error = error.__cause__
    lines = [line.strip() for line in re.sub(r"\x1b\[[0-9;]*m", "", str(error)).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _flat_outputs(output: Any) -> list[torch.Tensor]:
    if isinstance(output, torch.Tensor):
        return [output]
    if isinstance(output, Mapping):
        output = list(output.values())
    if isinstance(output, (tuple, list)):
        return [t for item in output for t in _flat_outputs(item)]
    raise ExportError(f"cannot compare a model output of type {type(output).__name__}")
