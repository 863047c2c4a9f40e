"""End-to-end search with real training on mbv3 and darts, killed with SIGKILL and resumed.

For each space: ``nag search strategy=diffusion oracle=train data=digits`` with a table,
killed (``kill -9``) once the table holds ``--kill-after`` trained candidates, then run
again with the same command, which resumes from the table. Prints and saves every
candidate (arch, validation accuracy, training seconds), how many the second run took
from the table, and whether the table holds exactly ``--budget`` distinct candidates.

    python -m benchmarks.search_train --out results/search_train.json
"""

from __future__ import annotations

import argparse
import csv
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from nag.atomic_write import write_json

#: build options per space (darts smaller than its evaluation network, to train on CPU)
MODELS = {"mbv3": [], "darts": ["model.C=16", "model.layers=8"]}


def command(space: str, budget: int, epochs: int, table: Path, seed: int) -> list[str]:
    return [sys.executable, "-m", "nag", "search", "strategy=diffusion", f"space={space}", "oracle=train", "data=digits",
            f"epochs={epochs}", f"budget={budget}", f"seed={seed}", "executor=serial", f"table={table}", "quiet=true",
            *MODELS[space]]  # fmt: skip


def rows(table: Path) -> list[dict[str, str]]:
    if not table.exists():
        return []
    with table.open(newline="") as f:
        return list(csv.DictReader(f))


def kill_after(argv: list[str], table: Path, count: int, limit_s: float) -> dict[str, Any]:
    """Start ``argv``, SIGKILL it once ``table`` has ``count`` rows; what was there then."""
    start = time.perf_counter()
    victim = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while len(rows(table)) < count and victim.poll() is None and time.perf_counter() - start < limit_s:
        time.sleep(0.5)
    finished_first = victim.poll() is not None
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    return {"rows_at_kill": len(rows(table)), "exited_before_kill": finished_first,
            "seconds": time.perf_counter() - start}  # fmt: skip


def run_space(space: str, budget: int, epochs: int, kill_at: int, seed: int, folder: Path) -> dict[str, Any]:
    table = folder / f"{space}.csv"
    argv = command(space, budget, epochs, table, seed)
    killed = kill_after(argv, table, kill_at, limit_s=3600)
    start = time.perf_counter()
    resumed = subprocess.run(argv, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    found = rows(table)
    candidates = [{"arch": r["arch"], "val_accuracy": float(r["val_accuracy"]), "seconds": float(r["seconds"])} for r in found]
    reused = next((line for line in resumed.stdout.splitlines() if "answered from it" in line), "")
    return {
        "command": " ".join(argv[2:]),
        "killed": killed,
        "resumed_exit_code": resumed.returncode,
        "resumed_seconds": seconds,
        "resumed_stderr_tail": resumed.stderr.strip().splitlines()[-3:],
        "resumed_summary": reused,
        "candidates": candidates,
        "distinct": len({c["arch"] for c in candidates}),
        "complete": resumed.returncode == 0 and len(candidates) == budget == len({c["arch"] for c in candidates}),
        "best_val_accuracy": max((c["val_accuracy"] for c in candidates), default=float("nan")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spaces", default="mbv3,darts")
    parser.add_argument("--budget", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--kill-after", type=int, default=7, help="trained candidates in the table before kill -9")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    report: dict[str, Any] = {"command": "python -m benchmarks.search_train " + " ".join(sys.argv[1:]), "commit": commit,
                              "machine": platform.machine(), "budget": args.budget, "epochs": args.epochs,
                              "kill_after": args.kill_after, "spaces": {}}  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        for space in args.spaces.split(","):
            result = run_space(space, args.budget, args.epochs, args.kill_after, args.seed, Path(folder))
            report["spaces"][space] = result
            print(f"{space}: killed with {result['killed']['rows_at_kill']} of {args.budget} candidates trained; "
                  f"resumed run exit {result['resumed_exit_code']} in {result['resumed_seconds']:.0f} s; "
                  f"{len(result['candidates'])} candidates, {result['distinct']} distinct, complete: {result['complete']}; "
                  f"best val accuracy {result['best_val_accuracy']:.3f}")  # fmt: skip
            print(f"  {result['resumed_summary']}")
            for c in result["candidates"]:
                print(f"  {c['val_accuracy']:.3f}  {c['seconds']:5.1f} s  {c['arch'][:110]}")
    if args.out:
        write_json(args.out, report)


if __name__ == "__main__":
    main()
