"""Spaces declared from named choices, rules and additive costs (any size, never listed)."""

from nag.spaces.declared.choices import Choice, Cost, Rule, repeat
from nag.spaces.declared.space import ENUMERATE_LIMIT, DeclaredArch, DeclaredSpace

__all__ = ["Choice", "Cost", "Rule", "repeat", "DeclaredArch", "DeclaredSpace", "ENUMERATE_LIMIT"]
