"""Sampler arguments TensorFlow segfaulted, aborted or hung on: clear errors here."""

from __future__ import annotations

import numpy as np
import pytest

import candidate_sampling as cs
from candidate_sampling.compat import tf
from candidate_sampling.conformance import load_cases
from candidate_sampling.core.samplers import expected_count

Y = np.array([[1], [2]])
SAMPLERS = [cs.uniform_candidate_sampler, cs.log_uniform_candidate_sampler,
            cs.learned_unigram_candidate_sampler]


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_unique_needs_enough_classes(sampler):
    with pytest.raises(ValueError, match=r"^num_sampled: must be in \[1, range_max=5\]"):
        sampler(Y, 1, 6, True, 5)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("unique", [True, False])
@pytest.mark.parametrize("sampler", SAMPLERS)
def test_a_single_class_is_certain_and_warns_of_nothing(sampler, unique):
    """One class has probability 1: every draw is 0, and its expected count is 1 (by
    either formula; NumPy used to warn of a division by zero in ``log1p(-1)``)."""
    drawn = sampler(np.zeros((2, 1), np.int64), 1, 1, unique, 1, seed=3)
    assert drawn.sampled_candidates.tolist() == [0]
    assert drawn.true_expected_count.tolist() == [[1.0], [1.0]]
    assert drawn.sampled_expected_count.tolist() == [1.0]
    assert expected_count(np, np.float32([1.0, 0.5]), 3, 1).tolist() == [1.0, 0.875]


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_true_classes_shape(sampler):
    with pytest.raises(ValueError, match="^true_classes: expected shape"):
        sampler(np.array([1, 2]), 1, 2, True, 5)
    with pytest.raises(ValueError, match="^true_classes: second dimension must equal num_true=2"):
        sampler(Y, 2, 2, True, 5)


@pytest.mark.parametrize("sampler", SAMPLERS)
@pytest.mark.parametrize("bad", [-1, 5, 2**40])
def test_true_class_out_of_range(sampler, bad):
    with pytest.raises(ValueError, match=r"^true_classes: every id must be in \[0, 5\)"):
        sampler(np.array([[1], [bad]]), 1, 2, False, 5)


@pytest.mark.parametrize("sampler", SAMPLERS)
@pytest.mark.parametrize("range_max", [0, 2**62 + 1])
def test_range_max_bounds(sampler, range_max):
    with pytest.raises(ValueError, match="^range_max"):
        sampler(Y, 1, 1, False, range_max)


def test_float_true_classes():
    with pytest.raises(TypeError, match="^true_classes"):
        cs.uniform_candidate_sampler(Y.astype(float), 1, 1, False, 5)


class TestFixedUnigram:
    def test_both_or_neither_source(self, tmp_path):
        vocab = tmp_path / "vocab.txt"
        vocab.write_text("a,1\nb,2\n")
        with pytest.raises(ValueError, match="^vocab_file, unigrams: give exactly one"):
            cs.fixed_unigram_candidate_sampler(Y, 1, 1, False, 3)
        with pytest.raises(ValueError, match="^vocab_file, unigrams: give exactly one"):
            cs.fixed_unigram_candidate_sampler(np.array([[0], [1]]), 1, 1, False, 2,
                                               vocab_file=str(vocab), unigrams=[1.0, 2.0])

    def test_missing_vocab_file(self, tmp_path):
        missing = tmp_path / "nope.txt"
        with pytest.raises(ValueError, match=f"^vocab_file: cannot read '{missing}'"):
            cs.fixed_unigram_candidate_sampler(Y, 1, 1, False, 3, vocab_file=str(missing))

    @pytest.mark.parametrize("line", ["c,many", "c,-2", "c,nan"])
    def test_malformed_line_names_file_and_line(self, tmp_path, line):
        vocab = tmp_path / "vocab.txt"
        vocab.write_text(f"a,1\nb,2\n{line}\n")
        with pytest.raises(ValueError, match=f"^vocab_file: {vocab}:3: "):
            cs.fixed_unigram_candidate_sampler(Y, 1, 1, False, 3, vocab_file=str(vocab))

    def test_vocab_file_with_empty_lines(self, tmp_path):
        vocab = tmp_path / "vocab.txt"
        vocab.write_text("a,1\n\nb,3\nc,0\n")
        sv = cs.fixed_unigram_candidate_sampler(np.array([[0], [1]]), 1, 2000, False, 3,
                                                vocab_file=str(vocab), seed=1)
        counts = np.bincount(sv.sampled_candidates, minlength=3)
        assert counts[2] == 0 and 350 < counts[0] < 650  # weights 1 : 3 : 0
        np.testing.assert_allclose(sv.sampled_expected_count[sv.sampled_candidates == 0], 500,
                                   rtol=1e-6)

    def test_zero_weight_true_class_is_refused(self):
        # TensorFlow returns a NaN loss for this label; here it is an error.
        with pytest.raises(ValueError, match="^true_classes: a true class has weight 0"):
            cs.fixed_unigram_candidate_sampler(np.array([[0], [1]]), 1, 1, False, 3,
                                               unigrams=[1.0, 2.0], num_reserved_ids=1)

    def test_range_max_must_match_the_weights(self):
        with pytest.raises(ValueError, match="^range_max: must equal"):
            cs.fixed_unigram_candidate_sampler(Y, 1, 1, False, 5, unigrams=[1.0, 2.0, 3.0])

    def test_unique_needs_enough_nonzero_weights(self):
        # TensorFlow loops 2**31 - 1 times and then aborts the process here.
        with pytest.raises(ValueError, match="^num_sampled: must be at most the 2 ids"):
            cs.fixed_unigram_candidate_sampler(Y, 1, 3, True, 3, unigrams=[1.0, 2.0, 0.0])

    @pytest.mark.parametrize(("unigrams", "message"), [
        (["a", "b", "c"], "^unigrams: expected a sequence of numbers"),
        ([[1.0, 2.0, 3.0]], r"^unigrams: expected a flat sequence of numbers, got shape \[1, 3\]"),
        (np.array(["a", "b", "c"]), r"^unigrams: expected a 1-D array of numbers"),
        (np.ones((3, 1)), r"^unigrams: expected a 1-D array of numbers, got shape \[3, 1\]"),
        ([1.0, float("inf"), 1.0], "^unigrams: every weight must be a finite number >= 0"),
        (np.array([1.0, -2.0, 1.0]), "^unigrams: every weight must be a finite number >= 0"),
        # not sequences: len() of them failed, naming nothing
        (5, "^unigrams: expected a sequence of numbers or a 1-D array, got int 5$"),
        ((u for u in [1.0, 2.0, 3.0]),
         "^unigrams: expected a sequence of numbers or a 1-D array, got generator$"),
        (np.float64(3.0), r"^unigrams: expected a 1-D array of numbers, got shape \[\]"),
        (np.array(3.0), r"^unigrams: expected a 1-D array of numbers, got shape \[\]"),
    ])
    def test_unigrams_must_be_finite_counts(self, unigrams, message):
        with pytest.raises((TypeError, ValueError), match=message):
            cs.fixed_unigram_candidate_sampler(Y, 1, 1, False, 3, unigrams=unigrams)

    def test_a_zero_count_takes_no_negative_distortion(self):
        with pytest.raises(ValueError, match=r"^distortion: must be >= 0 where a count is 0"):
            cs.fixed_unigram_candidate_sampler(Y, 1, 1, False, 3, unigrams=[1.0, 0.0, 2.0],
                                               distortion=-0.5)
        # 0 ** 0 is 1, as C's pow: with distortion 0 every class weighs the same
        sv = cs.fixed_unigram_candidate_sampler(np.array([[0]]), 1, 3000, False, 3,
                                                unigrams=[1.0, 0.0, 2.0], distortion=0.0,
                                                seed=4)
        assert np.bincount(sv.sampled_candidates, minlength=3).min() > 850
        np.testing.assert_allclose(sv.sampled_expected_count, 1000, rtol=1e-6)

    def test_counts_as_a_list_or_an_array_draw_the_same(self):
        rng = np.random.default_rng(8)
        counts = rng.integers(0, 50, 40).astype(np.float64)
        counts[:5] = [5.0, 7.0, 3.0, 0.0, 4.0]
        labels = np.array([[1], [2]])  # shard-local: the counts 5 and 3
        draws = [cs.fixed_unigram_candidate_sampler(labels, 1, 12, True, 21, unigrams=u,
                                                    distortion=0.75, num_reserved_ids=2,
                                                    num_shards=2, shard=0, seed=3)
                 for u in (list(counts), counts, counts.astype(np.int32))]
        for other in draws[1:]:
            for a, b in zip(draws[0], other):
                np.testing.assert_array_equal(np.asarray(b), np.asarray(a))
        # the weights of the shard: ids 0, 2, 4, ... of [0, 0, counts ** 0.75]
        weights = np.concatenate([[0.0, 0.0], counts ** 0.75])[0::2]
        p = weights[labels[:, 0]] / weights.sum()
        got = draws[0].true_expected_count[:, 0]
        tries = np.log1p(-got) / np.log1p(-p)  # -expm1(tries log1p(-p)) = Q
        np.testing.assert_allclose(tries, tries[0], rtol=1e-4)

    @pytest.mark.parametrize("shard", [0, 1, 2])
    def test_a_sharded_file_reads_only_its_shard(self, tmp_path, shard):
        """Only the lines of the shard's ids are read (as TensorFlow reads them): the others
        may hold a header or bad counts. Weights as from the same counts in a list."""
        counts = [4.0, 1.0, 3.0, 2.0, 5.0, 6.0, 2.0, 7.0]
        reserved = 2
        lines = [f"w{i},{c}" for i, c in enumerate(counts)]
        for i in range(len(lines)):
            if (reserved + i) % 3 != shard:
                lines[i] = ["word,count", "x,-1", "y,nan", "z"][i % 4]
        vocab = tmp_path / "vocab.txt"
        vocab.write_text("\n".join(lines) + "\n")
        size = len(range(shard, reserved + len(counts), 3))
        labels = np.array([[size - 1], [size - 2]])
        draws = [cs.fixed_unigram_candidate_sampler(labels, 1, 2, True, size, num_shards=3,
                                                    shard=shard, num_reserved_ids=reserved,
                                                    distortion=0.5, seed=9, **source)
                 for source in ({"unigrams": counts}, {"vocab_file": str(vocab)})]
        for a, b in zip(*draws):
            np.testing.assert_array_equal(np.asarray(b), np.asarray(a))
        bad = tmp_path / "bad.txt"
        bad.write_text("\n".join(["a,1"] * 7 + ["b,many"]) + "\n")  # id 9, of shard 0
        size = len(range(shard, 10, 3))
        read = lambda shard: cs.fixed_unigram_candidate_sampler(
            np.array([[size - 1]]), 1, 1, False, size, vocab_file=str(bad),
            num_reserved_ids=reserved, num_shards=3, shard=shard, distortion=0.5, seed=9)
        if shard == 0:
            with pytest.raises(ValueError, match=f"^vocab_file: {bad}:8: expected"):
                read(shard)
        else:
            assert read(shard).sampled_candidates.shape == (1,)

    def test_shard_bounds(self):
        with pytest.raises(ValueError, match="^shard"):
            cs.fixed_unigram_candidate_sampler(Y, 1, 1, False, 3, unigrams=[1.0] * 6,
                                               num_shards=2, shard=2)


class TestExactFixedUnigramCounts:
    """``compat.tf``'s sampler takes ``unigrams`` as TensorFlow's ``list(float)``
    attribute does: a string was read as its digits, a nested list as a 2-D law."""

    @staticmethod
    def draw(unigrams):
        tf.random.set_seed(4)
        try:
            return tf.random.fixed_unigram_candidate_sampler(Y, 1, 3, True, 5,
                                                             unigrams=unigrams, seed=2)
        finally:
            tf.random.set_seed(None)

    @pytest.mark.parametrize(("unigrams", "message"), [
        ("12345", r"got str$"),
        (b"12345", r"got bytes$"),
        ([[1.0, 2.0, 3.0, 4.0, 5.0]], r"got list \[1\.0, 2\.0, 3\.0, 4\.0, 5\.0\] at index 0$"),
        ([1.0, "2", 3.0, 4.0, 5.0], r"got str '2' at index 1$"),
        (np.ones((5, 1)), r"got an array of shape \[5, 1\] and dtype float64$"),
        (np.array(list("12345")), r"got an array of shape \[5\] and dtype <U1$"),
    ])
    def test_anything_but_a_list_of_numbers_is_a_type_error(self, unigrams, message):
        with pytest.raises(TypeError, match="^unigrams: expected a list of real numbers, "
                                            + message):
            self.draw(unigrams)

    def test_a_list_a_tuple_and_arrays_draw_the_same(self):
        counts = [1, 2.5, 3, 4, 5]
        first = self.draw(counts)
        from fractions import Fraction

        for other in (tuple(counts), np.array(counts), np.array(counts, np.float32),
                      [True, 2.5, 3, 4, 5], [Fraction(1), Fraction(5, 2), 3, 4, 5],
                      [np.int8(1), np.float16(2.5), 3, 4, 5]):
            for a, b in zip(first, self.draw(other)):
                np.testing.assert_array_equal(np.asarray(b), np.asarray(a))
        torch = pytest.importorskip("torch")
        for a, b in zip(first, self.draw(torch.tensor(counts))):
            np.testing.assert_array_equal(np.asarray(b), np.asarray(a))


def test_all_candidate_sampler_checks_true_classes():
    with pytest.raises(ValueError, match=r"^true_classes: every id must be in \[0, 3\)"):
        cs.all_candidate_sampler(np.array([[5]]), 1, 3, True)
    sv = cs.all_candidate_sampler(np.array([[2]]), 1, 3, True)
    np.testing.assert_array_equal(sv.sampled_candidates, [0, 1, 2])
    np.testing.assert_array_equal(sv.sampled_expected_count, [1, 1, 1])


SKEWED = [10**9, 1, 1]
"""A law that needs about 5 * 10^8 draws for its three classes."""


def _skewed_sample(xp, unique=True):
    labels = xp.asarray(np.array([[0]]))
    return cs.fixed_unigram_candidate_sampler(labels, 1, 3, unique, 3, unigrams=SKEWED, seed=7)


def test_a_unique_sample_stops_at_the_draw_limit(xp, monkeypatch):
    """TensorFlow aborts the process after 2**31 - 1 draws; every backend's unique draw
    (NumPy's blocks, JAX's table, the core's loop elsewhere) raises there instead. The
    limit is lowered here so that the test takes milliseconds."""
    import candidate_sampling.backends._base as base

    monkeypatch.setattr(base, "MAX_TRIES", 5000)
    with pytest.raises(ValueError, match=r"^num_sampled: 3 distinct classes were not drawn in "
                                         r"\d+ draws \(unique=True\)"):
        _skewed_sample(xp)
    drawn = _skewed_sample(xp, unique=False)  # no limit without unique
    assert tuple(drawn.sampled_candidates.shape) == (3,)


def test_a_unique_draw_from_too_few_drawable_classes_stops_at_once(xp, monkeypatch):
    """Where the counts went unchecked (a torch module with ``validate=False``, a
    compiled caller), a unique draw from a law with fewer drawable classes than asked
    raises at once on every backend (NumPy's and PyTorch's blocks on the host, JAX's
    table, the core's loop), not after drawing to the limit: 3 minutes on a CPU. The
    limit is lowered so that the old draw fails fast, with the other error."""
    import candidate_sampling.backends._base as base
    from candidate_sampling.core.namespace import device_of, namespace_of
    from candidate_sampling.core.samplers import _draw, _Unigram

    monkeypatch.setattr(base, "MAX_TRIES", 50_000)
    weights = xp.asarray(np.r_[np.ones(5), np.zeros(45)])
    law = _Unigram(namespace_of(w=weights), weights)
    with pytest.raises(ValueError, match=r"^num_sampled: 10 distinct classes cannot be drawn "
                                         r"\(unique=True\): fewer classes than that"):
        _draw(law.xp, law, 10, True, 3, None, device_of(weights))
    found, _ = _draw(law.xp, law, 5, True, 3, None, device_of(weights))  # all there are
    assert sorted(np.asarray(found).tolist()) == [0, 1, 2, 3, 4]


def test_a_torch_module_without_value_checks_refuses_too_few_classes_at_once():
    torch = pytest.importorskip("torch")
    from candidate_sampling.layers.torch import NCELoss

    module = NCELoss(50, 4, 10, sampler="learned_unigram", validate=False)
    with torch.no_grad():
        module.unigram_counts.copy_(torch.tensor([1] * 5 + [0] * 45))
    with pytest.raises(ValueError, match=r"^num_sampled: 10 distinct classes cannot be drawn"):
        module(torch.randn(3, 4), torch.tensor([0, 1, 2]))


def test_a_jitted_unique_sample_past_the_draw_limit_gives_nan_losses(monkeypatch):
    """A traced draw cannot raise: its number of draws becomes -1, the expected counts
    NaN, and so the losses."""
    jax = pytest.importorskip("jax")
    import candidate_sampling.backends._base as base

    monkeypatch.setattr(base, "MAX_TRIES", 5000)
    labels, jnp = jax.numpy.asarray([[0], [1]]), jax.numpy
    weights, biases, inputs = jnp.ones((3, 4)), jnp.zeros(3), jnp.ones((2, 4))

    @jax.jit
    def loss(key, counts):
        values = cs.fixed_unigram_candidate_sampler(labels, 1, 3, True, 3, unigrams=counts,
                                                    rng=key)
        return values, cs.sampled_softmax_loss(weights, biases, labels, inputs, 3, 3,
                                               sampled_values=values)

    values, out = loss(jax.random.key(0), jnp.asarray(SKEWED, jnp.float32))
    assert np.isnan(np.asarray(out)).all()
    assert np.isnan(np.asarray(values.sampled_expected_count)).all()
    assert np.isnan(np.asarray(values.true_expected_count)).all()
    values, out = loss(jax.random.key(0), jnp.ones(3))  # a law that completes
    assert sorted(np.asarray(values.sampled_candidates).tolist()) == [0, 1, 2]
    assert np.isfinite(np.asarray(out)).all()


_TOO_FEW_CLASSES = """
import time, jax, jax.numpy as jnp, numpy as np, candidate_sampling as cs
counts = jnp.asarray([0.0, 0.0, 1.0, 1.0, 0.0, 1.0] + [0.0] * 58)
labels = jnp.asarray([[2]])
learned = jax.jit(lambda c, k: cs.learned_unigram_step(c, labels, 1, 5, True, rng=k)[0])
fixed = jax.jit(lambda c, k: cs.fixed_unigram_candidate_sampler(labels, 1, 5, True, 64,
                                                                unigrams=c, rng=k))
for sample in (learned, fixed):
    start = time.perf_counter()
    values = jax.block_until_ready(sample(counts, jax.random.key(0)))
    assert np.isnan(np.asarray(values.sampled_expected_count)).all(), values
    assert np.isnan(np.asarray(values.true_expected_count)).all(), values
    print(round(time.perf_counter() - start, 1))
"""


def test_a_jitted_unique_sample_from_too_few_classes_stops_at_once():
    """Under ``jax.jit`` the weights of a unigram law cannot be read, so a unique sample
    of more classes than have positive weight is not refused: its loop ran to the draw
    limit (33 million blocks of 64 draws, hours). It stops before its first block now,
    with NaN counts (the fate of a traced sample that cannot complete)."""
    pytest.importorskip("jax")
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _TOO_FEW_CLASSES], capture_output=True,
                          text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert all(float(t) < 60 for t in done.stdout.split()), done.stdout


def test_a_learned_unigram_law_larger_than_the_memory_is_refused(monkeypatch):
    """TensorFlow allocates and fills a table of 2 * range_max entries (it ran for minutes
    at range_max = 2**31 - 1); here a law that cannot fit is a ValueError before any
    allocation, not a process killed for want of memory."""
    import candidate_sampling.core.checks as checks

    monkeypatch.setattr(checks, "available_memory", lambda: 20 * 2**30)
    with pytest.raises(ValueError, match=r"^range_max: a learned unigram law over range_max "
                                         r"classes takes 48\.0 GiB, more than the 20\.0 GiB"):
        cs.learned_unigram_candidate_sampler(Y, 1, 4, True, 2**31, seed=1)
    counts = np.ones(2**27)  # given counts: the law's two arrays are checked
    monkeypatch.setattr(checks, "available_memory", lambda: 2**30)
    with pytest.raises(ValueError, match=r"^range_max: a unigram law over range_max classes "
                                         r"\(its weights and running sum\) takes 2\.0 GiB"):
        cs.learned_unigram_step(counts, Y, 1, 4, True, seed=1)


@pytest.mark.parametrize("sampler", SAMPLERS + [cs.all_candidate_sampler])
def test_a_sample_larger_than_the_memory_is_refused(sampler, monkeypatch):
    import candidate_sampling.core.checks as checks

    monkeypatch.setattr(checks, "available_memory", lambda: 2**30)
    arguments = (Y, 1, 2**26, False) + (() if sampler is cs.all_candidate_sampler else (2**40,))
    with pytest.raises(ValueError, match=r"^num_sampled: a sample of num_sampled classes "
                                         r"takes 2\.5 GiB, more than the 1\.0 GiB"):
        sampler(*arguments)


def test_the_available_memory_is_read_from_the_system():
    import candidate_sampling.core.checks as checks

    available = checks.available_memory()
    assert available is None or 2**20 < available < 2**50


def test_tensorflows_learned_unigram_stream_larger_than_the_memory_is_refused(monkeypatch):
    """The exact TensorFlow stream keeps int64 counts and their running sum."""
    import candidate_sampling.core.checks as checks
    from candidate_sampling.compat import tf

    monkeypatch.setattr(checks, "available_memory", lambda: 20 * 2**30)
    with pytest.raises(ValueError, match=r"^range_max: a learned unigram sampler over "
                                         r"range_max classes takes 32\.0 GiB, more than"):
        tf.random.learned_unigram_candidate_sampler(Y, 1, 4, True, 2**31 - 2, seed=1)


def test_a_sample_is_checked_against_its_devices_memory(monkeypatch):
    """An array library whose device has its own memory (a GPU's) is asked how much of it
    is free; the system's memory does not apply there."""
    torch = pytest.importorskip("torch")
    import candidate_sampling.core.checks as checks
    from candidate_sampling.backends.torch import TorchBackend

    monkeypatch.setattr(checks, "available_memory", lambda: 2**40)
    monkeypatch.setattr(TorchBackend, "device_memory", lambda self, device: 2**30)
    with pytest.raises(ValueError, match=r"^num_sampled: a sample of num_sampled classes takes "
                                         r"2\.5 GiB, more than the 1\.0 GiB free on device cpu$"):
        cs.uniform_candidate_sampler(torch.tensor([[1], [2]]), 1, 2**26, False, 2**40)
    with pytest.raises(ValueError, match=r"^range_max: a learned unigram law over range_max "
                                         r"classes takes 48\.0 GiB, more than the 1\.0 GiB free"):
        cs.learned_unigram_candidate_sampler(torch.tensor([[1], [2]]), 1, 4, True, 2**31)
    # a device that has more than the system: its own memory is what counts
    monkeypatch.setattr(checks, "available_memory", lambda: 2**30)
    monkeypatch.setattr(TorchBackend, "device_memory", lambda self, device: 2**40)
    checks.check_memory(2**32, "range_max", "a law", torch.tensor([1]))
    with pytest.raises(ValueError, match=r"^range_max: a law takes 4\.0 GiB, more than the "
                                         r"1\.0 GiB of memory available$"):
        checks.check_memory(2**32, "range_max", "a law")


def test_arrays_in_the_systems_memory_are_checked_against_it(monkeypatch):
    """NumPy, and torch and JAX on the CPU, have no memory of their own device."""
    import candidate_sampling.core.checks as checks
    from candidate_sampling.backends import backend_for

    monkeypatch.setattr(checks, "available_memory", lambda: 2**30)
    arrays = [Y]
    torch = pytest.importorskip("torch")
    arrays.append(torch.tensor([[1], [2]]))
    jnp = pytest.importorskip("jax.numpy")
    arrays.append(jnp.asarray([[1], [2]]))
    for labels in arrays:
        xp = checks.namespace_of(labels=labels)
        assert backend_for(xp).device_memory(checks.device_of(labels)) is None
        with pytest.raises(ValueError, match=r"than the 1\.0 GiB of memory available$"):
            cs.log_uniform_candidate_sampler(labels, 1, 2**26, False, 2**31 - 1)


def test_a_jax_accelerators_free_memory_is_its_allocators_limit_less_its_use():
    from candidate_sampling.backends.jax import JaxBackend

    class Device:  # what jax.Device gives on a GPU
        platform = "gpu"

        def __init__(self, stats):
            self.stats = stats

        def memory_stats(self):
            return self.stats

    backend = JaxBackend()
    assert backend.device_memory(Device({"bytes_limit": 80 * 2**30,
                                         "bytes_in_use": 2**30})) == 79 * 2**30
    assert backend.device_memory(Device(None)) is None  # no statistics: the system's
    assert backend.device_memory(Device({})) is None


def test_a_cuda_devices_free_memory_is_the_drivers_and_the_caches():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device here: torch's CUDA memory query runs only on a GPU")
    from candidate_sampling.backends.torch import TorchBackend

    free, total = torch.cuda.mem_get_info()
    available = TorchBackend().device_memory(torch.device("cuda"))
    assert free <= available <= total


@pytest.mark.parametrize("counts,unique,message", [
    ([1, 1, 0, 0, 0], True, (r"^num_sampled: must be at most the 2 classes of nonzero "
                             r"count in counts that a draw can reach \(each at least "
                             r"2\*\*-51 / range_max of the total\) when unique=True, got 3")),
    ([2.0**70, 1, 1, 1, 1], True, r"^num_sampled: must be at most the 1 classes of nonzero count"),
    ([1, 1, -5, 1, 1], False, r"^counts: every count must be finite and >= 0, got min -5.0"),
    ([1, 1, np.inf, 1, 1], False, r"^counts: every count must be finite and >= 0"),
    ([1, 0, 1, 1, 1], False, r"^counts: a true class has count 0"),
    # each finite, their sum not: the draw had picked the last class with counts 0, and
    # with unique=True blamed 0 classes of nonzero count
    ([1e308] * 5, False, r"^counts: the sum of the counts overflows \(largest 1e\+308\)"),
    ([1e308] * 5, True, r"^counts: the sum of the counts overflows")])
def test_learned_unigram_counts_that_cannot_be_drawn_from_are_refused(counts, unique, message):
    """Counts set by hand (or loaded) that a learned unigram law cannot use: fewer
    classes of nonzero count than a unique sample needs (the draw ran to its limit of
    2**31 draws, two minutes, then blamed the law), a negative or infinite count, a true
    class of count 0 (a NaN loss). A count of 2**70 leaves the others no share a draw
    reaches."""
    with pytest.raises(ValueError, match=message):
        cs.learned_unigram_step(np.asarray(counts, np.float64), Y, 1, 3, unique, seed=0)



@pytest.mark.parametrize("dtype,count,limit", [
    (np.int8, 127, "127"), (np.uint8, 255, "255"), (np.float16, 2048, "2048"),
    (np.float32, 2**24 - 1, "1.67772e\\+07"), (np.uint64, 2**64 - 1, "4.61169e\\+18"),
    (np.int64, 2**63 - 1, "4.61169e\\+18")])
def test_learned_counts_an_update_cannot_add_to_are_refused(dtype, count, limit):
    """Counts of a dtype where the update's ``+ 1`` wraps around (int8 127 -> -128,
    uint64 2**64 - 1 -> 0; 64-bit ones are limited to 2**62, read as float64) or rounds
    away (float16 2048 stays 2048: learning stops): refused by name before the draw.
    Below the limit they are updated."""
    counts = np.full(5, count, dtype)
    with pytest.raises(ValueError, match=rf"^counts: a count of \S+ plus the 2 labels of this "
                                         rf"call passes {limit}, the largest count"):
        cs.learned_unigram_step(counts, np.array([[0], [1]]), 1, 2, False, seed=0)
    fits = np.full(5, min(count, 2**62) - 2**11 if count > 2**24 else count - 2, dtype)
    _, updated = cs.learned_unigram_step(fits, np.array([[0], [0]]), 1, 2, False, seed=0)
    assert updated.dtype == dtype and int(updated[0]) == int(fits[0]) + 2

def test_learned_float16_counts_summing_past_its_range_are_drawn():
    """float16 counts of 40 classes of 2000 sum to 80000, past float16's 65504: their
    own sum was infinite, no class counted as drawable, and a unique sample of 3 was
    refused as 'at most the 0 classes of nonzero count'. The sum is taken in the widest
    float: the three are drawn."""
    counts = np.full(40, 2000, np.float16)
    values, _ = cs.learned_unigram_step(counts, np.array([[0], [1]]), 1, 3, True, seed=0)
    assert len(set(values.sampled_candidates.tolist())) == 3

def test_unigram_weights_a_draw_cannot_reach_are_refused_at_once(xp):
    """One weight of 2**70 beside weights of 1: a float64 running sum gives the others no
    share, so a unique sample of 3 could only run to the draw limit (100 s on NumPy,
    hours of blocks on JAX) and fail. The eager samplers refuse it at once; under
    ``jax.jit`` the draw stops before its first block, with NaN counts (as a law with
    too few classes of weight above 0 does). Beside 2**16 they are drawn."""
    labels = xp.asarray([[1], [3]])
    huge = [2.0**70] + [1.0] * 9
    with pytest.raises(ValueError, match=r"^num_sampled: must be at most the 1 ids of nonzero "
                                         r"weight that a draw can reach"):
        cs.fixed_unigram_candidate_sampler(labels, 1, 3, True, 10, unigrams=huge, seed=1)
    ids = cs.fixed_unigram_candidate_sampler(labels, 1, 3, True, 10, unigrams=[2.0**16] + [1.0] * 9,
                                             seed=1)[0]
    assert len(set(np.asarray(ids).tolist())) == 3
    if xp.__name__ == "jax.numpy":
        import jax

        draw = jax.jit(lambda y, k: cs.fixed_unigram_candidate_sampler(y, 1, 3, True, 10,
                                                                       unigrams=huge, rng=k))
        _, true_q, sampled_q = draw(labels, jax.random.key(0))
        assert np.isnan(np.asarray(true_q)).all() and np.isnan(np.asarray(sampled_q)).all()


@pytest.mark.parametrize("counts,error,message", [
    ([1.0] * 5, TypeError, r"^counts: expected an array"),
    (np.ones((2, 5)), ValueError, r"^counts: expected shape \[range_max\], got shape \[2, 5\]"),
    (np.array(1.0), ValueError, r"^counts: expected shape \[range_max\], got shape \[\]"),
    (np.ones(5, np.complex64), TypeError, r"^counts: expected a real array"),
    (np.ones(5, bool), TypeError, r"^counts: expected a real array")])
def test_learned_unigram_step_checks_the_counts_array(counts, error, message):
    """A list, a 2-D or 0-d array, complex or bool counts are named; they failed inside
    (AttributeError, IndexError, a cumulative_sum error) or dropped the imaginary part."""
    with pytest.raises(error, match=message):
        cs.learned_unigram_step(counts, Y, 1, 2, True, seed=0)
    _, new = cs.learned_unigram_step(np.ones(5, np.int64), Y, 1, 2, True, seed=0)
    assert new.tolist() == [1, 2, 2, 1, 1]  # integer counts are counts too


def test_vocab_file_is_read_as_bytes_and_must_be_a_path(tmp_path):
    """The words of a vocabulary file may be in any encoding (TensorFlow reads bytes; a
    Latin-1 file raised a bare UnicodeDecodeError), CRLF lines too; an int, which
    ``open`` takes as a file descriptor (and closed), is a TypeError naming
    ``vocab_file``."""
    vocab = tmp_path / "latin1.txt"
    vocab.write_bytes(b"caf\xe9,3\r\nna\xefve,2\n\nx,1\n")
    values = cs.fixed_unigram_candidate_sampler(Y, 1, 2, True, 3, vocab_file=str(vocab), seed=1)
    assert len(set(values[0].tolist())) == 2
    from candidate_sampling.core.samplers import read_vocab_counts

    assert read_vocab_counts(vocab) == [3.0, 2.0, 1.0]
    with pytest.raises(TypeError, match=r"^vocab_file: expected a path"):
        cs.fixed_unigram_candidate_sampler(Y, 1, 2, True, 3, vocab_file=3, seed=1)
    vocab.write_bytes(b"caf\xe9,3\nb\xe9,x\n")
    with pytest.raises(ValueError, match=r"vocab_file: .*:2: expected '<word>,<count>'"):
        read_vocab_counts(vocab)


def test_tf_fixed_unigram_takes_none_for_its_defaults(tmp_path):
    """TensorFlow takes ``vocab_file=None`` and ``unigrams=None`` as the attributes'
    defaults (``''`` and ``[]``): ``vocab_file=None`` with unigrams draws what
    ``vocab_file=''`` does (a TypeError from ``os.fspath`` before), ``None`` for both is
    the "give exactly one" error, and a non-path is a TypeError naming ``vocab_file``."""
    from candidate_sampling.compat.tf import random as tf_random

    def draw(**kwargs):
        tf_random.set_seed(None)
        return tf_random.fixed_unigram_candidate_sampler(Y, 1, 3, True, 5, seed=1, **kwargs)

    want = draw(unigrams=[1.0, 2, 3, 4, 5])
    got = draw(vocab_file=None, unigrams=[1.0, 2, 3, 4, 5])
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("a,1\nb,2\nc,3\nd,4\ne,5\n")
    for a, b in zip(draw(vocab_file=str(vocab), unigrams=None), want):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"^vocab_file, unigrams: give exactly one of them$"):
        draw(vocab_file=None, unigrams=None)
    with pytest.raises(TypeError, match=r"^vocab_file: expected a path \(str or os.PathLike\), "
                                        r"got int$"):
        draw(vocab_file=3, unigrams=[1.0, 2, 3, 4, 5])


SAMPLER_ERROR_CASES = [c for c in load_cases() if c.group == "tf2_sampler_errors"]


@pytest.mark.parametrize("native", [False, True], ids=["compat.tf", "native"])
@pytest.mark.parametrize("case", SAMPLER_ERROR_CASES, ids=lambda c: c.id)
def test_tensorflows_sampler_errors_are_named_errors(xp, case, native):
    """Every bad input TensorFlow 2.21 refuses (``spec/vectors/tf2_sampler_errors``) is a
    ValueError or TypeError naming an argument, from the exact stream and the native
    sampler alike, on every backend."""
    from candidate_sampling.compat.tf import random as tf_random

    assert case.raises["type"] in ("InvalidArgumentError", "NotFoundError", "none")
    sampler = getattr(cs if native else tf_random, case.op)
    kwargs = dict(case.kwargs)
    names = ("true_classes", "num_true", "num_sampled", "range_max", "vocab_file", "unigrams",
             "num_shards", "shard", "num_reserved_ids")
    with pytest.raises((ValueError, TypeError), match="^(" + "|".join(names) + ")"):
        sampler(xp.asarray(case.inputs["true_classes"]), **kwargs)


def test_enough_sampler_error_cases():
    assert {c.op for c in SAMPLER_ERROR_CASES} == {
        "uniform_candidate_sampler", "log_uniform_candidate_sampler",
        "learned_unigram_candidate_sampler", "fixed_unigram_candidate_sampler",
        "all_candidate_sampler"}
    assert len(SAMPLER_ERROR_CASES) >= 42
    # TensorFlow 2.21 draws with num_reserved_ids=-1; this library refuses it
    returned = [c.id for c in SAMPLER_ERROR_CASES if c.raises["type"] == "none"]
    assert returned == ["tf2.fixed_unigram_candidate_sampler.error-num-reserved-ids-negative"]


def test_a_traced_size_is_told_to_be_static():
    """A ``num_sampled`` (or ``num_classes``) traced by ``jax.jit`` was "expected an int, got
    DynamicJaxprTracer ..." with no word of what to do."""
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    labels = jnp.asarray([[1], [2]])
    weights, biases, inputs = jnp.ones((10, 3)), jnp.zeros(10), jnp.ones((2, 3))
    static = (r"; it must be known when the function is traced: pass it as a Python int "
              r"\(jax\.jit's static_argnums/static_argnames\)")
    with pytest.raises(TypeError, match=r"^num_sampled: expected an int, got .*Tracer.*" + static):
        jax.jit(lambda n: cs.log_uniform_candidate_sampler(labels, 1, n, True, 10,
                                                           rng=jax.random.key(0)))(3)
    with pytest.raises(TypeError, match=r"^num_classes: expected an int, got .*Tracer.*" + static):
        jax.jit(lambda v: cs.sampled_softmax_loss(weights, biases, labels, inputs, 3, v,
                                                  seed=1))(10)
    with pytest.raises(TypeError, match=r"^num_sampled: expected an int, got float 2\.5$"):
        cs.log_uniform_candidate_sampler(labels, 1, 2.5, True, 10, rng=jax.random.key(0))


@pytest.mark.parametrize("sampler,law,range_max", [
    (cs.log_uniform_candidate_sampler, "log_uniform", 2**24),
    (cs.uniform_candidate_sampler, "uniform", 2**28),
    (tf.random.log_uniform_candidate_sampler, "log_uniform", 2**24),
    (tf.random.uniform_candidate_sampler, "uniform", 2**28)])
def test_a_unique_sample_past_the_draw_limit_on_average_is_refused_at_once(sampler, law,
                                                                           range_max):
    """Every class of 2**24 under the log-uniform law drew for 670 s before the error of
    too many draws (TensorFlow aborts after as long); its mean number of draws is known
    from the sizes, above the limit. A sample whose mean is below it draws."""
    with pytest.raises(ValueError, match=rf"^num_sampled: a unique sample of {range_max} of the "
                                         rf"{range_max} classes of the {law} law takes on "
                                         rf"average at least [0-9.e+]+ draws, more than the "
                                         rf"2147483646 allowed"):
        sampler(np.zeros((1, 1), np.int64), 1, range_max, True, range_max, seed=1)
    drawn = sampler(np.zeros((1, 1), np.int64), 1, 4000, True, 4000, seed=1)[0]
    assert sorted(np.asarray(drawn).tolist()) == list(range(4000))


def test_least_mean_tries_is_below_the_coupon_collectors_mean():
    """The bound under the exact mean of the uniform law, ``V (H_V - H_{V-k})``, and
    within 15% of it; the same sum for the log-uniform law from its masses."""
    from candidate_sampling.core.checks import least_mean_tries

    v = 2**24
    exact = v * np.sum(1.0 / np.arange(1, v + 1, dtype=np.float64))
    bound = least_mean_tries("uniform", v, v)
    assert 0.85 * exact <= bound <= exact
    j = np.arange(v, dtype=np.float64)
    mass = np.log1p(j) / np.log1p(v)               # of the j likeliest classes
    assert least_mean_tries("log_uniform", v, v) <= np.sum(1.0 / (1.0 - mass))
    assert least_mean_tries("log_uniform", 200_000, 4096) == 4096   # far from the limit
