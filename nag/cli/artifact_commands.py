"""CLI commands that write an arch as a file: ``export`` (ONNX, TorchScript, torch.export)
and ``draw`` (a PNG or SVG picture of its computation graph)."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from nag import spaces
from nag.cli.arch_arg import resolve_arch
from nag.errors import ConfigError


def cmd_export(cfg: DictConfig) -> int:
    import torch

    from nag import count_params
    from nag.export import check_onnx, export

    if not cfg.out:
        raise ConfigError("give out=FILE (e.g. out=net.onnx, net.pt for torchscript, net.pt2 for torch.export)")
    space = spaces.get(cfg.space)
    arch = resolve_arch(space, cfg.arch, by=cfg.by)
    with torch.random.fork_rng():
        torch.manual_seed(cfg.seed)
        model, inputs, other_inputs, dynamic = _model_and_inputs(space, arch, cfg)
    path = export(model, inputs, cfg.out, cfg.format, dynamic=dynamic if cfg.dynamic else None)
    sizes = ", ".join(name for spec in dynamic for name in spec.values()) if cfg.dynamic else "none"
    if cfg.format == "torchscript":
        sizes = "whatever the trace allows"
    print(f"wrote {path} ({cfg.format}): {space.name} {space.to_str(arch)}")
    print(f"{count_params(model):,} params (untrained, seed {cfg.seed}); traced on {_shapes(inputs)}; dynamic sizes: {sizes}")
    if cfg.format == "onnx" and cfg.check:
        check_inputs = other_inputs if cfg.dynamic else inputs
        diff = check_onnx(path, model, check_inputs)
        print(f"onnxruntime vs PyTorch on {_shapes(check_inputs)}: max |difference| {diff:.2e}")
    return 0


def cmd_draw(cfg: DictConfig) -> int:
    from nag.draw import draw_arch

    if not cfg.out:
        raise ConfigError("give out=FILE.png or out=FILE.svg")
    space = spaces.get(cfg.space)
    arch = resolve_arch(space, cfg.arch, by=cfg.by)
    path = draw_arch(space, arch, cfg.out, level=cfg.level, title=cfg.title)
    graph = space.to_graph(arch, cfg.level)
    print(f"wrote {path}: {space.name} {cfg.level} graph of {space.to_str(arch)} "
          f"({graph.num_nodes} nodes, {len(graph.edges)} edges)")  # fmt: skip
    return 0


def _model_and_inputs(space: Any, arch: Any, cfg: DictConfig) -> tuple[Any, tuple, tuple, tuple]:
    """The network, inputs to trace on, inputs of other sizes to check on, and its dynamic dims.

    nb201: images ``[batch, in_channels, resolution, resolution]``; nbgraph: a ring graph
    (``x [nodes, in_dim]``, ``edge_index [2, edges]``) with node features of ``in_dim``."""
    import torch

    from nag.build.limits import build_within

    if space.name == "nb201":
        model = build_within(lambda: space.build(arch, num_classes=cfg.num_classes, C=cfg.C, N=cfg.N, in_channels=cfg.in_channels))
        shape = (cfg.in_channels, cfg.resolution, cfg.resolution)
        return model, (torch.randn(2, *shape),), (torch.randn(3, *shape),), ({0: "batch"},)
    model = build_within(lambda: space.build(arch, in_dim=cfg.in_dim, num_classes=cfg.num_classes, hidden=cfg.hidden))
    return model, _ring(8, cfg.in_dim), _ring(11, cfg.in_dim), ({0: "nodes"}, {1: "edges"})


def _ring(nodes: int, in_dim: int) -> tuple:
    """Random features on a ring graph, edges both ways."""
    import torch

    i = torch.arange(nodes)
    j = (i + 1) % nodes
    return torch.randn(nodes, in_dim), torch.stack([torch.cat([i, j]), torch.cat([j, i])])


def _shapes(inputs: tuple) -> str:
    return ", ".join(str(list(x.shape)) for x in inputs)


COMMANDS = {"export": cmd_export, "draw": cmd_draw}
