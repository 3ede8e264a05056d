"""Edges of the argument contracts: fixed unigram laws past float32, the seed range of the
native samplers and losses on every backend, empty batches of the rank loss, contrib's
sparse labels, and real-number arguments given something else."""

from __future__ import annotations

import re

import numpy as np
import pytest

import candidate_sampling as cs
from candidate_sampling.compat import paddle, tf
from candidate_sampling.core.checks import check_real

TC = np.array([[1], [3]])
LIBRARIES = ["numpy", "torch", "jax"]


def convert(library: str, a: np.ndarray):
    """``a`` as an array of ``library`` (skipped where it is not installed)."""
    if library == "numpy":
        return a
    if library == "torch":
        return pytest.importorskip("torch").tensor(a)
    return pytest.importorskip("jax.numpy").asarray(a)


def fixed(library: str, **kw):
    """A native fixed unigram sample of 2 unique classes of 5 for ``TC``."""
    kw.setdefault("unigrams", [1.0, 2.0, 3.0, 4.0, 5.0])
    return cs.fixed_unigram_candidate_sampler(convert(library, TC), 1, 2, True, 5, seed=1, **kw)


def tf_fixed(**kw):
    kw.setdefault("unigrams", [1.0, 2.0, 3.0, 4.0, 5.0])
    return tf.random.fixed_unigram_candidate_sampler(TC, 1, 2, True, 5, seed=1, **kw)


WEIGHT_OVERFLOW = r"^unigrams, distortion: the counts raised to distortion=100\.0 overflow float32"
SUM_OVERFLOW = r"^unigrams, distortion: the sum of the counts raised to distortion=1\.0 overflows float32"


class TestFixedUnigramPastFloat32:
    """TensorFlow keeps the weights and their total in float32: a power or a sum past
    FLT_MAX gives NaN or 0 expected counts there. Both samplers refuse such laws."""

    def test_the_exact_stream_refuses_a_weight_past_float32(self):
        # 10 ** 100 is inf in float32: TensorFlow's counts are NaN (inf / inf) and 0
        with pytest.raises(ValueError, match=WEIGHT_OVERFLOW):
            tf_fixed(unigrams=[1, 10, 2, 3, 4], distortion=100.0)

    def test_the_exact_stream_refuses_a_total_past_float32(self):
        # every weight is finite, their float32 sum is not: every count would be 0
        with pytest.raises(ValueError, match=SUM_OVERFLOW):
            tf_fixed(unigrams=[3e38, 3e38, 1, 1, 1])

    def test_the_exact_stream_refuses_a_count_past_float32(self):
        with pytest.raises(ValueError, match=r"^unigrams, distortion: the counts raised to "
                                             r"distortion=1\.0 overflow float32"):
            tf_fixed(unigrams=[1e39, 1, 1, 1, 1])

    def test_the_exact_stream_names_the_vocabulary_file(self, tmp_path):
        vocab = tmp_path / "vocab.txt"
        vocab.write_text("a,2e38\nb,2e38\nc,1\nd,1\ne,1\n")
        with pytest.raises(ValueError, match=r"^vocab_file, distortion: the sum of the counts"):
            tf_fixed(unigrams=(), vocab_file=str(vocab))

    def test_the_exact_stream_refuses_zero_to_a_negative_power(self):
        # powf(0, -1) is inf in TensorFlow's table
        with pytest.raises(ValueError, match=r"^distortion: must be >= 0 where a count is 0"):
            tf_fixed(unigrams=[0, 1, 2, 3, 4], distortion=-1.0)

    def test_the_exact_stream_takes_distortion_as_a_float32(self):
        with pytest.raises(ValueError, match=r"^distortion: must be finite in float32"):
            tf_fixed(distortion=1e39)

    @pytest.mark.parametrize("library", LIBRARIES)
    def test_the_native_sampler_refuses_a_weight_past_float32(self, library):
        # it used to say that a true class had weight 0 (10 ** 100 is finite in float64,
        # but the other classes' share of it is 0 in float32)
        with pytest.raises(ValueError, match=WEIGHT_OVERFLOW):
            fixed(library, unigrams=[1, 10, 2, 3, 4], distortion=100.0)

    @pytest.mark.parametrize("library", LIBRARIES)
    def test_the_native_sampler_refuses_a_total_past_float32(self, library):
        with pytest.raises(ValueError, match=SUM_OVERFLOW):
            fixed(library, unigrams=[3e38, 3e38, 1, 1, 1])

    @pytest.mark.parametrize("library", LIBRARIES)
    def test_large_weights_that_fit_float32_keep_their_law(self, library):
        """Three weights of 1e38 (total 3e38 < FLT_MAX) are a uniform law: p = 1/3, and
        with unique=False the expected count is p * num_sampled. (JAX's float32 division
        used to flush w / total to 0 for a total above 2**126.)"""
        labels = convert(library, np.array([[0], [2]]))
        drawn = cs.fixed_unigram_candidate_sampler(labels, 1, 2, False, 3,
                                                   unigrams=[1e38, 1e38, 1e38], seed=3)
        np.testing.assert_allclose(np.asarray(drawn.true_expected_count), [[2 / 3], [2 / 3]],
                                   rtol=1e-6)
        drawn = tf.random.fixed_unigram_candidate_sampler(np.array([[0], [2]]), 1, 2, False, 3,
                                                          unigrams=[1e38, 1e38, 1e38], seed=3)
        np.testing.assert_allclose(drawn.true_expected_count, [[2 / 3], [2 / 3]], rtol=1e-6)

    @pytest.mark.parametrize("library", LIBRARIES)
    def test_a_large_negative_distortion_is_refused_without_warnings(self, library):
        # 0.001 ** -40 = 1e120: past float32 (and NumPy must not warn on the way)
        with pytest.raises(ValueError, match=r"^unigrams, distortion: the counts raised to "
                                             r"distortion=-40\.0 overflow float32"):
            fixed(library, unigrams=[1, 0.001, 1, 1, 1], distortion=-40.0)


SEED_RANGE = re.escape("seed: must be in [-9223372036854775808, 18446744073709551615], got ")


def log_uniform(library: str, seed):
    drawn = cs.log_uniform_candidate_sampler(convert(library, TC), 1, 4, True, 1000, seed=seed)
    return np.asarray(drawn.sampled_candidates).tolist()


class TestSeeds:
    """One seed contract for the native samplers and losses: an int in [-2**63, 2**64 - 1]
    on every backend, its 64 bits seeding the generator."""

    @pytest.mark.parametrize("library", LIBRARIES)
    def test_every_seed_of_the_range_is_taken_and_reduced_to_64_bits(self, library):
        assert log_uniform(library, -1) == log_uniform(library, 2**64 - 1)
        assert log_uniform(library, -2**63) == log_uniform(library, 2**63)
        assert log_uniform(library, np.int64(-1)) == log_uniform(library, np.uint64(2**64 - 1))
        assert log_uniform(library, 7) == log_uniform(library, 7)

    @pytest.mark.parametrize("library", LIBRARIES)
    @pytest.mark.parametrize("seed", [2**64, -2**63 - 1, 2**70, -2**70])
    def test_a_seed_outside_the_range_is_refused_alike(self, library, seed):
        with pytest.raises(ValueError, match="^" + SEED_RANGE + str(seed) + "$"):
            log_uniform(library, seed)

    @pytest.mark.parametrize("library", LIBRARIES)
    @pytest.mark.parametrize("sampler", [cs.uniform_candidate_sampler,
                                         cs.learned_unigram_candidate_sampler])
    def test_every_sampler_checks_the_same_range(self, library, sampler):
        labels = convert(library, TC)
        assert np.asarray(sampler(labels, 1, 3, True, 10, seed=-5)[0]).shape == (3,)
        with pytest.raises(ValueError, match="^" + SEED_RANGE):
            sampler(labels, 1, 3, True, 10, seed=2**64)
        with pytest.raises(ValueError, match="^" + SEED_RANGE):
            cs.all_candidate_sampler(labels, 1, 5, True, seed=2**64)
        with pytest.raises(ValueError, match="^" + SEED_RANGE):
            cs.fixed_unigram_candidate_sampler(labels, 1, 2, True, 5, unigrams=[1.0] * 5,
                                               seed=-2**63 - 1)

    @pytest.mark.parametrize("library", LIBRARIES)
    def test_a_seed_and_a_generator_together_are_refused(self, library):
        """Two sources of randomness: the generator used to win silently."""
        labels = convert(library, TC)
        gen = {"numpy": lambda: np.random.default_rng(1),
               "torch": lambda: pytest.importorskip("torch").Generator().manual_seed(1),
               "jax": lambda: pytest.importorskip("jax").random.key(1)}[library]
        message = (r"^seed, rng: give at most one of them \(the generator's draws or those "
                   r"of seed=3\), got both$")
        calls = [lambda **kw: cs.uniform_candidate_sampler(labels, 1, 3, True, 10, **kw),
                 lambda **kw: cs.log_uniform_candidate_sampler(labels, 1, 3, False, 10, **kw),
                 lambda **kw: cs.learned_unigram_candidate_sampler(labels, 1, 3, True, 10, **kw),
                 lambda **kw: cs.fixed_unigram_candidate_sampler(labels, 1, 3, True, 10,
                                                                 unigrams=[1.0] * 10, **kw),
                 lambda **kw: cs.all_candidate_sampler(labels, 1, 5, True, **kw),
                 lambda **kw: cs.LearnedUnigramSampler(10)(labels, 1, 3, True, **kw)]
        for call in calls:
            with pytest.raises(ValueError, match=message):
                call(seed=3, rng=gen())
            one = np.asarray(call(rng=gen())[0])  # either alone is taken
            assert one.shape == np.asarray(call(seed=3)[0]).shape

    @pytest.mark.parametrize("seed", [1.0, True, "1"])
    def test_a_seed_that_is_not_an_int_is_a_type_error(self, seed):
        with pytest.raises(TypeError, match="^seed: expected an int"):
            log_uniform("numpy", seed)

    def test_jax_keys_keep_all_64_bits_with_or_without_x64(self):
        jax = pytest.importorskip("jax")
        from candidate_sampling.backends.jax import seed_key

        def data(seed):
            return np.asarray(jax.random.key_data(seed_key(seed))).tolist()

        assert data(5) == np.asarray(jax.random.key_data(jax.random.key(5))).tolist()
        assert data(2**32 + 5) != data(5)  # jax.random.key keeps 32 bits without x64
        seeds = (5, 2**32 + 5, 2**63 + 1, 2**64 - 1)
        without = [data(s) for s in seeds]
        with jax.enable_x64(True):
            assert [data(s) for s in seeds] == without

    @pytest.mark.parametrize("library", LIBRARIES)
    def test_the_losses_take_the_same_seeds(self, library, rng):
        weights = convert(library, rng.normal(size=(10, 3)).astype(np.float32))
        biases = convert(library, np.zeros(10, np.float32))
        inputs = convert(library, rng.normal(size=(2, 3)).astype(np.float32))
        labels = convert(library, TC)
        first = cs.sampled_softmax_loss(weights, biases, labels, inputs, 3, 10, seed=-1)
        again = cs.sampled_softmax_loss(weights, biases, labels, inputs, 3, 10, seed=2**64 - 1)
        np.testing.assert_array_equal(np.asarray(first), np.asarray(again))
        values = cs.log_uniform_candidate_sampler(labels, 1, 3, True, 10, seed=1)
        for loss in (cs.sampled_softmax_loss, cs.nce_loss):  # checked even where unused
            with pytest.raises(ValueError, match="^" + SEED_RANGE):
                loss(weights, biases, labels, inputs, 3, 10, sampled_values=values,
                     seed=2**64)

    @pytest.mark.parametrize("library", LIBRARIES)
    @pytest.mark.parametrize("seed", [-1, -2**31])
    def test_paddles_negative_seeds_on_every_backend(self, library, seed, rng):
        logits = rng.normal(size=(2, 6)).astype(np.float32)
        label = np.array([[2], [4]])
        native = [np.asarray(cs.sampled_softmax_with_cross_entropy(
            convert(library, logits), convert(library, label), 3, seed=seed)) for _ in range(2)]
        np.testing.assert_array_equal(native[0], native[1])  # seeded: the same negatives
        assert native[0].shape == (2, 1) and np.isfinite(native[0]).all()
        front = [np.asarray(paddle.sampled_softmax_with_cross_entropy(
            convert(library, logits), convert(library, label), 3, seed=seed)) for _ in range(2)]
        np.testing.assert_array_equal(front[0], front[1])
        with pytest.raises(ValueError, match=r"^seed: must be in \[-2147483648, 2147483647\]"):
            cs.sampled_softmax_with_cross_entropy(logits, label, 3, seed=-2**31 - 1)

    def test_tensorflows_streams_keep_tensorflows_seed_rules(self, rng):
        """Any int, reduced modulo 2**31 - 1 (random_seed.get_seed)."""
        def draw(seed):
            tf.random.set_seed(None)
            return tf.random.log_uniform_candidate_sampler(TC, 1, 3, True, 10, seed=seed)[0]

        np.testing.assert_array_equal(draw(2**70), draw(2**70 % (2**31 - 1)))
        np.testing.assert_array_equal(draw(-5), draw(2**31 - 1 - 5))
        weights = rng.normal(size=(10, 3)).astype(np.float32)
        inputs = rng.normal(size=(2, 3)).astype(np.float32)
        biases = np.zeros(10, np.float32)
        tf.random.set_seed(None)
        big = tf.nn.sampled_softmax_loss(weights, biases, TC, inputs, 3, 10, seed=2**70)
        tf.random.set_seed(None)
        small = tf.nn.sampled_softmax_loss(weights, biases, TC, inputs, 3, 10,
                                           seed=2**70 % (2**31 - 1))
        np.testing.assert_array_equal(big, small)


def rank_args(library: str, rng, batch: int):
    weights = rng.normal(size=(10, 3)).astype(np.float32)
    labels = np.array([[1], [3]])[:batch]
    sampled = cs.log_uniform_candidate_sampler(np.array([[1], [3]]), 1, 5, True, 10, seed=1)
    values = cs.SampledValues(sampled.sampled_candidates,
                              sampled.true_expected_count[:batch],
                              sampled.sampled_expected_count)
    arrays = dict(weights=weights, biases=np.zeros(10, np.float32), labels=labels,
                  inputs=rng.normal(size=(batch, 3)).astype(np.float32))
    out = {k: convert(library, v) for k, v in arrays.items()}
    out["sampled_values"] = cs.SampledValues(*(convert(library, np.asarray(v)) for v in values))
    return dict(out, num_sampled=5, num_resampled=2, num_classes=10, num_true=1,
                resampling_temperature=1.0, remove_accidental_hits=True,
                partition_strategy="div")


class TestRankLoss:
    @pytest.mark.parametrize("library", LIBRARIES)
    def test_an_empty_batch_gives_an_empty_loss(self, library, rng):
        args = rank_args(library, rng, 0)
        for loss in (tf.contrib.rank_sampled_softmax_loss, cs.rank_sampled_softmax_loss):
            out = loss(**args)
            assert tuple(out.shape) == (0,)
        sampled = {k: args[k] for k in ("weights", "biases", "labels", "inputs",
                                        "num_sampled", "num_classes", "sampled_values")}
        sampled["sampled_values"] = cs.SampledValues(args["sampled_values"][0][:2],
                                                     args["sampled_values"][1],
                                                     args["sampled_values"][2][:2])
        sampled["num_sampled"] = 2
        assert tuple(tf.nn.sampled_softmax_loss(**sampled).shape) == (0,)

    def test_an_empty_batch_has_zero_gradients(self, rng):
        args = rank_args("numpy", rng, 0)
        loss, grads = cs.rank_sampled_softmax_loss_and_grad(**args)
        assert loss.shape == (0,) and grads.inputs.shape == (0, 3)
        assert not np.any(grads.weight_rows) and not np.any(grads.bias_rows)

    def test_an_empty_batch_backpropagates_in_torch(self, rng):
        torch = pytest.importorskip("torch")
        args = rank_args("torch", rng, 0)
        args["weights"] = args["weights"].clone().requires_grad_()
        tf.contrib.rank_sampled_softmax_loss(**args).sum().backward()
        assert torch.count_nonzero(args["weights"].grad) == 0

    @pytest.mark.parametrize("temperature", [np.array([0.5]), "1", True, np.True_, 1 + 0j,
                                             np.array(0.5 + 0j), None])
    def test_the_temperature_must_be_a_real_number(self, rng, temperature):
        args = rank_args("numpy", rng, 2)
        for loss in (tf.contrib.rank_sampled_softmax_loss, cs.rank_sampled_softmax_loss):
            with pytest.raises(TypeError, match="^resampling_temperature: expected a real number"):
                loss(**dict(args, resampling_temperature=temperature))

    def test_the_temperature_must_be_finite(self, rng):
        # the spec's contract; TensorFlow's scores are all log B there
        args = rank_args("numpy", rng, 2)
        for temperature in (np.inf, 10**400, -10**400):  # ints past float's: OverflowError
            with pytest.raises(ValueError,
                               match=r"^resampling_temperature: must be finite and > 0"):
                tf.contrib.rank_sampled_softmax_loss(**dict(args,
                                                            resampling_temperature=temperature))

    @pytest.mark.parametrize("library", LIBRARIES)
    @pytest.mark.parametrize("temperature", [1e-35, 1e-38, 1e-44])  # normal, subnormal
    def test_a_temperature_whose_inputs_over_it_overflow_ranks_by_the_limit(self, library,
                                                                           temperature):
        # inputs / T overflows float32, and TensorFlow's order of operations gives inf and
        # NaN scores (and NumPy warnings, errors here); the scores' limit as T -> 0 is the
        # batch maximum of w x, plus b, computed here in float64
        from candidate_sampling.core.losses import rank_resample

        gen = np.random.default_rng(5)
        weights = gen.normal(size=(40, 6)).astype(np.float32)
        biases = gen.normal(size=40).astype(np.float32)
        inputs = (1e3 * gen.normal(size=(4, 6))).astype(np.float32)
        sampled = np.arange(0, 40, 2)
        limit = (weights[sampled].astype(np.float64) @ inputs.T.astype(np.float64)).max(1)
        expected = sampled[np.argsort(-(limit + biases[sampled]), kind="stable")[:8]]
        values = cs.SampledValues(*(convert(library, a) for a in (
            sampled, np.ones((4, 1), np.float32), np.ones(20, np.float32))))
        args = [convert(library, a) for a in (weights, biases, inputs)]

        def kept(*arrays):
            return rank_resample(*arrays[:3], cs.SampledValues(*arrays[3:]), 8, temperature,
                                 "div").sampled_candidates

        np.testing.assert_array_equal(np.asarray(kept(*args, *values)), expected)
        if library == "jax":  # traced: the choice between the two forms is made in the graph
            import jax

            np.testing.assert_array_equal(np.asarray(jax.jit(kept)(*args, *values)), expected)
        assert set(expected.tolist()) != set(sampled[:8].tolist())  # what NaN scores keep

    @pytest.mark.parametrize("library", LIBRARIES)
    def test_a_product_past_floats_range_ranks_first(self, library):
        """Finite data whose product ``w x`` overflows float32 for class 0 only:
        TensorFlow 1.15 scores it ``inf`` (then ``1e20`` and ``2e20`` for classes 1 and 2)
        and keeps class 0. The overflow fallback had replaced the class's infinite
        maximum by 0 and kept class 2; with an infinite input, the rows without it got
        other losses than TensorFlow's."""
        from candidate_sampling.core.losses import rank_resample

        weights = np.array([[1e19], [1.0], [2.0], [0.5]], np.float32)
        inputs = np.array([[1e20], [1.0]], np.float32)
        values = [np.array([0, 1, 2]), np.full((2, 1), 0.5, np.float32),
                  np.full(3, 0.5, np.float32)]
        args = [convert(library, a) for a in (weights, np.zeros(4, np.float32), inputs,
                                              *values)]

        def kept(*arrays, num_resampled=1):
            return rank_resample(*arrays[:3], cs.SampledValues(*arrays[3:]), num_resampled,
                                 1.0, "div").sampled_candidates

        np.testing.assert_array_equal(np.asarray(kept(*args)), [0])
        np.testing.assert_array_equal(np.asarray(kept(*args, num_resampled=2)), [0, 2])
        if library == "jax":
            import jax

            np.testing.assert_array_equal(np.asarray(jax.jit(kept)(*args)), [0])

    @pytest.mark.parametrize("library", LIBRARIES)
    def test_nan_data_ranks_first_and_reaches_the_loss(self, library):
        """A NaN weight row, or a NaN input, ranks first (ties keep positions), so its
        NaN reaches the losses: TensorFlow 1.15 keeps classes 5 and 2 here and returns
        NaN losses. The overflow fallback had given the NaN class the finite score
        ``log B + b`` and dropped it, returning finite losses."""
        weights = np.array([[1, 0], [0, 1], [1, 1], [-1, 0], [0, -1], [np.nan, 0.5]],
                           np.float32)
        biases = np.array([0, 0.5, 0, 0, -0.5, 0], np.float32)
        inputs = np.array([[1, 2], [0, -1]], np.float32)
        labels = np.array([[2], [4]])
        values = (np.array([5, 1, 2]), np.array([[0.5], [0.25]], np.float32),
                  np.array([0.25, 0.5, 0.5], np.float32))

        def loss(w, x, sampled_values, num_resampled=2):
            args = [convert(library, a) for a in (w, biases, labels, x)]
            given = tuple(convert(library, a) for a in sampled_values)
            return np.asarray(tf.contrib.rank_sampled_softmax_loss(
                *args, 3, num_resampled, 6, 1, given, 1.0, True, "div"))

        assert np.isnan(loss(weights, inputs, values)).all()
        # a NaN input: every score is NaN, the first two candidates are kept, and only
        # that row's loss is NaN (the other's is the loss over classes 5 and 1)
        finite_w = np.nan_to_num(weights)
        nan_x = np.array([[1, 2], [np.nan, -1]], np.float32)
        got = loss(finite_w, nan_x, values)
        first_two = tuple(a[:2] if a.ndim == 1 else a for a in values)
        kept = cs.sampled_softmax_loss(finite_w, biases, labels, nan_x, 2, 6,
                                       sampled_values=first_two)
        assert np.isnan(got[1]) and np.isfinite(got[0])
        np.testing.assert_allclose(got[0], kept[0], rtol=1e-6)

    @pytest.mark.parametrize("library", LIBRARIES)
    def test_a_real_temperature_of_any_kind_is_the_same_number(self, library, rng):
        args = rank_args(library, rng, 2)
        expected = np.asarray(tf.contrib.rank_sampled_softmax_loss(
            **dict(args, resampling_temperature=0.5)))
        for same in (np.float32(0.5), np.array(0.5), convert(library, np.array(0.5))):
            got = tf.contrib.rank_sampled_softmax_loss(**dict(args, resampling_temperature=same))
            np.testing.assert_array_equal(np.asarray(got), expected)
        two = [np.asarray(tf.contrib.rank_sampled_softmax_loss(
            **dict(args, resampling_temperature=t))) for t in (2, 2.0, np.int64(2))]
        np.testing.assert_array_equal(two[0], two[1])
        np.testing.assert_array_equal(two[0], two[2])


class TestSparseLabels:
    """contrib documents labels [batch_size, 1]; TensorFlow takes [batch_size] only without
    hit removal, by accident. Here [batch_size, 1] only, whatever remove_accidental_hits."""

    @pytest.mark.parametrize("hits", [True, False])
    def test_labels_of_one_dimension_are_refused(self, rng, hits):
        args = rank_args("numpy", rng, 2)
        kw = dict(weights=args["weights"], biases=args["biases"], inputs=args["inputs"],
                  num_sampled=5, num_classes=10, sampled_values=args["sampled_values"],
                  remove_accidental_hits=hits)
        message = r"^labels: expected shape \[batch_size, 1\] .*got shape \[2\]$"
        for loss in (tf.contrib.sampled_sparse_softmax_loss, cs.sampled_sparse_softmax_loss,
                     cs.sampled_sparse_softmax_loss_and_grad):
            with pytest.raises(ValueError, match=message):
                loss(labels=np.array([1, 3]), **kw)
            out = loss(labels=np.array([[1], [3]]), **kw)
            out = out[0] if isinstance(out, tuple) else out
            assert out.shape == (2,)


@pytest.mark.parametrize("distortion", ["a", True, np.array([1.0, 2.0]), None, 1j])
def test_distortion_must_be_a_real_number(distortion):
    message = "^distortion: expected a real number"
    with pytest.raises(TypeError, match=message):
        tf_fixed(distortion=distortion)
    with pytest.raises(TypeError, match=message):
        fixed("numpy", distortion=distortion)


def test_check_real_takes_real_numbers_only():
    assert check_real(2, "x") == 2.0 and isinstance(check_real(2, "x"), float)
    assert check_real(np.float16(0.5), "x") == 0.5
    assert check_real(np.array(-3), "x") == -3.0
    for bad in (False, np.bool_(True), "2", b"2", [2.0], np.ones(2), np.array(True), 2j,
                np.array([[1.0]]), None):
        with pytest.raises(TypeError, match="^x: expected a real number"):
            check_real(bad, "x")


class TestExpectedCounts:
    """``expected_count`` over the probabilities that bound it, with the number of draws
    as a Python int (the count chosen in Python) and as a 0-d array (chosen in the
    array library), against TensorFlow's formula in float32."""

    P = np.array([1.0, 1.0 - 2.0**-24, 0.5, 1e-7, 0.0], np.float32)

    @staticmethod
    def expected(tries: int, num_sampled: int) -> np.ndarray:
        p = TestExpectedCounts.P
        if tries == num_sampled:
            return p * np.float32(num_sampled)
        with np.errstate(divide="ignore"):
            return -np.expm1(np.float32(tries) * np.log1p(-p))

    @pytest.mark.parametrize("tries, num_sampled", [(5, 3), (2, 1), (3, 3), (40_000, 4096)])
    def test_counts_match_tensorflows_formula_without_warnings(self, xp, tries, num_sampled):
        from candidate_sampling.core.samplers import expected_count

        p = xp.asarray(self.P)
        for given in (tries, xp.asarray(tries)):
            got = np.asarray(expected_count(xp, p, given, num_sampled))
            assert got.dtype == np.float32
            np.testing.assert_allclose(got, self.expected(tries, num_sampled), rtol=1e-6)
        assert np.asarray(expected_count(xp, p, 5, 3))[0] == 1.0  # a certain class

    def test_a_negative_count_of_draws_gives_nan(self, xp):
        from candidate_sampling.core.samplers import expected_count

        got = np.asarray(expected_count(xp, xp.asarray(self.P), xp.asarray(-1), 3))
        assert np.isnan(got).all()
