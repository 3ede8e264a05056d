"""Arrays on a device other than their library's default: every op computes there and
returns arrays there, its constants made on the arrays' device and its host-side streams
reading the values off it (array_api_strict's ``device1``, a second CPU device that
refuses to mix with the default one and to convert to NumPy)."""

import numpy as np
import pytest

import candidate_sampling as cs
from candidate_sampling.compat import paddle, tf

xs = pytest.importorskip("array_api_strict")

DEVICE = xs.Device("device1")


def on_device(a):
    return xs.asarray(np.asarray(a), device=DEVICE)


W = on_device(np.arange(12, dtype=np.float32).reshape(6, 2) / 10)
B = on_device(np.linspace(-0.2, 0.3, 6, dtype=np.float32))
X = on_device(np.array([[1.0, -0.5], [0.25, 2.0]], np.float32))
LABELS = on_device([[2], [4]])
VALUES = cs.SampledValues(on_device([1, 2, 5]), on_device(np.full((2, 1), 0.5, np.float32)),
                          on_device(np.full(3, 0.5, np.float32)))
LOGITS = on_device(np.linspace(-1, 1, 12, dtype=np.float32).reshape(2, 6))
UNIGRAMS = [1, 2, 3, 4, 5, 6]

OPS = {
    "sampled_softmax_loss": lambda: cs.sampled_softmax_loss(
        W, B, LABELS, X, 3, 6, sampled_values=VALUES, remove_accidental_hits=True),
    "sampled_softmax_loss, default sampler": lambda: cs.sampled_softmax_loss(
        W, B, LABELS, X, 3, 6, seed=1),
    "nce_loss": lambda: cs.nce_loss(W, B, LABELS, X, 3, 6, sampled_values=VALUES,
                                    remove_accidental_hits=True),
    "sampled_softmax_loss_and_grad dense": lambda: cs.sampled_softmax_loss_and_grad(
        W, B, LABELS, X, 3, 6, sampled_values=VALUES)[1].dense(W),
    "sgd_update": lambda: cs.sampled_softmax_loss_and_grad(
        W, B, LABELS, X, 3, 6, sampled_values=VALUES)[1].sgd_update(W, B, 0.1),
    "rank_sampled_softmax_loss": lambda: cs.rank_sampled_softmax_loss(
        W, B, LABELS, X, 3, 2, 6, 1, None, 1.0, True, "mod", seed=1),
    "sampled_sparse_softmax_loss": lambda: cs.sampled_sparse_softmax_loss(
        W, B, LABELS, X, 3, 6, sampled_values=VALUES),
    "uniform_candidate_sampler": lambda: cs.uniform_candidate_sampler(LABELS, 1, 3, False, 6,
                                                                      seed=1),
    "uniform_candidate_sampler, unique": lambda: cs.uniform_candidate_sampler(
        LABELS, 1, 3, True, 6, seed=1),
    "learned_unigram_candidate_sampler": lambda: cs.learned_unigram_candidate_sampler(
        LABELS, 1, 3, True, 6, seed=1),
    "fixed_unigram_candidate_sampler": lambda: cs.fixed_unigram_candidate_sampler(
        LABELS, 1, 3, False, 6, unigrams=UNIGRAMS, seed=1),
    "sampled_softmax_with_cross_entropy": lambda: cs.sampled_softmax_with_cross_entropy(
        LOGITS, LABELS, 3, seed=1),
    "compat.paddle": lambda: paddle.sampled_softmax_with_cross_entropy(LOGITS, LABELS, 3,
                                                                       seed=1),
    "compat.tf sampler": lambda: tf.random.fixed_unigram_candidate_sampler(
        LABELS, 1, 3, True, 6, unigrams=UNIGRAMS, seed=1),
    "compat.tf loss": lambda: _tf_loss(),
}


def _tf_loss():
    tf.random.set_seed(7)  # the same stream at every call
    try:
        return tf.nn.sampled_softmax_loss(W, B, LABELS, X, 3, 6, seed=1,
                                          remove_accidental_hits=True)
    finally:
        tf.random.set_seed(None)


def _arrays(tree):
    if isinstance(tree, (tuple, list)):
        return [a for leaf in tree for a in _arrays(leaf)]
    return [tree] if hasattr(tree, "device") else []


def _on_default(tree):
    return [xs.asarray(np.from_dlpack(a, device="cpu")) for a in _arrays(tree)]


@pytest.mark.parametrize("op", list(OPS))
def test_results_stay_on_the_arrays_device(op):
    outputs = _arrays(OPS[op]())
    assert outputs
    assert all(a.device == DEVICE for a in outputs), [a.device for a in outputs]


@pytest.mark.parametrize("op", ["sampled_softmax_loss", "nce_loss", "compat.tf loss",
                                "sampled_softmax_with_cross_entropy"])
def test_values_equal_those_on_the_default_device(op, monkeypatch):
    """The same call on the default device gives the same values (seeded draws too)."""
    here = _on_default(OPS[op]())
    for name in ("W", "B", "X", "LABELS", "LOGITS"):
        monkeypatch.setitem(globals(), name, _on_default(globals()[name])[0])
    monkeypatch.setitem(globals(), "VALUES", cs.SampledValues(*_on_default(VALUES)))
    default = _arrays(OPS[op]())
    assert all(a.device == xs.Device("CPU_DEVICE") for a in default)
    for a, b in zip(here, default):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
