"""The logits of the true and sampled classes (TensorFlow's ``_compute_sampled_logits``)."""

from __future__ import annotations

from typing import Any, NamedTuple

from ..backends import backend_for
from . import checks
from .embedding import embedding_lookup
from .hits import dense_hits, hit_positions
from .namespace import (
    device_of,
    flatten_arrays,
    index_dtype,
    namespace_of,
    require_arrays,
    wide_float,
)
from .types import SampledValues

__all__ = ["compute_sampled_logits", "prepare", "default_log_uniform", "Rows", "touched_ids",
           "split_rows", "lookup_rows", "gather_rows", "logits_from_rows",
           "check_sampled_values"]


def default_log_uniform(labels: Any, num_true: int, num_sampled: int, num_classes: int,
                        seed: int | None) -> SampledValues:
    """TensorFlow's default sampler: unique log-uniform over ``[0, num_classes)``, for
    labels :func:`prepare` has already checked to lie in that range."""
    from .samplers import log_uniform_draw

    if num_sampled > num_classes:  # named as the loss's arguments, not the sampler's
        raise ValueError(f"num_sampled: must be in [1, num_classes={num_classes}] for the "
                         f"default sampler, which draws distinct classes, got {num_sampled}")
    return log_uniform_draw(labels, num_true, num_sampled, True, num_classes, seed, None,
                            check_values=False)


def _check_same_library(xp: Any, sampled_values: Any) -> None:
    """The sampled values are arrays of ``xp``'s library, as the other arguments (a
    sampler that runs after those are checked, such as a module's, may give others)."""
    theirs = namespace_of(sampled_values=tuple(sampled_values))
    if theirs is not xp:
        kinds = ", ".join(sorted({f"{type(v).__module__}.{type(v).__name__}"
                                  for v in sampled_values}))
        raise TypeError(f"sampled_values: arrays of another library ({kinds}) than the "
                        f"other arguments ({xp.__name__}); convert them to one library")


SAMPLED_NAMES = ("sampled_values[0] (sampled_candidates)",
                 "sampled_values[1] (true_expected_count)",
                 "sampled_values[2] (sampled_expected_count)")
"""How errors name the three entries of ``sampled_values``."""


def check_triple(sampled_values: Any) -> None:
    """``sampled_values`` is a tuple (or list) of three, as a sampler gives."""
    if not isinstance(sampled_values, (tuple, list)) or len(sampled_values) != 3:
        got = (f"{type(sampled_values).__name__} of {len(sampled_values)}"
               if isinstance(sampled_values, (tuple, list)) else type(sampled_values).__name__)
        raise TypeError(f"sampled_values: expected a tuple (sampled_candidates, "
                        f"true_expected_count, sampled_expected_count), got {got}")


def check_sampled_values(xp: Any, sampled_values: Any, batch: int, num_true: int,
                         num_sampled: int, num_classes: int,
                         check_values: bool = True, counts_used: bool = True) -> SampledValues:
    """``sampled_values`` checked against a batch of ``batch`` rows of ``num_true``
    labels and a sample of ``num_sampled`` of ``num_classes`` classes: a triple of
    arrays of ``xp``, of the dtypes and shapes TensorFlow's samplers give, and unless
    ``check_values`` ids in range and, where ``counts_used`` (``log Q`` is subtracted),
    counts finite and > 0 (one read each)."""
    check_triple(sampled_values)
    sampled, true_q, sampled_q = sampled_values
    ids_name, true_name, sampled_name = SAMPLED_NAMES
    require_arrays(**dict(zip(SAMPLED_NAMES, sampled_values)))
    _check_same_library(xp, sampled_values)
    checks.check_int_array(xp, sampled, ids_name)
    checks.check_float_array(xp, true_q, true_name)
    checks.check_float_array(xp, sampled_q, sampled_name)
    if tuple(sampled.shape) != (num_sampled,):
        raise ValueError(f"{ids_name}: expected shape [num_sampled] = [{num_sampled}], got "
                         f"{list(sampled.shape)}")
    if not checks.broadcasts_to(tuple(sampled_q.shape), (num_sampled,)):
        raise ValueError(f"{sampled_name}: expected shape [num_sampled] = [{num_sampled}], got "
                         f"{list(sampled_q.shape)}")
    if tuple(sampled_q.shape) != (num_sampled,):  # one count for all, as TensorFlow takes it
        sampled_q = xp.broadcast_to(sampled_q, (num_sampled,))
    if not checks.broadcasts_to(tuple(true_q.shape), (batch, num_true)):
        raise ValueError(f"{true_name}: expected shape [batch_size, num_true] = [{batch}, "
                         f"{num_true}], got {list(true_q.shape)}")
    if check_values:  # reads the values (a host synchronisation on a GPU)
        checks.check_ids_in_range(xp, sampled, num_classes, ids_name)
        if counts_used:
            checks.check_positive(xp, true_q, true_name)
            checks.check_positive(xp, sampled_q, sampled_name)
    return SampledValues(sampled, true_q, sampled_q)


def prepare(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int,
            num_classes: int, num_true: int, sampled_values: Any, partition_strategy: str,
            seed: int | None, default_sampler: Any = default_log_uniform,
            subtract_log_q: bool = True):
    """Check the arguments shared by every loss; draw the default sample if needed.

    Returns ``(xp, labels, sampled_values)`` with ``labels`` as ``[batch_size, num_true]``
    and ``sampled_values`` a checked, gradient-free ``SampledValues``. The values given
    in ``sampled_values`` are checked (ids in range, counts finite and > 0 unless
    ``subtract_log_q`` is false, which leaves the counts unused, as TensorFlow); those that
    ``default_sampler`` draws are trusted, so it must give in-range ids and positive
    counts (the library's samplers do). ``seed`` is checked as the samplers check it
    (:func:`~candidate_sampling.core.checks.check_seed`), used or not.
    """
    require_arrays(weights=weights, biases=biases, labels=labels, inputs=inputs)
    if sampled_values is not None:
        check_triple(sampled_values)
        require_arrays(**dict(zip(SAMPLED_NAMES, sampled_values)))
    xp = namespace_of(weights=weights, biases=biases, labels=labels, inputs=inputs,
                      sampled_values=sampled_values)
    seed = checks.check_seed(seed)
    num_true = checks.check_int(num_true, "num_true", minimum=1)
    num_classes = checks.check_int(num_classes, "num_classes", minimum=1)
    num_sampled = checks.check_int(num_sampled, "num_sampled", minimum=1)
    checks.check_partition_strategy(partition_strategy)
    checks.check_float_array(xp, inputs, "inputs")
    checks.check_ndim(inputs, 2, "inputs", "[batch_size, dim]")
    params = [(name, arr) for name, value in (("weights", weights), ("biases", biases))
              for arr in flatten_arrays(value)]
    checks.check_same_device(xp, [("inputs", inputs), ("labels", labels), *params,
                                  *zip(SAMPLED_NAMES, sampled_values or ())])
    for name, arr in params:
        checks.check_float_array(xp, arr, name)
    backend = backend_for(xp)
    checks.check_same_dtype(params + [("inputs", inputs)],
                            mixed=backend.casts_mixed_floats(inputs))
    checks.check_rows(weights, "weights", num_classes, partition_strategy, ndim=2)
    checks.check_rows(biases, "biases", num_classes, partition_strategy, ndim=1)
    checks.check_inputs_dim(inputs, int(flatten_arrays(weights)[0].shape[1]))
    batch = int(inputs.shape[0])
    checks.check_labels(xp, labels, batch, num_true, num_classes)
    drawn = sampled_values is None
    if drawn:
        sampled_values = default_sampler(labels, num_true, num_sampled, num_classes, seed)
    # a draw of the default sampler is in range and positive by construction: its
    # shapes are checked, its values are not read again
    sampled_values = check_sampled_values(xp, sampled_values, batch, num_true, num_sampled,
                                          num_classes, check_values=not drawn,
                                          counts_used=subtract_log_q)
    return xp, labels, SampledValues(*(backend.stop_gradient(v) for v in sampled_values))


class Rows(NamedTuple):
    """The class rows a batch touches: true ``[B, T, D]``/``[B, T]``, sampled ``[S, D]``/``[S]``."""

    true_weights: Any
    true_biases: Any
    sampled_weights: Any
    sampled_biases: Any


def touched_ids(xp: Any, labels: Any, sampled: Any) -> Any:
    """The ids whose rows a batch uses, in the order :func:`gather_rows` stacks them:
    the flattened labels, then the sampled candidates."""
    dt = index_dtype(xp, labels, sampled)
    return xp.concat([xp.reshape(xp.astype(labels, dt), (-1,)), xp.astype(sampled, dt)])


def split_rows(xp: Any, weight_rows: Any, bias_rows: Any, batch: int, num_true: int) -> Rows:
    """Split rows stacked as :func:`touched_ids` orders them into :class:`Rows`."""
    n_true = batch * num_true
    dim = int(weight_rows.shape[-1])
    return Rows(xp.reshape(weight_rows[:n_true, ...], (batch, num_true, dim)),
                xp.reshape(bias_rows[:n_true], (batch, num_true)),
                weight_rows[n_true:, ...], bias_rows[n_true:])


def lookup_rows(xp: Any, weights: Any, biases: Any, labels: Any, sampled: Any,
                partition_strategy: str = "div") -> tuple[Any, Any]:
    """The true and sampled rows, ``(weight_rows, bias_rows)`` stacked in
    :func:`touched_ids` order: one lookup (as TensorFlow does), or one per part where
    the backend asks (:meth:`~candidate_sampling.backends.Backend.lookup_apart`)."""
    ids = touched_ids(xp, labels, sampled)
    if not backend_for(xp).lookup_apart(ids):
        return (embedding_lookup(xp, weights, ids, partition_strategy),
                embedding_lookup(xp, biases, ids, partition_strategy))
    n_true = int(ids.shape[0]) - int(sampled.shape[0])
    parts = (ids[:n_true], ids[n_true:])
    return tuple(xp.concat([embedding_lookup(xp, params, part, partition_strategy)
                            for part in parts]) for params in (weights, biases))


def gather_rows(xp: Any, weights: Any, biases: Any, labels: Any, sampled: Any,
                partition_strategy: str = "div") -> Rows:
    """:func:`lookup_rows`, split into :class:`Rows`."""
    return split_rows(xp, *lookup_rows(xp, weights, biases, labels, sampled, partition_strategy),
                      int(labels.shape[0]), int(labels.shape[1]))


def logit_biases(xp: Any, values: SampledValues, rows: Rows, subtract_log_q: bool = True
                 ) -> tuple[Any, Any]:
    """``(true [B, T], sampled [S])``: the biases of the logits, ``b - log Q`` (``b`` alone
    unless ``subtract_log_q``), in the biases' dtype."""
    true_bias, sampled_bias = rows.true_biases, rows.sampled_biases
    if not subtract_log_q:
        return true_bias, sampled_bias
    dtype = true_bias.dtype
    wide = wide_float(xp, dtype)
    _, true_q, sampled_q = values
    return (true_bias - xp.astype(_log_count(xp, true_q, wide), dtype),
            sampled_bias - xp.astype(_log_count(xp, sampled_q, wide), dtype))


def _log_count(xp: Any, q: Any, wide: Any) -> Any:
    """``log Q`` in ``wide`` (float32 counts, TensorFlow's, as TensorFlow takes it), or in
    float64 where the counts are float64: a count beyond float32's range (1e-50, 1e300)
    would become 0 or inf there, and the loss NaN or inf."""
    return xp.log(xp.astype(q, xp.float64 if q.dtype == xp.float64 else wide))


def logits_from_rows(xp: Any, inputs: Any, labels: Any, values: SampledValues, rows: Rows,
                     subtract_log_q: bool = True, remove_accidental_hits: bool = False, *,
                     hits_pass_gradient: bool = False, scale: float = 1.0,
                     sampled_bias_apart: bool = False):
    """``(true_logits [B, T], sampled_logits [B, S])`` from gathered rows, both times
    ``scale``, which multiplies the ``[B, D]`` inputs and the biases, not the ``[B, S]``
    product (a softmax in base 2 takes them in units of ``log2(e)``; true and sampled
    logits of equal rows come out equal). With ``sampled_bias_apart``, ``(true_logits,
    product [B, S], sampled_bias [S])``: the sampled logits are ``product +
    sampled_bias`` (both times ``scale``; the hits masked in ``product``).

    ``x . w + (b - log Q)``, then the accidental-hit mask. TensorFlow computes
    ``(x . w + b) - log Q`` (the same up to rounding) and adds ``-FLT_MAX`` before
    subtracting ``log Q``. With ``hits_pass_gradient`` (the logits themselves) the mask
    is added as TensorFlow does; in float32 that is ``-FLT_MAX`` itself unless the logit
    exceeds about 1e31 (half the ulp of FLT_MAX). The losses set a hit to the lowest
    finite value instead: a softmax or sigmoid gives it zero weight either way. Folding ``log Q
    into the ``[S]`` bias saves a pass over the ``[B, S]`` logits; the bias is added in
    place where the backend allows, and the mask touches only the ``B T`` hit positions
    (:func:`~candidate_sampling.core.hits.hit_positions`).

    ``hits_pass_gradient``: let the gradient pass through masked positions, as through
    TensorFlow's additive mask (what the gradient of the logits themselves needs). A
    softmax or sigmoid gives a masked logit exactly zero weight, so the losses leave it
    off and skip the extra passes over ``[B, S]``."""
    sampled = values.sampled_candidates
    true_bias, sampled_bias = logit_biases(xp, values, rows, subtract_log_q)
    backend = backend_for(xp)
    if scale != 1.0:
        inputs = inputs * scale
        true_bias, sampled_bias = true_bias * scale, sampled_bias * scale
    true_logits = xp.matmul(rows.true_weights, inputs[:, :, None])[:, :, 0] + true_bias
    sampled_logits = backend.linear(xp, inputs, rows.sampled_weights,
                                    None if sampled_bias_apart else sampled_bias)
    if remove_accidental_hits:
        found, position = hit_positions(xp, labels, sampled)
        sampled_logits = _mask_hits(xp, sampled_logits, found, position, hits_pass_gradient)
    if sampled_bias_apart:
        return true_logits, sampled_logits, sampled_bias
    return true_logits, sampled_logits


def _mask_hits(xp: Any, logits: Any, found: Any, position: Any, pass_gradient: bool) -> Any:
    """Hit positions take the lowest finite value of the dtype. With ``pass_gradient``
    they become ``logit + lowest`` instead, as TensorFlow's ``logits + mask`` (kept
    finite: no lower than the lowest value), and the gradient passes through every
    position unchanged."""
    backend = backend_for(xp)
    lowest = float(xp.finfo(logits.dtype).min)
    if not pass_gradient:
        return backend.mask_positions(xp, logits, found, position, lowest)
    stop = backend.stop_gradient
    value = stop(logits)
    floor = xp.asarray(lowest, dtype=logits.dtype, device=device_of(logits))
    hits = dense_hits(xp, found, position, int(logits.shape[1]))
    with backend.overflow_allowed():  # a logit below 0 plus the lowest value gives -inf
        masked = xp.where(hits, xp.maximum(value + floor, floor), value)
    return (logits - value) + stop(masked)


def compute_sampled_logits(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int,
                           num_classes: int, num_true: int = 1, sampled_values: Any = None,
                           subtract_log_q: bool = True, remove_accidental_hits: bool = False,
                           partition_strategy: str = "div", seed: int | None = None):
    """Compute the sampled logits and their labels (TensorFlow's ``_compute_sampled_logits``).

    Args:
      weights: ``[num_classes, dim]`` float array, or a list of shards of it.
      biases: ``[num_classes]`` float array, or a list of shards of it.
      labels: int ``[batch_size, num_true]``, the target classes.
      inputs: ``[batch_size, dim]``, the forward activations.
      num_sampled: number of classes sampled per batch.
      num_classes: number of possible classes.
      num_true: number of target classes per row.
      sampled_values: a ``SampledValues`` triple; ``None`` draws a unique log-uniform sample.
      subtract_log_q: subtract ``log(expected count)`` from every logit.
      remove_accidental_hits: mask the sampled logits that equal a true class of the row.
      partition_strategy: ``'div'`` or ``'mod'``, for sharded ``weights``/``biases``.
      seed: seed of the default sampler: ``None`` or an int in ``[-2**63, 2**64 - 1]``.

    Returns:
      ``(logits, labels)``: ``[batch_size, num_true + num_sampled]``, true columns first,
      and the matching soft labels (``1/num_true`` on the true columns, 0 elsewhere).
    """
    subtract_log_q = checks.check_bool(subtract_log_q, "subtract_log_q")
    remove_accidental_hits = checks.check_bool(remove_accidental_hits, "remove_accidental_hits")
    xp, labels, values = prepare(weights, biases, labels, inputs, num_sampled, num_classes,
                                 num_true, sampled_values, partition_strategy, seed,
                                 subtract_log_q=subtract_log_q)
    rows = gather_rows(xp, weights, biases, labels, values.sampled_candidates, partition_strategy)
    true_logits, sampled_logits = logits_from_rows(xp, inputs, labels, values, rows,
                                                   subtract_log_q, remove_accidental_hits,
                                                   hits_pass_gradient=True)
    logits = xp.concat([true_logits, sampled_logits], axis=1)
    out_labels = xp.concat([xp.ones_like(true_logits) / true_logits.shape[1],
                            xp.zeros_like(sampled_logits)], axis=1)
    return logits, out_labels
