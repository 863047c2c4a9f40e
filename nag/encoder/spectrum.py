"""Graph spectra for soft positives in contrastive pretraining (the GENNAPE idea): graphs
whose normalised-Laplacian spectra are close count as partial positives of each other.

A spectrum is summarised size-independently as the histogram of the eigenvalues of the
symmetric normalised Laplacian of the undirected graph (they lie in [0, 2]), divided by
the node count, so graphs of different sizes compare.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.utils import get_laplacian, to_dense_adj, to_undirected

#: histogram bins of a spectral signature over [0, 2]
BINS = 16


def signature(data: Data, bins: int = BINS) -> Tensor:
    """``[bins]``: the eigenvalue density of ``data``'s normalised Laplacian (undirected)."""
    n = int(data.num_nodes)
    edge_index, weight = get_laplacian(to_undirected(data.edge_index, num_nodes=n), normalization="sym", num_nodes=n)
    laplacian = to_dense_adj(edge_index, edge_attr=weight, max_num_nodes=n)[0].double()
    # rounded: eigenvalue 1 is common and sits on a bin edge, where float noise would flip its bin
    eigenvalues = (torch.linalg.eigvalsh(laplacian).clamp(0.0, 2.0) * 1e6).round() / 1e6
    return (torch.histc(eigenvalues, bins=bins, min=0.0, max=2.0) / n).float()


def signatures(datas: Sequence[Data], bins: int = BINS) -> Tensor:
    """``[n, bins]`` signatures of ``datas``."""
    return torch.stack([signature(d, bins) for d in datas]) if datas else torch.zeros(0, bins)


def soft_targets(sigs: Tensor, weight: float, temperature: float) -> Tensor:
    """``[B, B]`` contrastive targets: ``1 - weight`` on each graph's own other view, and
    ``weight`` spread over the other graphs of the batch by ``softmax(-distance / temperature)``
    of their signatures (rows sum to 1)."""
    eye = torch.eye(len(sigs), dtype=sigs.dtype, device=sigs.device)
    if weight == 0 or len(sigs) < 2:
        return eye
    distance = torch.cdist(sigs, sigs).masked_fill(eye.bool(), float("inf"))
    return (1 - weight) * eye + weight * torch.softmax(-distance / temperature, dim=1)
