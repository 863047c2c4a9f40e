"""Training throughput of an NB201 network: nag's trainer against a plain PyTorch loop.

Usage::

    python benchmarks/train.py [--device cpu|cuda] [--steps 20] [--repeats 3] [--batch 64]
        [--arch best-generated|ARCH] [--C 16] [--N 5] [--out results/train_cpu.json]

Both sides train the same network (same arch, same initial weights) with SGD on random
CIFAR-shaped data (3x32x32, 10 classes) for ``--steps`` steps per epoch, two epochs; the
second epoch's images/s counts (the first warms up allocators and kernels). Variants:

* ``eager-fp32``: the baseline, a plain loop (forward, cross-entropy, backward, step)
  written here, no AMP, contiguous (NCHW) tensors.
* ``nag-fp32``: ``nag.train.train`` with ``amp=off channels_last=off`` (what it does on a
  CPU by default), so the ratio shows the trainer's own overhead (schedule, clipping,
  metrics, NaN checks).
* ``nag-channels_last``, ``nag-bf16``, ``nag-bf16+channels_last``, and on CUDA ``nag-auto``
  (bf16 or fp16 autocast + channels_last, the CUDA default) and ``nag-fp16+channels_last``.

Each figure is the median of ``--repeats`` runs; ratios are against ``eager-fp32`` in the
same process. On CUDA the peak memory of each variant is reported too.
``--arch best-generated`` (default) samples 100 archs from the shipped nb201 generator guided
by the shipped nb201-cifar10 predictor and takes the highest predicted one.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from nag import spaces
from nag.atomic_write import write_json
from nag.train import ImageData, TrainConfig, train

CPU_VARIANTS = {
    "nag-fp32": {"amp": "off", "channels_last": "off"},
    "nag-channels_last": {"amp": "off", "channels_last": "on"},
    "nag-bf16": {"amp": "bf16", "channels_last": "off"},
    "nag-bf16+channels_last": {"amp": "bf16", "channels_last": "on"},
}
CUDA_VARIANTS = {
    "nag-fp32": {"amp": "off", "channels_last": "off"},
    "nag-auto": {"amp": "auto", "channels_last": "auto"},
    "nag-fp16+channels_last": {"amp": "fp16", "channels_last": "on"},
    "nag-bf16": {"amp": "bf16", "channels_last": "off"},
}


def best_generated_arch(n: int = 100, seed: int = 0) -> str:
    """The highest-predicted of ``n`` predictor-guided samples of the shipped nb201 generator."""
    from nag.generator import Generator
    from nag.guidance import PredictorGuidance
    from nag.predictors import Predictor

    predictor = Predictor.from_pretrained("nb201-cifar10")
    archs = Generator.from_pretrained("nb201").sample(n, guidance=PredictorGuidance(predictor, seed=seed), seed=seed)
    mean, _ = predictor.predict(archs)
    return spaces.get("nb201").to_str(archs[int(np.argmax(mean))])


def cifar_shaped(images: int, seed: int = 0) -> ImageData:
    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(images, 3, 32, 32, generator=g), torch.randint(0, 10, (images,), generator=g)
    return ImageData(x_train=x, y_train=y, x_val=x[:64], y_val=y[:64], num_classes=10, name="cifar-shaped")


def build(arch: str, C: int, N: int) -> nn.Module:
    torch.manual_seed(0)
    return spaces.get("nb201").build(arch, C=C, N=N)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def eager_images_per_second(model: nn.Module, data: ImageData, batch: int, device: torch.device) -> float:
    """The plain loop: two passes over the data, the second one timed."""
    model = model.to(device).train()
    x, y = data.x_train.to(device), data.y_train.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    seconds = 0.0
    for epoch in range(2):
        sync(device)
        start = time.perf_counter()
        for i in range(0, len(y), batch):
            loss = nn.functional.cross_entropy(model(x[i : i + batch]), y[i : i + batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        sync(device)
        seconds = time.perf_counter() - start
    return len(y) / seconds


def nag_images_per_second(model: nn.Module, data: ImageData, batch: int, device: torch.device, **precision: Any) -> float:
    config = TrainConfig(epochs=2, batch_size=batch, device=device.type, deterministic=False, progress=False, **precision)
    return train(model, data, config).history[-1]["samples_per_second"]


def peak_memory(device: torch.device) -> float | None:
    return torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None


def measure(arch: str, device: torch.device, steps: int, batch: int, repeats: int, C: int, N: int) -> dict[str, Any]:
    data = cifar_shaped(steps * batch)
    variants = CUDA_VARIANTS if device.type == "cuda" else CPU_VARIANTS
    runs: dict[str, list[float]] = {"eager-fp32": [], **{name: [] for name in variants}}
    memory: dict[str, float | None] = {}
    for repeat in range(repeats):
        for name in runs:
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            model = build(arch, C, N)
            if name == "eager-fp32":
                value = eager_images_per_second(model, data, batch, device)
            else:
                value = nag_images_per_second(model, data, batch, device, **variants[name])
            runs[name].append(value)
            memory[name] = peak_memory(device)
            print(f"  repeat {repeat + 1}/{repeats} {name:24s} {value:10.1f} images/s", file=sys.stderr)
    base = float(np.median(runs["eager-fp32"]))
    return {name: {"images_per_second": float(np.median(v)), "runs": v, "ratio_vs_eager_fp32": float(np.median(v)) / base,
                   "peak_memory_mib": memory[name]} for name, v in runs.items()}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--steps", type=int, default=20, help="training steps per epoch")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--arch", default="best-generated")
    parser.add_argument("--C", type=int, default=16)
    parser.add_argument("--N", type=int, default=5)
    parser.add_argument("--out", default=None, help="JSON output (default results/train_<device>.json)")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    arch = (
        best_generated_arch()
        if args.arch == "best-generated"
        else spaces.get("nb201").to_str(spaces.get("nb201").coerce(args.arch))
    )
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    print(f"{arch} (C={args.C}, N={args.N}), batch {args.batch}, {args.steps} steps/epoch on {gpu or 'CPU'}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")  # fmt: skip
    started = time.perf_counter()
    figures = measure(arch, device, args.steps, args.batch, args.repeats, args.C, args.N)
    print(f"{'variant':24s} {'images/s':>10s} {'vs eager fp32':>14s} {'peak MiB':>9s}")
    for name, f in figures.items():
        mem = f"{f['peak_memory_mib']:9.0f}" if f["peak_memory_mib"] is not None else f"{'-':>9s}"
        print(f"{name:24s} {f['images_per_second']:10.1f} {f['ratio_vs_eager_fp32']:13.2f}x {mem}")
    out = args.out or f"results/train_{device.type}.json"
    write_json(out, {"arch": arch, "device": gpu or "cpu", "torch": torch.__version__, "threads": torch.get_num_threads(),
                     "batch": args.batch, "steps": args.steps, "repeats": args.repeats, "C": args.C, "N": args.N,
                     "seconds": time.perf_counter() - started, "variants": figures})  # fmt: skip
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
