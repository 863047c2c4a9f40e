"""How nag takes hostile input: runs the fuzz, corruption and crash tests with many more
generated inputs than the test suite does, and counts inputs tried and crashes.

    python benchmarks/reliability.py --examples 300 --out results/reliability.json

A crash is any test that fails: a malformed command line that exits other than 2 or prints
more than one line, an API input that raises something other than ``NagError``, a damaged
file loaded without ``CheckpointError``, a worker outliving a killed search. Listed cases
count once each; generated ones count every example hypothesis ran (its statistics).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITES = {
    "command line": "tests/test_fuzz_cli.py",
    "Python API": "tests/test_fuzz_api.py",
    "damaged files": "tests/test_corrupt_files.py",
    "crashes and shared tables": "tests/test_crash_safety.py",
}


def run_suite(path: str, examples: int) -> dict:
    """Run one test file; the tests that passed and failed, and hypothesis's example counts."""
    env = {**os.environ, "NAG_FUZZ_EXAMPLES": str(examples)}
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", path, "-q", "-rf", "--hypothesis-show-statistics", "-p",
                             "no:cacheprovider"], cwd=ROOT, env=env, capture_output=True, text=True)  # fmt: skip
    text = result.stdout + result.stderr
    summary = [line for line in text.splitlines() if re.search(r"\d+ (passed|failed)", line) and " in " in line]
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|errors?)\b", summary[-1] if summary else "")}
    generated = sum(int(n) for n in re.findall(r"(\d+) passing, \d+ failing", text))
    hypothesis_tests = len(re.findall(r"^tests/\S+::\S+:$", text, flags=re.M))
    failed = re.findall(r"^FAILED (\S+)", text, flags=re.M)
    return {"file": path, "passed": counts.get("passed", 0), "failed": counts.get("failed", 0) + counts.get("errors", 0)
            + counts.get("error", 0), "generated_inputs": generated, "hypothesis_tests": hypothesis_tests,
            "listed_cases": counts.get("passed", 0) + counts.get("failed", 0) - hypothesis_tests, "failures": failed,
            "seconds": round(time.perf_counter() - start, 1), "returncode": result.returncode}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300, help="examples per generated (hypothesis) test")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args()
    rows = {name: run_suite(path, args.examples) for name, path in SUITES.items()}
    print(f"{'suite':<28}{'listed':>8}{'generated':>11}{'crashes':>9}{'seconds':>9}")
    for name, row in rows.items():
        print(f"{name:<28}{row['listed_cases']:>8}{row['generated_inputs']:>11}{row['failed']:>9}{row['seconds']:>9}")
        for failure in row["failures"]:
            print(f"    crash: {failure}")
    listed = sum(r["listed_cases"] for r in rows.values())
    generated = sum(r["generated_inputs"] for r in rows.values())
    crashes = sum(r["failed"] for r in rows.values())
    print(f"{'total':<28}{listed:>8}{generated:>11}{crashes:>9}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        report = {"examples_per_test": args.examples, "listed_cases": listed, "generated_inputs": generated, "crashes": crashes,
                  "command": f"python benchmarks/reliability.py --examples {args.examples}", "suites": rows}  # fmt: skip
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    sys.exit(1 if crashes else 0)


if __name__ == "__main__":
    main()
