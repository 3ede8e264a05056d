"""Losses written the ways ports get them wrong, in NumPy, with TensorFlow's signatures.

``tf_port`` gets everything right (it passes every case of its op); each other function
differs from it by one mistake, named in its docstring. ``small_mask`` and
``never_raises`` combine several, as ports in the wild do.
"""

from __future__ import annotations

import numpy as np

FLT_MAX = np.float32(np.finfo(np.float32).max)


# --------------------------------------------------------------------------- pieces

def shard_rows(sizes: list[int], ids: np.ndarray, strategy: str) -> tuple[np.ndarray, np.ndarray]:
    """``(shard, row)`` of every id, for shards of ``sizes`` rows laid out by ``strategy``."""
    n, total = len(sizes), sum(sizes)
    if strategy == "mod":
        return ids % n, ids // n
    q, r = divmod(total, n)
    shard = np.maximum(ids // (q + 1), (ids - r) // max(q, 1))
    row = np.where(shard < r, ids % (q + 1), (ids - r) % max(q, 1))
    return shard, row


def shard_rows_ceil(sizes: list[int], ids: np.ndarray, strategy: str) -> tuple[np.ndarray, np.ndarray]:
    """'div' as if every shard had ``ceil(N / n)`` rows (wrong for uneven shards)."""
    if strategy == "mod":
        return shard_rows(sizes, ids, strategy)
    size = -(-sum(sizes) // len(sizes))
    return ids // size, ids % size


def lookup(params, ids: np.ndarray, strategy: str, rows_of=shard_rows) -> np.ndarray:
    """Rows ``ids`` of ``params``, one array or a list of shards."""
    ids = np.asarray(ids)
    if not isinstance(params, (list, tuple)):
        return np.asarray(params)[ids]
    shards = [np.asarray(p) for p in params]
    shard, row = rows_of([len(p) for p in shards], ids.ravel(), strategy)
    flat = np.stack([shards[s][r] for s, r in zip(shard.tolist(), row.tolist())])
    return flat.reshape(ids.shape + flat.shape[1:])


def num_rows(params) -> int:
    return sum(len(p) for p in params) if isinstance(params, (list, tuple)) else len(params)


def check(weights, labels, inputs, num_true, num_classes, sampled_values) -> None:
    """What TensorFlow rejects (or turns into NaN): a port that raises passes those cases."""
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.shape[1] != num_true:
        raise ValueError("labels: expected [batch_size, num_true]")
    if labels.shape[0] != np.shape(inputs)[0]:
        raise ValueError("labels: one row per input row")
    if labels.min() < 0 or labels.max() >= num_classes or num_rows(weights) != num_classes:
        raise ValueError("labels out of range")
    if sampled_values is None:
        raise ValueError("sampled_values required")
    sampled, true_q, sampled_q = (np.asarray(v) for v in sampled_values)
    if sampled.min() < 0 or sampled.max() >= num_classes:
        raise ValueError("sampled ids out of range")
    if not (np.all(true_q > 0) and np.all(sampled_q > 0)):
        raise ValueError("expected counts must be > 0")


def hit_mask(labels: np.ndarray, sampled: np.ndarray, every_duplicate: bool = False) -> np.ndarray:
    """``[B, S]``: sampled position ``j`` is an accidental hit of row ``i``. TensorFlow
    reports only the last position of a duplicated id."""
    hits = (labels[:, :, None] == sampled[None, None, :]).any(axis=1)
    if every_duplicate:
        return hits
    last = np.array([sampled[j] not in sampled[j + 1:] for j in range(len(sampled))])
    return hits & last[None, :]


def logits(weights, biases, labels, inputs, sampled_values, remove_accidental_hits,
           partition_strategy, subtract_log_q=True, mask_value=-FLT_MAX,
           every_duplicate=False, bias_after_mask=False, rows_of=shard_rows):
    """``(true [B, T], sampled [B, S])`` logits as TensorFlow's ``_compute_sampled_logits``
    (bias, then the hit mask added, then ``- log Q``), with the mistakes the flags name."""
    labels = np.asarray(labels).astype(np.int64)
    inputs = np.asarray(inputs)
    sampled, true_q, sampled_q = (np.asarray(v) for v in sampled_values)
    true_w = lookup(weights, labels, partition_strategy, rows_of)
    true = np.einsum("bd,btd->bt", inputs, true_w) + lookup(biases, labels, partition_strategy,
                                                            rows_of)
    raw = inputs @ lookup(weights, sampled, partition_strategy, rows_of).T
    bias = lookup(biases, sampled, partition_strategy, rows_of)
    mask = (hit_mask(labels, sampled, every_duplicate) if remove_accidental_hits
            else np.zeros(raw.shape, bool))
    if bias_after_mask:       # the masked logits replaced, the bias added afterwards
        samp = np.where(mask, np.float32(mask_value), raw) + bias
    else:
        samp = raw + bias + np.where(mask, np.float32(mask_value), np.float32(0))
    if subtract_log_q:
        true, samp = true - np.log(true_q), samp - np.log(sampled_q)
    return true.astype(inputs.dtype), samp.astype(inputs.dtype)


def softmax_loss(true, sampled, mean_true=True):
    x = np.concatenate([true, sampled], axis=1)
    m = x.max(axis=1, keepdims=True)
    lse = np.log(np.exp(x - m).sum(axis=1)) + m[:, 0]
    return (lse - (true.mean(axis=1) if mean_true else true.sum(axis=1))).astype(true.dtype)


def _loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true, sampled_values,
          remove_accidental_hits, partition_strategy, mean_true=True, **mistakes):
    check(weights, labels, inputs, num_true, num_classes, sampled_values)
    true, samp = logits(weights, biases, labels, inputs, sampled_values, remove_accidental_hits,
                        partition_strategy, **mistakes)
    return softmax_loss(true, samp, mean_true)


# --------------------------------------------------------------------------- tf.nn.sampled_softmax_loss

def _softmax_port(name: str, doc: str, mean_true: bool = True, **mistakes):
    """A port of TensorFlow 2's ``sampled_softmax_loss``, with its signature, that makes
    the ``mistakes`` (the flags of :func:`logits`) and, without ``mean_true``, sums the
    true logits instead of averaging them."""

    def port(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
             sampled_values=None, remove_accidental_hits=True, seed=None):
        return _loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                     sampled_values, remove_accidental_hits, "div", mean_true, **mistakes)

    port.__name__ = port.__qualname__ = name
    port.__doc__ = doc
    return port


tf_port = _softmax_port("tf_port", "Right: TensorFlow 2's sampled softmax loss.")
forgets_log_q = _softmax_port("forgets_log_q", "Forgets ``- log Q``.", subtract_log_q=False)
masks_every_duplicate = _softmax_port(
    "masks_every_duplicate", "Masks every position of a duplicated hit, not only the last.",
    every_duplicate=True)
drops_one_over_num_true = _softmax_port(
    "drops_one_over_num_true", "Gives each true class label 1 instead of ``1/num_true``.",
    mean_true=False)
small_mask = _softmax_port(
    "small_mask", "A -10000 mask (a common port) and every duplicate masked, not only the last.",
    mask_value=-1e4, every_duplicate=True)


def never_raises(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                 sampled_values=None, remove_accidental_hits=True, seed=None):
    """Clips bad labels instead of raising (a silent wrong answer)."""
    if sampled_values is None:
        sampled_values = (np.arange(num_sampled) % num_classes,
                          np.ones((len(inputs), num_true), np.float32),
                          np.ones(num_sampled, np.float32))
    labels = np.clip(np.asarray(labels).reshape(len(inputs), -1), 0, num_classes - 1)
    sampled = np.clip(np.asarray(sampled_values[0]), 0, num_classes - 1)
    values = (sampled, np.maximum(np.asarray(sampled_values[1]), 1e-6),
              np.maximum(np.asarray(sampled_values[2]), 1e-6))
    true, samp = logits(weights, biases, labels, inputs, values, remove_accidental_hits, "div",
                        mask_value=-1e4, every_duplicate=True)
    return softmax_loss(true, samp)


# --------------------------------------------------------------------------- tf.nn.nce_loss

def sigmoid_cross_entropy(x, z):
    return np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))


def _nce(weights, biases, labels, inputs, num_sampled, num_classes, num_true, sampled_values,
         remove_accidental_hits, **mistakes):
    check(weights, labels, inputs, num_true, num_classes, sampled_values)
    true, samp = logits(weights, biases, labels, inputs, sampled_values, remove_accidental_hits,
                        "div", **mistakes)
    loss = (sigmoid_cross_entropy(true, np.float32(1.0 / num_true)).sum(axis=1)
            + sigmoid_cross_entropy(samp, np.float32(0)).sum(axis=1))
    return loss.astype(true.dtype)


def nce_port(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
             sampled_values=None, remove_accidental_hits=False, name="nce_loss"):
    """Right: TensorFlow 2's NCE loss."""
    return _nce(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                sampled_values, remove_accidental_hits)


def nce_mask_minus_1e4(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                       sampled_values=None, remove_accidental_hits=False, name="nce_loss"):
    """Masks hits with -1e4 where TensorFlow adds -FLT_MAX."""
    return _nce(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                sampled_values, remove_accidental_hits, mask_value=-1e4)


def nce_mask_minus_1e20(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                        sampled_values=None, remove_accidental_hits=False, name="nce_loss"):
    """Masks hits with -1e20 where TensorFlow adds -FLT_MAX."""
    return _nce(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                sampled_values, remove_accidental_hits, mask_value=-1e20)


# --------------------------------------------------------------------------- tf.compat.v1.nn

def tf1_port(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
             sampled_values=None, remove_accidental_hits=True, partition_strategy="mod",
             name="sampled_softmax_loss", seed=None):
    """Right: ``tf.compat.v1.nn.sampled_softmax_loss`` with partition strategies."""
    return _loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                 sampled_values, remove_accidental_hits, partition_strategy)


def div_off_for_uneven_shards(weights, biases, labels, inputs, num_sampled, num_classes,
                              num_true=1, sampled_values=None, remove_accidental_hits=True,
                              partition_strategy="mod", name="sampled_softmax_loss", seed=None):
    """'div' with ``ceil(N / n)`` rows per shard, which misplaces ids when shards differ."""
    return _loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                 sampled_values, remove_accidental_hits, partition_strategy,
                 rows_of=shard_rows_ceil)


# --------------------------------------------------------------------------- _compute_sampled_logits

def _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                    sampled_values=None, subtract_log_q=True, remove_accidental_hits=False,
                    partition_strategy="div", true_last=False, bias_after_mask=False):
    check(weights, labels, inputs, num_true, num_classes, sampled_values)
    true, samp = logits(weights, biases, labels, inputs, sampled_values, remove_accidental_hits,
                        partition_strategy, subtract_log_q=subtract_log_q,
                        bias_after_mask=bias_after_mask)
    soft = np.concatenate([np.full(true.shape, 1.0 / num_true, true.dtype),
                           np.zeros(samp.shape, true.dtype)], axis=1)
    if true_last:
        return (np.concatenate([samp, true], axis=1),
                np.concatenate([soft[:, num_true:], soft[:, :num_true]], axis=1))
    return np.concatenate([true, samp], axis=1), soft


def logits_port(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                sampled_values=None, subtract_log_q=True, remove_accidental_hits=False,
                partition_strategy="div"):
    """Right: ``_compute_sampled_logits`` (``(logits, labels)``, true columns first)."""
    return _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                           sampled_values, subtract_log_q, remove_accidental_hits,
                           partition_strategy)


def true_columns_last(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                      sampled_values=None, subtract_log_q=True, remove_accidental_hits=False,
                      partition_strategy="div"):
    """Puts the true columns after the sampled ones."""
    return _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                           sampled_values, subtract_log_q, remove_accidental_hits,
                           partition_strategy, true_last=True)


def bias_after_mask(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                    sampled_values=None, subtract_log_q=True, remove_accidental_hits=False,
                    partition_strategy="div"):
    """Replaces hit logits by -FLT_MAX and adds the bias afterwards (TensorFlow adds the
    bias first, then the mask)."""
    return _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                           sampled_values, subtract_log_q, remove_accidental_hits,
                           partition_strategy, bias_after_mask=True)


# --------------------------------------------------------------------------- contrib rank loss

def _rank_loss(weights, biases, labels, inputs, num_sampled, num_resampled, num_classes,
               num_true, sampled_values, resampling_temperature, remove_accidental_hits,
               partition_strategy, by_max=False, bias_temperature_twice=False):
    if num_sampled > num_classes:
        raise ValueError("num_sampled > num_classes")
    if not 0 <= num_resampled < num_sampled:
        raise ValueError("num_resampled must be below num_sampled")
    if partition_strategy not in ("div", "mod"):
        raise ValueError("partition_strategy")
    check(weights, labels, inputs, num_true, num_classes, sampled_values)
    sampled, true_q, sampled_q = (np.asarray(v) for v in sampled_values)
    t = resampling_temperature
    scores = lookup(weights, sampled, partition_strategy) @ (np.asarray(inputs) / t).T
    m = scores.max(axis=1)
    pooled = m if by_max else np.log(np.exp(scores - m[:, None]).sum(axis=1)) + m
    bias = lookup(biases, sampled, partition_strategy)
    pooled = pooled + (bias / t / t if bias_temperature_twice else bias / t)
    keep = np.argsort(-pooled, kind="stable")[:num_resampled]
    return _loss(weights, biases, labels, inputs, num_resampled, num_classes, num_true,
                 (sampled[keep], true_q, sampled_q[keep]), remove_accidental_hits,
                 partition_strategy)


def rank_port(weights, biases, labels, inputs, num_sampled, num_resampled, num_classes, num_true,
              sampled_values, resampling_temperature, remove_accidental_hits, partition_strategy,
              name=None):
    """Right: ``tf.contrib.nn.rank_sampled_softmax_loss``."""
    return _rank_loss(weights, biases, labels, inputs, num_sampled, num_resampled, num_classes,
                      num_true, sampled_values, resampling_temperature, remove_accidental_hits,
                      partition_strategy)


def rank_by_max(weights, biases, labels, inputs, num_sampled, num_resampled, num_classes,
                num_true, sampled_values, resampling_temperature, remove_accidental_hits,
                partition_strategy, name=None):
    """Ranks the sampled classes by the max over the batch instead of the logsumexp."""
    return _rank_loss(weights, biases, labels, inputs, num_sampled, num_resampled, num_classes,
                      num_true, sampled_values, resampling_temperature, remove_accidental_hits,
                      partition_strategy, by_max=True)


def rank_bias_temperature_twice(weights, biases, labels, inputs, num_sampled, num_resampled,
                                num_classes, num_true, sampled_values, resampling_temperature,
                                remove_accidental_hits, partition_strategy, name=None):
    """Divides the bias of the resampling score by the temperature twice."""
    return _rank_loss(weights, biases, labels, inputs, num_sampled, num_resampled, num_classes,
                      num_true, sampled_values, resampling_temperature, remove_accidental_hits,
                      partition_strategy, bias_temperature_twice=True)
