"""The ``mbv3`` space: OFA's MobileNetV3 space, checked against the ``ofa`` package itself."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import pickle
import sys
import types
from collections import Counter
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

import nag
from nag.errors import ConfigError, InvalidArchitecture
from nag.graph import CompGraph
from nag.spaces.mbv3 import MBV3Space, make_space
from nag.spaces.mbv3.skeleton import make_divisible, widths

EXAMPLE = "d4:k3e6,k5e4,k5e4,k3e3-d2:k7e6,k7e6-d3:k3e3,k5e3,k7e4-d2:k5e4,k5e4-d4:k7e3,k7e3,k3e6,k5e6"
LARGEST = {"ks": [7] * 20, "e": [6] * 20, "d": [4] * 5}
SMALLEST = {"ks": [3] * 20, "e": [3] * 20, "d": [2] * 5}


@pytest.fixture(scope="module")
def space() -> MBV3Space:
    return make_space()


def test_make_space_builds_an_mbv3_space():
    assert isinstance(make_space(), MBV3Space)


# ------------------------------------------------------------- the ofa package
class _Stub(types.ModuleType):
    """A stand-in module: every attribute is another stub, usable as a base class or called."""

    __path__: list[str] = []

    def __getattr__(self, name: str) -> _Stub:
        if name.startswith("__"):
            raise AttributeError(name)
        child = _Stub(f"{self.__name__}.{name}")
        setattr(self, name, child)
        return child

    def __mro_entries__(self, bases: tuple) -> tuple[type, ...]:
        return (object,)

    def __call__(self, *args, **kwargs) -> _Stub:
        return self


class _StubTorchvision(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers ``import torchvision[.anything]`` with stubs (ofa's data loaders import it;
    its network code does not use it)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "torchvision" or fullname.startswith("torchvision."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        return _Stub(spec.name)

    def exec_module(self, module) -> None:
        pass


@pytest.fixture(scope="module")
def ofa_mbv3() -> Iterator[type]:
    """``OFAMobileNetV3``, imported with a stub torchvision that is removed afterwards."""
    pytest.importorskip("ofa")
    hook = _StubTorchvision()
    sys.meta_path.insert(0, hook)
    try:
        from ofa.imagenet_classification.elastic_nn.networks import OFAMobileNetV3
    finally:
        sys.meta_path.remove(hook)
        for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
            del sys.modules[name]
    yield OFAMobileNetV3


@pytest.fixture(scope="module")
def ofa_subnet(ofa_mbv3):
    """``subnet(ofa_dict, width=1.0)``: OFA's ``get_active_subnet(preserve_weight=False)`` at 1000 classes."""
    supernets: dict[float, torch.nn.Module] = {}

    def subnet(arch: dict, width: float = 1.0) -> torch.nn.Module:
        if width not in supernets:
            supernets[width] = ofa_mbv3(n_classes=1000, dropout_rate=0, width_mult=width, ks_list=[3, 5, 7],
                                        expand_ratio_list=[3, 4, 6], depth_list=[2, 3, 4])  # fmt: skip
        supernets[width].set_active_subnet(ks=arch["ks"], e=arch["e"], d=arch["d"])
        return supernets[width].get_active_subnet(preserve_weight=False)

    return subnet


# ------------------------------------------------------------------ the space
def test_size_is_exact_and_choices_are_named_by_stage(space):
    assert space.size == 7371**5
    names = [c.name for c in space.declared_choices]
    assert len(names) == 5 * (1 + 4 * 2)
    assert names[:5] == ["s1.depth", "s1.0.k", "s1.0.e", "s1.1.k", "s1.1.e"] and names[-1] == "s5.3.e"
    assert (space.name, space.task, space.levels) == ("mbv3", "image_classification", ("network",))
    assert space.description and "\n" not in space.description
    assert space.cost_names == ("params", "flops")


def test_depths_are_drawn_in_proportion_to_the_archs_they_hold(space):
    """Uniform over archs: a stage of depth d holds 9^d block settings, so depths 2, 3, 4
    come up 81 : 729 : 6561 in every stage."""
    stages = [space.stages(a) for a in space.sample(20_000, seed=11)]
    expected = np.array([81, 729, 6561]) / 7371 * len(stages)
    for s in range(5):
        counts = Counter(len(arch[s]) for arch in stages)
        assert chisquare([counts[d] for d in (2, 3, 4)], expected).pvalue > 1e-3
    kernels = Counter(k for arch in stages for stage in arch for k, _ in stage)
    assert chisquare([kernels[k] for k in (3, 5, 7)]).pvalue > 1e-3


def test_sampling_is_seeded(space):
    assert space.sample(5, seed=3) == space.sample(5, seed=3)
    assert len(set(space.sample_distinct(50, seed=1))) == 50


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2), min_size=45, max_size=45))
def test_compact_string_and_ofa_dict_round_trip(space, indices):
    arch = space.from_choices(indices)
    assert space.from_stages(space.stages(arch)) == arch
    text = space.to_str(arch)
    assert space.from_str(text) == arch and str(arch) == text
    ofa = space.to_ofa(arch)
    assert [len(ofa[k]) for k in ("ks", "e", "d")] == [20, 20, 5]
    assert space.from_ofa(ofa) == arch
    assert space.coerce(ofa) == arch and space.coerce(json.dumps(ofa)) == arch
    assert space.coerce(arch.as_dict()) == arch
    absent = [s * 4 + j for s, d in enumerate(ofa["d"]) for j in range(d, 4)]
    assert all(ofa["ks"][i] == 3 and ofa["e"][i] == 3 for i in absent)
    noisy = {"ks": [99 if i in absent else k for i, k in enumerate(ofa["ks"])],
             "e": [None if i in absent else e for i, e in enumerate(ofa["e"])], "d": ofa["d"]}  # fmt: skip
    assert space.from_ofa(noisy) == arch


def test_compact_string_reads_stages_and_trims_only_surrounding_whitespace(space):
    arch = space.from_str(f"  {EXAMPLE}\n")
    stages = space.stages(arch)
    assert [len(s) for s in stages] == [4, 2, 3, 2, 4]
    assert stages[0] == ((3, 6), (5, 4), (5, 4), (3, 3)) and stages[4][-1] == (5, 6)
    assert space.to_str(arch) == EXAMPLE
    assert arch["s2.2.k"] is None and arch["s1.1.e"] == 4


@pytest.mark.parametrize(("text", "message"), [
    ("", "has 1 stage"),
    (EXAMPLE.rsplit("-", 1)[0], "has 4 stage"),
    (EXAMPLE + "-", "has 6 stage"),
    ("d3" + EXAMPLE[2:], "stage 1 .* has depth 3 but writes 4"),
    (EXAMPLE.replace("d2:k7e6,k7e6", "d5:k7e6,k7e6"), "stage 2 .* depth '5' is not one of 2, 3, 4"),
    (EXAMPLE.replace("d2:k7e6", "d02:k7e6"), "depth '02'"),
    (EXAMPLE.replace("k7e6,k7e6", "k9e6,k7e6"), "kernel '9' is not one of 3, 5, 7"),
    (EXAMPLE.replace("k5e4,k5e4-d4", "k5e5,k5e4-d4"), "stage 4 .* expand ratio '5' is not one of 3, 4, 6"),
    (EXAMPLE.replace("k5e4,k3e3", "k5e4, k3e3"), "block ' k3e3'"),
    (EXAMPLE.replace("k5e4,k3e3", "k5e4,,k3e3"), "block ''"),
    (EXAMPLE.replace("d4:", "D4:", 1), "not 'd<depth>:"),
    (EXAMPLE.replace("-", " - ", 1), "not 'd<depth>:|block"),
    (f"'{EXAMPLE}'", "stage 1"),
    (EXAMPLE.replace("k3e6", "K3E6", 1), "block 'K3E6'"),
])  # fmt: skip
def test_compact_string_errors_name_what_is_wrong(space, text, message):
    with pytest.raises(InvalidArchitecture, match=message):
        space.from_str(text)


def test_parsed_archs_are_members_of_the_diagram(space):
    archs = [space.from_str(EXAMPLE), space.from_ofa(LARGEST), space.from_ofa(SMALLEST)]
    assert space.diagram.contains(np.array([a.choices for a in archs])).all()
    assert [space.rank(a) for a in archs[1:]] == [space.size - 1, 0]
    with pytest.raises(InvalidArchitecture, match="5 stages"):
        space.from_stages(((3, 3),) * 4)


def test_non_strings_and_bad_json_are_refused(space):
    with pytest.raises(InvalidArchitecture, match="must be a str"):
        space.from_str(42)
    with pytest.raises(InvalidArchitecture, match="JSON"):
        space.coerce('{"ks": [3, ')


@pytest.mark.parametrize(("arch", "message"), [
    ({"ks": [3] * 20, "e": [3] * 20}, "exactly the keys ks, e and d"),
    ({**SMALLEST, "w": 1.2}, "exactly the keys"),
    ({**SMALLEST, "ks": [3] * 19}, "'ks' must be a list of 20"),
    ({**SMALLEST, "d": "22222"}, "'d' must be a list of 5"),
    ({**SMALLEST, "d": [2, 2, 5, 2, 2]}, r"d\[2\] .* is 5"),
    ({**SMALLEST, "d": [2, 2, True, 2, 2]}, r"d\[2\]"),
    ({**SMALLEST, "ks": [3, 4] + [3] * 18}, r"ks\[1\] is 4"),
    ({**SMALLEST, "e": [3] * 12 + [2.5] + [3] * 7}, r"e\[12\] is 2.5"),
])  # fmt: skip
def test_ofa_dict_errors_name_what_is_wrong(space, arch, message):
    with pytest.raises(InvalidArchitecture, match=message):
        space.from_ofa(arch)


def test_archs_pickle_mutate_and_encode(space):
    arch = space.from_str(EXAMPLE)
    assert pickle.loads(pickle.dumps(arch)) == arch
    other = space.mutate(arch, rng=0)
    assert other != arch and other in space.neighbours(arch)
    assert space.choice_encoding([arch]).shape == (1, 45 * 3)


def test_hooks(space):
    (x,) = space.example_input(batch=2, resolution=40, in_channels=1, num_classes=10, width=1.2)
    assert x.shape == (2, 1, 40, 40) and not x.any()
    assert space.example_input()[0].shape == (1, 3, 224, 224)
    assert space.export_dims() == ({0: "batch"},)
    assert dict(space.defaults.trace_options) == {"resolution": 32, "num_classes": 10}


def test_widths_are_rounded_as_ofa_rounds_them():
    assert make_divisible(16 * 1.2) == 24  # 16 would lose more than 10% of 19.2
    assert make_divisible(112 * 1.2) == 136 and make_divisible(4) == 8
    assert widths(1.0).stages == (24, 40, 80, 112, 160)
    assert widths(1.2) == type(widths(1.2))(24, 24, (32, 48, 96, 136, 192), 1152, 1536)


# --------------------------------------------------------- against ofa itself
def test_parameter_counts_of_the_extremes_match_ofa(space, ofa_subnet):
    for arch, count in ((LARGEST, 7_664_760), (SMALLEST, 3_410_792)):
        assert nag.count_params(ofa_subnet(arch)) == count
        assert nag.count_params(space.build(arch)) == count
        assert space.cost([arch], "params")[0] == count


def test_parameter_counts_of_sampled_archs_match_ofa(space, ofa_subnet):
    for arch in space.sample(20, seed=2024):
        ofa = space.to_ofa(arch)
        assert nag.count_params(space.build(arch)) == nag.count_params(ofa_subnet(ofa)), space.to_str(arch)
    for arch in space.sample(4, seed=7):
        ofa = space.to_ofa(arch)
        assert nag.count_params(space.build(arch, width=1.2)) == nag.count_params(ofa_subnet(ofa, width=1.2))


def _randomise(module: torch.nn.Module, seed: int) -> None:
    """Random weights and batch-norm statistics (so copying them proves something)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if tensor.is_floating_point():
                values = torch.rand(tensor.shape, generator=generator)
                tensor.copy_(values + 0.5 if name.endswith("running_var") else (values - 0.5) * 0.5)


@pytest.mark.parametrize("arch", [LARGEST, SMALLEST, "sampled"])
def test_same_network_as_ofa(space, ofa_subnet, arch):
    """OFA's subnet's weights, copied into ours in state-dict order, give the same outputs."""
    arch = space.to_ofa(space.sample(1, seed=5)[0]) if arch == "sampled" else arch
    theirs, ours = ofa_subnet(arch).eval(), space.build(arch).eval()
    _randomise(theirs, seed=1)
    their_state, our_state = theirs.state_dict(), ours.state_dict()
    assert [t.shape for t in their_state.values()] == [t.shape for t in our_state.values()]
    ours.load_state_dict(dict(zip(our_state, their_state.values())))
    x = torch.randn(2, 3, 96, 96, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected, got = theirs(x), ours(x)
    assert got.shape == (2, 1000)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------- costs
@pytest.mark.parametrize("options", [
    {}, {"width": 1.2}, {"resolution": 32, "num_classes": 10}, {"resolution": 32, "width": 1.2, "num_classes": 10},
    {"resolution": 17, "in_channels": 1, "num_classes": 7},
])  # fmt: skip
def test_analytic_costs_equal_counted_costs(space, options):
    archs = [space.from_ofa(LARGEST), space.from_ofa(SMALLEST), *space.sample(3, seed=31)]
    params, flops = space.cost(archs, "params", **options), space.cost(archs, "flops", **options)
    for arch, p, f in zip(archs, params, flops):
        model = space.build(arch, **options)
        assert p == nag.count_params(model)
        assert f == nag.count_flops(model, space.example_input(**options))


def test_cost_takes_build_options_and_refuses_others(space):
    archs = space.sample(3, seed=0)
    small = space.cost(archs, "params", num_classes=10, resolution=32)
    assert (space.cost(archs, "params") - small == 1281 * 990).all()  # the classifier alone
    assert (space.cost(archs, "flops", resolution=32) < space.cost(archs, "flops")).all()
    with pytest.raises(ConfigError, match="no option"):
        space.cost(archs, "params", depth=3)
    with pytest.raises(ConfigError, match="width"):
        space.build(archs[0], width=0)
    with pytest.raises(ConfigError, match="num_classes"):
        space.to_graph(archs[0], num_classes=0)


@pytest.mark.parametrize("resolution", [1, 7, 32])
def test_forward_takes_any_resolution(space, resolution):
    model = space.build(EXAMPLE, num_classes=5, in_channels=2, dropout=0.2).eval()
    with torch.no_grad():
        out = model(torch.randn(3, 2, resolution, resolution + 3))
    assert out.shape == (3, 5) and torch.isfinite(out).all()


# ------------------------------------------------------------------ graphs
def test_graph_is_valid_deterministic_and_carries_shapes(space):
    arch = space.from_str(EXAMPLE)
    graph = space.to_graph(arch)
    assert isinstance(graph, CompGraph) and graph == space.to_graph(EXAMPLE)
    graph.validate()
    assert graph.canonical_hash() == space.to_graph(arch).canonical_hash()
    assert graph.canonical_hash() != space.to_graph(space.mutate(arch, rng=1)).canonical_hash()
    ops = Counter(graph.ops)
    blocks = 1 + 15
    assert ops["dwconv"] == blocks and ops["mul"] == 2 + 2 + 4 and ops["globalpool"] == 9
    first = graph.nodes[1]
    assert (first.op, first.kernel, first.stride, first.out_channels, first.spatial) == ("conv", 3, 2, 16, 112)
    assert graph.nodes[graph.predecessors(graph.outputs()[0])[0]].out_channels == 1000
    assert {n.spatial for n in space.to_graph(arch, resolution=32).nodes if n.op == "dwconv"} == {16, 8, 4, 2, 1}


@pytest.mark.parametrize("options", [{}, {"resolution": 32, "num_classes": 10, "width": 1.2, "in_channels": 1}])
def test_graph_equals_the_traced_network(space, options):
    """Tracing the built network gives the same nodes (op and attributes), numbering and edges."""
    from nag.graph import from_module

    for arch in [space.from_ofa(LARGEST), space.from_ofa(SMALLEST), *space.sample(2, seed=8)]:
        traced = from_module(space.build(arch, **options), space.example_input(**options))
        assert traced == space.to_graph(arch, **options)


@pytest.mark.slow
def test_sampled_networks_build_and_run(space):
    x = torch.randn(2, 3, 32, 32)
    for arch in space.sample(100, seed=99):
        model = space.build(arch, num_classes=10).eval()
        with torch.no_grad():
            out = model(x)
        assert out.shape == (2, 10) and torch.isfinite(out).all()
