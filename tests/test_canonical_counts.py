"""The distinct canonical hashes over NAS-Bench-201, as stated in the spaces concept page (docs/concepts/spaces.md)."""

import pytest

from nag import spaces


@pytest.mark.slow
def test_nb201_distinct_canonical_hashes():
    space = spaces.get("nb201")
    graphs = [space.to_graph(a) for a in space.enumerate()]
    # Every cell graph keeps its 'zero' edges (so it round-trips): all 15,625 differ,
    # which also shows the WL hash has no collision on this space.
    assert len({g.canonical_hash() for g in graphs}) == 15_625
    # Without zero ops and dead ops, cells computing the same thing the same way collapse.
    pruned = [g.pruned() for g in graphs]
    assert len({g.canonical_hash() for g in pruned}) == 8_765
    disconnected = {p.canonical_hash() for a, p in zip(space.enumerate(), pruned) if not a.connected}
    assert len(disconnected) == 1
