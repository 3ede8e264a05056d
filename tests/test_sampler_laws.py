"""Statistical laws of the native samplers, on every backend.

Seeds are fixed, so these tests do not flake; the thresholds are chosen so that the
known wrong variants fail: an off-by-one log-uniform law, sampling with replacement
under ``unique``, ``p * S`` where the tries formula applies, a fixed number of tries.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import candidate_sampling as cs
from candidate_sampling.conformance.adapters import get_adapter

from conftest import BACKENDS

LAW_BACKENDS = [b for b in ("numpy", "torch", "jax", "array_api_strict") if b in BACKENDS]
"""NumPy, CPU torch and JAX take native fast paths for unique sampling; array-api-strict
runs the core's generic sort-based step (what CUDA torch and CuPy run)."""
R = 50
ALPHA = 1e-6  # a right law passes with near certainty; a wrong one gives p ~ 0 at these sizes
WEIGHTS = [float(w) for w in np.random.default_rng(3).integers(1, 20, size=R)]


def log_uniform_law(r: int) -> np.ndarray:
    v = np.arange(r, dtype=np.float64)
    return np.log((v + 2) / (v + 1)) / np.log1p(r)


LAWS = {
    "uniform": (lambda y, s, u, **kw: cs.uniform_candidate_sampler(y, 1, s, u, R, **kw),
                np.full(R, 1.0 / R)),
    "log_uniform": (lambda y, s, u, **kw: cs.log_uniform_candidate_sampler(y, 1, s, u, R, **kw),
                    log_uniform_law(R)),
    "learned_unigram": (lambda y, s, u, **kw: cs.learned_unigram_candidate_sampler(y, 1, s, u, R, **kw),
                        np.full(R, 1.0 / R)),
    "fixed_unigram": (lambda y, s, u, **kw: cs.fixed_unigram_candidate_sampler(
        y, 1, s, u, R, unigrams=WEIGHTS, distortion=0.75, **kw),
        np.array(WEIGHTS) ** 0.75 / np.sum(np.array(WEIGHTS) ** 0.75)),
}


def chi_square_p(observed: np.ndarray, probs: np.ndarray) -> float:
    expected = probs * observed.sum()
    return float(stats.chisquare(observed, expected).pvalue)


class Draws:
    """Many independent sampler calls on one backend, as NumPy arrays."""

    def __init__(self, backend: str):
        self.backend = backend
        self.adapter = get_adapter(backend)

    def calls(self, sampler, labels: np.ndarray, num_sampled: int, unique: bool, n: int):
        """``n`` calls: ``(candidates [n, S], true_q [n, B, T], sampled_q [n, S])``."""
        y = self.adapter.asarray(labels)
        if self.backend == "jax":
            import jax

            keys = jax.random.split(jax.random.key(7), n)
            batched = jax.jit(jax.vmap(lambda k: tuple(sampler(y, num_sampled, unique, rng=k))))
            return tuple(np.asarray(a) for a in batched(keys))
        if self.backend == "torch":
            import torch

            gen = torch.Generator().manual_seed(7)
            outs = [sampler(y, num_sampled, unique, rng=gen) for _ in range(n)]
        else:
            gen = np.random.default_rng(7)
            outs = [sampler(y, num_sampled, unique, rng=gen) for _ in range(n)]
        return tuple(np.stack([self.adapter.to_numpy(o[i]) for o in outs]) for i in range(3))


@pytest.fixture(params=LAW_BACKENDS)
def draws(request):
    return Draws(request.param)


@pytest.mark.parametrize("law", sorted(LAWS))
def test_law_with_replacement(draws, law):
    """10^5 draws with ``unique=False`` follow the sampler's law; counts are ``p * S``."""
    sampler, probs = LAWS[law]
    cand, true_q, sampled_q = draws.calls(sampler, np.array([[3]]), 20_000, False, 5)
    assert cand.min() >= 0 and cand.max() < R
    observed = np.bincount(cand.ravel(), minlength=R)
    assert chi_square_p(observed, probs) > ALPHA
    # float32 counts (JAX without x64 also sums the weights in float32)
    np.testing.assert_allclose(sampled_q, (probs[cand] * 20_000).astype(np.float32), rtol=1e-5)


@pytest.mark.parametrize("law", sorted(LAWS))
def test_unique_law(draws, law):
    """``unique=True``: distinct values, the first one drawn from the law, inclusion
    frequencies equal to the expected counts, and the tries behind them right."""
    sampler, probs = LAWS[law]
    num_sampled, n = 10, 10_000
    every_class = np.arange(R)[:, None]
    cand, true_q, sampled_q = draws.calls(sampler, every_class, num_sampled, True, n)
    assert cand.shape == (n, num_sampled)
    assert all(len(set(row)) == num_sampled for row in cand.tolist())
    assert cand.min() >= 0 and cand.max() < R
    # The first value of a unique sample is an ordinary draw from the law.
    assert chi_square_p(np.bincount(cand[:, 0], minlength=R), probs) > ALPHA
    # Inclusion frequency of each class against its mean expected count (10^5 values).
    # TensorFlow's formula 1 - (1 - p)^tries treats tries as independent of the class,
    # which overstates the most likely classes by up to ~0.09 here; p * S would give 3.5.
    inclusion = np.bincount(cand.ravel(), minlength=R) / n
    assert np.abs(inclusion - true_q[:, :, 0].mean(axis=0)).max() < 0.1
    # The expected counts of a call all come from one number of tries, at least S.
    p = probs[cand].astype(np.float32)
    with np.errstate(invalid="ignore"):  # p * S may exceed 1 where tries == S
        tries = np.log1p(-sampled_q.astype(np.float64)) / np.log1p(-p.astype(np.float64))
    tries = np.where(np.isclose(sampled_q, p * num_sampled, rtol=1e-5), num_sampled, tries)
    # A count that rounds to 1.0 in float32 no longer tells its tries: leave it out.
    tries = np.where(sampled_q < np.float32(1) - np.float32(1e-6), tries, np.nan)
    reference = np.nanmedian(tries, axis=1, keepdims=True)
    known = ~np.isnan(tries)
    assert np.all(np.abs(tries - reference)[known] < 0.01 * np.broadcast_to(reference, tries.shape)[known])
    assert np.all(reference >= num_sampled - 1e-3)


def coupon_tries(r: int, s: int) -> tuple[float, float]:
    """Mean and variance of the draws needed to see ``s`` distinct of ``r`` equally likely values."""
    p = (r - np.arange(s)) / r
    return float(np.sum(1 / p)), float(np.sum((1 - p) / p**2))


def test_unique_tries_distribution(draws):
    """Uniform law: the number of tries behind the expected counts has the coupon
    collector's mean (a fixed 2*S, or S, would not)."""
    num_sampled, n = 40, 3_000
    cand, true_q, sampled_q = draws.calls(LAWS["uniform"][0], np.array([[0]]), num_sampled, True, n)
    tries = np.log1p(-sampled_q[:, 0].astype(np.float64)) / math.log1p(-1 / R)
    mean, var = coupon_tries(R, num_sampled)
    assert abs(tries.mean() - mean) < 5 * math.sqrt(var / n)
    assert np.all(np.abs(tries - np.round(tries)) < 0.05)


def test_learned_unigram_learns(draws):
    """After a call, the true classes have one more count each: the next draws follow that."""
    backend = draws.adapter
    labels = np.array([[4], [4], [9], [4]])
    counts = np.ones(R)
    counts[4] += 3
    counts[9] += 1
    if draws.backend == "jax":
        import jax

        c0 = backend.asarray(np.ones(R, np.float32))
        _, c1 = cs.learned_unigram_step(c0, backend.asarray(labels), 1, 4, True, seed=1)
        step = jax.jit(lambda c, k: cs.learned_unigram_step(c, backend.asarray(labels), 1, 20_000,
                                                            False, rng=k)[0][0])
        cand = np.asarray(step(c1, jax.random.key(3)))
        np.testing.assert_array_equal(np.asarray(c1), counts)
    else:
        sampler = cs.LearnedUnigramSampler(R)
        sampler(backend.asarray(labels), 1, 4, True, seed=1)
        np.testing.assert_array_equal(backend.to_numpy(sampler.counts), counts)
        cand = backend.to_numpy(sampler(backend.asarray(labels), 1, 20_000, False, seed=2)[0])
    assert chi_square_p(np.bincount(cand, minlength=R), counts / counts.sum()) > ALPHA


def test_off_by_one_log_uniform_is_detected():
    """The chi-square above rejects the classic off-by-one of the log-uniform law."""
    cand = np.asarray(cs.log_uniform_candidate_sampler(np.array([[0]]), 1, 20_000, False, R,
                                                       seed=5)[0])
    shifted = log_uniform_law(R + 1)[1:] / log_uniform_law(R + 1)[1:].sum()
    assert chi_square_p(np.bincount(cand, minlength=R), shifted) < ALPHA


@pytest.mark.parametrize("backend_name", [b for b in BACKENDS if not get_adapter(b).traced])
def test_seed_reproducible(backend_name):
    backend = get_adapter(backend_name)
    y = backend.asarray(np.array([[1], [2]]))
    a = cs.log_uniform_candidate_sampler(y, 2 - 1, 8, True, 30, seed=11)
    b = cs.log_uniform_candidate_sampler(y, 1, 8, True, 30, seed=11)
    for x, z in zip(a, b):
        np.testing.assert_array_equal(backend.to_numpy(x), backend.to_numpy(z))
    assert type(a.sampled_candidates) is type(y)


def test_samplers_under_jit():
    jax = pytest.importorskip("jax")
    y = jax.numpy.asarray([[1], [2]])
    eager = cs.log_uniform_candidate_sampler(y, 1, 8, True, 30, seed=11)
    jitted = jax.jit(lambda y: cs.log_uniform_candidate_sampler(y, 1, 8, True, 30, seed=11))(y)
    np.testing.assert_array_equal(np.asarray(eager[0]), np.asarray(jitted[0]))
    np.testing.assert_allclose(np.asarray(eager[2]), np.asarray(jitted[2]), rtol=1e-6)


def test_wrong_rng_type_is_refused():
    with pytest.raises(TypeError, match="^rng"):
        cs.uniform_candidate_sampler(np.array([[1]]), 1, 2, True, 5, rng=12)
