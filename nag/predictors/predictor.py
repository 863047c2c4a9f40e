"""``Predictor``: ensemble heads on the graph encoder, fit from few labels."""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch_geometric.data import Batch

from nag import spaces
from nag.checkpoint import (
    CONFIG,
    WEIGHTS,
    build_loaded,
    config_section,
    config_value,
    is_object,
    load_checkpoint,
    save_checkpoint,
)
from nag.encoder import Encoder, EncoderConfig
from nag.encoder.adjacency import ADJACENCY_WIDTH, adjacency_encoding
from nag.encoder.featurize import featurize
from nag.errors import CheckpointError, ConfigError
from nag.graph.paths import PATH_STATS
from nag.predictors.config import PredictorConfig
from nag.predictors.gp import PathGP
from nag.predictors.heads import EnsembleHeads
from nag.predictors.losses import pairwise_rank_loss, weighted_mse
from nag.predictors.membership import fuzzy_cmeans, memberships, move_centers
from nag.predictors.stored import gp_tensors, load_centers, load_gp, load_path_scale, load_scaling
from nag.predictors.targets import Scaling, fit_scaling
from nag.predictors.transfer import carried_points

CHECKPOINT_KIND = "predictor"
#: what checkpoints saved before target scalings, path statistics and the GP existed did then
LEGACY_FIELDS = {"targets": "standard", "path_stats": False, "gp_weight": 0.0, "gp_kernel": "rbf", "gp_adjacency": False}
PRETRAINED_DIR = Path(__file__).resolve().parents[1] / "checkpoints" / "predictors"
MODES = ("heads", "full")


class Predictor:
    """Predicts metrics of architectures (archs of a space, or any ``CompGraph``).

    K heads on a shared :class:`~nag.encoder.Encoder`, each trained on its own bootstrap
    of the labels and weighted towards one fuzzy c-means cluster of the embeddings; a
    prediction blends the heads by the arch's cluster membership (GENNAPE's idea), and the
    membership-weighted spread of the heads is its standard deviation. The loss is MSE on
    scaled targets (``config.targets``: normal scores of the labels' ranks by default) plus a
    pairwise logistic ranking loss. The heads also read each arch's path statistics
    (``config.path_stats``), and a Gaussian process on those statistics and on the graph's
    adjacency-with-ops encoding (``config.gp_adjacency``) is blended with them
    (``config.gp_weight``); the two together rank far better from few labels than the GNN
    alone (``benchmarks/predictors.py``).

    Args:
        encoder: ``"pretrained"`` (the default: the shipped contrastively pretrained encoder,
            :meth:`Encoder.from_pretrained`), ``"scratch"`` or ``None`` (a fresh encoder,
            seeded by ``seed``) or an :class:`Encoder` (copied, never modified). In
            ``benchmarks/predictors.py`` the pretrained and fresh encoders rank alike once
            fine-tuned (``fit`` trains the encoder too by default).
        space: the search space (object or name) whose archs ``fit``/``predict`` receive;
            not needed when they receive ``CompGraph``s.
        config: a :class:`PredictorConfig`, or its fields as keyword arguments.
        progress: show progress bars while training.
    """

    def __init__(self, encoder: Encoder | str | None = "pretrained", space: Any = None,
                 config: PredictorConfig | None = None, progress: bool = False, **fields: Any):  # fmt: skip
        self.config = config if config is not None else PredictorConfig(**fields)
        self.space = _resolve_space(space)
        self.progress = progress
        self.encoder = _resolve_encoder(encoder, self.config.seed)
        self.heads: EnsembleHeads | None = None
        self.metrics: list[str] = []
        self.centers: Tensor | None = None
        self.scalings: list[Scaling] = []
        self.path_mean: Tensor | None = None
        self.path_std: Tensor | None = None
        self.gps: list[PathGP] = []
        self.report: dict[str, Any] = {}

    # ------------------------------------------------------------------ inputs
    def _featurize(self, items: Sequence[Any], batch_size: int = 2048) -> list[Batch]:
        return featurize(items, items_space(items, self.space), batch_size=batch_size)

    def _targets(self, items: Sequence[Any], y: Any, metric: str | None) -> dict[str, np.ndarray]:
        targets = dict(y) if isinstance(y, Mapping) else {metric or "y": y}
        if not targets:
            raise ConfigError("y holds no metric")
        out = {}
        for name, values in targets.items():
            array = np.asarray(values, dtype=np.float64).reshape(-1)
            if len(array) != len(items):
                raise ConfigError(f"metric {name!r} has {len(array)} values for {len(items)} items")
            if not np.all(np.isfinite(array)):
                raise ConfigError(f"metric {name!r} holds NaN or infinite values")
            out[str(name)] = array
        return out

    def _condition(self, condition: Any, n: int) -> Tensor | None:
        dim = self.config.condition_dim
        if dim == 0:
            if condition is not None:
                raise ConfigError("this predictor takes no condition (condition_dim=0)")
            return None
        if condition is None:
            raise ConfigError(f"this predictor needs condition= of shape [n, {dim}]")
        tensor = torch.as_tensor(np.asarray(condition, dtype=np.float32))
        if tensor.shape != (n, dim):
            raise ConfigError(f"condition has shape {tuple(tensor.shape)}, expected ({n}, {dim})")
        return tensor

    @property
    def _uses_paths(self) -> bool:
        return self.config.path_stats or self.config.gp_weight > 0

    def _head_width(self) -> int:
        """Width of the heads' inputs next to the embedding: path statistics, then the condition."""
        return (len(PATH_STATS) if self.config.path_stats else 0) + self.config.condition_dim

    def _paths(self, batches: Sequence[Batch]) -> Tensor | None:
        """Standardised path statistics ``[n, len(PATH_STATS)]`` of featurized items."""
        if not self._uses_paths:
            return None
        return (torch.cat([b.paths for b in batches]) - self.path_mean) / self.path_std

    def _gp_inputs(self, batches: Sequence[Batch], paths: Tensor | None) -> np.ndarray | None:
        """The GP's inputs ``[n, d]`` (float64): standardised path statistics, then (with
        ``config.gp_adjacency``) the adjacency-with-ops encoding; ``None`` without a GP."""
        if self.config.gp_weight == 0:
            return None
        x = paths
        if self.config.gp_adjacency:
            x = torch.cat([paths, torch.cat([adjacency_encoding(b) for b in batches])], dim=1)
        return x.double().numpy()

    @property
    def _gp_blocks(self) -> tuple[int, ...] | None:
        return (len(PATH_STATS), ADJACENCY_WIDTH) if self.config.gp_adjacency else None

    def _head_inputs(self, paths: Tensor | None, cond: Tensor | None) -> Tensor | None:
        parts = ([paths] if self.config.path_stats else []) + ([cond] if cond is not None else [])
        return torch.cat(parts, dim=-1) if parts else None

    # ---------------------------------------------------------------- training
    def fit(self, items: Sequence[Any], y: Any, metric: str | None = None, condition: Any = None, mode: str = "full",
            space: Any = None) -> Predictor:  # fmt: skip
        """Fit fresh heads (and, with ``mode="full"``, fine-tune the encoder) on labels.

        Args:
            items: archs (their space is read off them), arch strings or tuples of ``space``,
                or ``CompGraph``s.
            y: values (one metric, named ``metric`` or ``"y"``) or a dict metric -> values.
            condition: ``[n, condition_dim]`` conditioning inputs, if the heads take any.
            mode: ``"full"`` trains encoder and heads; ``"heads"`` keeps the encoder frozen.
            space: the space of arch strings or tuples (default: the predictor's; a space or its name).
        """
        items = list(items)
        self.space = items_space(items, _resolve_space(space) if space is not None else self.space)
        targets = self._targets(items, y, metric)
        if len(items) < 2:
            raise ConfigError("fit needs at least 2 labelled architectures")
        _check_mode(mode)
        cond = self._condition(condition, len(items))
        with torch.random.fork_rng():
            torch.manual_seed(self.config.seed)
            heads = EnsembleHeads(self.encoder.embed_dim, len(targets), self.config.heads, self.config.hidden, self._head_width())
        self.heads, self.metrics = heads, list(targets)
        self._train(items, targets, cond, mode, self.config.epochs, new_centers=True)
        return self

    def finetune(self, items: Sequence[Any], y: Any, mode: str = "heads", condition: Any = None, epochs: int | None = None,
                 space: Any = None) -> Predictor:  # fmt: skip
        """Continue training on new labels (a new space, dataset or objective).

        Archs of another space than the fit's move the predictor to their space (read off the
        arch objects; arch strings and tuples are read as archs of ``space``, by default the
        predictor's own, never guessed).

        ``mode="heads"`` changes only the heads; ``"full"`` also the encoder. Targets are
        renormalised on the new labels, so predictions come in the new labels' units. When
        the predictor's current predictions rise with the new labels, the GP keeps the points
        it was fitted on, mapped into the new units and counted as noisy observations
        (:mod:`nag.predictors.transfer`), so a few new labels refine what the fit knew instead
        of replacing it.
        ``y`` must name the same metrics as the fit (or be one array for one metric).
        """
        self._require_fitted()
        items = list(items)
        self.space = items_space(items, _resolve_space(space) if space is not None else self.space)
        targets = self._targets(items, y, self.metrics[0] if len(self.metrics) == 1 else None)
        if sorted(targets) != sorted(self.metrics):
            raise ConfigError(f"finetune got metrics {sorted(targets)}, the predictor predicts {self.metrics}")
        if len(items) < 2:
            raise ConfigError("finetune needs at least 2 labelled architectures")
        _check_mode(mode)
        cond = self._condition(condition, len(items))
        self._train(items, targets, cond, mode, epochs or self.config.finetune_epochs, new_centers=False)
        return self

    def _train(self, items, targets, cond, mode, epochs, new_centers) -> None:
        """Train on validated inputs (nothing here raises on user input)."""
        start = time.perf_counter()
        c = self.config
        self.scalings = [fit_scaling(c.targets, targets[m]) for m in self.metrics]
        scaled = np.stack([s.forward(targets[m]) for s, m in zip(self.scalings, self.metrics)], axis=1)
        y = torch.tensor(scaled, dtype=torch.float32)
        (batch,) = self._featurize(items, batch_size=len(items))
        if self._uses_paths and (new_centers or self.path_mean is None):  # a fresh fit standardises on its labels
            raw = batch.paths
            self.path_mean, self.path_std = raw.mean(0), raw.std(0, correction=0)
            self.path_std = torch.where(self.path_std > 1e-6, self.path_std, torch.ones_like(self.path_std))
        paths = self._paths([batch])
        gp_x = self._gp_inputs([batch], paths)
        extra = self._head_inputs(paths, cond)
        generator = torch.Generator().manual_seed(c.seed)
        with torch.no_grad():
            self.encoder.eval()
            before = self.encoder(batch)
            # fine-tuning: what the fitted predictor says of the new archs, before anything changes
            prior = self._normalised(before, paths, cond, gp_x)[0] if (not new_centers and self.gps) else None
        if new_centers or self.centers is None:
            centers = fuzzy_cmeans(before, c.heads, c.fuzziness, seed=c.seed)
            self.centers = centers[torch.arange(c.heads) % len(centers)]  # fewer labels than heads: share centers
        membership = memberships(before, self.centers, c.fuzziness)  # [n, K]
        boot = torch.poisson(torch.ones(c.heads, len(items)), generator=generator)
        weight = (boot * (0.5 + membership.t())).clamp_min(1e-3)  # [K, n]
        groups = [{"params": self.heads.parameters(), "lr": c.lr}]
        train_encoder = mode == "full"
        for p in self.encoder.parameters():
            p.requires_grad_(train_encoder)
        if train_encoder:
            groups.append({"params": self.encoder.parameters(), "lr": c.encoder_lr})
        optimizer = torch.optim.AdamW(groups, weight_decay=c.weight_decay)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)
        iterator = range(epochs)
        if self.progress:
            from tqdm.auto import tqdm

            iterator = tqdm(iterator, desc=f"fit predictor ({mode})", unit="epoch")
        self.heads.train()
        self.encoder.train(train_encoder)
        loss = torch.tensor(0.0)
        for _ in iterator:
            embedding = self.encoder(batch) if train_encoder else before
            pred = self.heads(embedding, extra)  # [n, K, M]
            loss = sum(
                weighted_mse(pred[:, k, m], y[:, m], weight[k])
                + c.rank_weight * pairwise_rank_loss(pred[:, k, m], y[:, m], weight[k])
                for k in range(pred.shape[1])
                for m in range(pred.shape[2])
            ) / (pred.shape[1] * pred.shape[2])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        for p in self.encoder.parameters():
            p.requires_grad_(True)
        self.encoder.eval()
        self.heads.eval()
        if train_encoder:
            with torch.no_grad():
                self.centers = move_centers(before, self.encoder(batch), self.centers, c.fuzziness)
        if gp_x is not None:
            carried = [None] * len(self.metrics)
            if prior is not None:
                carried = [carried_points(gp, prior[:, m], gp_x, scaled[:, m]) for m, gp in enumerate(self.gps)]
            self.gps = [PathGP.fit(gp_x, scaled[:, m], seed=c.seed, kernel=c.gp_kernel, extra=carried[m], blocks=self._gp_blocks)
                        for m in range(len(self.metrics))]  # fmt: skip
        self.report = {"labels": len(items), "mode": mode, "epochs": epochs, "final_loss": loss.item(),
                       "seconds": time.perf_counter() - start}  # fmt: skip

    # --------------------------------------------------------------- predicting
    def _require_fitted(self) -> None:
        if self.heads is None:
            raise ConfigError("this predictor is not fitted yet; call fit(items, y) first")

    @torch.no_grad()
    def predict_normalised(self, batches: Sequence[Batch], condition: Tensor | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std ``[B, M]`` of featurized items (:meth:`_featurize`) in the heads' units
        (see ``config.targets``): the heads blended by cluster membership, then with the GP by
        ``config.gp_weight`` (the std is the mixture's)."""
        paths = self._paths(batches)
        return self._normalised(self.encoder.embed_batches(batches), paths, condition, self._gp_inputs(batches, paths))

    def _normalised(self, embedding: Tensor, paths: Tensor | None, condition: Tensor | None,
                    gp_x: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """:meth:`predict_normalised` from the items' embeddings, standardised path statistics
        and GP inputs (:meth:`_gp_inputs`)."""
        pred = self.heads(embedding, self._head_inputs(paths, condition))
        u = memberships(embedding, self.centers, self.config.fuzziness).unsqueeze(-1)  # [B, K, 1]
        mean = (u * pred).sum(1)
        std = (u * (pred - mean.unsqueeze(1)) ** 2).sum(1).sqrt()
        mean, std = mean.double().numpy(), std.double().numpy()
        if not self.gps:
            return mean, std
        w = self.config.gp_weight
        gp = [g.predict(gp_x) for g in self.gps]
        gp_mean, gp_std = np.stack([m for m, _ in gp], axis=1), np.stack([s for _, s in gp], axis=1)
        blended = (1 - w) * mean + w * gp_mean
        variance = (1 - w) * std**2 + w * gp_std**2 + w * (1 - w) * (mean - gp_mean) ** 2
        return blended, np.sqrt(variance)

    @torch.no_grad()
    def predict(self, items: Sequence[Any], condition: Any = None, batch_size: int = 2048):
        """``(mean, std)`` per item, in the labels' units: arrays for one metric, dicts of
        arrays (metric -> values) for several."""
        self._require_fitted()
        items = list(items)
        cond = self._condition(condition, len(items))
        if not items:
            empty = {m: np.zeros(0) for m in self.metrics}
            return (
                (empty[self.metrics[0]], np.zeros(0))
                if len(self.metrics) == 1
                else (empty, {m: np.zeros(0) for m in self.metrics})
            )
        z_mean, z_std = self.predict_normalised(self._featurize(items, batch_size), cond)
        mean = {m: s.inverse(z_mean[:, i]) for i, (m, s) in enumerate(zip(self.metrics, self.scalings))}
        std = {m: s.inverse_spread(z_mean[:, i], z_std[:, i]) for i, (m, s) in enumerate(zip(self.metrics, self.scalings))}
        if len(self.metrics) == 1:
            return mean[self.metrics[0]], std[self.metrics[0]]
        return mean, std

    # -------------------------------------------------------------- checkpoints
    def save(self, directory: Path | str, extra: dict[str, Any] | None = None) -> Path:
        """Encoder, heads, centers and target scalings in one checkpoint folder."""
        self._require_fitted()
        tensors = {f"encoder.{k}": v for k, v in self.encoder.state_dict().items()}
        tensors.update({f"heads.{k}": v for k, v in self.heads.state_dict().items()})
        tensors["centers"] = self.centers
        for i, scaling in enumerate(self.scalings):
            tensors[f"targets.{i}.y"], tensors[f"targets.{i}.z"] = torch.from_numpy(scaling.y), torch.from_numpy(scaling.z)
        if self._uses_paths:
            tensors["paths.mean"], tensors["paths.std"] = self.path_mean, self.path_std
        for i, gp in enumerate(self.gps):
            tensors.update(gp_tensors(gp, i))
        config = {"predictor": self.config.to_dict(), "encoder": self.encoder.config.to_dict(), "metrics": self.metrics,
                  **spaces.record(self.space), "report": self.report, **(extra or {})}  # fmt: skip
        return save_checkpoint(directory, CHECKPOINT_KIND, tensors, config)

    @classmethod
    def load(cls, directory: Path | str) -> Predictor:
        """The predictor saved in ``directory`` by :meth:`save`; a damaged or mismatched
        checkpoint raises :class:`~nag.errors.CheckpointError` naming the file."""
        directory = Path(directory)
        tensors, config = load_checkpoint(directory, CHECKPOINT_KIND)
        config_path, source = directory / CONFIG, directory / WEIGHTS
        encoder_config = config_section(config, "encoder", config_path, EncoderConfig)
        predictor_config = config_section(config, "predictor", config_path, PredictorConfig, LEGACY_FIELDS)
        metrics = config_value(config, "metrics", config_path, _is_name_list, "a non-empty list of distinct metric names")
        space = config_value(config, "space", config_path, lambda v: v is None or isinstance(v, str),
                             "a space name, or null for a predictor fitted on graphs", default=None)  # fmt: skip
        report = config_value(config, "report", config_path, is_object, "a JSON object", default={})
        document = config_value(config, "space_document", config_path, is_object, "a space declaration", default=None)
        encoder = build_loaded(lambda: Encoder(encoder_config), _strip(tensors, "encoder."), source)
        try:
            predictor = cls(encoder=encoder, space=spaces.from_record(space, document), config=predictor_config)
        except ConfigError as e:  # a space this nag does not know
            raise CheckpointError(f"{config_path}: {e}") from None
        predictor.metrics, predictor.report = list(metrics), report
        predictor.heads = build_loaded(lambda: EnsembleHeads(encoder.embed_dim, len(metrics), predictor_config.heads,
                                                             predictor_config.hidden, predictor._head_width()),
                                       _strip(tensors, "heads."), source)  # fmt: skip
        predictor.centers = load_centers(tensors, predictor_config.heads, encoder.embed_dim, source)
        predictor.scalings = [load_scaling(tensors, i, source) for i in range(len(metrics))]
        if predictor._uses_paths:
            predictor.path_mean, predictor.path_std = load_path_scale(tensors, source)
        if predictor_config.gp_weight > 0:
            predictor.gps = [load_gp(tensors, i, source, predictor_config.gp_kernel, predictor._gp_blocks)
                             for i in range(len(metrics))]  # fmt: skip
        predictor.encoder.eval()
        predictor.heads.eval()
        return predictor

    @classmethod
    def from_pretrained(cls, name: str) -> Predictor:
        """A shipped fitted predictor, e.g. ``"nb201-cifar10"`` (see ``checkpoints/predictors``)."""
        directory = PRETRAINED_DIR / name
        if not directory.is_dir():
            available = sorted(p.name for p in PRETRAINED_DIR.iterdir() if p.is_dir()) if PRETRAINED_DIR.is_dir() else []
            raise CheckpointError(f"no shipped predictor {name!r}; available: {', '.join(available) or 'none'}")
        return cls.load(directory)


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ConfigError(f"mode {mode!r} is unknown; choose one of: {', '.join(MODES)}")


def _is_name_list(value: Any) -> bool:
    return (
        isinstance(value, list) and bool(value) and all(isinstance(v, str) and v for v in value) and len(set(value)) == len(value)
    )


def _strip(tensors: dict[str, Tensor], prefix: str) -> dict[str, Tensor]:
    return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}


def items_space(items: Sequence[Any], default: Any) -> Any:
    """The space the arch objects among ``items`` belong to (``ConfigError`` if they come
    from several), else ``default`` (strings, tuples and graphs carry no space)."""
    found: dict[str, Any] = {}
    for item in items:
        name = getattr(item, "space_name", None)
        if isinstance(name, str) and name not in found:
            found[name] = spaces.of(item)
    if len(found) > 1:
        raise ConfigError(f"the items are archs of several spaces ({', '.join(sorted(found))}); give one space's archs at a time")
    return found.popitem()[1] if found else default


def _resolve_space(space: Any):
    if space is None or not isinstance(space, str):
        return space
    return spaces.get(space)


def _resolve_encoder(encoder: Encoder | str | None, seed: int) -> Encoder:
    if isinstance(encoder, Encoder):
        return copy.deepcopy(encoder)
    if encoder == "pretrained":
        return Encoder.from_pretrained()
    if encoder is None or encoder == "scratch":
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            return Encoder()
    raise ConfigError(f"encoder must be 'scratch', 'pretrained', None or an Encoder, got {encoder!r}")
