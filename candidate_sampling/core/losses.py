"""Sampled softmax, NCE and the contrib losses (their per-row math is in :mod:`.row_loss`)."""

from __future__ import annotations

import math
from typing import Any

from ..backends import backend_for
from . import checks
from .embedding import embedding_lookup
from .logits import prepare
from .namespace import namespace_of
from .row_loss import PreparedRows, row_loss, rows_of, sampled_loss
from .types import SampledValues

__all__ = [
    "logsumexp", "logsumexp_terms", "sampled_softmax_loss", "nce_loss",
    "sampled_sparse_softmax_loss", "rank_sampled_softmax_loss", "rank_resample",
    "rank_resampled_rows",
]


def logsumexp(xp: Any, x: Any, axis: int) -> Any:
    """``log(sum(exp(x), axis))``, shifted by the (gradient-free) maximum."""
    return logsumexp_terms(xp, x, axis)[0]


def logsumexp_terms(xp: Any, x: Any, axis: int) -> tuple:
    """``(lse, exps, totals)``: :func:`logsumexp`, with ``exps = exp(x - max)`` and their
    sums ``totals`` (the axis kept), so that the softmax is ``exps / totals``. Over an
    empty axis, a sum of no terms: ``lse`` is ``-inf`` and ``totals`` 0."""
    if int(x.shape[axis]) == 0:  # no maximum to shift by
        totals = xp.sum(x, axis=axis, keepdims=True)
        return xp.squeeze(totals - xp.inf, axis=axis), x, totals
    m = backend_for(xp).stop_gradient(xp.max(x, axis=axis, keepdims=True))
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    exps = xp.exp(x - m)
    totals = xp.sum(exps, axis=axis, keepdims=True)
    return xp.squeeze(xp.log(totals) + m, axis=axis), exps, totals


def sampled_softmax_loss(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int,
                         num_classes: int, num_true: int = 1, sampled_values: Any = None,
                         remove_accidental_hits: bool = True, seed: int | None = None, *,
                         partition_strategy: str = "div") -> Any:
    """Computes and returns the sampled softmax training loss (``tf.nn.sampled_softmax_loss``).

    A faster way to train a softmax classifier over a huge number of classes; for
    training only (it generally underestimates the full softmax loss).

    Args:
      weights: ``[num_classes, dim]`` float array, or a list of shards of it.
      biases: ``[num_classes]`` float array, or a list of shards of it.
      labels: int32/int64 ``[batch_size, num_true]``, the target classes.
      inputs: ``[batch_size, dim]``, the forward activations.
      num_sampled: number of classes sampled per batch (``>= 1``).
      num_classes: number of possible classes.
      num_true: number of target classes per row; each gets target probability ``1/num_true``.
      sampled_values: a ``SampledValues`` triple from a ``*_candidate_sampler``;
        ``None`` draws a unique log-uniform sample with ``seed``.
      remove_accidental_hits: mask sampled classes equal to a true class of the row.
      seed: seed of the default sampler: ``None`` or an int in ``[-2**63, 2**64 - 1]``,
        checked even where ``sampled_values`` is given (see
        :func:`~candidate_sampling.log_uniform_candidate_sampler`).
      partition_strategy: keyword only; ``'div'`` (TensorFlow 2) or ``'mod'``, for shards.

    Returns:
      ``[batch_size]`` per-row losses, in the dtype of the logits.
    """
    return sampled_loss("softmax", weights, biases, labels, inputs, num_sampled, num_classes,
                        num_true, sampled_values, remove_accidental_hits, partition_strategy,
                        seed)


def nce_loss(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int,
             num_classes: int, num_true: int = 1, sampled_values: Any = None,
             remove_accidental_hits: bool = False, *, partition_strategy: str = "div",
             seed: int | None = None) -> Any:
    """Computes and returns the noise-contrastive estimation training loss (``tf.nn.nce_loss``).

    Per row, the sum over the true and sampled columns of the sigmoid cross entropy of
    the logits (``x w + b - log Q``) against labels ``1/num_true`` (true) and 0 (sampled).
    Arguments as :func:`sampled_softmax_loss`; ``remove_accidental_hits`` defaults to
    False ("sampled logistic" when True). ``seed`` (keyword only) seeds the default sampler.

    Returns:
      ``[batch_size]`` per-row NCE losses.
    """
    return sampled_loss("nce", weights, biases, labels, inputs, num_sampled, num_classes,
                        num_true, sampled_values, remove_accidental_hits, partition_strategy,
                        seed)


def sampled_sparse_softmax_loss(weights: Any, biases: Any, labels: Any, inputs: Any,
                                num_sampled: int, num_classes: int, sampled_values: Any = None,
                                remove_accidental_hits: bool = True,
                                partition_strategy: str = "mod", seed: int | None = None) -> Any:
    """Sampled softmax with one target class per row (``tf.contrib.nn.sampled_sparse_softmax_loss``).

    ``labels`` is int ``[batch_size, 1]``, as contrib documents it (a ``[batch_size]``
    array, which TensorFlow takes only without hit removal, is refused); the loss is the
    sparse softmax cross entropy of the sampled logits with label 0 (the true column).
    ``partition_strategy`` defaults to ``'mod'`` as in contrib.

    Returns:
      ``[batch_size]`` per-row losses.
    """
    checks.check_single_labels(labels)
    return sampled_loss("softmax", weights, biases, labels, inputs, num_sampled, num_classes,
                        1, sampled_values, remove_accidental_hits, partition_strategy, seed)


def default_learned_unigram(labels: Any, num_true: int, num_sampled: int, num_classes: int,
                            seed: int | None) -> SampledValues:
    """contrib's default phase-1 sampler: unique learned unigram over ``[0, num_classes)``."""
    from .samplers import learned_unigram_candidate_sampler

    return learned_unigram_candidate_sampler(labels, num_true, num_sampled, True, num_classes,
                                             seed=seed)


def rank_resample(weights: Any, biases: Any, inputs: Any, sampled_values: Any, num_resampled: int,
                  resampling_temperature: float, partition_strategy: str) -> SampledValues:
    """Keep the ``num_resampled`` sampled classes of highest score (contrib ``_rank_resample``).

    ``score_i = logsumexp_j(w_i . x_j / T) + b_i / T`` over the batch rows ``j``; no log Q
    and no hit mask. Ties keep the lower position first (as ``top_k``). An empty batch
    gives every class the score ``-inf`` (a sum of no terms), so the first
    ``num_resampled`` are kept. A class whose row or bias holds a NaN, or every class
    where the inputs do, ranks first: its NaN then reaches the losses, as TensorFlow's
    NaN scores usually do, where the overflow fallback would have ranked it by a finite
    score it does not have.
    """
    xp = namespace_of(weights=weights, biases=biases, inputs=inputs, sampled_values=sampled_values)
    backend = backend_for(xp)
    sampled, true_q, sampled_q = (backend.stop_gradient(v) for v in sampled_values)
    x = backend.stop_gradient(inputs)
    rows = backend.stop_gradient(embedding_lookup(xp, weights, sampled, partition_strategy))
    bias = backend.stop_gradient(embedding_lookup(xp, biases, sampled, partition_strategy))
    temperature = resampling_temperature

    def as_tensorflow() -> Any:  # inputs / T first: TensorFlow's rounding, in the vectors
        reweighted = x / temperature
        lse = logsumexp(xp, xp.matmul(rows, xp.matrix_transpose(reweighted)), axis=1)
        return lse + bias / temperature

    scores = backend.without_float_warnings(as_tensorflow)
    if int(x.shape[0]) > 0:
        finite = xp.all(xp.isfinite(scores))
        known = backend.read(lambda: bool(finite))
        if not known:  # False, or None inside a trace: choose there
            tempered = backend.without_float_warnings(
                lambda: _tempered_scores(xp, rows, x, bias, temperature))
            scores = tempered if known is False else xp.where(finite, scores, tempered)
            poisoned = (xp.any(xp.isnan(rows), axis=1) | xp.isnan(bias)
                        | xp.any(xp.isnan(x)))
            scores = xp.where(poisoned, xp.full_like(scores, xp.inf), scores)
    keep = xp.argsort(scores, descending=True, stable=True)[:num_resampled]
    return SampledValues(xp.take(sampled, keep), true_q, xp.take(sampled_q, keep))


def _tempered_scores(xp: Any, rows: Any, x: Any, bias: Any, temperature: float) -> Any:
    """``T`` times the phase-2 scores of :func:`rank_resample`, in the same order:
    ``m + T logsumexp((z - m) / T) + b`` with ``z = w x^T`` and ``m`` its row maximum.
    No term exceeds ``m``, so a temperature small enough that ``x / T`` overflows still
    ranks the classes (by ``m + b`` as ``T`` goes to 0) where TensorFlow's order of
    operations gives infinite or NaN scores. A class whose largest ``z`` is infinite
    (a product past float's range, or an infinite input) scores that infinity, as in
    TensorFlow. Over a non-empty batch only."""
    z = xp.matmul(rows, xp.matrix_transpose(x))
    peak = xp.max(z, axis=1, keepdims=True)
    finite = xp.isfinite(peak)
    peak = xp.where(finite, peak, xp.zeros_like(peak))
    below = z - peak
    # 0 at the peak itself: a subnormal T, flushed to 0 by some libraries (XLA on a
    # CPU), would make it 0 / 0
    scaled = xp.where(below < 0, below / temperature, xp.zeros_like(below))
    score = peak[:, 0] + temperature * logsumexp(xp, scaled, axis=1) + bias
    return xp.where(finite[:, 0], score, xp.max(z, axis=1))


def rank_sampled_softmax_loss(weights: Any, biases: Any, labels: Any, inputs: Any,
                              num_sampled: int, num_resampled: int, num_classes: int,
                              num_true: int, sampled_values: Any, resampling_temperature: float,
                              remove_accidental_hits: bool, partition_strategy: str,
                              seed: int | None = None) -> Any:
    """Softmax loss with rank-based adaptive resampling (``tf.contrib.nn.rank_sampled_softmax_loss``).

    Phase 1: ``num_sampled`` classes from ``sampled_values`` (``None``: a unique
    learned-unigram sample). Phase 2: keep the ``num_resampled`` of highest
    ``logsumexp`` over the batch of ``(x w + b) / resampling_temperature``, then
    :func:`sampled_softmax_loss` on them.

    Raises:
      ValueError: ``num_sampled > num_classes``, ``num_resampled >= num_sampled``,
        ``partition_strategy`` not 'div'/'mod' (checked in that order, as contrib does),
        ``resampling_temperature`` not finite and positive.
      TypeError: ``resampling_temperature`` not a real number (a bool, a string, an array
        of more than one value).
    """
    p = rank_resampled_rows(weights, biases, labels, inputs, num_sampled, num_resampled,
                            num_classes, num_true, sampled_values, resampling_temperature,
                            remove_accidental_hits, partition_strategy, seed)
    return row_loss("softmax", p.xp, inputs, p.labels, p.values, p.weight_rows, p.bias_rows,
                    True, p.remove_accidental_hits)


def rank_resampled_rows(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int,
                        num_resampled: int, num_classes: int, num_true: int,
                        sampled_values: Any, resampling_temperature: float,
                        remove_accidental_hits: bool, partition_strategy: str,
                        seed: int | None) -> PreparedRows:
    """The checks and both phases of :func:`rank_sampled_softmax_loss` (same arguments),
    and the rows of the ``num_resampled`` classes kept.

    Phase 2 runs on what phase 1 has checked (the kept classes are some of the checked
    sampled ids, with their checked counts), so nothing is read back a second time."""
    num_sampled = checks.check_int(num_sampled, "num_sampled", minimum=1)
    num_classes = checks.check_int(num_classes, "num_classes", minimum=1)
    num_resampled = checks.check_int(num_resampled, "num_resampled")  # its range: below
    resampled_range = ValueError(f"num_resampled: must be in [1, num_sampled={num_sampled}), "
                                 f"got {num_resampled}")
    # TensorFlow's three checks in its order, then what it leaves to top_k
    if num_sampled > num_classes:
        raise ValueError(f"num_sampled: must be in [1, num_classes={num_classes}], got {num_sampled}")
    if num_resampled >= num_sampled:
        raise resampled_range
    checks.check_partition_strategy(partition_strategy)
    if num_resampled < 1:
        raise resampled_range
    temperature = checks.check_real(resampling_temperature, "resampling_temperature")
    if not 0 < temperature < math.inf:
        raise ValueError(f"resampling_temperature: must be finite and > 0, got "
                         f"{resampling_temperature!r}")
    if isinstance(sampled_values, (tuple, list)) and not sampled_values:
        sampled_values = None  # TensorFlow's `if not sampled_values`: () draws as None does
    xp, labels, sampled_values = prepare(weights, biases, labels, inputs, num_sampled,
                                         num_classes, num_true, sampled_values,
                                         partition_strategy, seed,
                                         default_sampler=default_learned_unigram)
    resampled = rank_resample(weights, biases, inputs, sampled_values, num_resampled,
                              temperature, partition_strategy)
    remove_accidental_hits = checks.check_bool(remove_accidental_hits, "remove_accidental_hits")
    return rows_of(xp, weights, biases, labels, resampled, remove_accidental_hits,
                   partition_strategy)
