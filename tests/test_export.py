"""Exported models reload and compute what the PyTorch model computes; errors say why."""

from __future__ import annotations

import json
import sys
import warnings

import pytest
import torch

from nag import spaces
from nag.errors import ConfigError, ExportError, UnknownNameError
from nag.export import check_onnx, export, formats

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"


def small_nb201(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return spaces.get("nb201").build(BEST, num_classes=10, C=4, N=1)


def images(batch: int) -> torch.Tensor:
    return torch.randn(batch, 3, 8, 8, generator=torch.Generator().manual_seed(batch))


def graph(nodes: int, edges: int) -> tuple[torch.Tensor, torch.Tensor]:
    rng = torch.Generator().manual_seed(nodes)
    return torch.randn(nodes, 5, generator=rng), torch.randint(0, nodes, (2, edges), generator=rng)


def gnn(arch: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return spaces.get("nbgraph").build(arch, in_dim=5, num_classes=3, hidden=8)


@pytest.fixture(scope="module")
def onnx_file(tmp_path_factory):
    """A small nb201 net exported to ONNX once, traced on a batch of 2 with a dynamic batch."""
    net = small_nb201()
    path = export(net, images(2), tmp_path_factory.mktemp("onnx") / "net.onnx", dynamic=({0: "batch"},))
    return net, path


def test_onnx_round_trip_on_another_batch_size(onnx_file):
    import onnx
    import onnxruntime as ort

    net, path = onnx_file
    onnx.checker.check_model(str(path))
    assert [p.name for p in path.parent.iterdir()] == ["net.onnx"]  # no temporary or external-data file left
    (batch, *rest), = [i.shape for i in ort.InferenceSession(str(path)).get_inputs()]  # fmt: skip
    assert isinstance(batch, str) and rest == [3, 8, 8]
    assert check_onnx(path, net, images(5)) < 1e-4
    assert net.training  # export and check put it in eval mode only while they ran


def test_check_onnx_fails_when_the_outputs_differ(onnx_file):
    _, path = onnx_file
    with pytest.raises(ExportError, match="differ from PyTorch's by up to"):
        check_onnx(path, small_nb201(seed=1), images(3))


@pytest.mark.parametrize("fmt, load", [
    ("torchscript", lambda p: torch.jit.load(str(p))),
    ("torch.export", lambda p: torch.export.load(str(p)).module()),
])  # fmt: skip
def test_reloaded_model_gives_the_same_outputs(tmp_path, fmt, load):
    net = small_nb201()
    path = export(net, images(2), tmp_path / f"net{'.pt' if fmt == 'torchscript' else '.pt2'}", fmt, dynamic=({0: "batch"},))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit.load is deprecated (torch >= 2.13)
        loaded = load(path)
    net.eval()
    with torch.no_grad():
        for batch in (2, 3):
            torch.testing.assert_close(loaded(images(batch)), net(images(batch)), rtol=1e-4, atol=1e-5)


def test_unknown_format_lists_the_formats(tmp_path):
    with pytest.raises(UnknownNameError) as info:
        export(small_nb201(), images(2), tmp_path / "net.x", "tflite")
    assert isinstance(info.value, ConfigError)
    assert "onnx, torch.export, torchscript" in str(info.value) and formats() == ["onnx", "torch.export", "torchscript"]
    assert not list(tmp_path.iterdir())


def test_missing_onnx_packages_say_how_to_install(tmp_path, monkeypatch, onnx_file):
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # import onnxscript now raises ImportError
    with pytest.raises(ExportError, match=r"missing: onnxscript\); pip install nag\[export\]"):
        export(small_nb201(), images(2), tmp_path / "net.onnx")
    assert not (tmp_path / "net.onnx").exists()
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ExportError, match=r"needs onnxruntime.*pip install nag\[export\]"):
        check_onnx(onnx_file[1], onnx_file[0], images(2))


def test_gnn_exports_to_onnx_with_any_graph_size(tmp_path):
    model = gnn("0,0,1,2:gcn,sage,arma,fc")
    path = export(model, graph(6, 10), tmp_path / "gnn.onnx", dynamic=({0: "nodes"}, {1: "edges"}))
    assert check_onnx(path, model, graph(11, 30)) < 1e-4


def test_gat_onnx_needs_fixed_sizes(tmp_path):
    """PyG's GATConv adds self-loops with data-dependent shapes, which the ONNX exporter
    cannot keep dynamic: a clear error, and the fixed-size export works."""
    model = gnn("0,1,1,2:gat,gcn,skip,fc")
    with pytest.raises(ExportError, match=r"onnx export of NBGraphNet failed: .*data-dependent.*fixed sizes"):
        export(model, graph(6, 10), tmp_path / "gat.onnx", dynamic=({0: "nodes"}, {1: "edges"}))
    assert not list(tmp_path.iterdir())
    path = export(model, graph(6, 10), tmp_path / "gat.onnx")
    assert check_onnx(path, model, graph(6, 10)) < 1e-4


@pytest.mark.parametrize("fmt, load", [
    ("torchscript", lambda p: torch.jit.load(str(p))),
    ("torch.export", lambda p: torch.export.load(str(p)).module()),
])  # fmt: skip
def test_gat_reloads_for_any_graph_size(tmp_path, fmt, load):
    model = gnn("0,1,1,2:gat,gcn,skip,fc")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit deprecation, PyG tracer warnings
        path = export(model, graph(6, 10), tmp_path / "gat.pt2", fmt, dynamic=({0: "nodes"}, {1: "edges"}))
        loaded = load(path)
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(*graph(11, 30)), model(*graph(11, 30)), rtol=1e-4, atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("op", ["gcn", "gin", "cheb", "sage", "arma", "graph", "fc"])
def test_every_gnn_op_but_gat_exports_to_onnx_with_dynamic_sizes(tmp_path, op):
    model = gnn(f"0,1,2,3:{op},{op},{op},skip")
    path = export(model, graph(6, 10), tmp_path / "gnn.onnx", dynamic=({0: "nodes"}, {1: "edges"}))
    assert check_onnx(path, model, graph(9, 25)) < 1e-4


# ------------------------------------------------------------------------ CLI
def test_cli_exports_the_best_arch_of_a_samples_file(cli, tmp_path):
    samples = tmp_path / "samples.jsonl"
    worse = "|none~0|+|skip_connect~0|none~1|+|none~0|none~1|avg_pool_3x3~2|"
    samples.write_text("\n".join(json.dumps(row) for row in [{"arch": worse, "predicted_accuracy": 80.0},
                                                             {"arch": BEST, "predicted_accuracy": 93.5}]) + "\n")  # fmt: skip
    out_file = tmp_path / "out" / "best.onnx"
    code, out, err = cli("export", "space=nb201", f"arch=best-of:{samples}", f"out={out_file}",
                         "C=4", "N=1", "resolution=8")  # fmt: skip
    assert code == 0, err
    assert out_file.is_file() and BEST in out
    assert "params" in out and "dynamic sizes: batch" in out
    assert float(out.split("max |difference|")[1].split()[0]) < 1e-4


def test_cli_draws_an_arch(cli, tmp_path):
    out_file = tmp_path / "cell.svg"
    code, out, _ = cli("draw", "space=nbgraph", "arch=0,0,1,2:gcn,gat,skip,fc", f"out={out_file}", "level=network")
    assert code == 0
    assert out_file.read_text().lstrip().startswith(("<?xml", "<svg")) and "12 nodes" in out


@pytest.mark.parametrize("argv, fragment", [
    (("export", f"arch={BEST}", "out=x.onnx", "format=tflite"), "unknown export format 'tflite'; choose one of: onnx"),
    (("export", f"arch={BEST}"), "give out=FILE"),
    (("export", "out=x.onnx"), 'give arch="..."'),
    (("export", "space=nbgraph", "arch=0,1,1,2:gat,gcn,skip,fc", "in_dim=4", "hidden=8", "out=OUT/g.onnx"),
     "onnx export of NBGraphNet failed"),
    (("draw", f"arch={BEST}", "out=cell.jpg"), "must end in .png or .svg"),
    (("draw", f"arch={BEST}", "out=cell.png", "level=stage"), "no graph level 'stage'"),
    (("draw", "arch=best-of:missing.jsonl", "out=cell.png"), "no such file"),
])  # fmt: skip
def test_cli_errors_give_one_line_and_exit_2(cli, tmp_path, argv, fragment):
    argv = [a.replace("OUT", str(tmp_path)) for a in argv]
    code, _, err = cli(*argv)
    assert code == 2
    assert fragment in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not list(tmp_path.iterdir())
