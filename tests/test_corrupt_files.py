"""Files a user hands nag, damaged or crafted: each loader refuses them with a NagError that
names the file and what is wrong, before allocating for them, never with a raw Python error.

Checkpoints (encoder, predictor, generator, proxy table), a training run's state, the
benchmark cache, pickled CIFAR-10 batches and benchmark files.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
import shutil
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from nag import checkpoint, proxies, spaces
from nag.checkpoint import DIGEST_KEY, load_checkpoint, save_checkpoint
from nag.diffusion import Denoiser
from nag.digests import arrays_digest, file_digest
from nag.encoder import Encoder, EncoderConfig
from nag.errors import BenchmarkDataError, CheckpointError, ConfigError, DatasetError
from nag.generator import Generator, GeneratorConfig
from nag.predictors import Predictor
from nag.predictors.heads import EnsembleHeads
from nag.sources import cache
from nag.sources.safe_pickle import safe_load
from nag.train import TrainConfig, load_dataset, train
from nag.train.datasets import read_cifar_batch
from nag.train.state import METRICS_FILE, STATE_FILE

pytestmark = pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True:UserWarning")

LOADERS = {"encoder": Encoder.load, "predictor": Predictor.load, "generator": Generator.load}
CHECKPOINTS = Path(checkpoint.__file__).parent / "checkpoints"


# ------------------------------------------------------------------ tiny checkpoints
@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, Path]:
    """One tiny checkpoint of each kind (the predictor fitted on 20 nb201 archs)."""
    root = tmp_path_factory.mktemp("saved")
    torch.manual_seed(0)
    encoder = Encoder(EncoderConfig(hidden=8, layers=1, embed_dim=8))
    space = spaces.get("nb201")
    archs = space.sample(20, seed=0)
    predictor = Predictor(encoder=encoder, space=space, epochs=2, heads=2, hidden=8).fit(
        archs, np.random.default_rng(0).random(20)
    )
    generator = Generator("nb201", GeneratorConfig(iterations=1, hidden=8, heads=2, layers=1))
    return {"encoder": encoder.save(root / "encoder"), "predictor": predictor.save(root / "predictor"),
            "generator": generator.save(root / "generator")}  # fmt: skip


@pytest.fixture
def copy(saved, tmp_path):
    """``copy(kind)``: a fresh copy of the tiny ``kind`` checkpoint to damage."""
    return lambda kind: Path(shutil.copytree(saved[kind], tmp_path / kind))


def edit_config(directory: Path, **changes) -> Path:
    """Set top-level fields of ``config.json``; a dict value updates that section's fields."""
    path = directory / "config.json"
    config = json.loads(path.read_text())
    for key, value in changes.items():
        config[key] = {**config[key], **value} if isinstance(value, dict) and isinstance(config.get(key), dict) else value
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


def rewrite(directory: Path, kind: str, change, allow_nonfinite: tuple[str, ...] = ()) -> None:
    """Save the checkpoint again (with a matching digest) after ``change(tensors)``."""
    tensors, config = load_checkpoint(directory, kind, allow_nonfinite)
    change(tensors)
    save_checkpoint(directory, kind, tensors, config)


def set_first(name: str, value: float):
    def change(tensors):
        tensors[name] = tensors[name].clone()
        tensors[name].view(-1)[0] = value

    return change


def real_builds(monkeypatch, cls) -> list[str]:
    """The devices on which ``cls`` is built from now on (``meta``: nothing allocated)."""
    devices, init = [], cls.__init__

    def spy(self, *args, **kwargs):
        devices.append(torch.get_default_device().type)
        init(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__init__", spy)
    return devices


# ----------------------------------------------------------- A1: config.json itself
@pytest.mark.parametrize("kind", LOADERS)
def test_a_deeply_nested_config_is_a_checkpoint_error(copy, kind):
    directory = copy(kind)
    (directory / "config.json").write_text("[" * 100_000)
    with pytest.raises(CheckpointError, match="too deeply") as info:
        LOADERS[kind](directory)
    assert str(directory / "config.json") in str(info.value)


def test_an_oversized_config_is_refused_before_it_is_read(copy, monkeypatch):
    directory = copy("encoder")
    with (directory / "config.json").open("r+b") as f:
        f.truncate(checkpoint.MAX_CONFIG_BYTES + 1)  # sparse: no disk used
    reads = []
    monkeypatch.setattr(Path, "read_text", lambda self, *args, **kwargs: reads.append(self) or "{}")
    with pytest.raises(CheckpointError, match=f"{checkpoint.MAX_CONFIG_BYTES + 1} bytes"):
        Encoder.load(directory)
    assert reads == []


# ------------------------------------------------------------- A2/A3/A5: tensors
@pytest.mark.parametrize("damage", ["one row", "integers", "too many rows"])
def test_centers_of_the_wrong_shape_or_type_are_a_checkpoint_error(copy, damage):
    directory = copy("predictor")
    change = {"one row": lambda c: c[0], "integers": lambda c: c.long(), "too many rows": lambda c: torch.cat([c, c])}[damage]
    rewrite(directory, "predictor", lambda t: t.update(centers=change(t["centers"]).clone()))
    with pytest.raises(CheckpointError, match="centers") as info:
        Predictor.load(directory)
    assert str(directory / "weights.safetensors") in str(info.value)


@pytest.mark.parametrize(("name", "value"), [
    ("gp.0.x", float("nan")), ("gp.0.y", float("inf")), ("gp.0.params", float("nan")), ("targets.0.y", float("nan")),
    ("targets.0.z", float("-inf")), ("paths.mean", float("inf")), ("paths.std", float("nan")), ("centers", float("nan")),
    ("heads.heads.0.0.weight", float("inf")), ("encoder.node_in.weight", float("nan")),
])  # fmt: skip
def test_nan_or_inf_in_a_predictor_tensor_is_named(copy, name, value):
    directory = copy("predictor")
    rewrite(directory, "predictor", set_first(name, value))
    with pytest.raises(CheckpointError, match=re.escape(f"tensor {name} holds NaN or infinite")) as info:
        Predictor.load(directory)
    assert str(directory / "weights.safetensors") in str(info.value)


def test_nan_in_the_gp_extra_noise_is_named(copy):
    directory = copy("predictor")
    rewrite(directory, "predictor", lambda t: t.update({"gp.0.alpha": torch.full_like(t["gp.0.y"], float("nan"))}))
    with pytest.raises(CheckpointError, match=r"gp\.0\.alpha"):
        Predictor.load(directory)


def test_an_empty_gp_is_a_checkpoint_error(copy):
    directory = copy("predictor")
    rewrite(directory, "predictor", lambda t: t.update({k: t[k][:0].clone() for k in ("gp.0.x", "gp.0.y", "gp.0.adjacency")}))
    with pytest.raises(CheckpointError, match="GP of metric 0.*n >= 1"):
        Predictor.load(directory)


@pytest.mark.parametrize(("kind", "name"), [("encoder", "node_in.weight"), ("generator", "denoiser.node_pos")])
def test_nan_in_an_encoder_or_generator_tensor_is_named(copy, kind, name):
    directory = copy(kind)
    rewrite(directory, kind, set_first(name, float("nan")))
    with pytest.raises(CheckpointError, match=re.escape(f"tensor {name} holds NaN")):
        LOADERS[kind](directory)


# ----------------------------------------------------- A4: configs asking for huge models
@pytest.mark.parametrize(("kind", "section", "field", "value"), [
    ("encoder", "encoder", "hidden", 10**8), ("encoder", "encoder", "layers", 10**7), ("predictor", "encoder", "embed_dim", 10**8),
    ("predictor", "predictor", "heads", 10**6), ("predictor", "predictor", "hidden", 10**8),
    ("predictor", "predictor", "condition_dim", 10**8), ("generator", "generator", "steps", 10**9),
    ("generator", "generator", "hidden", 10**8), ("generator", "generator", "layers", 10**7),
    ("generator", "generator", "heads", 10**6),
])  # fmt: skip
def test_a_config_asking_for_a_huge_model_is_refused_by_its_bounds(copy, kind, section, field, value):
    directory = copy(kind)
    path = edit_config(directory, **{section: {field: value}})
    with pytest.raises(CheckpointError, match=rf"{field} must be in \[") as info:
        LOADERS[kind](directory)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(("kind", "section", "field", "built"), [
    ("encoder", "encoder", "hidden", Encoder), ("predictor", "predictor", "hidden", EnsembleHeads),
    ("generator", "generator", "hidden", Denoiser),
])  # fmt: skip
def test_a_config_that_does_not_fit_the_weights_allocates_nothing(copy, monkeypatch, kind, section, field, built):
    """Within the bounds, a width the weights do not have is found on the meta device:
    the module is never built for real."""
    directory = copy(kind)
    edit_config(directory, **{section: {field: 512}})
    devices = real_builds(monkeypatch, built)
    with pytest.raises(CheckpointError, match="tensor .* has shape") as info:
        LOADERS[kind](directory)
    assert str(directory / "weights.safetensors") in str(info.value)
    assert devices and set(devices) == {"meta"}


@pytest.mark.parametrize("kind", LOADERS)
def test_a_checkpoint_loads_into_real_tensors(copy, kind):
    directory = copy(kind)
    loaded = LOADERS[kind](directory)
    module = {"encoder": lambda m: m, "predictor": lambda m: m.heads, "generator": lambda m: m.denoiser}[kind](loaded)
    tensors = [*module.parameters(), *module.buffers()]
    assert tensors and not any(t.is_meta for t in tensors)
    assert all(p.requires_grad for p in module.parameters())


# ----------------------------------------------------------- A6: config field types
@pytest.mark.parametrize(("kind", "changes", "match"), [
    ("predictor", {"space": 5}, "space"), ("generator", {"space": None}, "space"), ("generator", {"space": 5}, "space"),
    ("generator", {"space": "no-such-space"}, "no-such-space"), ("predictor", {"space": "no-such-space"}, "no-such-space"),
    ("predictor", {"metrics": [1]}, "metrics"), ("predictor", {"metrics": ["y", "y"]}, "metrics"),
    ("predictor", {"metrics": "y"}, "metrics"), ("predictor", {"metrics": []}, "metrics"),
    ("predictor", {"predictor": {"seed": "0"}}, "seed"), ("predictor", {"predictor": {"lr": "fast"}}, "lr"),
    ("predictor", {"predictor": {"path_stats": 1}}, "path_stats"), ("predictor", {"predictor": {"fuzziness": None}}, "fuzziness"),
    ("predictor", {"predictor": {"weight_decay": -1.0}}, "weight_decay"), ("predictor", {"report": []}, "report"),
    ("predictor", {"encoder": [8, 1]}, "encoder"), ("generator", {"generator": {"seed": "0"}}, "seed"),
    ("generator", {"generator": {"lr": [0.1]}}, "lr"), ("generator", {"generator": {"schedule": 3}}, "schedule"),
    ("generator", {"generator": {"conditions": "abc"}}, "conditions"), ("generator", {"report": "fast"}, "report"),
    ("encoder", {"encoder": {"dropout": "none"}}, "dropout"), ("encoder", {"encoder": {"conv": ["gin"]}}, "conv"),
    ("encoder", {"pretrain": 3}, "pretrain"), ("encoder", {"encoder": "gin"}, "encoder"),
])  # fmt: skip
def test_a_config_field_of_the_wrong_type_is_a_checkpoint_error(copy, kind, changes, match):
    directory = copy(kind)
    path = edit_config(directory, **changes)
    with pytest.raises(CheckpointError, match=match) as info:
        LOADERS[kind](directory)
    assert str(path) in str(info.value)


def test_a_predictor_without_a_space_loads_for_graphs(copy):
    directory = copy("predictor")
    edit_config(directory, space=None)
    predictor = Predictor.load(directory)
    assert predictor.space is None
    graphs = [spaces.get("nb201").to_graph(a) for a in spaces.get("nb201").sample(3, seed=1)]
    assert predictor.predict(graphs)[0].shape == (3,)


# ------------------------------------------------------------------ A7: the digest
@pytest.mark.parametrize("kind", LOADERS)
def test_save_records_the_weights_digest_and_a_flipped_bit_is_refused(copy, kind):
    directory = copy(kind)
    weights = directory / "weights.safetensors"
    assert json.loads((directory / "config.json").read_text())[DIGEST_KEY] == file_digest(weights)
    data = bytearray(weights.read_bytes())
    data[-4] ^= 1  # the lowest mantissa bit of the last float: still a valid, finite file
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="SHA-256") as info:
        LOADERS[kind](directory)
    assert str(weights) in str(info.value) and str(directory / "config.json") in str(info.value)


@pytest.mark.parametrize("kind", LOADERS)
def test_a_checkpoint_saved_before_digests_still_loads(copy, kind):
    directory = copy(kind)
    path = directory / "config.json"
    config = json.loads(path.read_text())
    del config[DIGEST_KEY]
    path.write_text(json.dumps(config, indent=2) + "\n")
    LOADERS[kind](directory)


@pytest.mark.parametrize("digest", [5, "abc", "0" * 63 + "g"])
def test_a_malformed_digest_is_a_checkpoint_error(copy, digest):
    directory = copy("encoder")
    edit_config(directory, **{DIGEST_KEY: digest})
    with pytest.raises(CheckpointError, match=DIGEST_KEY):
        Encoder.load(directory)


@pytest.mark.parametrize(
    "config", sorted(CHECKPOINTS.glob("**/config.json")), ids=lambda p: str(p.parent.relative_to(CHECKPOINTS))
)
def test_every_shipped_checkpoint_carries_a_matching_digest(config):
    recorded = json.loads(config.read_text())
    assert recorded[DIGEST_KEY] == file_digest(config.parent / "weights.safetensors")
    kind = recorded["kind"]
    load_checkpoint(config.parent, kind, allow_nonfinite=("values",) if kind == "proxies" else ())


# ------------------------------------------------------ A8: truncated or garbage weights
@pytest.mark.parametrize("kind", LOADERS)
@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_truncated_or_garbage_weights_are_a_checkpoint_error(copy, kind, damage):
    directory = copy(kind)
    weights = directory / "weights.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2] if damage == "truncated" else os.urandom(len(data)))
    with pytest.raises(CheckpointError) as info:
        LOADERS[kind](directory)
    assert str(weights) in str(info.value)


# ------------------------------------------------------------------ the proxy table
@pytest.fixture
def proxy_tables(tmp_path, monkeypatch):
    shutil.copytree(proxies.TABLES_DIR / "nb201", tmp_path / "nb201")
    monkeypatch.setattr(proxies, "TABLES_DIR", tmp_path)
    return tmp_path / "nb201"


def test_the_proxy_table_keeps_its_non_finite_scores(proxy_tables):
    _, values = proxies.load_table.__wrapped__("nb201")  # past the cache of the shipped table
    assert not np.isfinite(values).all()


def test_a_proxy_table_without_its_values_is_a_checkpoint_error(proxy_tables):
    rewrite(proxy_tables, "proxies", lambda t: t.update(scores=t.pop("values").nan_to_num(posinf=0.0, neginf=0.0)), ("values",))
    with pytest.raises(CheckpointError, match="'values'") as info:
        proxies.load_table.__wrapped__("nb201")
    assert str(proxy_tables) in str(info.value)


# ================================================================ B: training state
@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def small_net(data):
    torch.manual_seed(0)
    return spaces.get("nb201").build("|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|none~1|nor_conv_1x1~2|",
                                     C=4, N=1, **data.model_kwargs())  # fmt: skip


class Counting(nn.Module):
    """Counts the training forwards of ``net``."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net, self.calls = net, 0

    def forward(self, x):
        self.calls += self.training
        return self.net(x)


CONFIG = TrainConfig(epochs=1, progress=False)


@pytest.fixture(scope="module")
def finished_run(digits, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "run"
    train(Counting(small_net(digits)), digits, CONFIG, out_dir=out)
    return out


@pytest.fixture
def run_copy(finished_run, tmp_path):
    return Path(shutil.copytree(finished_run, tmp_path / "run"))


def resume(digits, out: Path) -> Counting:
    model = Counting(small_net(digits))
    train(model, digits, CONFIG, out_dir=out, resume=True)
    return model


def edit_state(out: Path, change) -> None:
    state = torch.load(out / STATE_FILE, weights_only=True)
    change(state)
    torch.save(state, out / STATE_FILE)


@pytest.mark.parametrize(("damage", "match"), [
    (lambda s: s.pop("optimizer"), "optimizer"), (lambda s: s.pop("best"), "best"), (lambda s: s.pop("history"), "history"),
    (lambda s: s.update(epoch="1"), "epoch"), (lambda s: s.update(epoch=99), r"epoch.*0\.\.1"),
    (lambda s: s.update(epoch=-1), "epoch"), (lambda s: s.update(epoch=True), "epoch"),
    (lambda s: s.update(model=[1, 2]), "model"), (lambda s: s.update(scheduler=3), "scheduler"),
    (lambda s: s.update(best={"epoch": 1}), "val_accuracy"), (lambda s: s.update(best=[]), "best"),
    (lambda s: s["best"].update(model={}), "model"), (lambda s: s["best"].update(epoch=5), "best epoch"),
    (lambda s: s.update(history="{}"), "history"), (lambda s: s.update(history="[]"), "history"),
    (lambda s: s.update(history="[" * 100_000), "history"), (lambda s: s.update(config="[]"), "config"),
    (lambda s: s.update(config=json.dumps({"lr": 0.1})), "epochs"), (lambda s: s["optimizer"].update(state=[1]), "optimizer"),
    (lambda s: s["best"].update(model={"x": torch.zeros(1)}), "does not match the model"),
])  # fmt: skip
def test_a_damaged_training_state_is_a_checkpoint_error(digits, run_copy, damage, match):
    edit_state(run_copy, damage)
    with pytest.raises(CheckpointError, match=match) as info:
        resume(digits, run_copy)
    assert STATE_FILE in str(info.value)


@pytest.mark.parametrize("link", ["dangling", "loop"])
def test_a_state_file_that_is_a_broken_symlink_is_a_checkpoint_error(digits, tmp_path, link):
    out = tmp_path / "run"
    out.mkdir()
    os.symlink(out / ("nowhere" if link == "dangling" else STATE_FILE), out / STATE_FILE)
    with pytest.raises(CheckpointError, match="symlink"):
        resume(digits, out)
    assert os.path.islink(out / STATE_FILE) and not (out / METRICS_FILE).exists()  # nothing trained, nothing replaced


def test_temporaries_left_by_a_killed_write_are_removed_on_resume(digits, run_copy):
    stale = [
        run_copy / ".state.pt.a1b2c3d4.tmp",
        run_copy / ".metrics.json.x_9y8z7w.tmp",
        run_copy / ".model.safetensors.qqqqqqqq.tmp",
    ]
    stale[0].write_bytes(b"")
    stale[1].write_bytes(b'[{"epoch": 1, "tra')
    stale[2].write_bytes(b"partial")
    kept = [run_copy / ".state.pt.notes", run_copy / "mine.tmp", run_copy / "state.pt.a1b2c3d4.tmp"]
    for path in kept:
        path.write_text("not a temporary of nag")
    resume(digits, run_copy)
    assert not any(p.exists() for p in stale) and all(p.exists() for p in kept)


def test_resuming_where_the_state_cannot_be_written_fails_before_any_epoch(digits, run_copy):
    (run_copy / STATE_FILE).unlink()
    (run_copy / STATE_FILE).mkdir()  # a folder where the state file goes
    model = Counting(small_net(digits))
    with pytest.raises(ConfigError, match=STATE_FILE):
        train(model, digits, CONFIG, out_dir=run_copy, resume=True)
    assert model.calls == 0


def test_a_run_whose_folder_sits_in_a_file_fails_before_any_epoch(digits, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    model = Counting(small_net(digits))
    with pytest.raises(ConfigError, match="file"):
        train(model, digits, CONFIG, out_dir=tmp_path / "file" / "run", resume=True)
    assert model.calls == 0


# ================================================================ C: benchmark cache
@pytest.fixture
def toy_cache(tmp_path, monkeypatch):
    """``(load, builds, entry)``: the cached toy table, the count of its builds, its file."""
    monkeypatch.setenv("NAG_CACHE_DIR", str(tmp_path / "cache"))
    source = tmp_path / "source.txt"
    source.write_text("toy")
    builds = []

    def build():
        builds.append(1)
        return {"key": np.arange(4, dtype=np.int64), "accuracy": np.array([90.0, 91.5, 88.25, 93.0]), "pairs": np.ones((4, 2))}

    return (lambda: cache.cached_table("toy", [source], 1, build)), builds, tmp_path / "cache" / "toy.npz"


def rewrite_entry(entry: Path, change, keep_digest: bool = True) -> None:
    """Rewrite the cache entry's arrays after ``change(arrays)``, keeping its fingerprint and
    (``keep_digest=False``: recomputing) its digest."""
    with np.load(entry) as data:
        arrays = {k: data[k] for k in data.files}
    change(arrays)
    if not keep_digest:
        arrays[cache.DIGEST] = np.array(
            arrays_digest({k: v for k, v in arrays.items() if k not in (cache.FINGERPRINT, cache.DIGEST)})
        )
    with entry.open("wb") as f:
        np.savez(f, **arrays)


@pytest.mark.parametrize(("change", "keep_digest", "problem"), [
    (lambda a: a.update(accuracy=a["accuracy"] + 1), True, "digest"),
    (lambda a: a.update(accuracy=a["accuracy"][:3]), True, "digest"),
    (lambda a: a.update(accuracy=a["accuracy"][:3]), False, "unequal lengths"),
    (lambda a: a.update(accuracy=np.where(np.arange(4) == 1, np.nan, a["accuracy"])), False, "NaN or infinite"),
    (lambda a: a.update(pairs=np.full((4, 2), np.inf)), False, "NaN or infinite"),
    (lambda a: a.pop(cache.DIGEST), True, "no digest"),
])  # fmt: skip
def test_an_edited_cache_entry_is_rebuilt(toy_cache, caplog, change, keep_digest, problem):
    load, builds, entry = toy_cache
    table = load()
    rewrite_entry(entry, change, keep_digest)
    with caplog.at_level(logging.WARNING, logger=cache.__name__):
        rebuilt = load()
    assert len(builds) == 2 and problem in caplog.text
    assert sorted(rebuilt) == sorted(table) and all(np.array_equal(rebuilt[k], table[k]) for k in table)
    assert all(np.array_equal(v, table[k]) for k, v in load().items()) and len(builds) == 2  # the entry is whole again


def test_non_finite_values_the_table_was_built_with_are_served_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NAG_CACHE_DIR", str(tmp_path))
    builds = []

    def build():
        builds.append(1)
        return {"score": np.array([1.0, -np.inf, np.nan])}

    first = cache.cached_table("toy", [], 1, build)
    again = cache.cached_table("toy", [], 1, build)
    assert len(builds) == 1 and np.array_equal(again["score"], first["score"], equal_nan=True)


# ================================================================ D: pickle bombs
def shared_reference_bomb(width: int = 1000) -> list:
    """``width**3`` ints from ``3 * width`` pickled elements: each level holds one list ``width`` times."""
    level = [0] * width
    for _ in range(2):
        level = [level] * width
    return level


def test_a_cifar_batch_whose_labels_multiply_by_shared_references_is_refused_cheaply(tmp_path):
    path = tmp_path / "data_batch_1"
    path.write_bytes(
        pickle.dumps({b"data": np.zeros((1000, 3072), np.uint8)[:1], b"labels": shared_reference_bomb()}, protocol=2)
    )
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match=r"data_batch_1.*shared references"):
            read_cifar_batch(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20


def repeated_text_bomb(text_length: int, copies: int) -> bytes:
    """A protocol-2 pickle of a list of ``copies`` byte strings, each ``_codecs.encode`` of
    one memoized text of ``text_length`` characters: a few bytes per copy of the whole text."""
    text = b"a" * text_length
    head = (b"\x80\x02c_codecs\nencode\nq\x00X" + len(text).to_bytes(4, "little") + text + b"q\x01"
            b"X\x06\x00\x00\x00latin1q\x02]q\x03(")  # fmt: skip
    return head + b"h\x00h\x01h\x02\x86R" * copies + b"e."  # BINGET x3, TUPLE2, REDUCE; APPENDS, STOP


def test_a_cifar_batch_converting_one_text_again_and_again_is_refused_cheaply(tmp_path):
    path = tmp_path / "data_batch_1"
    path.write_bytes(repeated_text_bomb(20_000, 2_000))  # 36 KB that would build 40 MB
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match=r"data_batch_1.*builds more than \d+ bytes from \d+ bytes"):
            read_cifar_batch(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * 2**20


def test_a_benchmark_file_of_shared_references_is_refused(tmp_path):
    path = tmp_path / "light.bench"
    path.write_bytes(pickle.dumps({"key": shared_reference_bomb()}))
    with pytest.raises(BenchmarkDataError, match=f"{re.escape(str(path))} builds more than .* objects from .* bytes"):
        safe_load(path)


@pytest.mark.parametrize(
    "labels", [[0.5, 1.5, 2.5], [[0], [1], [2]], [0, 1], "abc", [0, 1, None], np.zeros(3), [True, False, True]]
)
def test_cifar_labels_that_are_not_one_int_per_image_are_refused(tmp_path, labels):
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": np.zeros((3, 3072), np.uint8), b"labels": labels}, protocol=2))
    with pytest.raises(DatasetError, match="labels must be a flat list of 3 ints"):
        read_cifar_batch(path)
