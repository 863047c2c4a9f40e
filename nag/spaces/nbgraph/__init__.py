"""NAS-Bench-Graph (Qin et al., NeurIPS 2022 datasets track), everything about it in one
place: the space, its canonical forms and graphs (:mod:`.space`), its PyG networks
(:mod:`.network`) and the benchmarks of its nine datasets read from ``nas-bench-graph``
(:mod:`.source`, :mod:`.benchmark`)."""

from nag.spaces.nbgraph.space import GNN_OPS, LINK_PATTERNS, PROTEINS_OPS, NBGraphArch, NBGraphSpace


def make_space(variant: str = "full") -> NBGraphSpace:
    return NBGraphSpace(variant)


__all__ = ["NBGraphSpace", "NBGraphArch", "GNN_OPS", "PROTEINS_OPS", "LINK_PATTERNS", "make_space"]
