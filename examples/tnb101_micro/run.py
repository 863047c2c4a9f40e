"""A space nag does not ship, end to end: declared in space.yaml (plus model.py's builder),
its archs trained for real into a results table, the shipped NAS-Bench-201 predictor
fine-tuned on part of the table, and searches over the table.

Run from the repository root:  python -m examples.tnb101_micro.run [--fast] [--out DIR]

The same steps from the command line (after the table exists):
    nag finetune ckpt=nb201-cifar10 bench=DIR/runs.csv space=examples/tnb101_micro/space.yaml \\
        metric=val_accuracy n_labels=10 out=DIR/predictor
    nag search strategy=re bench=... (a table: see nag.bench.from_table and search.run)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from nag import Predictor, bench, search, spaces
from nag.search.training import TrainingOracle
from nag.train import TrainConfig

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a few tiny trainings (what CI runs, about a minute)")
    parser.add_argument("--out", type=Path, default=Path("tnb101-micro-run"), help="folder for the table and the predictor")
    args = parser.parse_args()
    trained, epochs, build = (12, 1, {"C": 4, "N": 1}) if args.fast else (60, 3, {"C": 8, "N": 1})

    space = spaces.load(HERE / "space.yaml")
    print(f"{space.name}: {space.size:,} archs; e.g. {space.to_str(space.sample(1, seed=0)[0])}")

    # 1. Train some archs for real (digits, on this machine) into a table: a benchmark of its own.
    table = args.out / "runs.csv"
    config = TrainConfig(epochs=epochs, progress=False)
    with TrainingOracle(
        space, "digits", config, table=table, executor="serial" if args.fast else "process", build=build
    ) as oracle:
        search.run("random", oracle, space=space, budget=trained, seed=0)
    results = bench.from_table(table, space=space, metrics=["val_accuracy", "accuracy", "params"], default_metric="val_accuracy")
    print(f"trained {len(results)} archs into {table}; best validation accuracy {results.best()[1]:.3f}")

    # 2. Fine-tune the shipped NAS-Bench-201 predictor on half of them; rank the other half.
    archs, values = results.table("val_accuracy")
    half = len(archs) // 2
    predictor = Predictor.from_pretrained("nb201-cifar10").finetune(archs[:half], values[:half])
    mean, _ = predictor.predict(archs[half:])
    print(f"fine-tuned on {half} archs; Spearman on the other {len(archs) - half}: {spearmanr(mean, values[half:])[0]:.3f}")
    saved = predictor.save(args.out / "predictor")
    check = f"from nag import Predictor; p = Predictor.load(r'{saved}'); print(p.space.name, p.space.size)"
    loaded = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True).stdout.strip()
    print(f"a fresh process loads the predictor with its space: {loaded}")

    # 3. Search the table (strategies propose only archs it holds), and by the predictor over the whole space.
    for strategy in ("random", "re"):
        trajectory = search.run(strategy, results, budget=len(results) // 2, seed=1)
        print(f"{strategy:>6} over the table: best {trajectory.best[1]:.3f} in {len(trajectory)} queries")
    scored = search.run("re", lambda a: predictor.predict(a)[0], space=space, budget=200, seed=1)
    print(f"re over all {space.size:,} archs by predicted accuracy: {space.to_str(scored.best[0])} "
          f"(predicted {scored.best[1]:.3f}; not trained)")  # fmt: skip
    assert np.isfinite(scored.best[1])


if __name__ == "__main__":
    main()
