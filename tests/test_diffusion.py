"""The diffusion core: schedules, marginal noise, valid-set masking, denoiser and sampler."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nag import ConfigError
from nag.diffusion import Denoiser, DenoiserConfig, GraphLayout, MarginalNoise, Slot, ValidSet, alpha_bar, sample, sampling_times
from nag.diffusion.denoiser import NEG

LAYOUT = GraphLayout(4, (Slot("edge", (0, 1), 3), Slot("parent", (2,), 2, (0, 1)), Slot("node", (3,), 4)))
ROWS = np.array([[0, 0, 1], [0, 1, 3], [1, 0, 0], [2, 1, 2], [2, 1, 3], [1, 1, 1]])


def marginals(sizes=(3, 2, 4), k=4) -> torch.Tensor:
    m = torch.zeros(len(sizes), k)
    for i, size in enumerate(sizes):
        m[i, :size] = torch.rand(size) + 0.1
    return m / m.sum(-1, keepdim=True)


@pytest.mark.parametrize("kind", ["cosine", "linear"])
def test_schedule_runs_from_clean_to_pure_noise(kind):
    a = alpha_bar(kind, 50)
    assert a[0] == 1.0 and a[-1] == 0.0 and len(a) == 51
    assert np.all(np.diff(a) < 0)


def test_sampling_times_descend_to_zero_and_reject_bad_counts():
    times = sampling_times(100, 10)
    assert times[0] == 100 and times[-1] == 0 and len(times) == 11 and times == sorted(times, reverse=True)
    assert sampling_times(5, 5) == [5, 4, 3, 2, 1, 0]
    for bad in (0, 101, 2.5):
        with pytest.raises(ConfigError, match="sample_steps"):
            sampling_times(100, bad)
    with pytest.raises(ConfigError):
        alpha_bar("cosine", 0)


def test_layout_rejects_edges_against_topological_order():
    with pytest.raises(ConfigError, match="topological"):
        GraphLayout(3, (Slot("edge", (2, 1), 2),))
    with pytest.raises(ConfigError, match="outside"):
        GraphLayout(2, (Slot("node", (5,), 2),))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), alpha_t=st.floats(0.0, 0.99), gap=st.floats(0.001, 1.0))
def test_posterior_is_a_distribution_over_allowed_options(seed, alpha_t, gap):
    torch.manual_seed(seed)
    m = marginals()
    noise = MarginalNoise(m)
    alpha_s = min(1.0, alpha_t + gap * (1 - alpha_t))
    x_t = noise.prior(16)
    p0 = torch.softmax(torch.randn(16, 3, 4), -1) * (m > 0)
    post = noise.posterior(x_t, p0 / p0.sum(-1, keepdim=True), alpha_t, alpha_s)
    assert torch.all(post >= 0) and torch.allclose(post.sum(-1), torch.ones(16, 3), atol=1e-5)
    assert torch.all(post[:, m == 0] == 0)  # padded options never appear


def test_posterior_matches_bayes_with_explicit_transition_matrices():
    torch.manual_seed(1)
    m = marginals(sizes=(3,), k=3)[0]
    alpha_t, alpha_s = 0.3, 0.7

    def q(a):  # Q[i, j] = P(next = j | previous = i) for noise level a
        return a * torch.eye(3) + (1 - a) * m.expand(3, 3)

    step, to_s = q(alpha_t / alpha_s), q(alpha_s)  # s -> t and 0 -> s
    p0 = torch.softmax(torch.randn(3), -1)
    for x_t in range(3):
        expected = torch.zeros(3)
        for x0 in range(3):  # sum over x0 of p0(x0) q(x_s | x_t, x0)
            joint = to_s[x0] * step[:, x_t]  # q(x_s | x0) q(x_t | x_s), over x_s
            expected += p0[x0] * joint / joint.sum()
        got = MarginalNoise(m.view(1, 3)).posterior(torch.tensor([[x_t]]), p0.view(1, 1, 3), alpha_t, alpha_s)
        assert torch.allclose(got.view(3), expected, atol=1e-6)


def test_posterior_without_noise_between_steps_keeps_the_state():
    noise = MarginalNoise(marginals())
    x_t = noise.prior(8)
    p0 = torch.full((8, 3, 4), 0.25)
    post = noise.posterior(x_t, p0, 0.5, 0.5)  # alpha_t / alpha_s = 1: nothing changes between s and t
    assert torch.equal(post.argmax(-1), x_t) and torch.allclose(post.max(-1).values, torch.ones(8, 3))


def test_posterior_at_clean_end_recovers_the_prediction():
    noise = MarginalNoise(marginals())
    x_t = noise.prior(8)
    p0 = torch.nn.functional.one_hot(torch.tensor([[2, 1, 3]] * 8), 4).float()
    post = noise.posterior(x_t, p0, 0.3, 1.0)
    assert torch.allclose(post, p0, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 64), peaked=st.booleans())
def test_valid_set_decode_only_returns_allowed_rows(seed, n, peaked):
    valid = ValidSet(ROWS, (3, 2, 4), 4)
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, 3, 4, generator=g) * (20 if peaked else 1)
    out = valid.decode(torch.softmax(logits, -1), g)
    allowed = {tuple(r) for r in ROWS.tolist()}
    assert all(tuple(r) in allowed for r in out.tolist())
    assert valid.contains(out).all()


def test_valid_set_contains_and_masks():
    valid = ValidSet(ROWS, (3, 2, 4), 4)
    assert valid.contains(torch.tensor([[0, 0, 1], [0, 0, 2], [2, 1, 3], [1, 0, 1]])).tolist() == [True, False, True, False]
    assert valid.contains(torch.tensor([[0, 0, 5], [0, -1, 1]])).tolist() == [False, False]  # out of range
    assert valid.slot_masks[0].tolist() == [True, True, True, False]
    # a model that puts all its mass on a disallowed option still yields an allowed row
    probs = torch.nn.functional.one_hot(torch.tensor([[0, 0, 2]]), 4).float()
    row = valid.decode(probs, torch.Generator().manual_seed(0))
    assert tuple(row[0].tolist()) in {(0, 0, 1)}
    with pytest.raises(ConfigError, match="valid set is empty"):
        ValidSet(np.zeros((0, 3)), (3, 2, 4))
    with pytest.raises(ConfigError, match="outside"):
        ValidSet(np.array([[3, 0, 0]]), (3, 2, 4))


def test_denoiser_shapes_padding_and_gradients():
    torch.manual_seed(0)
    d = Denoiser(LAYOUT, DenoiserConfig(hidden=16, layers=2, heads=2))
    x = torch.nn.functional.one_hot(torch.tensor(ROWS[:5]), 4).float().requires_grad_(True)
    logits = d(x, torch.rand(5))
    assert logits.shape == (5, 3, 4)
    assert torch.all(logits[:, 0, 3] == NEG) and torch.all(logits[:, 1, 2:] == NEG)
    logits[:, :, :2].sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_inference_in_chunks_equals_one_batch(monkeypatch):
    torch.manual_seed(0)
    d = Denoiser(LAYOUT, DenoiserConfig(hidden=16, layers=2, heads=2, conditions=3)).eval()
    x = torch.nn.functional.one_hot(torch.tensor(ROWS[np.arange(150) % len(ROWS)]), 4).float()
    t, condition = torch.rand(150), d.condition(torch.arange(150) % 4)  # type: ignore[misc]
    with torch.enable_grad():  # gradients on: one batch, never chunked
        whole = d(x, t, condition).detach()
        shared = d(x, t, condition[1]).detach()
    monkeypatch.setattr("nag.diffusion.denoiser.CHUNK_SCORES", 1)
    assert d.chunk_size() == 64  # three chunks of 64, 64, 22
    with torch.no_grad():
        torch.testing.assert_close(d(x, t, condition), whole, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(d(x, t, condition[1]), shared, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(d(x, torch.tensor([0.3]))[:70], d(x[:70], torch.full((70,), 0.3)), rtol=1e-5, atol=1e-5)


def test_sampler_is_seeded_and_returns_valid_rows():
    torch.manual_seed(0)
    d = Denoiser(LAYOUT, DenoiserConfig(hidden=16, layers=1, heads=2)).eval()
    noise, valid = MarginalNoise(marginals()), ValidSet(ROWS, (3, 2, 4), 4)
    a = alpha_bar("cosine", 20)

    def run(seed):
        return sample(d, noise, a, sampling_times(20, 5), valid, 32, torch.Generator().manual_seed(seed))

    first, again, other = run(1), run(1), run(2)
    assert torch.equal(first.x0, again.x0) and not torch.equal(first.x0, other.x0)
    assert valid.contains(first.x0).all() and 0.0 <= first.raw_valid <= 1.0
