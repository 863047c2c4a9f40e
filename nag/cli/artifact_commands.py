"""CLI commands that write an arch as a file: ``export`` (ONNX, TorchScript, torch.export)
and ``draw`` (a PNG or SVG picture of its computation graph)."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf

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
    level = cfg.level or space.levels[0]
    path = draw_arch(space, arch, cfg.out, level=level, title=cfg.title)
    graph = space.to_graph(arch, level)
    print(f"wrote {path}: {space.name} {level} graph of {space.to_str(arch)} "
          f"({graph.num_nodes} nodes, {len(graph.edges)} edges)")  # fmt: skip
    return 0


def _model_and_inputs(space: Any, arch: Any, cfg: DictConfig) -> tuple[Any, tuple, tuple, tuple]:
    """The network, inputs to trace on, inputs of other sizes to check on, and its dynamic dims.

    The space builds the network from the options its ``build`` takes (num_classes, C, N,
    in_channels for nb201; in_dim, hidden for nbgraph...; ``model.*`` for any other) and
    gives the inputs (:meth:`~nag.spaces.SearchSpace.example_input`: a batch of 2 to trace,
    3 to check; graphs of 8 and 11 nodes)."""
    import inspect

    from nag.build.limits import build_within, check_options

    model_options = OmegaConf.to_container(cfg.model, resolve=True)
    params = inspect.signature(space.build).parameters
    options = {k: cfg[k] for k in _SIZES if k in params and k not in model_options}
    check_options(space.build, model_options, f"{space.name} build", fixed=("arch",))
    options.update(model_options)
    model = build_within(lambda: space.build(arch, **options))
    inputs = {**options, "resolution": cfg.resolution, "in_dim": cfg.in_dim, "in_channels": cfg.in_channels}
    trace = _random(space.example_input(batch=2, nodes=8, **inputs))
    check = _random(space.example_input(batch=3, nodes=11, **inputs))
    return model, trace, check, space.export_dims()


def _random(inputs: tuple) -> tuple:
    """``inputs`` with random values in their floating tensors (shapes and indices kept), so
    the onnxruntime check compares real outputs."""
    import torch

    return tuple(torch.randn(x.shape) if x.is_floating_point() else x for x in inputs)


#: the export options that are build options in the spaces that take them
_SIZES = ("num_classes", "C", "N", "in_channels", "in_dim", "hidden")


def _shapes(inputs: tuple) -> str:
    return ", ".join(str(list(x.shape)) for x in inputs)


COMMANDS = {"export": cmd_export, "draw": cmd_draw}
