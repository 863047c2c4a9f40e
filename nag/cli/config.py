"""Typed configs of the CLI commands, registered in Hydra's ConfigStore.

The YAML files in ``nag/configs`` (also reachable as ``configs/`` at the repository
root) build on these schemas; Hydra validates every override against them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore


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
    seed: int = 0
    maximize: bool = True
    out: Optional[str] = None
    quiet: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    # oracle=train: really train each candidate instead of looking it up in bench
    oracle: str = "bench"  # bench | train
    space: str = "nb201"  # oracle=train: the space searched
    data: str = "digits"  # oracle=train: digits | karate | a CIFAR-10 python folder | an ImageFolder
    epochs: int = 2  # oracle=train: epochs per candidate
    train: dict[str, Any] = field(default_factory=dict)  # oracle=train: more TrainConfig fields, e.g. train.lr=0.1
    model: dict[str, Any] = field(default_factory=dict)  # oracle=train: space.build options, e.g. model.C=8
    table: Optional[str] = None  # oracle=train: results CSV, reused to resume (a from_table benchmark)
    executor: str = "process"  # oracle=train: serial | process | ray
    workers: Optional[int] = None  # executor=process: parallel trainings (default min(cores, 4))
    address: Optional[str] = None  # executor=ray: the cluster (default: a local Ray instance)


@dataclass
class SampleConfig:
    """``nag sample``: archs from a space's diffusion generator, optionally guided and constrained."""

    space: str = "nb201"
    n: int = 16
    seed: int = 0
    guidance: str = "none"  # none | predictor | bench
    predictor: Optional[str] = None  # a shipped predictor or a folder (default: the space's, e.g. nb201-cifar10)
    bench: Optional[str] = None  # guidance=bench scores, constraints, params/flops columns (default: the space's)
    metric: str = "accuracy"
    maximize: bool = True
    scale: Optional[float] = None  # strength of guidance=predictor; None calibrates it
    constraints: dict[str, Any] = field(default_factory=dict)  # metric -> "op bound", e.g. constraints.params="<=1e6"
    generator: Optional[str] = None  # a folder or a shipped generator (default: the space's)
    condition: Optional[str] = None  # a condition of the generator, e.g. condition=nbgraph-cora (space=nbgraph)
    condition_scale: float = 1.0  # above 1: more typical of the condition
    out: Optional[str] = None  # .jsonl
    quiet: bool = False


@dataclass
class DemoConfig:
    """``nag demo``: predictor-guided generator samples next to random archs of nb201."""

    n: int = 16
    seed: int = 0
    quiet: bool = False


@dataclass
class PretrainCommandConfig:
    """``nag pretrain``: contrastive pretraining of the encoder on the default corpus."""

    epochs: int = 6
    batch_size: int = 256
    seed: int = 0
    network_graphs: int = 300
    soft_positives: float = 0.0  # target mass on spectrally similar graphs (nag.encoder.spectrum)
    out: str = "pretrained-encoder"
    quiet: bool = False


@dataclass
class FitConfig:
    """``nag fit``: fit a predictor on ``n_labels`` random archs of a benchmark and measure
    its ranking on the rest."""

    bench: str = "nb201-cifar10"
    metric: Optional[str] = None
    n_labels: int = 100
    seed: int = 0
    encoder: str = "pretrained"  # the shipped encoder, or "scratch"
    mode: str = "full"
    epochs: int = 300
    targets: str = "gauss"  # or "standard" (see nag.predictors.targets)
    gp_weight: float = 0.7  # weight of the GP on path statistics next to the GNN heads (0: heads only)
    gp_kernel: str = "matern32"  # or matern12, matern52, rbf (nag.predictors.gp.KERNELS)
    gp_adjacency: bool = True  # the GP also reads the adjacency-with-ops encoding (nag.encoder.adjacency)
    test_cap: int = 5000
    out: Optional[str] = None
    quiet: bool = False


@dataclass
class PredictConfig:
    """``nag predict``: predictions of a saved predictor for archs listed in a file."""

    ckpt: str = "nb201-cifar10"  # a folder, or the name of a shipped predictor
    archs: Optional[str] = None  # a text file, one arch string per line
    out: Optional[str] = None  # .jsonl or .csv
    quiet: bool = False


@dataclass
class ExportConfig:
    """``nag export``: build an arch's network (fresh weights) and write it as ONNX,
    TorchScript or a torch.export program."""

    space: str = "nb201"
    arch: Optional[str] = None  # an arch string, or best-of:FILE.jsonl
    by: Optional[str] = None  # best-of: the column to rank by (default: the first predicted_*, else accuracy)
    format: str = "onnx"  # onnx | torchscript | torch.export
    out: Optional[str] = None  # .onnx, .pt (torchscript), .pt2 (torch.export)
    num_classes: int = 10
    resolution: int = 32  # nb201: image height and width
    C: int = 16  # nb201: channels of the first stage
    N: int = 5  # nb201: cells per stage
    in_channels: int = 3  # nb201: image channels
    in_dim: int = 16  # nbgraph: node feature width
    hidden: int = 64  # nbgraph: width of every computing node
    dynamic: bool = True  # variable batch (nb201) or node and edge counts (nbgraph)
    check: bool = True  # onnx: compare onnxruntime's outputs with PyTorch's
    seed: int = 0


@dataclass
class DrawConfig:
    """``nag draw``: a PNG or SVG picture of an arch's computation graph."""

    space: str = "nb201"
    arch: Optional[str] = None  # an arch string, or best-of:FILE.jsonl
    by: Optional[str] = None  # best-of: the column to rank by
    out: Optional[str] = None  # .png or .svg
    level: str = "cell"  # cell | network
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
    seed: int = 0
    out: Optional[str] = None
    resume: bool = False
    quiet: bool = False


SCHEMAS = {"spaces": SpacesConfig, "bench": BenchConfig, "search": SearchConfig, "sample": SampleConfig,
           "demo": DemoConfig, "pretrain": PretrainCommandConfig, "fit": FitConfig, "predict": PredictConfig,
           "export": ExportConfig, "draw": DrawConfig, "train-arch": TrainArchConfig}  # fmt: skip


def register_schemas() -> None:
    store = ConfigStore.instance()
    for command, schema in SCHEMAS.items():
        store.store(name=f"{command}_schema", node=schema)
