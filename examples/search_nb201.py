"""Compare regularized evolution with random search on NAS-Bench-201, then build the best cell.

Run: python examples/search_nb201.py
"""

import torch

import nag
from nag import bench, search

b = bench.load("nb201-cifar10")
optimum = b.best("accuracy")[1]
for strategy in ("random", "re"):
    trajectory = search.run(strategy, b, metric="accuracy", budget=300, seed=0)
    arch, value = trajectory.best
    print(f"{strategy:>6}: best {value:.3f} (optimum {optimum:.3f}) after {len(trajectory)} queries: {arch}")

net = b.space.build(arch, num_classes=10)
print(f"params {nag.count_params(net):,}, MACs {nag.count_flops(net, torch.zeros(1, 3, 32, 32)):,}")
print(f"logits shape: {tuple(net(torch.randn(2, 3, 32, 32)).shape)}")
