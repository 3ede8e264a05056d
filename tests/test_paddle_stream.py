"""Paddle 1.8.5's seeded sampler stream: ``std::mt19937_64`` and the log-uniform unique
sampler on it, against the C++ standard's known answer and every golden case."""

from __future__ import annotations

import math

import numpy as np
import pytest

from candidate_sampling.compat import paddle
from candidate_sampling.compat.paddle import log_uniform
from candidate_sampling.compat.paddle.log_uniform import (
    draw_classes,
    engine_seed,
    expected_count,
    log_range,
    log_uniform_samples,
    probability,
    unique_negatives,
)
from candidate_sampling.compat.paddle.mt19937_64 import DEFAULT_SEED, MT19937_64
from candidate_sampling.conformance import load_cases

STREAM_CASES = [c for c in load_cases(op="sampled_softmax_with_cross_entropy", api="paddle")
                if c.raises is None and not c.kwargs["use_customized_samples"]]


def _oracle_call(case):
    return (case.inputs["label"], case.kwargs["num_samples"],
            int(case.inputs["logits"].shape[1]), case.kwargs["seed"])


# --------------------------------------------------------------------------
# The engine.

def test_engine_known_answer():
    """C++ standard [rand.predef]: the 10000th output of a default-constructed
    ``std::mt19937_64`` is 9981545732273789042."""
    assert MT19937_64().random_raw(10000)[-1] == np.uint64(9981545732273789042)
    assert MT19937_64(DEFAULT_SEED).random_raw(10000)[9999] == np.uint64(9981545732273789042)


def test_engine_blocks_do_not_change_the_stream():
    whole = MT19937_64(12345).random_raw(2000)
    engine = MT19937_64(12345)
    parts = [engine.random_raw(n) for n in (0, 1, 311, 1, 312, 700, 675)]
    assert whole.dtype == np.uint64
    np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_engine_first_draws_of_seed_1():
    """The spec's worked example: seed 1, the first six ``u`` and the classes for K = 10."""
    raw = MT19937_64(1).random_raw(6)
    u = [float(int(x)) / 2.0**64 for x in raw]
    assert u == [0.13387664401253274, 0.13640703636619725, 0.45121490384453816,
                 0.021024228416727027, 0.3508981137829196, 0.9113580479111768]
    np.testing.assert_array_equal(draw_classes(raw, 10), [0, 0, 1, 0, 1, 7])
    classes, tries = unique_negatives(10, 3, 1)
    np.testing.assert_array_equal(classes, [0, 1, 7])
    assert tries == 6
    np.testing.assert_array_equal(expected_count(probability(classes, 10), tries, 3),
                                  np.array([0.870884, 0.6709079, 0.26081], np.float32))


# --------------------------------------------------------------------------
# Every golden case of the default sampler.

def test_the_vectors_cover_negative_and_extreme_seeds():
    seeds = {c.kwargs["seed"] for c in STREAM_CASES}
    assert {-1, 1, 2**31 - 1} <= seeds
    assert engine_seed(-1) == 4294967295 and engine_seed(2**31 - 1) == 2**31 - 1


@pytest.mark.parametrize("case", STREAM_CASES, ids=lambda c: c.id)
def test_samples_and_probabilities_equal_the_oracle(case):
    samples, probabilities = log_uniform_samples(*_oracle_call(case))
    expected_samples = case.outputs["samples"]
    expected_probabilities = case.outputs["probabilities"]
    assert samples.shape == expected_samples.shape
    assert probabilities.dtype == expected_probabilities.dtype == np.float32
    assert np.array_equal(samples, expected_samples)
    assert np.array_equal(probabilities, expected_probabilities)


def test_same_negatives_on_every_call():
    label = np.array([[3], [40], [7]])
    first = log_uniform_samples(label, 20, 50, 99)
    again = log_uniform_samples(label, 20, 50, 99)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    logits = np.random.default_rng(0).normal(size=(3, 50)).astype(np.float32)
    losses = [paddle.sampled_softmax_with_cross_entropy(logits, label, 20, seed=99)
              for _ in range(2)]
    np.testing.assert_array_equal(losses[0], losses[1])


def test_same_negatives_without_the_cache():
    classes, tries = unique_negatives(1000, 200, 2024)
    again, tries_again = unique_negatives(1000, 200, 2024)
    np.testing.assert_array_equal(classes, again)
    assert tries == tries_again and len(set(classes.tolist())) == 200


def test_front_end_samples_with_the_stream_only_for_nonzero_seeds(monkeypatch):
    calls = []

    def spy(*args):
        calls.append(args[1:])
        return log_uniform_samples(*args)

    monkeypatch.setattr(paddle, "log_uniform_samples", spy)
    logits = np.zeros((2, 10), np.float32)
    label = np.array([[1], [2]])
    paddle.sampled_softmax_with_cross_entropy(logits, label, 3, seed=-1)
    paddle.fluid.layers.sampled_softmax_with_cross_entropy(logits, label, 3, seed=5)
    paddle.sampled_softmax_with_cross_entropy(logits, label, 3, seed=0)
    assert calls == [(3, 10, -1), (3, 10, 5)]


# --------------------------------------------------------------------------
# Other array libraries: the same values, in their own arrays.

def test_torch_gives_the_same_values():
    torch = pytest.importorskip("torch")
    case = next(c for c in STREAM_CASES if c.id.endswith("k64-s48-seed12345-rm"))
    label, num_samples, num_classes, seed = _oracle_call(case)
    samples, probabilities = log_uniform_samples(torch.from_numpy(label), num_samples,
                                                 num_classes, seed)
    assert isinstance(samples, torch.Tensor) and isinstance(probabilities, torch.Tensor)
    assert probabilities.dtype == torch.float32
    np.testing.assert_array_equal(samples.numpy(), case.outputs["samples"])
    np.testing.assert_array_equal(probabilities.numpy(), case.outputs["probabilities"])


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_jax_gives_the_same_values(jit):
    jax = pytest.importorskip("jax")
    case = next(c for c in STREAM_CASES if c.id.endswith("t2-k64-s40-seed2147483647-rm"))
    label, num_samples, num_classes, seed = _oracle_call(case)

    def sample(label):
        return log_uniform_samples(label, num_samples, num_classes, seed)

    samples, probabilities = (jax.jit(sample) if jit else sample)(jax.numpy.asarray(label))
    assert isinstance(samples, jax.Array) and isinstance(probabilities, jax.Array)
    np.testing.assert_array_equal(np.asarray(samples), case.outputs["samples"])
    np.testing.assert_array_equal(np.asarray(probabilities), case.outputs["probabilities"])


# --------------------------------------------------------------------------
# The vectorised arithmetic is the C library's, value by value.

def test_classes_equal_the_scalar_formula():
    num_classes = 10**6
    raw = MT19937_64(3).random_raw(20000)
    scale = log_range(num_classes)
    below_one = math.nextafter(1.0, 0.0)
    expected = [(int(math.exp(min(float(int(x)) / 2.0**64, below_one) * scale)) - 1) % num_classes
                for x in raw]
    np.testing.assert_array_equal(draw_classes(raw, num_classes), expected)


def test_probabilities_and_counts_equal_the_scalar_formula():
    num_classes, tries = 20000, 777
    scale = log_range(num_classes)
    p = probability(np.arange(num_classes), num_classes)
    expected_p = np.array([math.log((v + 2.0) / (v + 1.0)) / scale for v in range(num_classes)])
    np.testing.assert_array_equal(p, expected_p.astype(np.float32))
    expected_q = np.array([-math.expm1(tries * math.log1p(-float(x))) for x in p])
    np.testing.assert_array_equal(expected_count(p, tries, 500), expected_q.astype(np.float32))
    np.testing.assert_array_equal(expected_count(p, 500, 500), p * np.float32(500))


@pytest.mark.parametrize("ulps", [-2, 2])
def test_last_bit_differences_of_numpy_do_not_change_a_class(monkeypatch, ulps):
    """Draws whose ``exp`` lands next to an integer: a NumPy ``exp`` a few units in the last
    place off still gives the C library's truncation."""
    num_classes = 5000
    scale = log_range(num_classes)
    targets = np.arange(2, num_classes + 1, dtype=np.float64)
    raw = np.array([int(math.log(n) / scale * 2.0**64) for n in targets], dtype=np.uint64)
    u = [float(int(x)) / 2.0**64 for x in raw]
    expected = [(int(math.exp(v * scale)) - 1) % num_classes for v in u]

    def off_exp(x):
        out = np.exp(x)
        for _ in range(abs(ulps)):
            out = np.nextafter(out, np.inf if ulps > 0 else -np.inf)
        return out

    monkeypatch.setattr(log_uniform._NUMPY, "exp", off_exp)
    np.testing.assert_array_equal(draw_classes(raw, num_classes), expected)


# --------------------------------------------------------------------------
# Arguments.

def test_edge_sizes():
    classes, tries = unique_negatives(10, 0, 1)
    assert classes.shape == (0,) and tries == 0
    classes, tries = unique_negatives(10, 10, 7)
    assert sorted(classes.tolist()) == list(range(10)) and tries >= 10


@pytest.mark.parametrize(("kwargs", "name"), [
    (dict(seed=0), "seed"), (dict(seed=2**31), "seed"), (dict(num_samples=11), "num_samples"),
    (dict(num_samples=-1), "num_samples")])
def test_bad_arguments_are_named(kwargs, name):
    args = dict(label=np.array([[1], [2]]), num_samples=3, num_classes=10, seed=1) | kwargs
    with pytest.raises(ValueError, match=name):
        log_uniform_samples(**args)


def test_int32_labels_over_more_classes_than_int32_holds():
    """int32 labels, 2**33 classes: the samples are int64 (ids past 2**31 - 1 wrapped to
    negative int32 before), equal to those of int64 labels."""
    label = np.array([[3], [5]])
    want, want_q = log_uniform_samples(label, 4000, 2**33, 3)
    got, got_q = log_uniform_samples(label.astype(np.int32), 4000, 2**33, 3)
    assert got.dtype == np.int64 and int(got.max()) > 2**31
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_q, want_q)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32"])
def test_small_integer_labels_give_the_int64_loss(xp, dtype):
    """Labels of a small integer dtype, 300 classes: the sampled ids are int64 (the
    index dtype), as Paddle's are, where they were cast to the labels' dtype and wrapped
    past 127 (int8) or 255 (uint8), silently picking other columns. Seeded and default
    sampler alike."""
    rng = np.random.default_rng(4)
    logits = xp.asarray(rng.normal(size=(3, 300)).astype(np.float32))
    label = np.array([[5], [17], [42]])
    small = xp.asarray(label.astype(dtype))
    wide = xp.asarray(label)
    want = paddle.sampled_softmax_with_cross_entropy(logits, wide, 200, seed=3)
    got = paddle.sampled_softmax_with_cross_entropy(logits, small, 200, seed=3)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    samples, _ = paddle.log_uniform_samples(small, 200, 300, 3)
    assert int(np.asarray(samples).max()) > 255 and int(np.asarray(samples).min()) >= 0
    from candidate_sampling.core import sample_logits

    picked = sample_logits.picked_logits(logits, small, 200, seed=0)
    ids = np.asarray(picked.samples)
    assert ids.min() >= 0 and ids.max() > 127 and ids.max() < 300


def test_the_engine_names_a_bad_seed_or_count():
    """``MT19937_64(1.5)`` was ``MT19937_64(1)``, a string seed was taken, None was
    int()'s TypeError, and ``random_raw(1.5)`` or ``random_raw(True)`` drew one output."""
    from candidate_sampling.compat.paddle import MT19937_64

    for seed in (1.5, "1", None):
        with pytest.raises(TypeError, match=r"^seed: expected an int, got "):
            MT19937_64(seed)
    for count in (1.5, True):
        with pytest.raises(TypeError, match=r"^n: expected an int, got "):
            MT19937_64(1).random_raw(count)
    with pytest.raises(ValueError, match=r"^n: must be in \[0, inf\], got -1"):
        MT19937_64(1).random_raw(-1)
    with pytest.raises(ValueError, match=r"^n: 1099511627776 outputs of the engine takes "
                                         r"16384.0 GiB, more than the"):  # NumPy's MemoryError
        MT19937_64(1).random_raw(2**40)
    assert MT19937_64(np.int64(5)).random_raw(np.int32(2)).tolist() == \
        MT19937_64(5).random_raw(2).tolist()
