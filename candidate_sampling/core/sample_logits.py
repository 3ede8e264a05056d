"""Paddle's ``sampled_softmax_with_cross_entropy`` (op ``sample_logits``): it takes the
full logits ``[N, K]`` and picks the true and sampled columns of each row."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from ..backends import backend_for
from . import checks
from .namespace import (
    accumulation_dtype,
    device_of,
    index_dtype,
    namespace_of,
    require_arrays,
    wide_float,
)

__all__ = ["sampled_softmax_with_cross_entropy", "clipped_softmax_cross_entropy", "PADDLE_INF",
           "SOFTMAX_CLIP", "SeededSampler", "PickedLogits", "picked_logits",
           "clipped_softmax_cross_entropy_terms"]

PADDLE_INF = 1e20
"""Paddle's stand-in for infinity: subtracted from hit logits, and the bound every
infinite logit is clamped to."""

SOFTMAX_CLIP = -64.0
"""Paddle's softmax clips ``logit - rowmax`` from below at this value."""

SeededSampler = Callable[[Any, int, int, int], tuple[Any, Any]]
"""``(label, num_samples, num_classes, seed) -> (samples, probabilities)``: see
:func:`sampled_softmax_with_cross_entropy`'s ``seeded_sampler``."""


def _tolerable(xp: Any, x: Any, big: Any) -> Any:
    """Paddle's ``TolerableValue``: +-inf -> +-big."""
    x = xp.where(x == xp.inf, big, x)
    return xp.where(x == -xp.inf, -big, x)


def _default_samples(xp: Any, label: Any, num_samples: int, num_classes: int, seed: int):
    """Samples ``[N, T+S]`` and probabilities for Paddle's default sampler: the row's true
    labels, then the same ``S`` unique log-uniform negatives for every row."""
    from .samplers import log_uniform_candidate_sampler

    rows, num_true = (int(d) for d in label.shape)
    if num_samples == 0:  # no draws: every expected count is 0
        return label, xp.zeros(label.shape, dtype=xp.float32, device=device_of(label))
    if seed == 0 and backend_for(xp).stages():
        raise ValueError(
            "seed: 0 draws fresh negatives on every call, which a function that JAX stages "
            "(jax.jit, lax.scan, ...) cannot: they would be drawn once, when it is traced. "
            "Pass samples drawn with a JAX key as customized_samples and "
            "customized_probabilities (use_customized_samples=True)")
    sampled, true_q, sampled_q = log_uniform_candidate_sampler(
        label, num_true, num_samples, True, num_classes, seed=seed or None)
    ids = index_dtype(xp, label)  # not int8 or uint8 labels' own: ids past 127 would wrap
    sampled = xp.broadcast_to(xp.astype(sampled, ids)[None, :], (rows, num_samples))
    sampled_q = xp.broadcast_to(sampled_q[None, :], (rows, num_samples))
    return (xp.concat([xp.astype(label, ids), sampled], axis=1),
            xp.concat([xp.astype(true_q, xp.float32), xp.astype(sampled_q, xp.float32)], axis=1))


def sampled_softmax_with_cross_entropy(logits: Any, label: Any, num_samples: int, num_true: int = 1,
                                       remove_accidental_hits: bool = True,
                                       use_customized_samples: bool = False,
                                       customized_samples: Any = None,
                                       customized_probabilities: Any = None, seed: int = 0, *,
                                       seeded_sampler: SeededSampler | None = None) -> Any:
    """Sampled softmax with cross entropy over full logits (Paddle 1.x semantics).

    Each row's columns are ``[T true | S sampled]``; a sampled column equal to one of
    the row's true labels gets ``1e20`` subtracted (when ``remove_accidental_hits``),
    then every column gets ``- log Q``, infinities clamped to ``+-1e20``. The loss is
    Paddle's (clipped, see :func:`clipped_softmax_cross_entropy`) softmax cross entropy
    with target ``1/T`` on each true column. On the customized path the true columns
    are ``customized_samples[:, :T]`` (``label`` is checked but, as in Paddle, not read).

    Args:
      logits: ``[N, K]`` float, unscaled log probabilities over all ``K`` classes.
      label: int ``[N, T]``, the true classes.
      num_samples: ``S``, negatives per row, in ``[0, K]`` for the default sampler, any
        ``S >= 0`` with customized samples, which may repeat (0: the loss is 0, as in
        Paddle).
      num_true: ``T``.
      remove_accidental_hits: mask sampled columns equal to a true label of the row.
      use_customized_samples: take ``customized_samples``/``customized_probabilities``
        (``[N, T+S]`` each) instead of sampling.
      seed: seed of the default sampler (0: nondeterministic).
      seeded_sampler: draws the default path's samples where ``seed != 0``, in place of
        the native log-uniform sampler: called as ``seeded_sampler(label, num_samples,
        num_classes, seed)`` once every argument is checked, it returns ``(samples,
        probabilities)``, ``[N, T+S]`` each, in ``label``'s namespace, true columns first.

    Returns:
      ``[N, 1]`` losses.
    """
    picked = picked_logits(logits, label, num_samples, num_true, remove_accidental_hits,
                           use_customized_samples, customized_samples, customized_probabilities,
                           seed, seeded_sampler=seeded_sampler)
    loss = clipped_softmax_cross_entropy(picked.xp, picked.logits, picked.num_true)
    return picked.xp.reshape(loss, (int(logits.shape[0]), 1))


class PickedLogits(NamedTuple):
    """What :func:`picked_logits` computes: the namespace, the int64 column ids
    ``[N, T+S]`` (true first), their logits ``[N, T+S]`` ready for the softmax, and ``T``."""

    xp: Any
    samples: Any
    logits: Any
    num_true: int


def picked_logits(logits: Any, label: Any, num_samples: int, num_true: int = 1,
                  remove_accidental_hits: bool = True, use_customized_samples: bool = False,
                  customized_samples: Any = None, customized_probabilities: Any = None,
                  seed: int = 0, *, seeded_sampler: SeededSampler | None = None) -> PickedLogits:
    """Everything :func:`sampled_softmax_with_cross_entropy` does before its softmax (same
    arguments): the checks, the samples, and the picked, masked, ``- log Q`` logits."""
    require_arrays(logits=logits, label=label)
    xp = namespace_of(logits=logits, label=label, customized_samples=customized_samples,
                      customized_probabilities=customized_probabilities)
    num_true = checks.check_int(num_true, "num_true", minimum=1)
    remove_accidental_hits = checks.check_bool(remove_accidental_hits, "remove_accidental_hits")
    use_customized_samples = checks.check_bool(use_customized_samples, "use_customized_samples")
    seed = checks.check_int(seed, "seed", minimum=-2**31, maximum=2**31 - 1)
    checks.check_same_device(xp, [(name, arr) for name, arr in (
        ("logits", logits), ("label", label), ("customized_samples", customized_samples),
        ("customized_probabilities", customized_probabilities)) if arr is not None])
    checks.check_float_array(xp, logits, "logits")
    checks.check_ndim(logits, 2, "logits", "[N, K]")
    rows, num_classes = (int(d) for d in logits.shape)
    if num_classes < 1:  # Paddle crashes on it
        raise ValueError(f"logits: expected [N, K] with K >= 1 classes, got shape "
                         f"{list(logits.shape)}")
    # the default sampler draws S distinct classes; customized samples may repeat them
    num_samples = checks.check_int(num_samples, "num_samples", minimum=0,
                                   maximum=None if use_customized_samples else num_classes)
    checks.check_int_array(xp, label, "label")
    checks.check_ndim(label, 2, "label", "[N, num_true]")
    if tuple(label.shape) != (rows, num_true):
        raise ValueError(f"label: expected shape [N, num_true] = [{rows}, {num_true}] (N from "
                         f"logits), got {list(label.shape)}")
    if not use_customized_samples:  # there, as in Paddle, label's values are not read
        checks.check_ids_in_range(xp, label, num_classes, "label")
    width = num_true + num_samples
    if use_customized_samples:
        if customized_samples is None or customized_probabilities is None:
            raise ValueError("customized_samples, customized_probabilities: both are required "
                             "when use_customized_samples=True")
        checks.check_int_array(xp, customized_samples, "customized_samples")
        checks.check_float_array(xp, customized_probabilities, "customized_probabilities")
        for name, arr in (("customized_samples", customized_samples),
                          ("customized_probabilities", customized_probabilities)):
            if tuple(arr.shape) != (rows, width):
                raise ValueError(f"{name}: expected shape [N, num_true + num_samples] = "
                                 f"[{rows}, {width}], got {list(arr.shape)}")
        checks.check_ids_in_range(xp, customized_samples, num_classes, "customized_samples")
        samples, probabilities = customized_samples, customized_probabilities
    elif seed != 0 and seeded_sampler is not None:
        samples, probabilities = seeded_sampler(label, num_samples, num_classes, seed)
    else:
        samples, probabilities = _default_samples(xp, label, num_samples, num_classes, seed)
    backend = backend_for(xp)
    samples = backend.stop_gradient(samples)
    probabilities = backend.stop_gradient(probabilities)
    if use_customized_samples:
        checks.check_nonnegative(xp, probabilities, "customized_probabilities")

    dtype = logits.dtype
    big = xp.asarray(min(PADDLE_INF, float(xp.finfo(dtype).max)), dtype=dtype, device=device_of(logits))
    samples = xp.astype(samples, backend.int64(xp))
    picked = xp.take_along_axis(logits, samples, axis=1)
    if remove_accidental_hits:
        # Paddle compares with the sample's own true columns (``label`` itself is not read
        # on the customized path), and masks every duplicate.
        negatives = samples[:, num_true:]
        hits = xp.any(negatives[:, None, :] == samples[:, :num_true, None], axis=1)
        with backend.overflow_allowed():  # -inf below -big: clamped to -big as in Paddle
            masked = xp.where(hits, picked[:, num_true:] - big, picked[:, num_true:])
        picked = xp.concat([picked[:, :num_true], masked], axis=1)
    wide = wide_float(xp, dtype)
    q = xp.astype(probabilities, wide)
    positive = q > 0
    # log(Q), with log(0) = -inf clamped to -1e20 as Paddle does.
    log_q = xp.where(positive, xp.log(xp.where(positive, q, xp.ones_like(q))), -PADDLE_INF)
    log_q = xp.astype(log_q, dtype)
    return PickedLogits(xp, samples, _tolerable(xp, picked - log_q, big), num_true)


def clipped_softmax_cross_entropy(xp: Any, logits: Any, num_true: int) -> Any:
    """Paddle's CPU ``softmax_with_cross_entropy`` with target ``1/T`` on the first ``T`` columns.

    Paddle clips ``logit - rowmax`` at ``SOFTMAX_CLIP`` before the softmax, so a row's
    loss is at most about 64, and its gradient is ``softmax - label`` of the clipped
    softmax at every column (the clip passes the gradient through unchanged).
    """
    return clipped_softmax_cross_entropy_terms(xp, logits, num_true)[0]


def clipped_softmax_cross_entropy_terms(xp: Any, logits: Any, num_true: int) -> tuple:
    """``(loss, exps, totals)``: :func:`clipped_softmax_cross_entropy`'s ``[N]`` loss
    (logits' dtype), with the clipped softmax as ``exps [N, T+S] / totals [N, 1]`` in the
    accumulation dtype."""
    backend = backend_for(xp)
    stop = backend.stop_gradient
    dtype = logits.dtype
    logits = xp.astype(logits, accumulation_dtype(xp, dtype))
    with backend.overflow_allowed():  # -inf, clipped below
        shifted = logits - stop(xp.max(logits, axis=1, keepdims=True))
    clipped = xp.maximum(shifted, xp.asarray(SOFTMAX_CLIP, dtype=shifted.dtype,
                                             device=device_of(shifted)))
    # the clip passes the gradient through; taken from the logits themselves, as
    # ``logit - rowmax`` is -inf for finite logits more than float's largest value apart
    # (Paddle clips it, -inf - -inf would be NaN)
    shifted = stop(clipped) + (logits - stop(logits))
    exps = xp.exp(shifted)
    totals = xp.sum(exps, axis=1, keepdims=True)
    lse = xp.log(totals[:, 0])
    return xp.astype(lse - xp.mean(shifted[:, :num_true], axis=1), dtype), exps, totals
