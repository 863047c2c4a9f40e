"""``nag.Generator``: graph diffusion over a search space (see :mod:`nag.diffusion`)."""

from nag.generator import metrics
from nag.generator.config import GeneratorConfig
from nag.generator.generator import Generator
from nag.generator.layouts import layout_for

__all__ = ["metrics", "Generator", "GeneratorConfig", "layout_for"]
