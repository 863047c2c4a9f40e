"""Tracing real PyTorch models into CompGraphs (nag.graph.trace)."""

from __future__ import annotations

import warnings
from collections import Counter

import networkx as nx
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from nag.errors import ConfigError, InvalidArchitecture
from nag.graph import CompGraph
from nag.graph.trace import TraceReport, from_module, trace_report


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


# ------------------------------------------------------------------ the models
def conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    """torchvision's ResNet layout (ResNet-18 with [2, 2, 2, 2]) at small widths."""

    def __init__(self, layers=(2, 2, 2, 2), widths=(8, 16, 32, 64), num_classes=10):
        super().__init__()
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(3, widths[0], 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(widths[0], layers[0])
        self.layer2 = self._make_layer(widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(widths[3], layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3], num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


class DenseLayer(nn.Module):
    def __init__(self, cin, growth, bn_size=2):
        super().__init__()
        self.norm1, self.relu1 = nn.BatchNorm2d(cin), nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(cin, bn_size * growth, 1, bias=False)
        self.norm2, self.relu2 = nn.BatchNorm2d(bn_size * growth), nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth, growth, 3, padding=1, bias=False)

    def forward(self, inputs):
        concated = torch.cat(inputs, 1)
        bottleneck = self.conv1(self.relu1(self.norm1(concated)))
        return self.conv2(self.relu2(self.norm2(bottleneck)))


class DenseBlock(nn.ModuleDict):
    def __init__(self, num_layers, cin, growth):
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}", DenseLayer(cin + i * growth, growth))

    def forward(self, init_features):
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return torch.cat(features, 1)


class Transition(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm, self.relu = nn.BatchNorm2d(cin), nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(cin, cout, 1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    def __init__(self, stem=8, growth=4, layers=3):
        super().__init__()
        width = stem + layers * growth
        self.features = nn.Sequential(
            nn.Conv2d(3, stem, 3, padding=1, bias=False),
            DenseBlock(layers, stem, growth),
            Transition(width, width // 2),
        )
        self.classifier = nn.Linear(width // 2, 10)

    def forward(self, x):
        out = F.adaptive_avg_pool2d(F.relu(self.features(x)), (1, 1))
        return self.classifier(torch.flatten(out, 1))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand_ratio):
        super().__init__()
        hidden = cin * expand_ratio
        self.use_res_connect = stride == 1 and cin == cout
        self.conv = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout),
        )  # fmt: skip

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU6(inplace=True)),
            InvertedResidual(8, 16, 2, 6),
            InvertedResidual(16, 16, 1, 6),
        )
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(16, 10))

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


class EncoderBlock(nn.Module):
    """A pre-norm transformer encoder block; the assert on sizes defeats fx symbolic tracing."""

    def __init__(self, dim=16, heads=2, use_mha=False):
        super().__init__()
        self.dim, self.heads, self.use_mha = dim, heads, use_mha
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        if use_mha:
            self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        else:
            self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def attention(self, x):
        if self.use_mha:
            return self.attn(x, x, x, need_weights=False)[0]
        b, t, d = x.shape
        q, k, v = self.qkv(x).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        weights = (q @ k.transpose(-2, -1)) * (d // self.heads) ** -0.5
        out = weights.softmax(dim=-1) @ v
        return self.proj(out.transpose(1, 2).reshape(b, t, d))

    def forward(self, x):
        assert x.shape[-1] == self.dim, "wrong embedding size"
        x = x + self.attention(self.norm1(x))
        return x + self.mlp(self.norm2(x))


# -------------------------------------------------------------------- helpers
def counts(graph: CompGraph) -> Counter:
    return Counter(graph.ops)


def check_well_formed(graph: CompGraph) -> None:
    graph.validate()
    assert len(graph.inputs()) == 1 and len(graph.outputs()) == 1
    assert nx.has_path(graph.to_networkx(), graph.inputs()[0], graph.outputs()[0])


def node_named(graph: CompGraph, name: str):
    (node,) = [n for n in graph.nodes if n.name == name]
    return node


@pytest.fixture(scope="module")
def resnet_reports() -> dict[str, TraceReport]:
    torch.manual_seed(0)
    model, x = ResNet(), torch.randn(1, 3, 32, 32)
    return {m: trace_report(model, x, method=m) for m in ("fx", "export")}


# ---------------------------------------------------------------------- ResNet
def test_resnet_op_counts(resnet_reports):
    report = resnet_reports["fx"]
    assert report.method == "fx" and report.unknown == {}
    check_well_formed(report.graph)
    c = counts(report.graph)
    # stem 1 + 8 blocks x 2 + 3 downsample convs; one relu after the stem, two per block
    assert c["conv"] == 20 and c["batchnorm"] == 20 and c["relu"] == 17
    assert c["add"] == 8 and c["maxpool"] == 1 and c["globalpool"] == 1 and c["linear"] == 1
    assert c["dwconv"] == 0 and c["other"] == 0


def test_resnet_attributes(resnet_reports):
    g = resnet_reports["fx"].graph
    stem = node_named(g, "conv1")
    assert (stem.kernel, stem.stride, stem.in_channels, stem.out_channels, stem.spatial) == (7, 2, 3, 8, 16)
    down = node_named(g, "layer2.0.conv1")
    assert (down.kernel, down.stride, down.groups) == (3, 2, 1)
    assert (down.in_channels, down.out_channels, down.spatial) == (8, 16, 4)
    shortcut = node_named(g, "layer3.0.downsample.0")
    assert (shortcut.kernel, shortcut.stride, shortcut.out_channels, shortcut.spatial) == (1, 2, 32, 2)
    assert node_named(g, "maxpool").kernel == 3 and node_named(g, "maxpool").spatial == 8
    assert node_named(g, "layer4.1.conv2").spatial == 1
    fc = node_named(g, "fc")
    assert (fc.in_channels, fc.out_channels) == (64, 10)


def test_resnet_residual_wiring(resnet_reports):
    g = resnet_reports["fx"].graph
    preds = [sorted(g.nodes[p].op for p in g.predecessors(i)) for i, op in enumerate(g.ops) if op == "add"]
    # the residual of layer1.0 is the stem's maxpool, three are downsample branches, four plain identities
    assert preds.count(["batchnorm", "maxpool"]) == 1
    assert preds.count(["batchnorm", "batchnorm"]) == 3 and preds.count(["batchnorm", "relu"]) == 4
    assert g.nodes[g.predecessors(g.outputs()[0])[0]].op == "linear"


def test_resnet_fx_and_export_agree(resnet_reports):
    fx_graph, ex_graph = resnet_reports["fx"].graph, resnet_reports["export"].graph
    assert resnet_reports["export"].method == "export" and resnet_reports["export"].unknown == {}
    check_well_formed(ex_graph)
    assert counts(fx_graph) == counts(ex_graph)
    assert fx_graph.canonical_hash() == ex_graph.canonical_hash()
    conv = node_named(ex_graph, "layer2.0.conv1")  # export names aten ops after their nn module
    assert (conv.kernel, conv.stride, conv.out_channels, conv.spatial) == (3, 2, 16, 4)


# ------------------------------------------------------------ DenseNet / MobileNet
def test_densenet_concat():
    g = from_module(DenseNet(), torch.randn(1, 3, 16, 16))
    check_well_formed(g)
    c = counts(g)
    assert c["concat"] == 4  # one per dense layer, one closing the block
    assert c["conv"] == 1 + 3 * 2 + 1 and c["avgpool"] == 1 and c["globalpool"] == 1
    concats = [i for i, op in enumerate(g.ops) if op == "concat"]
    block_out = concats[-1]
    assert len(g.predecessors(block_out)) == 4 and g.nodes[block_out].out_channels == 8 + 3 * 4
    pool = g.nodes[g.ops.index("avgpool")]
    assert (pool.kernel, pool.stride, pool.spatial) == (2, 2, 8)


@pytest.mark.parametrize("method", ["fx", "export"])
def test_mobilenet_depthwise(method):
    report = trace_report(MobileNetV2(), torch.randn(1, 3, 32, 32), method)
    g = report.graph
    check_well_formed(g)
    c = counts(g)
    assert report.unknown == {} and c["dwconv"] == 2 and c["conv"] == 1 + 2 * 2
    assert c["relu"] == 5 and c["add"] == 1 and c["dropout"] == 1 and c["globalpool"] == 1
    dw = [n for n in g.nodes if n.op == "dwconv"]
    assert [(n.groups, n.in_channels, n.out_channels, n.stride, n.spatial) for n in dw] == [
        (48, 48, 48, 2, 8),
        (96, 96, 96, 1, 8),
    ]


# ---------------------------------------------------------------- transformer
def test_transformer_assert_falls_back_to_export():
    model, x = EncoderBlock(), torch.randn(2, 5, 16)
    with pytest.raises(InvalidArchitecture, match="fx failed"):
        trace_report(model, x, method="fx")
    report = trace_report(model, x)
    assert report.method == "export" and report.unknown == {}
    g = report.graph
    check_well_formed(g)
    c = counts(g)
    assert c["matmul"] == 2 and c["softmax"] == 1 and c["layernorm"] == 2 and c["gelu"] == 1
    assert c["linear"] == 4 and c["add"] == 2
    softmax = g.ops.index("softmax")
    assert g.nodes[g.successors(softmax)[0]].op == "matmul"


def test_transformer_with_multihead_attention():
    report = trace_report(EncoderBlock(use_mha=True), torch.randn(2, 5, 16))
    assert report.method == "export"
    c = counts(report.graph)
    assert c["attention"] == 1 and c["layernorm"] == 2 and c["add"] == 2
    check_well_formed(report.graph)


def test_multihead_attention_is_one_node_under_fx():
    class Attn(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn, self.norm = nn.MultiheadAttention(16, 4, batch_first=True), nn.LayerNorm(16)

        def forward(self, x):
            return self.norm(x + self.attn(x, x, x)[0])  # the weights in [1] are dropped

    g = from_module(Attn(), torch.randn(2, 5, 16), method="fx")
    assert g.ops == ("input", "attention", "add", "layernorm", "output")
    attn = g.nodes[1]
    assert (attn.in_channels, attn.out_channels) == (16, 16)
    assert set(g.predecessors(2)) == {0, 1}


# ----------------------------------------------------- unknown ops and failures
class Unusual(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return torch.cumsum(torch.erf(self.fc(x)), dim=1)


@pytest.mark.parametrize(("method", "names"), [("fx", {"torch.erf", "torch.cumsum"}), ("export", {"aten.erf", "aten.cumsum"})])
def test_unknown_ops_become_other_and_warn(method, names):
    with pytest.warns(UserWarning, match="erf") as record:
        g = from_module(Unusual(), torch.randn(2, 8), method=method)
    assert len([w for w in record if "outside nag's vocabulary" in str(w.message)]) == 1
    assert g.ops == ("input", "linear", "other", "other", "output")
    assert {g.nodes[2].name, g.nodes[3].name} == names
    assert trace_report(Unusual(), torch.randn(2, 8), method).unknown == dict.fromkeys(sorted(names), 1)


def test_known_model_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from_module(nn.Sequential(nn.Linear(4, 4), nn.ReLU()), torch.randn(1, 4), method="fx")


class DataDependent(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return {"sign": 1, "norm": float(x.norm())}
        return {"sign": -1}


def test_untraceable_model_raises():
    with pytest.raises(InvalidArchitecture, match="fx failed") as fx_only:
        trace_report(DataDependent(), torch.randn(3, 4), method="fx")
    assert "export" not in str(fx_only.value)
    with pytest.raises(InvalidArchitecture, match="fx failed.*export failed"):
        from_module(DataDependent(), torch.randn(3, 4))


def test_bad_arguments():
    with pytest.raises(ConfigError, match="method"):
        trace_report(nn.ReLU(), torch.randn(1), method="jit")
    with pytest.raises(ConfigError, match="nn.Module"):
        trace_report(lambda x: x, torch.randn(1))


# ------------------------------------------------------- the module is untouched
@pytest.mark.parametrize("method", ["fx", "export"])
def test_module_left_unchanged(method):
    model = ResNet(layers=(1, 1, 1, 1))
    model.train()
    model.layer2.eval()  # mixed flags must come back exactly
    flags = {name: m.training for name, m in model.named_modules()}
    state = {k: v.clone() for k, v in model.state_dict().items()}
    attributes = {name: set(vars(m)) for name, m in model.named_modules()}
    trace_report(model, torch.randn(2, 3, 32, 32), method)
    assert {name: set(vars(m)) for name, m in model.named_modules()} == attributes
    assert {name: m.training for name, m in model.named_modules()} == flags
    after = model.state_dict()
    assert after.keys() == state.keys() and all(torch.equal(after[k], v) for k, v in state.items())
    assert all(p.grad is None and p.requires_grad for p in model.parameters())


# ----------------------------------------------------- re-wiring and constants
class Plumbing(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv2d(3, 4, 3, padding=1), nn.Linear(4 * 8 * 8, 6)
        self.register_buffer("offset", torch.ones(6))

    def forward(self, x, y):
        h = self.conv(x)
        a, b = h.chunk(2, dim=1)  # a tuple of tensors: getitem is not a node
        h = torch.cat([a * b, b], dim=1)
        z = self.fc(h.view(h.size(0), -1))  # size() is a shape query, not a node
        z = z + torch.zeros((z.shape[0], 6)) + self.offset.exp() * torch.arange(6.0)  # constants fold away
        return z, y.mean(dim=(2, 3))


@pytest.mark.parametrize("method", ["fx", "export"])
def test_rewiring_through_python_values_and_constants(method):
    g = from_module(Plumbing(), (torch.randn(2, 3, 8, 8), torch.randn(2, 5, 4, 4)), method=method)
    assert g.ops == (
        "input", "input", "conv", "flatten", "mul", "concat", "flatten", "linear", "add", "add", "globalpool", "output",
    )  # fmt: skip
    assert g.predecessors(4) == (3,) and g.predecessors(5) == (3, 4)  # both chunks come from the chunk node
    assert g.predecessors(8) == (7,) and g.predecessors(9) == (8,)  # zeros and the buffer are constants
    assert g.predecessors(10) == (1,) and g.predecessors(11) == (9, 10)
    assert g.nodes[10].out_channels == 5 and g.nodes[0].spatial == 8
    g.validate()


def test_functional_calls_read_attributes():
    class Functional(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(6, 1, 3, 3))

        def forward(self, x):
            x = F.conv2d(x, self.weight, stride=2, padding=1, groups=6)
            x = F.relu6(F.max_pool2d(x, 2))
            return x.mean(dim=[-1, -2])

    for method in ("fx", "export"):
        g = from_module(Functional(), torch.randn(1, 6, 16, 16), method=method)
        assert g.ops == ("input", "dwconv", "maxpool", "relu", "globalpool", "output"), method
        dw, pool = g.nodes[1], g.nodes[2]
        assert (dw.kernel, dw.stride, dw.groups, dw.out_channels, dw.spatial) == (3, 2, 6, 6, 8)
        assert (pool.kernel, pool.stride, pool.spatial) == (2, 2, 4)


@pytest.mark.parametrize(
    ("make", "inputs"),
    [(DenseNet, (torch.randn(1, 3, 16, 16),)), (MobileNetV2, (torch.randn(1, 3, 32, 32),)),
     (Plumbing, (torch.randn(2, 3, 8, 8), torch.randn(2, 5, 4, 4)))],
)  # fmt: skip
def test_fx_and_export_give_isomorphic_graphs(make, inputs):
    model = make()
    fx_graph, export_graph = (from_module(model, inputs, method=m) for m in ("fx", "export"))
    assert counts(fx_graph) == counts(export_graph)
    assert fx_graph.canonical_hash() == export_graph.canonical_hash()


def test_identity_model_and_tensor_or_tuple_inputs():
    class PassThrough(nn.Module):
        def forward(self, x):
            return x

    x = torch.randn(2, 3)
    assert from_module(PassThrough(), x) == from_module(PassThrough(), (x,))
    g = from_module(PassThrough(), x)
    assert g.ops == ("input", "output") and g.edges == ((0, 1),)


def test_lazy_import_and_pyg_features():
    import nag.graph

    g = nag.graph.from_module(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()), torch.randn(1, 3, 8, 8))
    data = g.to_pyg()
    assert data.num_nodes == 4 and data.edge_index.shape == (2, 3)


# ------------------------------------------------------------------- property
LAYERS = {
    "conv": lambda c: nn.Conv2d(c, c, 3, padding=1),
    "dwconv": lambda c: nn.Conv2d(c, c, 3, padding=1, groups=c),
    "batchnorm": lambda c: nn.BatchNorm2d(c),
    "relu": lambda c: nn.ReLU(),
    "hardswish": lambda c: nn.Hardswish(),
    "sigmoid": lambda c: nn.Sigmoid(),
    "identity": lambda c: nn.Identity(),
    "maxpool": lambda c: nn.MaxPool2d(3, 1, 1),
}


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(sorted(LAYERS)), min_size=1, max_size=6), st.sampled_from([2, 4]))
def test_sequential_stacks_trace_to_chains(names, channels):
    model = nn.Sequential(*(LAYERS[n](channels) for n in names))
    g = from_module(model, torch.randn(1, channels, 6, 6), method="fx")
    assert g.ops == ("input", *names, "output")
    assert g.edges == tuple((i, i + 1) for i in range(len(names) + 1))
    assert all(n.spatial == 6 and n.out_channels == channels for n in g.nodes[1:-1])
