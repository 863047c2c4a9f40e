"""The runtimes a latency table is measured with: ``torch`` (eager, CPU), ``onnxruntime``
(CPU) and ``cuda`` (eager torch on the GPU); :data:`RUNTIMES`, extend with :func:`register`.

A runtime turns a module and an input into a ``run()`` that executes it once and returns
when the result is ready (``cuda`` synchronises), inside :meth:`Runtime.session`, which
holds the thread setting for the whole measurement.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import platform
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nag.errors import ConfigError
from nag.registry import Registry

Run = Callable[[], None]


class TorchRuntime:
    """Eager PyTorch on ``device`` under ``torch.inference_mode`` (``cuda``: synchronised
    after each run, so a run's time is the GPU's).

    On the CPU with glibc, the session keeps freed memory in the heap (:func:`kept_heap`):
    otherwise each activation above glibc's mmap threshold is mapped and unmapped on every
    run, and the page faults add a fifth or more to a network's time, unevenly. PyTorch's
    CUDA allocator and onnxruntime's arena keep their memory already."""

    def __init__(self, name: str, device: str):
        self.name, self.device = name, device

    def check(self) -> None:
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ConfigError("runtime 'cuda' needs a CUDA device (torch.cuda.is_available() is False); use runtime=torch")

    def version(self) -> str:
        cuda = f", CUDA {torch.version.cuda}, {torch.cuda.get_device_name()}" if self.device == "cuda" else ""
        return f"torch {torch.__version__}{cuda}"

    @contextlib.contextmanager
    def session(self, threads: int) -> Iterator[None]:
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            with torch.inference_mode(), kept_heap():
                yield
        finally:
            torch.set_num_threads(before)

    def prepare(self, module: nn.Module, x: torch.Tensor, threads: int) -> Run:
        module = module.eval().to(self.device)
        x = x.to(self.device)
        sync = torch.cuda.synchronize if self.device == "cuda" else _nothing

        def run() -> None:
            module(x)
            sync()

        return run


def _nothing() -> None:
    return None


#: glibc ``mallopt`` parameters, and glibc's defaults for them
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _GLIBC_DEFAULT = -1, -3, 128 * 1024
_KEPT = 1 << 30


@contextlib.contextmanager
def kept_heap() -> Iterator[None]:
    """While inside, glibc serves allocations below 1 GiB from the heap and keeps what is
    freed (``mallopt``); afterwards its default thresholds are set back. Elsewhere (not
    glibc) it does nothing."""
    libc = _glibc()
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_THRESHOLD, _KEPT)
    libc.mallopt(_M_TRIM_THRESHOLD, _KEPT)
    try:
        yield
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, _GLIBC_DEFAULT)
        libc.mallopt(_M_TRIM_THRESHOLD, _GLIBC_DEFAULT)


def _glibc() -> Any:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


class OnnxRuntime:
    """The module exported to ONNX (:func:`nag.export.export`, fixed sizes) and run by an
    onnxruntime CPU session with ``threads`` intra-op threads (one inter-op thread)."""

    name = "onnxruntime"

    def _ort(self) -> Any:
        try:
            return importlib.import_module("onnxruntime")
        except ImportError:
            raise ConfigError("runtime 'onnxruntime' needs onnxruntime, onnx and onnxscript: pip install 'nag[export]'") from None

    def check(self) -> None:
        self._ort()

    def version(self) -> str:
        return f"onnxruntime {self._ort().__version__}"

    @contextlib.contextmanager
    def session(self, threads: int) -> Iterator[None]:
        with tempfile.TemporaryDirectory(prefix="nag-latency-") as folder:
            self._folder = Path(folder)
            self._count = 0
            yield

    def prepare(self, module: nn.Module, x: torch.Tensor, threads: int) -> Run:
        from nag.export import export

        ort = self._ort()
        self._count += 1
        path = export(module.eval(), (x,), self._folder / f"part{self._count}.onnx", format="onnx")
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        options.log_severity_level = 3
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        feed = {session.get_inputs()[0].name: x.numpy()}

        def run() -> None:
            session.run(None, feed)

        return run


RUNTIMES: Registry[Any] = Registry("latency runtime", cache=True)
RUNTIMES.register("torch", lambda: TorchRuntime("torch", "cpu"))
RUNTIMES.register("cuda", lambda: TorchRuntime("cuda", "cuda"))
RUNTIMES.register("onnxruntime", OnnxRuntime)


def register(name: str, factory: Callable[[], Any]) -> None:
    """Plug in a runtime: an object with ``name``, ``check()``, ``version()``,
    ``session(threads)`` (a context manager) and ``prepare(module, x, threads) -> run``."""
    RUNTIMES.register(name, factory)


def get(name: str) -> Any:
    """The runtime ``name`` (``UnknownNameError`` listing them); ``ConfigError`` if it
    cannot run here."""
    runtime = RUNTIMES.get(name)
    runtime.check()
    return runtime
