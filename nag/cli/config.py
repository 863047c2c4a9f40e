"""Typed configs of the CLI commands, registered in Hydra's ConfigStore.

The YAML files in ``nag/configs`` (also reachable as ``configs/`` at the repository
root) build on these schemas; Hydra validates every override against them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore

from nag.seeds import MAX_SEED


def bounded(default: Any, low: float | None = None, high: float | None = None) -> Any:
    """A field whose value (when not None) must lie in ``low..high`` (checked by
    :func:`nag.cli.validate.check_config` before the command does any work)."""
    return field(default=default, metadata={"range": (low, high)})


def output(default: Any = None, folder: bool = False) -> Any:
    """A field naming a file (or, with ``folder``, a folder) the command writes: checked
    to be writable before the command does any work."""
    return field(default=default, metadata={"output": "folder" if folder else "file"})


def seed_field() -> Any:
    return bounded(0, 0, MAX_SEED)


@dataclass
class SpacesConfig:
    """``nag spaces``: list the registered search spaces."""


@dataclass
class BenchConfig:
    """``nag bench NAME``: size, metrics, best arch and quantiles of a benchmark."""

    name: str = "nb201-cifar10"
    metric: Optional[str] = None
    arch: Optional[str] = None  # show every metric of this arch instead of the summary
    maximize: bool = True
    json: bool = False


@dataclass
class SearchConfig:
    """``nag search``: run a search strategy against a benchmark."""

    strategy: str = "re"
    bench: str = "nb201-cifar10"
    metric: Optional[str] = None
    budget: int = 200
    seed: int = seed_field()
    maximize: bool = True
    out: Optional[str] = output()
    quiet: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    # oracle=train: really train each candidate instead of looking it up in bench
    constraints: dict[str, Any] = field(default_factory=dict)  # every queried arch meets them, e.g. constraints.flops="<=3e8"
    allowed: dict[str, Any] = field(default_factory=dict)  # options choices keep to, e.g. allowed.op=[skip_connect,nor_conv_3x3]
    latency_table: Optional[str] = None  # a table of nag latency measure, for constraints.latency="<=15" (ms)
    objectives: Optional[str] = None  # several at once, e.g. [accuracy:max,latency:min]: a Pareto search
    reference: Optional[list[float]] = None  # objectives=: the hypervolume reference, e.g. [0,20] (default: worst found)
    oracle: str = "bench"  # bench | train
    space: str = "nb201"  # oracle=train: the space searched
    data: str = "digits"  # oracle=train: digits | karate | a CIFAR-10 python folder | an ImageFolder
    epochs: int = bounded(2, 1, 100_000)  # oracle=train: epochs per candidate
    train: dict[str, Any] = field(default_factory=dict)  # oracle=train: more TrainConfig fields, e.g. train.lr=0.1
    model: dict[str, Any] = field(default_factory=dict)  # oracle=train: space.build options, e.g. model.C=8
    table: Optional[str] = output()  # oracle=train: results CSV, reused to resume (a from_table benchmark)
    executor: str = "process"  # oracle=train: serial | process | ray
    workers: Optional[int] = bounded(None, 1, 1024)  # executor=process: parallel trainings (default min(cores, 4))
    address: Optional[str] = None  # executor=ray: the cluster (default: a local Ray instance)


@dataclass
class SampleConfig:
    """``nag sample``: archs from a space's diffusion generator, optionally guided and constrained."""

    space: str = "nb201"
    n: int = bounded(16, 1, 1_000_000)  # more than 1,000 need out=, and go there in batches
    seed: int = seed_field()
    guidance: str = "none"  # a name in nag.guidance.GUIDANCE: none | predictor | bench
    predictor: Optional[str] = None  # a shipped predictor or a folder (default: the space's, e.g. nb201-cifar10)
    bench: Optional[str] = None  # guidance=bench scores, constraints, params/flops columns (default: the space's)
    metric: str = "accuracy"
    maximize: bool = True
    scale: Optional[float] = bounded(None, 0, 1e6)  # strength of guidance=predictor; None calibrates it
    constraints: dict[str, Any] = field(default_factory=dict)  # metric -> "op bound", e.g. constraints.params="<=1e6"
    allowed: dict[str, Any] = field(default_factory=dict)  # options choices keep to, e.g. allowed.k=[5,7]
    latency_table: Optional[str] = None  # a table of nag latency measure, for constraints.latency="<=15" (ms)
    generator: Optional[str] = None  # a folder or a shipped generator (default: the space's)
    condition: Optional[str] = None  # a condition of the generator, e.g. condition=nbgraph-cora (space=nbgraph)
    condition_scale: float = bounded(1.0, 0, 20)  # above 1: more typical of the condition
    out: Optional[str] = output()  # .jsonl
    quiet: bool = False


@dataclass
class DemoConfig:
    """``nag demo``: predictor-guided generator samples next to random archs of nb201."""

    n: int = bounded(16, 1, 1000)
    seed: int = seed_field()
    quiet: bool = False


@dataclass
class PretrainCommandConfig:
    """``nag pretrain``: contrastive pretraining of the encoder on the default corpus."""

    epochs: int = bounded(6, 1, 100_000)
    batch_size: int = bounded(256, 2, 65_536)
    seed: int = seed_field()
    network_graphs: int = bounded(300, 0, 15_625)  # nb201 cells also seen as whole networks
    soft_positives: float = 0.0  # target mass on spectrally similar graphs (nag.encoder.spectrum)
    out: str = output("pretrained-encoder", folder=True)
    quiet: bool = False


@dataclass
class FitConfig:
    """``nag fit``: fit a predictor on ``n_labels`` random archs of a benchmark and measure
    its ranking on the rest."""

    bench: str = "nb201-cifar10"  # a shipped benchmark, or a results table (.csv, .json, .jsonl, .parquet) with space=
    space: Optional[str] = None  # the table's space: a name or a space file (.yaml)
    metric: Optional[str] = None
    n_labels: int = 100  # 2 or more, and fewer than the benchmark's archs
    seed: int = seed_field()
    encoder: str = "pretrained"  # the shipped encoder, or "scratch"
    mode: str = "full"
    epochs: int = bounded(300, 1, 1_000_000)
    targets: str = "gauss"  # or "standard" (see nag.predictors.targets)
    gp_weight: float = 0.7  # weight of the GP on path statistics next to the GNN heads (0: heads only)
    gp_kernel: str = "matern32"  # or matern12, matern52, rbf (nag.predictors.gp.KERNELS)
    gp_adjacency: bool = True  # the GP also reads the adjacency-with-ops encoding (nag.encoder.adjacency)
    test_cap: int = bounded(5000, 2)  # held-out archs the rank correlations are measured on
    out: Optional[str] = output(folder=True)
    quiet: bool = False


@dataclass
class FinetuneConfig:
    """``nag finetune``: fine-tune a saved predictor on ``n_labels`` random archs of a
    benchmark or table (another dataset, objective or space) and measure its ranking on the rest."""

    ckpt: str = "nb201-cifar10"  # a folder, or the name of a shipped predictor
    bench: str = "nb201-cifar10"  # a shipped benchmark, or a results table with space=
    space: Optional[str] = None  # the table's space: a name or a space file (.yaml)
    metric: Optional[str] = None
    n_labels: int = 50
    seed: int = seed_field()
    mode: str = "heads"  # heads (encoder frozen) | full
    epochs: Optional[int] = bounded(None, 1, 1_000_000)  # default: the predictor's finetune_epochs
    test_cap: int = bounded(5000, 2)
    out: Optional[str] = output(folder=True)
    quiet: bool = False


@dataclass
class PredictConfig:
    """``nag predict``: predictions of a saved predictor for archs listed in a file."""

    ckpt: str = "nb201-cifar10"  # a folder, or the name of a shipped predictor
    archs: Optional[str] = None  # a text file, one arch string per line
    out: Optional[str] = output()  # .jsonl or .csv
    quiet: bool = False


@dataclass
class ExportConfig:
    """``nag export``: build an arch's network (fresh weights) and write it as ONNX,
    TorchScript or a torch.export program."""

    space: str = "nb201"
    arch: Optional[str] = None  # an arch string, or best-of:FILE.jsonl
    by: Optional[str] = None  # best-of: the column to rank by (default: the first predicted_*, else accuracy)
    format: str = "onnx"  # onnx | torchscript | torch.export
    out: Optional[str] = output()  # .onnx, .pt (torchscript), .pt2 (torch.export)
    num_classes: int = bounded(10, 1, 1_000_000)
    resolution: int = bounded(32, 1, 1024)  # nb201: image height and width
    C: int = bounded(16, 1, 4096)  # nb201: channels of the first stage
    N: int = bounded(5, 1, 256)  # nb201: cells per stage
    in_channels: int = bounded(3, 1, 256)  # nb201: image channels
    in_dim: int = bounded(16, 1, 1_000_000)  # nbgraph: node feature width
    hidden: int = bounded(64, 1, 65_536)  # nbgraph: width of every computing node
    model: dict[str, Any] = field(default_factory=dict)  # more build options of the space, e.g. model.width=1.2 (mbv3)
    dynamic: bool = True  # variable batch (nb201) or node and edge counts (nbgraph)
    check: bool = True  # onnx: compare onnxruntime's outputs with PyTorch's
    seed: int = seed_field()


@dataclass
class DrawConfig:
    """``nag draw``: a PNG or SVG picture of an arch's computation graph."""

    space: str = "nb201"
    arch: Optional[str] = None  # an arch string, or best-of:FILE.jsonl
    by: Optional[str] = None  # best-of: the column to rank by
    out: Optional[str] = output()  # .png or .svg
    level: Optional[str] = None  # cell | network (default: the space's first level)
    title: Optional[str] = None  # default: space, level and arch string


@dataclass
class TrainArchConfig:
    """``nag train-arch``: build one arch for a dataset and train it."""

    space: str = "nb201"
    arch: Optional[str] = None  # an arch string, or best-of:FILE.jsonl
    by: Optional[str] = None  # the best-of column (default: the first predicted_* column)
    data: str = "digits"  # digits | karate | a CIFAR-10 python folder | an ImageFolder
    data_options: dict[str, Any] = field(default_factory=dict)  # e.g. data_options.resolution=32 for an ImageFolder
    model: dict[str, Any] = field(default_factory=dict)  # space.build options, e.g. model.C=8 model.N=2
    epochs: int = 5
    batch_size: int = 64
    lr: float = 0.05
    optimizer: str = "sgd"
    weight_decay: float = 5e-4
    patience: Optional[int] = None
    device: str = "auto"
    amp: str = "auto"
    seed: int = seed_field()
    out: Optional[str] = output(folder=True)
    resume: bool = False
    quiet: bool = False


@dataclass
class LatencyConfig:
    """``nag latency measure|check``: measure a space's latency table here, or check a table
    against whole networks timed end to end."""

    action: str = "measure"  # measure | check
    space: str = "nb201"
    runtime: str = "torch"  # torch | onnxruntime | cuda
    batch: int = bounded(1, 1, 4096)
    threads: int = bounded(1, 1, 1024)
    warmup: int = bounded(10, 0, 100_000)
    repeats: int = bounded(30, 1, 100_000)
    statistic: str = "p25"  # the figure the model sums: p25 | median | p75
    calibration: int = bounded(5, 1, 10_000)  # measure: archs timed whole for the fixed part
    resolution: Optional[int] = bounded(None, 1, 4096)  # the input side (default: the space's)
    model: dict[str, Any] = field(default_factory=dict)  # more build options, e.g. model.width=1.2 (mbv3)
    table: Optional[str] = None  # check: the table (.json or .csv)
    n: int = bounded(100, 2, 100_000)  # check: archs timed whole
    out: Optional[str] = output()  # measure: the table (.json or .csv); check: a JSON report
    seed: int = seed_field()
    quiet: bool = False


SCHEMAS = {"spaces": SpacesConfig, "bench": BenchConfig, "search": SearchConfig, "sample": SampleConfig,
           "demo": DemoConfig, "pretrain": PretrainCommandConfig, "fit": FitConfig, "finetune": FinetuneConfig, "predict": PredictConfig,
           "export": ExportConfig, "draw": DrawConfig, "train-arch": TrainArchConfig, "latency": LatencyConfig}  # fmt: skip


def register_schemas() -> None:
    store = ConfigStore.instance()
    for command, schema in SCHEMAS.items():
        store.store(name=f"{command}_schema", node=schema)


def restrictions(cfg: Any) -> dict[str, Any]:
    """``constraints=``, ``allowed=`` and ``latency_table=`` of a command's config as
    ``search.run`` / ``Generator.sample`` take them (``None`` where empty)."""
    from omegaconf import OmegaConf

    out = {key: OmegaConf.to_container(cfg[key], resolve=True) or None for key in ("constraints", "allowed")}
    return {**out, "latency_table": cfg.get("latency_table")}
