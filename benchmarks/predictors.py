"""Ranking quality of performance predictors on tabular benchmarks: Spearman's rho and
Kendall's tau between predictions and measured values on architectures not used for
training, for the one-hot GBDT and MLP baselines and the GNN predictor (from scratch and
from the pretrained encoder), plus zero-shot / few-shot transfer between NAS-Bench-Graph
datasets and the predictor's inference throughput.

Usage::

    python benchmarks/predictors.py [--sizes 25,50,100,156,500,1000] [--seeds 10]
        [--test-cap 0] [--datasets nbgraph-cora,...] [--methods gbdt,mlp,...]
        [--transfer-seeds 3] [--iqr] [--out results/predictors.json] [--quick]

For each (dataset, train size n, seed) the train set is the first n archs of
``np.random.default_rng(seed).permutation(len(bench))`` and the test set is all the other
archs (the next ``--test-cap`` of them when capped). Tables print the median over seeds
as ``ρ / τ``; the JSON also holds the 25th/75th percentiles and every seed's values.
``--quick`` is a smoke run: sizes 25,100, 2 seeds, test cap 2000, one transfer pair and
one transfer seed.

Transfer: a predictor fitted on 500 labels of dataset A ranks all archs of dataset B
zero-shot, then after ``finetune(mode="heads")`` / ``finetune(mode="full")`` on 20 or 50
labels of B (each from the A-fitted state); GBDT is refit on A's 500 + B's labels and on
B's labels alone. A's labels, B's labels and the test archs are disjoint.

``gnn-zc`` is the GNN predictor whose heads also read two zero-cost proxies of each arch
(NASWOT and synflow from the shipped table, ``nag.proxies.features``; nb201 only);
``zc-synflow`` ranks by synflow alone, with no labels.
``gnn-pretrained`` needs the shipped encoder checkpoint (``Encoder.from_pretrained()``,
``nag/checkpoints/encoder``), or the one ``--encoder DIR`` names (e.g. made by ``nag
pretrain``); without it those rows are skipped (and transfer uses ``gnn-scratch``). Throughput: ``Predictor.predict`` on 5,000 nb201 archs with one torch
thread and with one per CPU core, cold (fresh archs,
featurization included) and warm (the same archs again; nb201 cells are featurized a
batch at a time, ``nag.spaces.nb201.features``, so little is cached).
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from nag.atomic_write import write_json
from nag.predictors.baselines import BASELINES

#: label -> (benchmark, metric)
DATASETS: dict[str, tuple[str, str]] = {
    "nb201-cifar10:accuracy": ("nb201-cifar10", "accuracy"),
    "nb201-cifar10:analog_accuracy": ("nb201-cifar10", "analog_accuracy"),
    "nbgraph-cora:accuracy": ("nbgraph-cora", "accuracy"),
    "nbgraph-citeseer:accuracy": ("nbgraph-citeseer", "accuracy"),
    "nbgraph-computers:accuracy": ("nbgraph-computers", "accuracy"),
}
#: the baselines registered in nag.predictors.baselines (gbdt, mlp, ridge), then nag's predictors
METHODS: tuple[str, ...] = (*BASELINES.names(), "gnn-scratch", "gnn-pretrained", "gnn-zc", "zc-synflow")
#: methods that read the shipped zero-cost proxy tables (nag.proxies), so run on those spaces only
PROXY_METHODS = {"gnn-zc": ("nb201",), "zc-synflow": ("nb201",)}
SIZES: tuple[int, ...] = (25, 50, 100, 156, 500, 1000)
SEEDS = 10
TRANSFER_PAIRS: tuple[tuple[str, str], ...] = (("cora", "citeseer"), ("citeseer", "cora"), ("cora", "computers"))
TRANSFER_METRIC = "accuracy"
TRANSFER_SOURCE_LABELS = 500
TRANSFER_LABELS: tuple[int, ...] = (20, 50)
TRANSFER_SEEDS = 3
QUICK = {"sizes": (25, 100), "seeds": 2, "test_cap": 2000, "pairs": TRANSFER_PAIRS[:1], "transfer_seeds": 1}
THROUGHPUT_ARCHS, THROUGHPUT_REPEATS = 5000, 3


@dataclass(frozen=True)
class Job:
    """One fit + evaluation: a dataset label, a train size, a seed and a method."""

    dataset: str
    size: int
    seed: int
    method: str
    test_cap: int


@dataclass(frozen=True)
class TransferJob:
    """One transfer run: source and target nbgraph datasets, a seed, a GNN method."""

    source: str
    target: str
    seed: int
    gnn: str
    labels: tuple[int, ...]
    test_cap: int


# ----------------------------------------------------------------------------- helpers
#: the encoder checkpoint of ``gnn-pretrained`` (``None``: the shipped one); set per process by ``use_encoder``
ENCODER_DIR: str | None = None


def use_encoder(directory: str | None) -> None:
    global ENCODER_DIR
    ENCODER_DIR = directory


def pretrained_encoder():
    """The encoder ``gnn-pretrained`` starts from (``--encoder``, else the shipped one)."""
    from nag.encoder import Encoder

    return Encoder.from_pretrained(ENCODER_DIR)


def pretrained_status() -> tuple[bool, str, float | None]:
    """(available, note, pretraining seconds or None) of the ``gnn-pretrained`` encoder checkpoint."""
    from nag.errors import CheckpointError

    try:
        encoder = pretrained_encoder()
    except CheckpointError as e:
        return False, f"no pretrained encoder ({e}); gnn-pretrained rows skipped", None
    seconds = encoder.pretrain_info.get("seconds") if isinstance(encoder.pretrain_info, dict) else None
    return True, f"pretrained encoder found ({ENCODER_DIR or 'shipped'})", (float(seconds) if seconds is not None else None)


def _setup_worker() -> None:
    """One thread per worker (torch and the BLAS/OpenMP pools of numpy and scikit-learn)."""
    import torch

    torch.set_num_threads(1)
    try:
        import sklearn.ensemble  # noqa: F401  (load its OpenMP runtime first, so the limit reaches it)
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    warnings.filterwarnings("ignore", category=UserWarning)
    try:
        from sklearn.exceptions import ConvergenceWarning

        warnings.filterwarnings("ignore", category=ConvergenceWarning)
    except ImportError:
        pass


def correlations(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(Spearman rho, Kendall tau); a constant prediction ranks nothing and scores 0."""
    from scipy import stats

    pred = np.asarray(pred, dtype=np.float64)
    if not np.all(np.isfinite(pred)) or np.ptp(pred) == 0.0:
        return 0.0, 0.0
    rho = stats.spearmanr(pred, truth).statistic
    tau = stats.kendalltau(pred, truth).statistic
    return float(np.nan_to_num(rho)), float(np.nan_to_num(tau))


def split(n: int, seed: int, size: int, test_cap: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) row indices: the first ``size`` of the seed's permutation, and the rest
    (its first ``test_cap`` when capped)."""
    perm = np.random.default_rng(seed).permutation(n)
    test = perm[size:]
    return perm[:size], (test[:test_cap] if test_cap else test)


def gnn_predictor(method: str, space: Any, seed: int):
    """A ``Predictor`` for ``gnn-scratch`` / ``gnn-pretrained`` (features are cached per
    process by nag itself, so jobs in one worker share them)."""
    from nag.predictors.predictor import Predictor

    return Predictor(encoder=pretrained_encoder() if method == "gnn-pretrained" else "scratch", space=space, seed=seed)


def clone(predictor):
    """An independent copy of a fitted predictor."""
    return copy.deepcopy(predictor)


def fit_predict(method: str, space: Any, seed: int, train_archs: list, train_y: np.ndarray, test_archs: list):
    """Predictions of ``method`` fitted on the train set, and (fit s, predict s)."""
    from nag.predictors.baselines import make
    from nag.predictors.predictor import Predictor
    from nag.proxies import features

    start = time.perf_counter()
    if method == "zc-synflow":  # no training: the proxy itself ranks
        return features(space, test_archs)[:, 1], (0.0, time.perf_counter() - start)
    if method == "gnn-zc":  # the GNN with the two proxies as conditioning inputs of its heads
        model = Predictor(space=space, seed=seed, condition_dim=2).fit(
            train_archs, train_y, condition=features(space, train_archs)
        )
        fitted = time.perf_counter()
        pred = model.predict(test_archs, condition=features(space, test_archs))[0]
        return np.asarray(pred), (fitted - start, time.perf_counter() - fitted)
    if method in BASELINES:
        model = make(method, space, seed=seed).fit(train_archs, train_y)
    else:
        model = gnn_predictor(method, space, seed).fit(train_archs, train_y, mode="full")
    fitted = time.perf_counter()
    pred = model.predict(test_archs)
    pred = pred[0] if isinstance(pred, tuple) else pred
    return np.asarray(pred), (fitted - start, time.perf_counter() - fitted)


# -------------------------------------------------------------------------------- jobs
def run_job(job: Job) -> dict[str, Any]:
    """Fit one method on one train split and score its ranking of the test archs."""
    _setup_worker()
    from nag import bench

    start = time.perf_counter()
    name, metric = DATASETS[job.dataset]
    b = bench.load(name)
    archs, values = b.table(metric)
    train, test = split(len(archs), job.seed, job.size, job.test_cap)
    pred, (fit_s, predict_s) = fit_predict(job.method, b.space, job.seed, [archs[i] for i in train], values[train],
                                           [archs[i] for i in test])  # fmt: skip
    rho, tau = correlations(pred, values[test])
    return {**asdict(job), "test": len(test), "spearman": rho, "kendall": tau, "fit_s": fit_s, "predict_s": predict_s,
            "job_s": time.perf_counter() - start}  # fmt: skip


def run_transfer(job: TransferJob) -> dict[str, Any]:
    """Fit on A (500 labels), rank B zero-shot, then adapt with few labels of B."""
    _setup_worker()
    from nag import bench
    from nag.predictors.baselines import GBDTBaseline

    start = time.perf_counter()
    a, b = bench.load(f"nbgraph-{job.source}"), bench.load(f"nbgraph-{job.target}")
    archs, ya = a.table(TRANSFER_METRIC)
    archs_b, yb = b.table(TRANSFER_METRIC)
    if archs != archs_b:
        raise RuntimeError(f"nbgraph-{job.source} and nbgraph-{job.target} list different archs")
    perm = np.random.default_rng(job.seed).permutation(len(archs))
    source = perm[:TRANSFER_SOURCE_LABELS]
    pool = perm[TRANSFER_SOURCE_LABELS : TRANSFER_SOURCE_LABELS + max(job.labels)]
    test = perm[TRANSFER_SOURCE_LABELS + max(job.labels) :]
    test = test[: job.test_cap] if job.test_cap else test
    pick = lambda rows: [archs[i] for i in rows]  # noqa: E731
    test_archs, truth = pick(test), yb[test]
    scores: dict[str, dict[str, dict[str, float]]] = {job.gnn: {}, "gbdt": {}}

    def score(method: str, key: str, pred: Any) -> None:
        pred = pred[0] if isinstance(pred, tuple) else pred
        rho, tau = correlations(pred, truth)
        scores[method][key] = {"spearman": rho, "kendall": tau}

    fitted = gnn_predictor(job.gnn, a.space, job.seed).fit(pick(source), ya[source], mode="full")
    score(job.gnn, "zero-shot", fitted.predict(test_archs))
    for k in job.labels:
        rows = pool[:k]
        for mode in ("heads", "full"):
            tuned = clone(fitted).finetune(pick(rows), yb[rows], mode=mode)
            score(job.gnn, f"{mode}@{k}", tuned.predict(test_archs))
    gbdt = GBDTBaseline(a.space, seed=job.seed).fit(pick(source), ya[source])
    score("gbdt", "zero-shot", gbdt.predict(test_archs))
    for k in job.labels:
        rows = pool[:k]
        both = GBDTBaseline(a.space, seed=job.seed).fit(pick(source) + pick(rows), np.concatenate([ya[source], yb[rows]]))
        score("gbdt", f"A+B@{k}", both.predict(test_archs))
        alone = GBDTBaseline(a.space, seed=job.seed).fit(pick(rows), yb[rows])
        score("gbdt", f"B@{k}", alone.predict(test_archs))
    return {**asdict(job), "test": len(test), "scores": scores, "job_s": time.perf_counter() - start}


def measure_throughput(method: str, threads: int = 1) -> dict[str, Any]:
    """Graphs/s of ``Predictor.predict`` on nb201 archs with ``threads`` torch threads: cold
    (a fresh predictor's first sight of the archs, featurization included; separate
    5,000-arch blocks) and warm (the same block again). Median of the repeats."""
    import torch

    from nag import bench
    from nag.predictors.predictor import Predictor

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        b = bench.load("nb201-cifar10")
        archs, values = b.table("accuracy")
        perm = np.random.default_rng(0).permutation(len(archs))
        train, warmup = perm[:100], perm[100:300]
        blocks = [perm[300 + r * THROUGHPUT_ARCHS : 300 + (r + 1) * THROUGHPUT_ARCHS] for r in range(THROUGHPUT_REPEATS)]
        predictor = Predictor(encoder=pretrained_encoder() if method == "gnn-pretrained" else None, space=b.space, seed=0)
        predictor.fit([archs[i] for i in train], values[train], mode="full")
        predictor.predict([archs[i] for i in warmup])  # warm-up: kernels, allocator
        cold, warm = [], []
        for block in blocks:
            items = [archs[i] for i in block]
            t = time.perf_counter()
            predictor.predict(items)
            cold.append(len(items) / (time.perf_counter() - t))
        for _ in range(THROUGHPUT_REPEATS):
            t = time.perf_counter()
            predictor.predict(items)
            warm.append(len(items) / (time.perf_counter() - t))
    finally:
        torch.set_num_threads(before)
    return {"method": method, "archs": THROUGHPUT_ARCHS, "threads": threads, "cold_graphs_per_s": float(np.median(cold)),
            "warm_graphs_per_s": float(np.median(warm)), "cold_runs": cold, "warm_runs": warm}  # fmt: skip


# --------------------------------------------------------------------------- summaries
def quantiles(values: list[float]) -> dict[str, float]:
    p25, median, p75 = np.quantile(np.asarray(values, dtype=np.float64), [0.25, 0.5, 0.75])
    return {"median": float(median), "p25": float(p25), "p75": float(p75)}


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Quantiles of rho and tau over the seeds of one (dataset, size, method), and timings."""
    ordered = sorted(results, key=lambda r: r["seed"])
    return {
        "runs": len(ordered),
        "test": int(np.median([r["test"] for r in ordered])),
        "spearman": quantiles([r["spearman"] for r in ordered]),
        "kendall": quantiles([r["kendall"] for r in ordered]),
        "per_seed": {str(r["seed"]): {"spearman": r["spearman"], "kendall": r["kendall"]} for r in ordered},
        "median_fit_s": float(np.median([r["fit_s"] for r in ordered])),
        "median_predict_s": float(np.median([r["predict_s"] for r in ordered])),
    }


def summarize_transfer(results: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """pair -> method -> setting -> quantiles of rho and tau over seeds."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for r in results:
        pair = f"{r['source']}->{r['target']}"
        for method, settings in r["scores"].items():
            for setting, s in settings.items():
                cell = out.setdefault(pair, {}).setdefault(method, {}).setdefault(setting, {"spearman": [], "kendall": []})
                cell["spearman"].append(s["spearman"])
                cell["kendall"].append(s["kendall"])
    return {pair: {m: {s: {"runs": len(v["spearman"]), "spearman": quantiles(v["spearman"]), "kendall": quantiles(v["kendall"]),
                          "per_seed": v} for s, v in settings.items()} for m, settings in methods.items()}
            for pair, methods in out.items()}  # fmt: skip


def cell(s: dict[str, Any] | None) -> str:
    return "—" if s is None else f"{s['spearman']['median']:.3f} / {s['kendall']['median']:.3f}"


def iqr_cell(s: dict[str, Any] | None) -> str:
    if s is None:
        return "—"
    r, t = s["spearman"], s["kendall"]
    return f"{r['p25']:.3f}–{r['p75']:.3f} / {t['p25']:.3f}–{t['p75']:.3f}"


def markdown_table(summaries: dict[str, dict[str, dict[str, Any]]], methods: list[str], iqr: bool = False) -> str:
    """One row per dataset x train size, methods side by side; the best median rho in bold."""
    header = ["dataset", "n"] + [f"{m} ρ / τ ({'IQR' if iqr else 'median'})" for m in methods]
    lines = ["| " + " | ".join(header) + " |", "|---|---:|" + "---|" * len(methods)]
    for dataset, by_size in summaries.items():
        for size, by_method in by_size.items():
            stats = [by_method.get(m) for m in methods]
            cells = [iqr_cell(s) if iqr else cell(s) for s in stats]
            if not iqr:
                medians = [s["spearman"]["median"] if s else -np.inf for s in stats]
                best = int(np.argmax(medians))
                cells[best] = f"**{cells[best]}**"
            lines.append("| " + " | ".join([dataset, str(size)] + cells) + " |")
    return "\n".join(lines)


def transfer_table(summary: dict[str, dict[str, dict[str, Any]]], labels: tuple[int, ...], iqr: bool = False) -> str:
    """One row per pair x predictor x adaptation; columns: labels of B used."""
    fmt = iqr_cell if iqr else cell
    header = ["A → B", "predictor", "adaptation", "0 labels of B"] + [f"{k} labels of B" for k in labels]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for pair, methods in summary.items():
        shown = pair.replace("->", " → ")
        for method, settings in methods.items():
            lines.append(
                f"| {shown} | {method} | zero-shot (fit on A) | {fmt(settings.get('zero-shot'))} |" + " — |" * len(labels)
            )
            adaptations = [("heads", "finetune heads"), ("full", "finetune full")] if method != "gbdt" else [("A+B", "refit A+B"), ("B", "fit B only")]  # fmt: skip
            for key, label in adaptations:
                lines.append(f"| {shown} | {method} | {label} | — | " + " | ".join(fmt(settings.get(f"{key}@{k}")) for k in labels) + " |")  # fmt: skip
    return "\n".join(lines)


# -------------------------------------------------------------------------------- main
def parse_ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def parse_datasets(text: str) -> tuple[str, ...]:
    """Labels of :data:`DATASETS`; a benchmark name picks all its metrics (``nbgraph-cora``)."""
    out: list[str] = []
    for token in (t.strip() for t in text.split(",") if t.strip()):
        matches = [label for label, (name, _) in DATASETS.items() if token in (label, name)]
        if not matches:
            raise argparse.ArgumentTypeError(f"unknown dataset {token!r}; known: {', '.join(DATASETS)}")
        out += [m for m in matches if m not in out]
    return tuple(out)


def parse_methods(text: str) -> tuple[str, ...]:
    methods = tuple(t.strip() for t in text.split(",") if t.strip())
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise argparse.ArgumentTypeError(f"unknown method(s) {unknown}; known: {', '.join(METHODS)}")
    return methods


def parse_pairs(text: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for token in (t.strip() for t in text.split(",") if t.strip()):
        source, sep, target = token.partition(":")
        if not sep or not source or not target or source == target:
            raise argparse.ArgumentTypeError(f"a pair is SOURCE:TARGET (e.g. cora:citeseer), got {token!r}")
        pairs.append((source, target))
    return tuple(pairs)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=parse_ints, help="train sizes (default 25,50,100,156,500,1000)")
    parser.add_argument("--seeds", type=int, help=f"seeds 0..N-1 per dataset x size (default {SEEDS})")
    parser.add_argument("--test-cap", type=int, help="evaluate on at most this many test archs (0: all)")
    parser.add_argument("--datasets", type=parse_datasets, default=tuple(DATASETS),
                        help="comma-separated subset of: " + ", ".join(DATASETS) + " (a benchmark name picks all its metrics)")  # fmt: skip
    parser.add_argument("--methods", type=parse_methods, default=METHODS, help="subset of: " + ", ".join(METHODS))
    parser.add_argument("--transfer-seeds", type=int, help=f"seeds per transfer pair (default {TRANSFER_SEEDS}; 0 skips transfer)")  # fmt: skip
    parser.add_argument("--transfer-pairs", type=parse_pairs,
                        help="nbgraph SOURCE:TARGET pairs (default cora:citeseer,citeseer:cora,cora:computers)")  # fmt: skip
    parser.add_argument("--no-throughput", action="store_true", help="skip the inference-throughput measurement")
    parser.add_argument("--iqr", action="store_true", help="also print tables of the 25th–75th percentiles")
    parser.add_argument("--quick", action="store_true", help="smoke run: sizes 25,100, 2 seeds, test cap 2000, one transfer pair and seed (explicit options override)")  # fmt: skip
    parser.add_argument("--out", default="results/predictors.json", help="JSON output path")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--encoder", help="encoder checkpoint folder for gnn-pretrained (default: the shipped one)")
    args = parser.parse_args(argv)
    # --quick changes the defaults; options given explicitly still win
    defaults = {"sizes": SIZES, "seeds": SEEDS, "test_cap": 0, "transfer_pairs": TRANSFER_PAIRS, "transfer_seeds": TRANSFER_SEEDS}
    if args.quick:
        defaults.update(sizes=QUICK["sizes"], seeds=QUICK["seeds"], test_cap=QUICK["test_cap"],
                        transfer_pairs=QUICK["pairs"], transfer_seeds=QUICK["transfer_seeds"])  # fmt: skip
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.seeds < 1 or args.test_cap < 0 or args.transfer_seeds < 0 or args.workers < 1:
        parser.error("--seeds and --workers must be >= 1, --test-cap and --transfer-seeds >= 0")
    return args


def make_jobs(args: argparse.Namespace, methods: list[str]) -> list[Job]:
    """All (dataset, size, seed, method) jobs, the slowest (GNN, largest n) first."""
    jobs = [Job(d, n, s, m, args.test_cap) for d in args.datasets for n in args.sizes for s in range(args.seeds) for m in methods
            if m not in PROXY_METHODS or DATASETS[d][0].split("-")[0] in PROXY_METHODS[m]]  # fmt: skip
    return sorted(jobs, key=lambda j: (not j.method.startswith("gnn"), -j.size))


def main(argv: list[str] | None = None) -> int:
    start = time.perf_counter()
    args = parse_args(argv)
    _setup_worker()
    use_encoder(args.encoder)
    have_pretrained, note, pretrain_s = pretrained_status()
    if args.encoder and not have_pretrained:
        raise SystemExit(f"--encoder {args.encoder}: {note}")
    print(note, flush=True)
    if pretrain_s is not None:
        print(f"encoder pretraining time: {pretrain_s:.0f} s ({pretrain_s / 3600:.2f} h)", flush=True)
    methods = [m for m in args.methods if m != "gnn-pretrained" or have_pretrained]
    gnn = "gnn-pretrained" if have_pretrained else "gnn-scratch"

    throughput = None
    if not args.no_throughput:
        throughput = [measure_throughput(gnn, threads) for threads in sorted({1, os.cpu_count() or 1})]
        for t in throughput:
            print(f"{gnn} inference on {THROUGHPUT_ARCHS} nb201 archs, {t['threads']} thread(s): {t['cold_graphs_per_s']:.0f} graphs/s "
                  f"for fresh archs (featurization included), {t['warm_graphs_per_s']:.0f} graphs/s for the same archs again",
                  flush=True)  # fmt: skip

    jobs = make_jobs(args, methods)
    transfer_jobs = [TransferJob(s, t, seed, gnn, TRANSFER_LABELS, args.test_cap)
                     for s, t in args.transfer_pairs for seed in range(args.transfer_seeds)]  # fmt: skip
    print(f"{len(jobs)} fit jobs, {len(transfer_jobs)} transfer jobs on {args.workers} workers", flush=True)
    with ProcessPoolExecutor(max_workers=args.workers, initializer=use_encoder, initargs=(args.encoder,)) as pool:
        transfer_futures = [pool.submit(run_transfer, j) for j in transfer_jobs]  # long jobs first
        results = list(pool.map(run_job, jobs, chunksize=1))
        transfer_results = [f.result() for f in transfer_futures]

    summaries: dict[str, dict[str, dict[str, Any]]] = {}
    for d in args.datasets:
        for n in args.sizes:
            for m in methods:
                group = [r for r in results if (r["dataset"], r["size"], r["method"]) == (d, n, m)]
                if group:
                    summaries.setdefault(d, {}).setdefault(str(n), {})[m] = summarize(group)
    print()
    print(markdown_table(summaries, methods) if methods else "no fit jobs (no method left to run)")
    if args.iqr and methods:
        print()
        print(markdown_table(summaries, methods, iqr=True))
    transfer = summarize_transfer(transfer_results) if transfer_results else {}
    if transfer:
        print(f"\nTransfer (nbgraph {TRANSFER_METRIC}, {TRANSFER_SOURCE_LABELS} labels of A, "
              f"{args.transfer_seeds} seed(s)), ρ / τ on B:")  # fmt: skip
        print(transfer_table(transfer, TRANSFER_LABELS))
        if args.iqr:
            print()
            print(transfer_table(transfer, TRANSFER_LABELS, iqr=True))

    job_s = [r["job_s"] for r in results]
    timing = {
        "fit_jobs_cpu_s": float(sum(job_s)),
        "transfer_jobs_cpu_s": float(sum(r["job_s"] for r in transfer_results)),
        "per_method_size_median_job_s": {
            f"{m}@{n}": float(np.median([r["job_s"] for r in results if r["method"] == m and r["size"] == n]))
            for m in methods
            for n in args.sizes
            if results
        },  # fmt: skip
    }
    elapsed = time.perf_counter() - start
    write_json(
        args.out,
        {
            "protocol": {
                "sizes": list(args.sizes),
                "seeds": list(range(args.seeds)),
                "test_cap": args.test_cap or "all",
                "datasets": {d: list(DATASETS[d]) for d in args.datasets},
                "methods": methods,
                "quick": args.quick,
                "constant_prediction_scores": 0.0,
            },  # fmt: skip
            "pretrained_encoder": {"available": have_pretrained, "note": note, "pretrain_seconds": pretrain_s},
            "results": summaries,
            "transfer": {
                "metric": TRANSFER_METRIC,
                "source_labels": TRANSFER_SOURCE_LABELS,
                "target_labels": list(TRANSFER_LABELS),
                "pairs": [f"{s}->{t}" for s, t in args.transfer_pairs],
                "seeds": list(range(args.transfer_seeds)),
                "gnn": gnn,
                "results": transfer,
            },  # fmt: skip
            "throughput": throughput,
            "timing": timing,
            "jobs": results,
            "wall_time_s": round(elapsed, 1),
        },
    )
    print(f"\nfit jobs: {timing['fit_jobs_cpu_s']:.0f} s of worker time, transfer jobs: {timing['transfer_jobs_cpu_s']:.0f} s")
    print(f"wrote {args.out}; total wall time {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
