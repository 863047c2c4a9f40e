"""The denoiser: a small graph transformer that predicts the clean graph from a noisy one.

Input: slot states as (soft) one-hots [B, S, K], the diffusion time ``t / T`` and
optionally a condition embedding [B, H] (a dataset, learned jointly; classifier-free:
row 0 of the table stands for "no condition", trained on randomly dropped labels).
The layout turns them into dense node features [B, N, H] (node slots: op embedding) and
edge features [B, N, N, H] (edge slots: edge-type embedding at ``src -> dst``; parent
slots: a presence vector at ``source -> node``, weighted by the slot's probability).
Each layer runs multi-head self-attention over nodes with a per-head bias read from the
edge features of both directions, a feed-forward block, and an edge update from the two
end nodes (Dwivedi & Bresson 2021; DiGress). Graphs here have a handful of nodes, so
everything is dense: a batch of thousands of graphs is a few small matmuls. Without
gradients, a large batch of large graphs runs in chunks of about ``CHUNK_SCORES``
attention scores each, so one chunk's activations stay in the CPU's cache (per-graph
results do not depend on the chunking).

Output: clean-slot logits [B, S, K] (node slots from node states, edge slots from edge
states, parent slots one score per candidate source edge); padded options get a large
negative logit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from nag.diffusion.layout import GraphLayout
from nag.typed_config import JSONConfig

NEG = -1e9
CHUNK_SCORES = 2**20  # attention scores per chunk at inference (4 MiB of float32)


@dataclass(frozen=True)
class DenoiserConfig(JSONConfig):
    hidden: int = 64
    layers: int = 3
    heads: int = 4
    dropout: float = 0.0
    conditions: int = 0  # learned condition embeddings (row 0: "no condition"); 0 = unconditional model


class _Layer(nn.Module):
    def __init__(self, hidden: int, heads: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.norm_x, self.norm_ff, self.norm_e = nn.LayerNorm(hidden), nn.LayerNorm(hidden), nn.LayerNorm(hidden)
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.bias_fwd, self.bias_bwd = nn.Linear(hidden, heads), nn.Linear(hidden, heads)
        self.out = nn.Linear(hidden, hidden)
        self.ff = nn.Sequential(nn.Linear(hidden, 2 * hidden), nn.GELU(), nn.Linear(2 * hidden, hidden))
        self.edge_in, self.src_in, self.dst_in = (
            nn.Linear(hidden, hidden),
            nn.Linear(hidden, hidden, bias=False),
            nn.Linear(hidden, hidden, bias=False),
        )
        self.edge_out = nn.Sequential(nn.GELU(), nn.Linear(hidden, hidden))
        self.drop = nn.Dropout(dropout)

    def forward(
        self, x: torch.Tensor, e: torch.Tensor, src: torch.Tensor, dst: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        b, n, h = x.shape
        heads, d = self.heads, h // self.heads
        q, k, v = self.qkv(self.norm_x(x)).view(b, n, 3, heads, d).permute(2, 0, 3, 1, 4).unbind(0)  # [B, heads, N, d]
        e_norm = self.norm_e(e)
        scores = torch.matmul(q * (1 / math.sqrt(d)), k.transpose(-1, -2))  # [B, heads, N, N], contiguous
        # the edge bias touches only the 2P entries (src -> dst, and dst -> its predecessor src)
        where = torch.cat([src * n + dst, dst * n + src])
        bias = torch.cat([self.bias_fwd(e_norm), self.bias_bwd(e_norm)], 1).transpose(1, 2)  # [B, heads, 2P]
        scores = scores.view(b, heads, n * n).index_add_(2, where, bias).view(b, heads, n, n)
        attn = self.drop(scores.softmax(-1))
        x = x + self.out(torch.matmul(attn, v).transpose(1, 2).reshape(b, n, h))
        x = x + self.drop(self.ff(self.norm_ff(x)))
        update = self.edge_in(e_norm) + self.src_in(x)[:, src] + self.dst_in(x)[:, dst]
        return x, e + self.drop(self.edge_out(update))


class Denoiser(nn.Module):
    """Graph transformer over a :class:`GraphLayout`: ``forward(x [B,S,K], t [B]) -> logits [B,S,K]``.

    Edge states live on the layout's node pairs (``i < j`` only: layouts are DAGs in
    topological order), at most ``N (N - 1) / 2`` per graph.
    """

    def __init__(self, layout: GraphLayout, config: DenoiserConfig | None = None):
        super().__init__()
        self.layout, self.config = layout, config or DenoiserConfig()
        c, n, k, s = self.config, layout.n_nodes, layout.max_size, len(layout.slots)
        h = c.hidden
        pairs = layout.node_pairs()
        self.node_pos = nn.Parameter(torch.randn(n, h) * 0.02)
        self.pair_pos = nn.Parameter(torch.randn(len(pairs), h) * 0.02)
        self.node_in, self.edge_in = nn.Linear(k, h, bias=False), nn.Linear(k, h, bias=False)
        self.presence = nn.Parameter(torch.randn(h) * 0.02)
        self.time = nn.Sequential(nn.Linear(16, h), nn.GELU(), nn.Linear(h, h))
        self.condition = nn.Embedding(c.conditions + 1, h) if c.conditions else None
        if self.condition is not None:
            nn.init.normal_(self.condition.weight, std=0.02)
        self.layers = nn.ModuleList(_Layer(h, c.heads, c.dropout) for _ in range(c.layers))
        self.norm_nodes, self.norm_edges = nn.LayerNorm(h), nn.LayerNorm(h)
        self.node_out, self.edge_out, self.parent_out = nn.Linear(h, k), nn.Linear(h, k), nn.Linear(h, 1)
        self._index(layout, pairs, k, s)

    def _index(self, layout: GraphLayout, pairs: list[tuple[int, int]], k: int, s: int) -> None:
        """Static scatter / gather matrices between slots and nodes / node pairs."""
        n, p = layout.n_nodes, len(pairs)
        pair_index = {pair: i for i, pair in enumerate(pairs)}
        node_of = torch.zeros(s, n)  # node slot -> its node
        edge_of = torch.zeros(s, p)  # edge slot -> its pair
        parent_of = torch.zeros(s * k, p)  # (parent slot, option) -> its candidate pair
        kind = torch.zeros(s, dtype=torch.long)
        valid = torch.zeros(s, k, dtype=torch.bool)
        for i, slot in enumerate(layout.slots):
            valid[i, : slot.size] = True
            if slot.kind == "node":
                node_of[i, slot.nodes[0]] = 1
            elif slot.kind == "edge":
                edge_of[i, pair_index[slot.nodes]] = 1
                kind[i] = 1
            else:
                kind[i] = 2
                for option, source in enumerate(slot.sources):
                    parent_of[i * k + option, pair_index[(source, slot.nodes[0])]] = 1
        src = torch.tensor([a for a, _ in pairs], dtype=torch.long)
        dst = torch.tensor([c for _, c in pairs], dtype=torch.long)
        buffers = dict(node_of=node_of, edge_of=edge_of, parent_of=parent_of, kind=kind, valid=valid, src=src, dst=dst)
        for name, value in buffers.items():
            self.register_buffer(name, value, persistent=False)

    def forward(self, x: torch.Tensor, t: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """``condition``: embeddings [B, H] or [H] (rows of ``self.condition`` or learned
        ones) added to every node with the time features; None: no condition."""
        chunk = self.chunk_size()
        if torch.is_grad_enabled() or len(x) <= chunk:
            return self._forward(x, t, condition)
        t_rows = t.dim() == 1 and len(t) == len(x)  # else one time for all
        c_rows = condition is not None and condition.dim() == 2 and len(condition) == len(x)
        parts = []
        for i in range(0, len(x), chunk):
            part = slice(i, i + chunk)
            c = condition[part] if c_rows else condition  # type: ignore[index]
            parts.append(self._forward(x[part], t[part] if t_rows else t, c))
        return torch.cat(parts)

    def chunk_size(self) -> int:
        """Graphs per chunk at inference: about ``CHUNK_SCORES`` attention scores, at least 64."""
        n = self.layout.n_nodes
        return max(64, CHUNK_SCORES // (self.config.heads * n * n))

    def _forward(self, x: torch.Tensor, t: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        b, s, k = x.shape
        nodes = torch.einsum("bsh,sn->bnh", self.node_in(x), self.node_of) + self.node_pos
        nodes = nodes + self.time(_time_features(t)).unsqueeze(1)
        if condition is not None:
            nodes = nodes + condition.view(-1, 1, nodes.shape[-1])
        edges = torch.einsum("bsh,sp->bph", self.edge_in(x), self.edge_of)
        present = x.reshape(b, s * k) @ self.parent_of  # [B, P]: probability that each candidate edge exists
        edges = edges + present.unsqueeze(-1) * self.presence + self.pair_pos
        for layer in self.layers:
            nodes, edges = layer(nodes, edges, self.src, self.dst)
        nodes, edges = self.norm_nodes(nodes), self.norm_edges(edges)
        from_nodes = torch.einsum("bnk,sn->bsk", self.node_out(nodes), self.node_of)
        from_edges = torch.einsum("bpk,sp->bsk", self.edge_out(edges), self.edge_of)
        from_parents = (self.parent_out(edges).squeeze(-1) @ self.parent_of.T).view(b, s, k)
        logits = torch.where((self.kind == 0).view(1, s, 1), from_nodes, from_edges)
        logits = torch.where((self.kind == 2).view(1, s, 1), from_parents, logits)
        return logits.masked_fill(~self.valid, NEG)


def _time_features(t: torch.Tensor) -> torch.Tensor:
    """Sinusoidal features [B, 16] of the diffusion time ``t`` in [0, 1]."""
    freqs = torch.exp(torch.arange(8, device=t.device, dtype=t.dtype) * (math.log(1000.0) / 7))
    angles = t.view(-1, 1) * freqs
    return torch.cat([angles.sin(), angles.cos()], -1)
