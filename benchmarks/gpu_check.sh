#!/usr/bin/env bash
# One GPU run, under 8 minutes: train the best generated nb201 network (C=16, N=5) on
# CIFAR-shaped data on CUDA, fp32 eager against nag's trainer with AMP (bf16/fp16) and
# channels_last; prints images/s, peak memory and each speed-up over fp32 eager, and
# writes results/train_cuda.json (or $OUT/train_cuda.json). Needs a CUDA build of torch
# (see README, "GPU"). Usage: bash benchmarks/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"
if ! "$PYTHON" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "gpu_check: torch finds no CUDA device; install a CUDA build of torch on a GPU machine" >&2
  exit 2
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
OUT_DIR="${OUT:-results}"
timeout 450 "$PYTHON" benchmarks/train.py --device cuda --steps 60 --batch 256 --repeats 3 --out "$OUT_DIR/train_cuda.json"
