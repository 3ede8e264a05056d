"""Statistical laws of the samplers, with the conformance suite's own law checks
(candidate_sampling.conformance.laws): the native samplers on every backend, TensorFlow's
and Paddle's exact streams; and the statistics underneath, against exact figures.

Seeds are fixed, so these tests do not flake; a correct sampler fails a statistical
comparison with probability at most 1e-7.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import candidate_sampling as cs
from candidate_sampling.compat import paddle
from candidate_sampling.compat.tf import random as tfrandom
from candidate_sampling.conformance.adapters import get_adapter
from candidate_sampling.conformance.laws import (
    LAW_OPS,
    RANGE,
    SAMPLER_OPS,
    law_cases,
    law_probabilities,
    law_probabilities32,
    run_law_case,
)
from candidate_sampling.conformance.stats import (
    ALPHA,
    binomial_test,
    chi_square_sf,
    chi_square_test,
    normal_threshold,
    unique_moments,
)

from conftest import BACKENDS

LAW_BACKENDS = [b for b in ("numpy", "torch", "jax", "array_api_strict") if b in BACKENDS]
"""NumPy, CPU torch and JAX take native fast paths for unique sampling; array-api-strict
runs the core's generic sort-based step (what CUDA torch and CuPy run)."""
SUBSET_OPS = {"jax": ("log_uniform_candidate_sampler", "fixed_unigram_candidate_sampler"),
              "array_api_strict": ("uniform_candidate_sampler", "fixed_unigram_candidate_sampler")}
"""On JAX each law case compiles its vmapped calls (seconds each), array-api-strict is
slow per call: two laws cover their unique-sampling step and both kinds of law (closed
form and inverse CDF)."""


def _native_params():
    for backend in LAW_BACKENDS:
        for op in SAMPLER_OPS:
            if op not in SUBSET_OPS.get(backend, SAMPLER_OPS):
                continue
            for case in law_cases(op, "native"):
                yield pytest.param(case, backend, id=f"{backend}-{case.id}")


def assert_passes(result):
    assert result.comparisons, result.describe()
    assert result.ok, result.describe()


@pytest.mark.parametrize("case,backend", list(_native_params()))
def test_native_sampler_laws(case, backend):
    assert_passes(run_law_case(case, get_adapter(backend), getattr(cs, case.op)))


@pytest.mark.parametrize("case", [c for op in SAMPLER_OPS for c in law_cases(op, "tf2")],
                         ids=lambda c: c.id)
def test_exact_tensorflow_stream_laws(case):
    tfrandom.set_seed(None)
    assert_passes(run_law_case(case, get_adapter("numpy"), getattr(tfrandom, case.op)))


@pytest.mark.parametrize("case", law_cases("log_uniform_candidate_sampler", "paddle", True),
                         ids=lambda c: c.id)
def test_paddle_stream_laws(case):
    assert_passes(run_law_case(case, get_adapter("numpy"), paddle.log_uniform_candidate_sampler))


def test_law_tables():
    """The laws the checks use sum to one, and TensorFlow's float32 p are those laws."""
    for op in LAW_OPS:
        p = law_probabilities(op)
        assert p.shape == (RANGE,) and abs(p.sum() - 1) < 1e-12
        np.testing.assert_allclose(law_probabilities32(op), p, rtol=2e-7)
    v = np.arange(RANGE)
    np.testing.assert_allclose(law_probabilities("log_uniform_candidate_sampler"),
                               (np.log(v + 2) - np.log(v + 1)) / np.log(RANGE + 1))


# --------------------------------------------------------------------------- statistics

@pytest.mark.parametrize("x,dof", [(0.5, 1), (49.0, 49), (120.0, 49), (200.0, 30), (3.0, 10),
                                   (1e-3, 3), (500.0, 49), (80.0, 2)])
def test_chi_square_tail_equals_scipy(x, dof):
    assert chi_square_sf(x, dof) == pytest.approx(stats.chi2.sf(x, dof), rel=1e-9, abs=1e-300)


def test_chi_square_test_pools_rare_cells():
    probs = np.array([0.5, 0.3, 0.192, 0.004, 0.004])
    observed = np.array([500, 300, 190, 6, 4])
    p, statistic, dof = chi_square_test(observed, probs)
    assert dof == 3                        # the two cells expected 4 times are pooled
    expected, pooled = np.array([8, 192, 300, 500]), np.array([10, 190, 300, 500])
    assert statistic == pytest.approx(np.sum((pooled - expected) ** 2 / expected))
    assert p == pytest.approx(stats.chi2.sf(statistic, 3))
    assert chi_square_test(np.array([10, 0, 1]), np.array([0.5, 0.5, 0.0]))[0] == 0.0


def test_binomial_test_equals_scipys_tails():
    for p in (0.03, 0.5, 0.97):
        k = np.array([0, 3, 15, 30, 45, 500, 1000])
        want = np.minimum(1.0, 2 * np.minimum(stats.binom.cdf(k, 1000, p),
                                              stats.binom.sf(k - 1, 1000, p)))
        got = binomial_test(k, 1000, np.full(k.size, p))
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("op", ["uniform_candidate_sampler", "log_uniform_candidate_sampler",
                                "fixed_unigram_candidate_sampler"])
def test_inclusion_frequencies_reject_a_correct_sampler_at_most_at_the_level(op):
    """Summed exactly over every outcome of each tested class: the normal approximation
    (z > 6.0 at n p (1 - p) near 25) rejected with probability 2.5e-7 to 4.5e-7."""
    n, probs = 1000, law_probabilities(op)
    inclusion = unique_moments(probs, 10).inclusion
    tested = inclusion[n * inclusion * (1 - inclusion) >= 25]
    level = ALPHA / tested.size
    k = np.arange(n + 1)
    rejected = sum(stats.binom.pmf(k, n, p)[binomial_test(k, n, np.full(k.size, p)) <= level]
                   .sum() for p in tested)
    assert 0 < rejected <= ALPHA


def test_normal_threshold_equals_scipy():
    for alpha in (1e-7, 1e-9 / 50, 0.05):
        assert normal_threshold(alpha) == pytest.approx(stats.norm.isf(alpha / 2), rel=1e-9)


def test_unique_moments_of_the_uniform_law_are_the_coupon_collectors():
    r, s = RANGE, 10
    exact = unique_moments(np.full(r, 1.0 / r), s)
    p = (r - np.arange(s)) / r
    assert exact.mean_tries == pytest.approx(np.sum(1 / p), rel=1e-9)
    assert exact.var_tries == pytest.approx(np.sum((1 - p) / p**2), rel=1e-7)
    np.testing.assert_allclose(exact.inclusion, s / r, rtol=1e-8)


def _enumerated(probs, s, horizon=400):
    """E[tries], E[tries^2] and inclusion probabilities by summing over every sequence
    of draws up to ``horizon`` (a Markov chain on the set of distinct values)."""
    r = len(probs)
    states = {frozenset(): 1.0}
    mean = second = 0.0
    inclusion = np.zeros(r)
    for t in range(1, horizon + 1):
        nxt: dict = {}
        for seen, mass in states.items():
            for v in range(r):
                grown = seen | {v}
                if len(grown) == s:
                    w = mass * probs[v]
                    mean += t * w
                    second += t * t * w
                    inclusion[list(grown)] += w
                else:
                    nxt[grown] = nxt.get(grown, 0.0) + mass * probs[v]
        states = nxt
    return mean, second - mean * mean, inclusion


def test_unique_moments_of_a_skewed_law_match_enumeration():
    probs = np.array([0.55, 0.25, 0.12, 0.06, 0.02])
    exact = unique_moments(probs, 3)
    mean, var, inclusion = _enumerated(probs, 3)
    assert exact.mean_tries == pytest.approx(mean, rel=1e-8)
    assert exact.var_tries == pytest.approx(var, rel=1e-6)
    np.testing.assert_allclose(exact.inclusion, inclusion, rtol=1e-7)


def test_off_by_one_log_uniform_is_detected():
    """The chi-square rejects the classic off-by-one of the log-uniform law."""
    cand = np.asarray(cs.log_uniform_candidate_sampler(np.array([[0]]), 1, 20_000, False, RANGE,
                                                       seed=5)[0])
    shifted = law_probabilities("log_uniform_candidate_sampler", RANGE + 1)[1:]
    assert chi_square_test(np.bincount(cand, minlength=RANGE), shifted)[0] < 1e-7


# --------------------------------------------------------------------------- library specifics

@pytest.fixture(params=LAW_BACKENDS)
def law_backend(request):
    return request.param


def test_learned_unigram_learns(law_backend):
    """After a call, the true classes have one more count each: the next draws follow that."""
    backend = get_adapter(law_backend)
    labels = np.array([[4], [4], [9], [4]])
    counts = np.ones(RANGE)
    counts[4] += 3
    counts[9] += 1
    if law_backend == "jax":
        import jax

        c0 = backend.asarray(np.ones(RANGE, np.float32))
        _, c1 = cs.learned_unigram_step(c0, backend.asarray(labels), 1, 4, True, seed=1)
        step = jax.jit(lambda c, k: cs.learned_unigram_step(c, backend.asarray(labels), 1, 20_000,
                                                            False, rng=k)[0][0])
        cand = np.asarray(step(c1, jax.random.key(3)))
        np.testing.assert_array_equal(np.asarray(c1), counts)
    else:
        sampler = cs.LearnedUnigramSampler(RANGE)
        sampler(backend.asarray(labels), 1, 4, True, seed=1)
        np.testing.assert_array_equal(backend.to_numpy(sampler.counts), counts)
        cand = backend.to_numpy(sampler(backend.asarray(labels), 1, 20_000, False, seed=2)[0])
    assert chi_square_test(np.bincount(cand, minlength=RANGE), counts / counts.sum())[0] > 1e-7


@pytest.mark.parametrize("backend_name", [b for b in BACKENDS if not get_adapter(b).traced])
def test_seed_reproducible(backend_name):
    backend = get_adapter(backend_name)
    y = backend.asarray(np.array([[1], [2]]))
    a = cs.log_uniform_candidate_sampler(y, 1, 8, True, 30, seed=11)
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


def test_a_jax_rng_must_be_one_key():
    """A float array of shape [2], or a batch of keys, was taken for a key and failed
    inside JAX; both kinds of key still draw."""
    jax = pytest.importorskip("jax")
    y = jax.numpy.asarray([[1]])
    for bad, got in ((jax.numpy.ones(2), r"float32 and shape \[2\]"),
                     (jax.random.split(jax.random.key(0), 3), r"shape \[3\]"), (5, "int")):
        with pytest.raises(TypeError, match=r"^rng: expected one JAX PRNG key .*, got .*" + got):
            cs.log_uniform_candidate_sampler(y, 1, 2, True, 10, rng=bad)
    for key in (jax.random.key(1), jax.random.PRNGKey(1)):
        drawn = cs.log_uniform_candidate_sampler(y, 1, 2, True, 10, rng=key)
        assert len(set(np.asarray(drawn.sampled_candidates).tolist())) == 2


def test_paddle_sampler_refuses_what_paddle_cannot_do():
    with pytest.raises(ValueError, match="^unique"):
        paddle.log_uniform_candidate_sampler(np.array([[1]]), 1, 2, False, 5, seed=3)
    with pytest.raises(ValueError, match="^seed"):
        paddle.log_uniform_candidate_sampler(np.array([[1]]), 1, 2, True, 5, seed=0)
    with pytest.raises(ValueError, match="^num_sampled"):
        paddle.log_uniform_candidate_sampler(np.array([[1]]), 1, 6, True, 5, seed=3)


def test_paddle_sampler_is_paddles_stream():
    """Its triple is the split of log_uniform_samples (checked against Paddle's own
    Samples and Probabilities in test_paddle_stream)."""
    label = np.array([[3], [40], [7]])
    samples, probabilities = paddle.log_uniform_samples(label, 20, 50, 99)
    values = paddle.log_uniform_candidate_sampler(label, 1, 20, True, 50, seed=99)
    np.testing.assert_array_equal(values.sampled_candidates, samples[0, 1:])
    np.testing.assert_array_equal(values.true_expected_count, probabilities[:, :1])
    np.testing.assert_array_equal(values.sampled_expected_count, probabilities[0, 1:])
    assert values.sampled_candidates.dtype == np.int64
    assert values.true_expected_count.dtype == values.sampled_expected_count.dtype == np.float32


# ------------------------------------------- JAX without jax_enable_x64: float32 uniforms

def _jax32():
    """``jax`` with ``jax_enable_x64`` off (its default): the samplers' uniforms are
    float32 (:mod:`candidate_sampling.core.float32_draws`)."""
    jax = pytest.importorskip("jax")
    if jax.config.jax_enable_x64:
        pytest.skip("jax_enable_x64 is on here: the uniforms are float64")
    return jax


@pytest.mark.parametrize("op", ["uniform_candidate_sampler", "log_uniform_candidate_sampler"])
@pytest.mark.parametrize("range_max", [2**31 - 1, 10**8, 3 * 2**24 + 5])
def test_float32_draws_reach_every_id_above_2_24(op, range_max):
    """Above ``2**24`` float32 holds no odd integer: ``floor(u * range_max)`` gave only
    multiples of 256 at ``2**31 - 1``, ``floor(exp(u L)) - 1`` never an id ``v`` with
    ``v + 1`` odd. The last 8 bits of the ids drawn there are now uniform."""
    jax = _jax32()
    y = jax.numpy.zeros((1, 1), jax.numpy.int32)
    ids = np.asarray(getattr(cs, op)(y, 1, 400_000, False, range_max, seed=1)[0])
    assert ids.dtype == np.int32 and ids.min() >= 0 and ids.max() < range_max
    high = ids[ids >= 2**24].astype(np.int64)
    assert high.size > 10_000
    cells = np.bincount(high % 256, minlength=256)
    p, _, _ = chi_square_test(cells, np.full(256, 1 / 256))
    assert p > 1e-7, (p, cells[:8])


@pytest.mark.parametrize("op,range_max", [("log_uniform_candidate_sampler", r)
                                          for r in (3, 300, 512, 767, 5000)]
                         + [("uniform_candidate_sampler", r) for r in (3, 64, 5000)])
def test_float32_draws_follow_the_law_id_by_id(op, range_max):
    """Every id's frequency against its probability (chi-square, 2 million draws), over
    the pieces of the log-uniform draw: one uniform below 512 classes; ids below 256,
    octaves in 256 parts, the extended top part (767, 5000), a last region whose top
    octave holds one id (512 = 2**9); the uniform law's power-of-2 and rejection forms."""
    jax = _jax32()
    y = jax.numpy.zeros((1, 1), jax.numpy.int32)
    ids = np.concatenate([np.asarray(getattr(cs, op)(y, 1, 1_000_000, False, range_max,
                                                     seed=seed)[0]) for seed in (5, 6)])
    counts = np.bincount(ids, minlength=range_max)
    assert counts.size == range_max
    p, statistic, dof = chi_square_test(counts, law_probabilities(op, range_max))
    assert p > 1e-7, (p, statistic, dof)


def test_float32_log_uniform_counts_of_large_ids():
    """``log((v + 2) / (v + 1))`` in float32 rounds the quotient: 5% off at ``v = 10**6``
    and 0 above about 3.4e7, a NaN loss (``log 0``). As ``log1p(1 / (v + 1))`` the
    counts are float64's to float32 rounding, and a loss over 4e7 classes is finite."""
    jax = _jax32()
    v = np.array([[3], [10**5], [10**6], [2**24 + 1], [39_000_000], [10**8 - 1]])
    counts = cs.log_uniform_candidate_sampler(jax.numpy.asarray(v), 1, 64, False, 10**8,
                                              seed=1).true_expected_count
    exact = np.log((v + 2.0) / (v + 1.0)) / np.log1p(1e8) * 64
    np.testing.assert_allclose(np.asarray(counts), exact, rtol=5e-7)
    num_classes = 40_000_000
    loss = cs.sampled_softmax_loss(jax.numpy.zeros((num_classes, 1)),
                                   jax.numpy.zeros(num_classes),
                                   jax.numpy.asarray([[39_000_000]]), jax.numpy.ones((1, 1)),
                                   4, num_classes, seed=0)
    assert np.isfinite(np.asarray(loss)).all()


def test_float32_unigram_draws_follow_a_zipf_law_id_by_id():
    """A unigram law of 200,000 Zipf weights from float32 uniforms: every id's frequency
    against its probability (chi-square, 8 million draws). The float32 running sum of
    the whole law resolved an id only to 2**-23 of the total (p = 1e-9 in this test);
    in blocks of 1,024 classes it passes; a law with zero weights never draws them."""
    jax = _jax32()
    num_classes = 200_000
    for weights in (1.0 / np.arange(1, num_classes + 1), (np.arange(num_classes) % 7 == 0) * 1.0):
        probs = weights / weights.sum()
        counts = np.zeros(num_classes, np.int64)
        for seed in range(8):
            values, _ = cs.learned_unigram_step(jax.numpy.asarray(weights, jax.numpy.float32),
                                                jax.numpy.zeros((1, 1), jax.numpy.int32), 1,
                                                1_000_000, False, seed=seed)
            counts += np.bincount(np.asarray(values.sampled_candidates), minlength=num_classes)
        assert counts[probs == 0].sum() == 0
        p, statistic, dof = chi_square_test(counts, probs)
        assert p > 1e-7, (p, statistic, dof)


@pytest.mark.parametrize("op,range_max", [("log_uniform_candidate_sampler", 767),
                                          ("log_uniform_candidate_sampler", 5000),
                                          ("log_uniform_candidate_sampler", 2**24 - 3),
                                          ("log_uniform_candidate_sampler", 2**25 + 3),
                                          ("uniform_candidate_sampler", 5000)])
def test_float32_single_attempts_that_stand_follow_the_law(op, range_max):
    """A unique draw keeps an attempt only where it stands (one rejection round of the
    uniform law, one attempt of the log-uniform law): those follow the law id by id
    (chi-square, 2 million attempts; over many classes, by the ids' cells, and above
    2**24, where the keep test takes a word of its own, by the last 8 bits of the large
    ids too), and some do not stand."""
    jax = _jax32()
    from candidate_sampling.backends.jax import JaxStream
    from candidate_sampling.core import float32_draws

    law = "uniform" if op == "uniform_candidate_sampler" else "log_uniform"
    k, n = float32_draws.words_per_attempt(law, range_max), 2_000_000
    stream = JaxStream(None, jax.random.key(3), jax.numpy.float32)
    words = jax.numpy.reshape(stream.words(0, k * n), (k, n))
    ids, stands = (np.asarray(a) for a in float32_draws.attempts(law, jax.numpy, words,
                                                                  range_max, jax.numpy.int32))
    kept = ids[stands].astype(np.int64)
    assert 0 < n - kept.size < n // 100 and kept.min() >= 0 and kept.max() < range_max
    if range_max <= 10**4:
        p, statistic, dof = chi_square_test(np.bincount(kept, minlength=range_max),
                                            law_probabilities(op, range_max))
        assert p > 1e-7, (p, statistic, dof)
        return
    _, _, start, bits, mass = float32_draws.log_uniform_cells(range_max)
    cell = np.searchsorted(start[mass > 0], kept + 1, side="right") - 1
    p, statistic, dof = chi_square_test(np.bincount(cell, minlength=int((mass > 0).sum())),
                                        _cells_law(start[mass > 0], bits[mass > 0], range_max))
    assert p > 1e-7, (p, statistic, dof)
    if range_max < 2**25:
        return
    high = kept[kept >= 2**24]
    assert high.size > 10_000
    p, _, _ = chi_square_test(np.bincount(high % 256, minlength=256), np.full(256, 1 / 256))
    assert p > 1e-7, p


def _cells_law(start, bits, range_max):
    """The mass of each cell ``[start, start + 2**bits)`` of ids ``k = v + 1`` under the
    log-uniform law over ``range_max`` classes (the last one cut at ``range_max``)."""
    stop = np.minimum(start + 2.0**bits, range_max + 1.0)
    return np.log(stop / start) / np.log1p(range_max)


def test_float32_unique_draw_counts_only_attempts_that_stand():
    """JAX's table draw against the same attempts read in order: the first distinct ids
    among the attempts that stand, and as tries the number of those up to the last id
    kept (an attempt that does not stand is no draw)."""
    jax = _jax32()
    from candidate_sampling.backends.jax import JaxBackend, JaxStream
    from candidate_sampling.core import float32_draws, samplers

    range_max, num_sampled, jnp = 10**6, 8192, jax.numpy
    law = samplers._LogUniform(jnp, range_max)
    stream = JaxStream(None, jax.random.key(7), jnp.float32)
    found, tries = JaxBackend().unique_draws(jnp, law, num_sampled, stream, None)
    block, k = 2 * num_sampled, float32_draws.words_per_attempt("log_uniform", range_max)
    ids, stands = [], []
    for index in range(2):  # enough: 8,192 distinct of 10**6 take about 15,700 draws
        words = jnp.reshape(stream.words(index, k * block), (k, block))
        part = float32_draws.attempts("log_uniform", jnp, words, range_max, jnp.int32)
        ids.append(np.asarray(part[0]))
        stands.append(np.asarray(part[1]))
    stands = np.concatenate(stands)
    draws = np.concatenate(ids)[stands]
    _, first = np.unique(draws, return_index=True)
    order = np.sort(first)[:num_sampled]
    np.testing.assert_array_equal(np.asarray(found), draws[order])
    assert int(tries) == order[-1] + 1
    used = np.flatnonzero(stands)[order[-1]] + 1  # attempts up to the last id kept
    assert (~stands[:used]).sum() >= 5  # some of them did not stand


def _jax_laws(jnp):
    """Laws whose unique draws take several blocks of attempts: log-uniform and uniform
    over few classes, unigram with classes of weight 0 (and one with too few classes)."""
    from candidate_sampling.core import samplers

    weights = np.where(np.arange(700) % 3 == 0, 0.0, 1.0 + np.arange(700) % 11)
    unigram = samplers._Unigram(jnp, jnp.asarray(weights))  # 466 classes of weight > 0
    return [(samplers._LogUniform(jnp, 3000), 1500, True), (samplers._Uniform(jnp, 2500), 2000, True),
            (samplers._LogUniform(jnp, 2**20), 300, True), (unigram, 400, True),
            (unigram, 500, False)]


@pytest.mark.parametrize("x64", [False, True])
def test_jax_compact_first_positions_give_the_table_s_classes(x64):
    """The two ways of :meth:`JaxBackend.unique_draws` to find each class's first draw,
    a table of ``range_max`` entries and a sort of the classes kept and drawn, give the
    same classes and tries on the same key, over several blocks, with attempts that do
    not stand (float32), and where the law cannot give the sample (incomplete)."""
    jax = pytest.importorskip("jax")
    from candidate_sampling.backends.jax import _compiled_table_draws

    with jax.enable_x64(x64):
        jnp = jax.numpy
        ints, floats = (jnp.int64, jnp.float64) if x64 else (jnp.int32, jnp.float32)
        draw = _compiled_table_draws()
        for law, num_sampled, possible in _jax_laws(jnp):
            description, arrays = law.split()
            for seed in range(2):
                key = jax.random.key(seed)
                both = [draw(key, arrays, description, num_sampled, floats, ints, 2**20 // num_sampled,
                             compact) for compact in (False, True)]
                for table, compact in zip(*both):
                    np.testing.assert_array_equal(np.asarray(compact), np.asarray(table))
                found, tries, complete = (np.asarray(a) for a in both[1])
                assert bool(complete) == possible
                if complete:
                    assert len(set(found.tolist())) == num_sampled
                    assert tries > num_sampled  # some classes drawn twice


def _largest_array(jaxpr) -> int:
    """The most elements of any value in a jaxpr, its inner jaxprs (loops, calls) included."""
    import jax

    sizes = [0]
    for eqn in jaxpr.eqns:
        sizes += [int(np.prod(v.aval.shape)) for v in eqn.outvars if hasattr(v.aval, "shape")]
        for param in eqn.params.values():
            for inner in (param if isinstance(param, (tuple, list)) else [param]):
                if isinstance(inner, jax.extend.core.ClosedJaxpr):
                    sizes.append(_largest_array(inner.jaxpr))
                elif isinstance(inner, jax.extend.core.Jaxpr):
                    sizes.append(_largest_array(inner))
    return max(sizes)


@pytest.mark.parametrize("range_max", [2**23 + 1, 10**8, 2**31 - 1])
def test_jax_unique_draw_does_not_grow_with_range_max(range_max):
    """Beyond the table's limit a jitted unique draw holds arrays of a few times
    ``num_sampled`` elements, none of ``range_max``: its cost and memory do not grow with
    the classes (a table of 1.6e7 entries took 29 ms a draw), under ``jax.vmap`` too."""
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    labels = jnp.zeros((2, 1), jnp.int32)

    def draw(key):
        return cs.log_uniform_candidate_sampler(labels, 1, 4096, True, range_max, rng=key)

    assert _largest_array(jax.make_jaxpr(draw)(jax.random.key(0)).jaxpr) <= 3 * 8192
    batched = jax.make_jaxpr(jax.vmap(draw))(jax.random.split(jax.random.key(0), 8))
    assert _largest_array(batched.jaxpr) <= 8 * 3 * 8192
    found = np.asarray(jax.jit(draw)(jax.random.key(3))[0])
    assert len(set(found.tolist())) == 4096 and found.min() >= 0 and found.max() < range_max


def _attempt_law(range_max):
    """Each id's probability under one log-uniform attempt that stands, from the alias
    table's integer thresholds and aliases (each cell's share of the 2**32 words) and
    the keep test's ratio at its 2**-17 resolution, in float64."""
    from candidate_sampling.core import float32_draws

    c, table, start, bits, mass = float32_draws.log_uniform_cells(range_max)
    table = table.astype(np.int64)
    threshold, alias = table >> c, table & (2**c - 1)
    share = threshold.astype(np.float64)
    np.add.at(share, alias, 2.0**(32 - c) - threshold)
    real = int((mass > 0).sum())  # the cells, then padding
    k = np.concatenate([np.arange(a, a + 2**b) for a, b in zip(start[:real], bits[:real])])
    cell = np.searchsorted(start[:real], k, side="right") - 1
    first = np.log1p(1.0 / start[cell])
    keep = np.minimum(np.ceil(np.log1p(1.0 / k) / first * 2**17) / 2**17, 1.0)
    keep = np.where(bits[cell] == 0, 1.0, keep) * (k <= range_max)
    standing = share[cell] / 2.0**bits[cell] * keep
    return k - 1, standing / standing.sum()


@pytest.mark.parametrize("range_max", [5, 300, 511, 513, 4097, 65537, 10**6])
def test_float32_log_uniform_attempts_give_every_id_its_probability(range_max):
    """Exactly, id by id: a cell is drawn by its envelope (its width times its first
    id's mass), which the keep test thins to each id's own mass. Drawn by the cells'
    own masses, the ids of wide cells lost up to 1.6e-3 of theirs (a probe found it; a
    sample of millions cannot)."""
    v, p = _attempt_law(range_max)
    assert np.array_equal(v[:range_max], np.arange(range_max))
    assert not p[range_max:].any()  # the extended top part's ids past range_max
    p, law = p[:range_max], law_probabilities("log_uniform_candidate_sampler", range_max)
    assert np.max(np.abs(p / law - 1)) < 1e-5


def test_float32_small_log_uniform_ranges_draw_alike_eagerly_and_jitted():
    """Below 512 classes a draw is one word through the alias table (integer
    comparisons): the same ids eagerly and under jax.jit, where ``floor(exp2(u L))``
    differed in its rounding (13 of a million draws at 511 classes)."""
    jax = _jax32()
    y, key = jax.numpy.zeros((1, 1), jax.numpy.int32), jax.random.key(0)
    for range_max in (5, 300, 511):
        draw = lambda y, k, r=range_max: cs.log_uniform_candidate_sampler(y, 1, 2**20, False, r,
                                                                           rng=k)
        eager, jitted = draw(y, key), jax.jit(draw)(y, key)
        np.testing.assert_array_equal(np.asarray(eager[0]), np.asarray(jitted[0]))


def test_float32_unigram_never_draws_a_class_of_weight_0():
    """A block whose running sum rounds below 1 at its last class of positive weight,
    and a law whose last blocks weigh 0: the largest uniforms drew a class of weight 0
    past them (an expected count of 0, log Q infinite)."""
    jax = _jax32()
    from candidate_sampling.core import float32_draws

    jnp = jax.numpy
    top = jnp.full((2, 4), 2**32 - 1, jnp.uint32)  # the largest uniform, 1 - 2**-24
    for weights in ([1.0] + [1e-8] * 999 + [0.0] * 24, [1.0] * 1024 + [0.0] * 2048,
                    [0.0] * 1500 + [3.0, 1e-9] + [0.0] * 700):
        w = jnp.asarray(weights, jnp.float32)
        blocks = float32_draws.unigram_blocks(jnp, w)
        ids = np.asarray(float32_draws.unigram_ids(jnp, top, *blocks, len(weights), jnp.int32))
        assert (np.asarray(weights)[ids] > 0).all(), ids


@pytest.mark.parametrize("range_max", [np.int64(600), np.int32(70_000), np.array(600)])
def test_range_max_may_be_a_numpy_integer(range_max):
    """``range_max`` passed its check as a NumPy integer, then broke the float32 draws
    (no ``bit_length``; a 2**32 constant overflowing int32) and JAX's static
    arguments: it is taken as its Python int."""
    jax = _jax32()
    y = jax.numpy.zeros((1, 1), jax.numpy.int32)
    for sampler in (cs.uniform_candidate_sampler, cs.log_uniform_candidate_sampler):
        for unique in (False, True):
            ids = np.asarray(sampler(y, 1, 64, unique, range_max, seed=3)[0])
            assert ids.min() >= 0 and ids.max() < int(range_max)


def test_float64_log_uniform_counts_of_ids_past_2_52():
    """TensorFlow's float64 ``log((v + 2) / (v + 1))`` rounds its quotient to 1 from
    about ``2**53`` (counts 0, losses NaN, for 12% of the ids drawn at ``2**62``
    classes); there the counts are ``log1p(1 / (v + 1))``'s, and below ``2**52``
    TensorFlow's own."""
    v = np.array([[3], [10**6], [2**52 - 7], [2**52 + 5], [2**53], [2**60], [2**62 - 1]])
    counts = cs.log_uniform_candidate_sampler(v, 1, 4, False, 2**62, seed=1).true_expected_count
    exact = np.log1p(1.0 / (v + 1.0)) / np.log1p(2.0**62) * 4
    np.testing.assert_allclose(counts, exact, rtol=1e-7)
    tf_formula = (np.log((v[:3] + 2.0) / (v[:3] + 1.0)) / np.log1p(2.0**62) * 4).astype(np.float32)
    np.testing.assert_array_equal(counts[:3], tf_formula)


def test_a_tf2_learned_unigram_sampler_that_does_not_learn_fails_its_laws():
    """TensorFlow's learned unigram kernel learns from each call's true classes; a port
    drawing from a fresh sampler at every call passed every law check (its law is the
    uniform law of a fresh sampler)."""
    def fresh(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
        return cs.learned_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique,
                                                    range_max, seed=seed)

    (case,) = [c for c in law_cases("learned_unigram_candidate_sampler", "tf2")
               if c.check == "learns"]
    assert not [c for c in law_cases("learned_unigram_candidate_sampler", "native")
                if c.check == "learns"]
    learned = run_law_case(case, get_adapter("numpy"), tfrandom.learned_unigram_candidate_sampler)
    assert learned.ok, learned.describe()
    failed = run_law_case(case, get_adapter("numpy"), fresh)
    assert not failed.ok
    assert ("call 2 with one op seed: expected count of class 0 is 0.08, TensorFlow's kernel "
            "0.181818 (4 times its count 3 over 66") in failed.describe()


def test_a_wrong_expected_count_is_located():
    """The unique=False count check said only how far the counts were off; it now names
    the output and the class of the first difference (a port wrong in the true classes'
    counts only read like one wrong everywhere)."""
    def wrong_true(true_classes, num_true, num_sampled, unique, range_max, seed=None,
                   name=None):
        ids, true_q, sampled_q = tfrandom.log_uniform_candidate_sampler(
            true_classes, num_true, num_sampled, unique, range_max, seed=seed)
        return ids, true_q * 1.5, sampled_q

    (case,) = [c for c in law_cases("log_uniform_candidate_sampler", "tf2")
               if c.check == "draws"]
    text = run_law_case(case, get_adapter("numpy"), wrong_true).describe()
    p0 = float(law_probabilities32("log_uniform_candidate_sampler")[0]) * 10_000
    assert f"; first: true_expected_count of class 0 is {1.5 * p0:.6g}, TensorFlow's " \
           f"{p0:.6g}" in text


def test_a_sampler_returning_a_generator_is_named_so_in_its_laws():
    def generator(true_classes, num_true, num_sampled, unique, range_max, seed=None,
                  name=None):
        return (x for x in tfrandom.log_uniform_candidate_sampler(
            true_classes, num_true, num_sampled, unique, range_max, seed=seed))

    (case,) = [c for c in law_cases("log_uniform_candidate_sampler", "tf2")
               if c.check == "draws"]
    with pytest.raises(TypeError, match=r"sampled_expected_count\), got generator$"):
        run_law_case(case, get_adapter("numpy"), generator)  # the suite's check fails by it


@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_learned_counts_update_adds_each_label_once_per_entry(xp, dtype):
    """The update added, to every one of the V classes, the number of labels found for it
    by two searchsorted over all V classes: 433 ms a call at V = 10^7 (a copy takes 20).
    Now the classes seen get their counts by a scatter-add; duplicates still count once
    per entry, in every array library."""
    from candidate_sampling.core.samplers import unigram_counts_update

    labels = np.array([[3, 3, 7], [0, 3, 9], [7, 7, 7]])
    counts = np.arange(1, 11).astype(dtype)
    want = counts + np.bincount(labels.ravel(), minlength=10).astype(dtype)
    got = unigram_counts_update(xp.asarray(counts), xp.asarray(labels))
    np.testing.assert_array_equal(np.asarray(got), want)
    assert np.asarray(got).dtype == np.dtype(dtype) or xp.__name__.startswith("jax")
    empty = unigram_counts_update(xp.asarray(counts), xp.asarray(np.zeros((0, 2), np.int64)))
    np.testing.assert_array_equal(np.asarray(empty), counts)


def test_learned_counts_update_under_jit_drops_unchecked_negative_ids():
    """Under ``jax.jit`` the ids are not checked: a negative one is out of range and
    dropped, as an id past the end is (a scatter would count it from the end)."""
    jax = pytest.importorskip("jax")
    from candidate_sampling.core.samplers import unigram_counts_update

    got = jax.jit(unigram_counts_update)(jax.numpy.ones(6),
                                         jax.numpy.asarray([[1, -1], [6, 1], [-6, 2]]))
    np.testing.assert_array_equal(np.asarray(got), [1, 3, 2, 1, 1, 1])
