"""From an arch to files: the best of a few NAS-Bench-201 samples (by the benchmark), its
network exported to ONNX with a dynamic batch and checked in onnxruntime, and its cell and
network drawn as pictures.

Run from the repository root:  python -m examples.export_and_draw [--fast] [--out DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch

from nag import Generator, bench
from nag.draw import draw_arch
from nag.errors import ExportError
from nag.export import check_onnx, export


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="fewer samples and denoising steps (what CI runs)")
    parser.add_argument("--out", type=Path, default=None, help="folder for the files (default: a temporary one)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="nag-export-"))
    n, steps = (8, 10) if args.fast else (64, None)

    b = bench.load("nb201-cifar10")
    sampled = Generator.from_pretrained("nb201").sample(n, seed=0, sample_steps=steps)
    acc = b.query_many(sampled, "accuracy")
    arch = sampled[int(acc.argmax())]
    print(f"best of {n} samples: {b.space.to_str(arch)} (accuracy {acc.max():.2f})")

    net = b.space.build(arch, num_classes=10)
    try:
        path = export(net, (torch.zeros(2, 3, 32, 32),), out / "net.onnx", dynamic=({0: "batch"},))
        error = check_onnx(path, net, (torch.randn(5, 3, 32, 32),))
        print(f"ONNX: {path} ({path.stat().st_size:,} bytes; onnxruntime agrees to {error:.1e})")
    except ExportError as e:  # onnx / onnxscript / onnxruntime not installed: pip install nag[export]
        print(f"ONNX: skipped ({e})")

    for level in b.space.levels:
        print(f"drawing ({level}): {draw_arch(b.space, arch, out / f'{level}.png', level=level)}")


if __name__ == "__main__":
    main()
