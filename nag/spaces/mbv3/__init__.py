"""OFA's MobileNetV3 search space (``mbv3``): 7371^5 networks of five stages of MBConv blocks."""

from nag.spaces.mbv3.network import MBV3Network
from nag.spaces.mbv3.space import MBV3Space

__all__ = ["MBV3Space", "MBV3Network", "make_space"]


def make_space() -> MBV3Space:
    """A new ``mbv3`` space (what ``nag.spaces.get("mbv3")`` returns once registered)."""
    return MBV3Space()
