"""The DARTS / NAS-Bench-301 search space: ``DartsSpace`` and its ``make_space()`` factory."""

from nag.spaces.darts.choices import OPS
from nag.spaces.darts.genotype import DARTS_V2, Genotype
from nag.spaces.darts.space import DartsSpace, make_space

__all__ = ["DartsSpace", "make_space", "Genotype", "DARTS_V2", "OPS"]
