"""``PredictorConfig``: typed hyper-parameters of :class:`nag.Predictor`."""

from __future__ import annotations

from dataclasses import dataclass

from nag.errors import ConfigError
from nag.predictors.gp import KERNELS
from nag.predictors.targets import SCALINGS
from nag.seeds import check_seed
from nag.typed_config import MAX_HEADS, MAX_WIDTH, JSONConfig

#: the most (full-batch) epochs a fit or fine-tune may ask for; the defaults are 300 and 150
MAX_EPOCHS = 100_000


@dataclass(frozen=True)
class PredictorConfig(JSONConfig):
    """Args:
    heads: ensemble size K (heads blended by fuzzy c-means membership).
    hidden: hidden width of each head.
    epochs: full-batch training epochs of :meth:`Predictor.fit`.
    finetune_epochs: epochs of :meth:`Predictor.finetune`.
    lr: learning rate of the heads; encoder_lr: of the encoder (mode ``"full"``).
    weight_decay: AdamW weight decay.
    rank_weight: weight of the pairwise ranking loss next to the regression loss.
    fuzziness: the fuzzy c-means exponent ``m`` (> 1).
    condition_dim: width of extra conditioning inputs of the heads (0 for none).
    targets: how labels are scaled for the heads (:mod:`nag.predictors.targets`):
        ``"gauss"`` (normal scores of their ranks) or ``"standard"`` (mean 0, std 1).
    path_stats: the heads also read each arch's path statistics
        (:data:`nag.graph.paths.PATH_STATS`, standardised on the fit's labels).
    gp_weight: weight in [0, 1] of a Gaussian process on the path statistics
        (:class:`nag.predictors.gp.PathGP`) blended with the heads' mean; 0 for none.
    gp_adjacency: the GP also reads each graph's adjacency-with-ops encoding
        (:mod:`nag.encoder.adjacency`) through a second kernel added to the path
        statistics' one, each with its own scale and length scale (the marginal likelihood
        weighs them per task); ``False`` is the GP on path statistics alone.
    gp_kernel: the GP's kernel (:data:`nag.predictors.gp.KERNELS`: ``"matern32"``,
        ``"matern12"``, ``"matern52"`` or ``"rbf"``).
    seed: seeds initialisation, bootstrap weights and clustering.

    Bounds, far above any predictor here, that keep a damaged config from asking for more
    memory or time than a machine has: ``heads`` 1 to :data:`~nag.typed_config.MAX_HEADS`
    (64); ``hidden`` 1 and ``condition_dim`` 0 to :data:`~nag.typed_config.MAX_WIDTH` (4096);
    ``epochs`` and ``finetune_epochs`` 1 to :data:`MAX_EPOCHS`.
    """

    heads: int = 5
    hidden: int = 128
    epochs: int = 300
    finetune_epochs: int = 150
    lr: float = 3e-3
    encoder_lr: float = 3e-4
    weight_decay: float = 1e-4
    rank_weight: float = 1.0
    fuzziness: float = 2.0
    condition_dim: int = 0
    targets: str = "gauss"
    path_stats: bool = True
    gp_weight: float = 0.7
    gp_adjacency: bool = True
    gp_kernel: str = "matern32"
    seed: int = 0

    def __post_init__(self) -> None:
        self.check_types()
        check_seed(self.seed, allow_none=False)
        self.check_ranges({"heads": (1, MAX_HEADS), "hidden": (1, MAX_WIDTH), "epochs": (1, MAX_EPOCHS),
                           "finetune_epochs": (1, MAX_EPOCHS), "condition_dim": (0, MAX_WIDTH)})  # fmt: skip
        if self.targets not in SCALINGS:
            raise ConfigError(
                f"PredictorConfig.targets {self.targets!r} is unknown; choose one of: {', '.join(SCALINGS.names())}"
            )
        if not 0.0 <= self.gp_weight <= 1.0:
            raise ConfigError(f"PredictorConfig.gp_weight must be a number in [0, 1], got {self.gp_weight!r}")
        if self.gp_kernel not in KERNELS:
            raise ConfigError(
                f"PredictorConfig.gp_kernel {self.gp_kernel!r} is unknown; choose one of: {', '.join(KERNELS.names())}"
            )
        if self.fuzziness <= 1.0:
            raise ConfigError(f"PredictorConfig.fuzziness must be > 1, got {self.fuzziness}")
        for name in ("lr", "encoder_lr"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"PredictorConfig.{name} must be > 0, got {getattr(self, name)}")
        for name in ("weight_decay", "rank_weight"):
            if getattr(self, name) < 0:
                raise ConfigError(f"PredictorConfig.{name} must be >= 0, got {getattr(self, name)}")
