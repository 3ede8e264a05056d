"""Sampled softmax written the ways ports get it wrong, in NumPy, with TF 2 signatures."""

from __future__ import annotations

import numpy as np


def _parts(weights, biases, labels, inputs, sampled_values):
    sampled, true_q, sampled_q = (np.asarray(v) for v in sampled_values)
    labels = np.asarray(labels)
    true_w = weights[labels]                         # [B, T, D]
    true_logits = np.einsum("bd,btd->bt", inputs, true_w) + biases[labels]
    sampled_logits = inputs @ weights[sampled].T + biases[sampled]
    return labels, sampled, true_q, sampled_q, true_logits, sampled_logits


def _softmax_loss(true_logits, sampled_logits):
    logits = np.concatenate([true_logits, sampled_logits], axis=1)
    m = logits.max(axis=1, keepdims=True)
    lse = np.log(np.exp(logits - m).sum(axis=1)) + m[:, 0]
    return (lse - true_logits.mean(axis=1)).astype(np.float32)


def _check(labels, num_classes, num_sampled, sampled_values):
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError("labels out of range")
    if sampled_values is None:
        raise ValueError("sampled_values required")


def _tf_logits(weights, biases, labels, inputs, num_classes, num_sampled, sampled_values,
               remove_accidental_hits, subtract_log_q=True):
    """Logits as TensorFlow computes them (the parts the ports below get right)."""
    _check(labels, num_classes, num_sampled, sampled_values)
    labels, sampled, tq, sq, t, s = _parts(weights, biases, labels, inputs, sampled_values)
    if subtract_log_q:
        t, s = t - np.log(tq), s - np.log(sq)
    if remove_accidental_hits:
        s = np.where((labels[:, :, None] == sampled[None, None, :]).any(1), np.finfo(s.dtype).min, s)
    return t, s


def forgets_log_q(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                  sampled_values=None, remove_accidental_hits=True, seed=None):
    t, s = _tf_logits(weights, biases, labels, inputs, num_classes, num_sampled, sampled_values,
                      remove_accidental_hits, subtract_log_q=False)
    return _softmax_loss(t, s)


def small_mask(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
               sampled_values=None, remove_accidental_hits=True, seed=None):
    """A -10000 mask (a common port) and every duplicate masked, not only the last."""
    _check(labels, num_classes, num_sampled, sampled_values)
    labels, sampled, tq, sq, t, s = _parts(weights, biases, labels, inputs, sampled_values)
    t = t - np.log(tq)
    s = s - np.log(sq)
    if remove_accidental_hits:
        s = s + np.where((labels[:, :, None] == sampled[None, None, :]).any(1), -1e4, 0.0)
    return _softmax_loss(t, s)


def drops_one_over_num_true(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                            sampled_values=None, remove_accidental_hits=True, seed=None):
    t, s = _tf_logits(weights, biases, labels, inputs, num_classes, num_sampled, sampled_values,
                      remove_accidental_hits)
    logits = np.concatenate([t, s], axis=1)
    m = logits.max(axis=1, keepdims=True)
    return (np.log(np.exp(logits - m).sum(axis=1)) + m[:, 0] - t.sum(axis=1)).astype(np.float32)


def never_raises(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                 sampled_values=None, remove_accidental_hits=True, seed=None):
    """Clips bad labels instead of raising (a silent wrong answer)."""
    if sampled_values is None:
        sampled_values = (np.arange(num_sampled) % num_classes, np.ones((len(inputs), num_true), np.float32),
                          np.ones(num_sampled, np.float32))
    labels = np.clip(np.asarray(labels).reshape(len(inputs), -1), 0, num_classes - 1)
    sampled = np.clip(np.asarray(sampled_values[0]), 0, num_classes - 1)
    values = (sampled, np.asarray(sampled_values[1]), np.asarray(sampled_values[2]))
    return small_mask(weights, biases, labels, inputs, num_sampled, num_classes, labels.shape[1],
                      values, remove_accidental_hits)
