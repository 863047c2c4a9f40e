"""The Python API under hostile input: arch strings, tuples, choices, constraints, seeds and
options drawn by hypothesis. Whatever comes in, nag either answers or raises one of its own
errors (``NagError``), never a raw ``TypeError``, ``KeyError``, ``OverflowError``...

``NAG_FUZZ_EXAMPLES`` sets the examples per test (default 25; ``benchmarks/reliability.py``
runs many more)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nag import NagError, bench, search, spaces
from nag.generator import constraints as constraint_specs

EXAMPLES = int(os.environ.get("NAG_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

SPACES = ["nb201", "nbgraph", "nbgraph-proteins"]
NUMBERS = st.one_of(st.integers(-(10**400), 10**400), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([True, False, np.int64(3), np.float32(-1.5), np.bool_(True)]))  # fmt: skip
TEXT = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="|~+0123456789,: _-abcdefghijklmnopqrstuvwxyz'\"\t\n\u0660", max_size=120),
)
#: anything a user might pass where an arch, a name or an option goes
ANYTHING = st.recursive(
    st.one_of(st.none(), NUMBERS, TEXT, st.binary(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=7), st.tuples(inner, inner), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=12,
)


def _mutated_arch_text(space_name: str) -> st.SearchStrategy[str]:
    """A valid arch string of the space with a few characters replaced, deleted or inserted."""
    space = spaces.get(space_name)
    seeds = [space.to_str(a) for a in space.sample(20, seed=0)]

    @st.composite
    def mutate(draw) -> str:
        text = list(draw(st.sampled_from(seeds)))
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(text)))
            kind = draw(st.sampled_from(["replace", "delete", "insert"]))
            char = draw(st.characters(codec="utf-8"))
            if kind == "insert" or not text:
                text.insert(i, char)
            elif kind == "delete":
                text.pop(min(i, len(text) - 1))
            else:
                text[min(i, len(text) - 1)] = char
        return "".join(text)

    return mutate()


def _only_nag_errors(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except NagError:
        return None


@FUZZ
@given(space_name=st.sampled_from(SPACES), data=st.data())
def test_arch_strings_parse_or_raise_a_nag_error(space_name, data):
    space = spaces.get(space_name)
    text = data.draw(st.one_of(_mutated_arch_text(space_name), TEXT))
    arch = _only_nag_errors(space.from_str, text)
    if arch is not None:  # whatever parses is a member, and its own string parses back to it
        assert space.from_str(space.to_str(arch)) == arch
        assert text.strip().strip("'\"").strip() != "" and not any(c.isspace() for c in space.to_str(arch))


@FUZZ
@given(space_name=st.sampled_from(SPACES), item=ANYTHING)
def test_any_object_coerces_to_an_arch_or_raises_a_nag_error(space_name, item):
    space = spaces.get(space_name)
    _only_nag_errors(space.coerce, item)
    _only_nag_errors(space.contains, item)
    _only_nag_errors(space.from_choices, item if isinstance(item, (list, tuple)) else [item])


@FUZZ
@given(key=ANYTHING)
def test_nb201_tuples_and_nbgraph_keys(key):
    _only_nag_errors(spaces.get("nb201").from_tuple, key if isinstance(key, (list, tuple)) else (key,))
    _only_nag_errors(spaces.get("nbgraph").from_key, key)


@FUZZ
@given(name=ANYTHING)
def test_registry_lookups(name):
    _only_nag_errors(spaces.get, name)
    _only_nag_errors(bench.load, name)
    _only_nag_errors(search.run, name, lambda archs: np.zeros(len(archs)), space="nb201", budget=2)


@pytest.fixture(scope="module")
def nb201_bench():
    return bench.load("nb201-cifar10")


@FUZZ
@given(arch=ANYTHING, metric=ANYTHING, fraction=ANYTHING)
def test_benchmark_queries(nb201_bench, arch, metric, fraction):
    _only_nag_errors(nb201_bench.query, arch, metric)
    _only_nag_errors(nb201_bench.query, nb201_bench.archs[0], metric)
    _only_nag_errors(nb201_bench.threshold, fraction)
    _only_nag_errors(nb201_bench.summary, metric)


@FUZZ
@given(constraints=st.one_of(ANYTHING, st.dictionaries(TEXT, st.one_of(ANYTHING, st.tuples(st.sampled_from(["<=", ">", "=="]),
                                                                                           NUMBERS)), max_size=3)))  # fmt: skip
def test_constraints_parse_or_raise_a_nag_error(constraints):
    parsed = _only_nag_errors(constraint_specs.parse, constraints)
    if parsed:
        assert all(op in constraint_specs.OPERATORS and not np.isnan(bound) for op, bound in parsed.values())


@pytest.fixture(scope="module")
def generator():
    from nag.generator import Generator

    return Generator.from_pretrained("nb201")


@FUZZ
@given(n=st.one_of(st.integers(-5, 5), ANYTHING), seed=st.one_of(st.integers(-(10**30), 10**30), ANYTHING),
       constraints=st.one_of(st.none(), st.just({"params": ("<=", 10**400)}), st.dictionaries(TEXT, ANYTHING, max_size=2)),
       condition_scale=st.one_of(st.just(1.0), NUMBERS))  # fmt: skip
def test_generator_sample_options(generator, n, seed, constraints, condition_scale):
    archs = _only_nag_errors(generator.sample, n, seed=seed, constraints=constraints, condition_scale=condition_scale)
    if archs is not None:
        assert len(archs) == n and all(generator.space.contains(a) for a in archs)


@FUZZ
@given(strategy=st.sampled_from(["random", "re", "local"]), budget=st.one_of(st.integers(-3, 6), ANYTHING),
       seed=st.one_of(st.integers(-(10**30), 10**30), ANYTHING),
       options=st.dictionaries(st.sampled_from(["population", "sample_size", "max_mutation_tries", "nosuch"]),
                               st.one_of(st.integers(-3, 6), ANYTHING), max_size=2))  # fmt: skip
def test_search_options(nb201_bench, strategy, budget, seed, options):
    trajectory = _only_nag_errors(search.run, strategy, nb201_bench, budget=budget, seed=seed, **options)
    if trajectory is not None:
        assert len(trajectory) == budget and len(set(trajectory.archs)) == budget


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(["heads", "hidden", "epochs", "lr", "targets", "gp_weight", "gp_kernel", "seed",
                                               "fuzziness", "path_stats", "nosuch"]), ANYTHING, max_size=3))  # fmt: skip
def test_predictor_config_fields(fields):
    from nag.predictors.config import PredictorConfig

    _only_nag_errors(PredictorConfig.from_dict, fields)


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(["epochs", "batch_size", "lr", "optimizer", "weight_decay", "grad_clip", "patience",
                                               "device", "amp", "seed", "deterministic", "nosuch"]), ANYTHING, max_size=3))  # fmt: skip
def test_train_config_fields(fields):
    from nag.train import TrainConfig

    _only_nag_errors(TrainConfig.from_dict, fields)


@FUZZ
@given(batch_size=st.one_of(st.integers(-3, 3), ANYTHING), space=st.one_of(st.sampled_from(SPACES), ANYTHING))
def test_embedding_options(batch_size, space):
    archs = spaces.get("nb201").sample(3, seed=0)
    embedding = _only_nag_errors(_embed, archs, space, batch_size)
    if embedding is not None:
        assert embedding.shape[0] == 3


def _embed(archs, space, batch_size):
    from nag import Encoder

    return Encoder().embed(archs, space=space, batch_size=batch_size)


def test_the_readme_crashes_are_gone():
    """The inputs the reliability issue listed, one by one."""
    from nag import Encoder
    from nag.generator import Generator

    b = bench.load("nb201-cifar10")
    for call in (lambda: spaces.get("nb201").from_str(None), lambda: Generator.from_pretrained("nb201").sample(2, seed=-1),
                 lambda: constraint_specs.parse({"params": ("<=", 10**400)}), lambda: b.query(b.archs[0], ["accuracy"]),
                 lambda: _embed(b.archs[:2], "nb201", 0)):  # fmt: skip
        with pytest.raises(NagError):
            call()
    assert Encoder.from_pretrained().embed(b.archs[:10], space="nb201").shape == (10, 64)
