"""The sampled losses over gathered class rows, with their analytic gradient.

A training step of sampled softmax or NCE needs, past the lookup, only the logits of the
``B T`` true and ``S`` sampled rows, the per-row loss and its gradient. Here both are
computed in as few passes over the ``[B, S]`` logits as the math allows, and the gradient
is analytic (``softmax - labels``, ``sigmoid - labels``), not recorded by an autodiff
tape:

- forward: one matrix product with the bias added in place, the accidental hits
  masked at their ``B T`` positions (no dense ``[B, T, S]`` comparison), the row
  maximum, ``exp(l - max)`` in place (for the softmax in float32 and float64, as
  ``2^(l log2(e) - max)`` where the backend's ``exp2`` is the faster, the scale folded
  into the product's ``[B, D]`` and ``[S]`` operands) and its row sum; the
  unnormalised exponentials are kept as the residual.
  Where the backend makes one pass per operation and reads values back for free (NumPy:
  :meth:`~candidate_sampling.backends.Backend.unshifted_softmax`), the softmax first
  skips the maximum: ``2^product`` (or ``e^product``) in place, the ``[S]`` bias ``c``
  (``b - log Q``) as the weights ``2^c`` of the row sum, and one read says which rows
  stayed in range (:func:`_softmax_unshifted`); the logits of the others are made again and shifted.
  That drops the bias, maximum and shift passes, an eighth of a NumPy forward;
- backward: the row scale ``cotangent / sum`` is applied to the ``[B, D]`` operands of
  the two matrix products, never to the ``[B, S]`` residual, and the sampled bias
  gradient is one vector-matrix product (the column weights ``2^c``, where the forward
  kept the bias apart, scale the ``[S, D]`` rows and the ``[S]`` bias gradient).

:func:`row_loss` is differentiable on every backend through
:meth:`~candidate_sampling.backends.Backend.with_gradient` (a ``torch.autograd.Function``,
a ``jax.custom_vjp``); :func:`row_loss_forward` and :func:`row_loss_backward` give the
loss and the gradient to the ``*_and_grad`` functions of libraries without autodiff.
Arrays are updated in place only where the backend says the core may
(:meth:`~candidate_sampling.backends.Backend.may_overwrite`).
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

from ..backends import backend_for
from . import checks
from .logits import Rows, logit_biases, logits_from_rows, lookup_rows, prepare, split_rows
from .namespace import accumulation_dtype
from .types import SampledValues

__all__ = ["LOSS_KINDS", "RowResiduals", "PreparedRows", "prepare_rows", "rows_of", "row_loss",
           "row_loss_forward", "row_loss_backward", "sampled_loss", "sigmoid_cross_entropy"]

LOSS_KINDS = ("softmax", "nce")
"""Per-row losses over the true and sampled logits: sampled softmax cross entropy
(TensorFlow's ``sampled_softmax_loss``), summed sigmoid cross entropy (``nce_loss``)."""


class RowResiduals(NamedTuple):
    """What the backward pass needs: the inputs and rows, the gradient of the true logits
    ``[B, T]``, and that of the sampled logits as ``row_scale[:, None] * sampled [B, S]``,
    times ``column[None, :]`` where ``column`` (``[S]``) is given (all in the
    accumulation dtype)."""

    inputs: Any
    rows: Rows
    d_true: Any
    sampled: Any
    row_scale: Any
    column: Any = None


LOG2_E = 1.4426950408889634
"""``log2(e)``: the unit of the softmax's sampled logits in float32 and float64."""


def _row_peak(xp: Any, true: Any, sampled: Any) -> Any:
    """``[B]``: each row's largest logit (``true`` and ``sampled`` in the same units), 0
    where it is not finite: the shift of the exponentials."""
    peak = xp.maximum(xp.max(sampled, axis=1), xp.max(true, axis=1))
    return xp.where(xp.isfinite(peak), peak, xp.zeros_like(peak))


def _softmax(xp: Any, backend: Any, true: Any, sampled: Any, need_grad: bool,
             unit: float = 1.0) -> tuple:
    """``(loss, d_true, exps, 1/total)``: softmax cross entropy over ``[true | sampled]``
    with labels ``1/T`` on the true columns; ``exps = exp(l - max)``, in place.

    ``true`` and ``sampled`` come as ``l * unit``. With ``unit = log2(e)`` (the scale
    applied to the ``[B, D]`` inputs and the biases of the products, so no pass over
    ``[B, S]``) the exponentials are ``2^(l - max)``: a base-2 power takes a third to a
    half of the time of ``exp`` on a CPU where the library vectorises both (PyTorch;
    NumPy with AVX-512), see :meth:`~candidate_sampling.backends.Backend.prefers_exp2`.
    Both in the same units, equal logits give equal exponentials."""
    num_true = int(true.shape[1])
    power = backend.iexp2 if unit == LOG2_E else backend.iexp
    peak = _row_peak(xp, true, sampled)
    true_exps = power(xp, true - peak[:, None])
    exps = power(xp, backend.isub(sampled, peak[:, None]))
    total = backend.row_sum(xp, exps) + xp.sum(true_exps, axis=1)
    inverse = 1.0 / total
    true_p = true_exps * inverse[:, None]
    loss = _true_cross_entropy(xp, true_p, true_exps, total, (peak[:, None] - true) / unit)
    if not need_grad:
        return loss, None, None, None
    return loss, true_p - 1.0 / num_true, exps, inverse


def _true_cross_entropy(xp: Any, true_p: Any, true_exps: Any, total: Any, gap: Any) -> Any:
    """``[B]``: the mean over the true columns of ``-log(p)``, ``p`` (``true_p``) the
    softmax of each true logit, at least 0 (:func:`_nonnegative`). Where ``p`` or the
    exponential it was divided from (``true_exps``) is below the dtype's smallest normal
    number, ``log(total) + gap`` instead (``total``: the sum of the exponentials shifted
    by the row's shift; ``gap [B, T]``: the shift less each true logit, in natural
    units). ``-log(p)`` keeps the precision of a small loss that ``log(total) + shift -
    true`` loses to the cancellation of logits much larger than it (a loss of 6e-6 from
    logits near 1000 came out as 0 in float32). A subnormal exponential has lost its
    low bits, and an unshifted row's total may be far below 1: its ``p`` is then normal
    but off (a loss of 63.28 for 63.0 in float32)."""
    tiny = float(xp.finfo(true_p.dtype).smallest_normal)
    readable = (true_p >= tiny) & (true_exps >= tiny)
    plain = xp.log(total)[:, None] + gap
    per_true = xp.where(readable, -xp.log(xp.where(readable, true_p, xp.ones_like(true_p))),
                        plain)
    return _nonnegative(xp, xp.mean(per_true, axis=1))


def _nonnegative(xp: Any, loss: Any) -> Any:
    """The softmax cross entropy, at least 0 (the log of the row sum is at least the
    largest logit, which is at least the mean true logit): the rounding of the peak
    from base 2 to natural units, or of ``log(2^l)`` against ``l`` in the unshifted
    sum, could leave a loss of a few ulps below 0 where one logit dominates."""
    return xp.maximum(loss, xp.zeros_like(loss))


UNSHIFTED_BIAS_LIMITS = (-100.0, 64.0)
"""The unshifted softmax is tried only while every sampled bias ``c`` (in units of
``log2(e)``) lies in ``[-100, 64]``: its weight ``2^c`` is a normal number, and a row
shifted by its maximum ``m`` has terms ``2^(l - m) <= 2^-c`` that cannot overflow, whose
part lost below the smallest normal number weighs at most ``2^(64 - 126)`` each."""


def _in_unshifted_range(xp: Any, backend: Any, bias: Any) -> bool:
    """Whether every sampled bias (in natural units) is within the limits of
    :func:`_softmax_unshifted` (which are in units of ``log2(e)``): read before the
    product is made."""
    low, high = UNSHIFTED_BIAS_LIMITS
    bias = bias * LOG2_E
    return bool(backend.read(lambda: bool(xp.all((bias >= low) & (bias <= high)))))


def _softmax_unshifted(xp: Any, backend: Any, true: Any, product: Any, bias: Any,
                       need_grad: bool, remake: Any, unit: float = LOG2_E) -> tuple:
    """:func:`_softmax` with no shift: ``(loss, d_true, exps, 1/total, column)``; the
    sampled biases are within :data:`UNSHIFTED_BIAS_LIMITS` (:func:`_in_unshifted_range`).

    ``product + bias`` are the sampled logits in units of ``unit`` (``log2(e)``: powers
    of 2; 1: of e), as ``true``, the bias ``[S]`` kept apart: ``exps = 2^product`` (in place) and
    ``column = 2^bias`` weights them in the row sum, so neither the bias nor a row
    maximum takes a pass over ``[B, S]``.
    A row is kept when its ``total`` is at least ``(S + T) tiny max(1, max(column)) /
    eps^2`` (``tiny``, ``eps``: the dtype's smallest normal number and epsilon): the
    exponentials below ``tiny``, which may be lost, then weigh less than ``eps^2`` of
    it; and at most the square root of the dtype's largest value (2^64 in float32: a
    logsumexp of 44): the backward pass's product of the kept exponentials with the
    ``[S, D]`` rows, a sum of terms each at most ``total |w|``, cannot overflow then (at
    ``total`` near the largest float32 it gave an infinite input gradient beside a
    finite loss). The other rows are made again by ``remake(rows)`` -> ``(true,
    product, bias)`` and shifted by their maximum ``m``: ``2^(product - m)``, whose
    weighted terms are at most 1. One read: the rows to make again."""
    num_true, num_sampled = int(true.shape[1]), int(product.shape[1])
    info = xp.finfo(product.dtype)
    power = backend.iexp2 if unit == LOG2_E else backend.iexp
    column = power(xp, xp.asarray(bias, copy=True))
    exps = power(xp, product)
    true_exps = power(xp, xp.asarray(true, copy=True))
    with backend.overflow_allowed():  # an infinite total is a row made again below
        total = backend.row_sum(xp, exps, column) + xp.sum(true_exps, axis=1)
    floor = ((num_sampled + num_true) * float(info.smallest_normal) / float(info.eps) ** 2
             * xp.maximum(xp.max(column), xp.ones_like(column[0])))
    ceiling = float(info.max) ** 0.5
    redo = backend.read(lambda: ~((total >= floor) & (total <= ceiling)))
    shift = xp.zeros_like(total)
    if backend.read(lambda: bool(xp.any(redo))):
        some_true, some_product, _ = remake(redo)
        peak = _row_peak(xp, some_true, some_product + bias)
        some_exps = power(xp, backend.isub(some_product, peak[:, None]))
        some_true_exps = power(xp, some_true - peak[:, None])
        exps[redo] = some_exps
        true_exps[redo] = some_true_exps
        total[redo] = backend.row_sum(xp, some_exps, column) + xp.sum(some_true_exps, axis=1)
        shift[redo] = peak  # in units, as the logits
    inverse = 1.0 / total
    true_p = true_exps * inverse[:, None]
    loss = _true_cross_entropy(xp, true_p, true_exps, total, (shift[:, None] - true) / unit)
    if not need_grad:
        return loss, None, None, None, None
    return loss, true_p - 1.0 / num_true, exps, inverse, column


def sigmoid_cross_entropy(xp: Any, logits: Any, targets: Any) -> Any:
    """``softplus(x) - x z`` elementwise, of ``logits`` against ``targets`` (an array or
    a number), in TensorFlow's form ``(max(x, 0) - x z) + log1p(exp(-|x|))``: for ``z =
    1`` the first term is exactly 0 or ``-x``, where ``softplus(x) - x`` cancelled a
    confident row's loss to the rounding of ``x`` (half a loss of 2.3e-7 lost at ``x =
    16``). The true columns of ``nce_loss`` and ``full_sigmoid_loss`` take it."""
    margin = xp.maximum(logits, xp.zeros_like(logits)) - logits * targets
    return margin + backend_for(xp).softplus(xp, -xp.abs(logits))


def _nce(xp: Any, backend: Any, true: Any, sampled: Any, need_grad: bool,
         unit: float = 1.0) -> tuple:
    """``(loss, d_true, sigmoid(l), ones)``: the summed sigmoid cross entropy against
    labels ``1/T`` (true columns) and 0 (sampled): ``softplus(x) - x z``; ``sampled``
    comes as ``l * unit`` (natural units, 1, in the losses)."""
    num_true = int(true.shape[1])
    if unit != 1.0:
        sampled = sampled / unit
    sampled_softplus, sampled_sigmoid = backend.softplus_sigmoid(xp, sampled, need_grad)
    loss = (xp.sum(sigmoid_cross_entropy(xp, true, 1.0 / num_true), axis=1)
            + backend.row_sum(xp, sampled_softplus))
    true_sigmoid = backend.sigmoid(xp, true) if need_grad else None
    if not need_grad:
        return loss, None, None, None
    return loss, true_sigmoid - 1.0 / num_true, sampled_sigmoid, xp.ones_like(loss)


_KINDS = {"softmax": (_softmax, LOG2_E), "nce": (_nce, 1.0)}
"""Each loss and the unit of its sampled logits where they are computed in the dtype it
reduces in (float32, float64) and the backend takes powers of 2 as the faster
exponential (:meth:`~candidate_sampling.backends.Backend.prefers_exp2`); float16 and
bfloat16 logits stay in natural units, whose rounding a scale would add to."""


def row_loss_forward(kind: str, xp: Any, inputs: Any, labels: Any, values: SampledValues,
                     weight_rows: Any, bias_rows: Any, subtract_log_q: bool = True,
                     remove_accidental_hits: bool = False, need_grad: bool = True
                     ) -> tuple[Any, RowResiduals | None]:
    """``(loss [B], residuals)`` of loss ``kind`` over rows stacked as
    :func:`~candidate_sampling.core.logits.touched_ids` orders them (``B T`` true rows,
    then ``S`` sampled); ``residuals`` is None unless ``need_grad``.

    The arguments are already checked (:func:`~candidate_sampling.core.logits.prepare`)."""
    backend = backend_for(xp)
    batch, num_true = (int(d) for d in labels.shape)
    rows = split_rows(xp, weight_rows, bias_rows, batch, num_true)
    dtype = xp.result_type(inputs.dtype, weight_rows.dtype, bias_rows.dtype)  # the logits'
    wide = accumulation_dtype(xp, dtype)
    per_row, unit = _KINDS[kind]
    unit = unit if wide == dtype and backend.prefers_exp2(xp, dtype) else 1.0
    if (kind == "softmax" and wide == dtype and backend.unshifted_softmax(inputs)
            and _in_unshifted_range(xp, backend, logit_biases(xp, values, rows,
                                                              subtract_log_q)[1])):
        true, product, bias = logits_from_rows(xp, inputs, labels, values, rows,
                                               subtract_log_q, remove_accidental_hits,
                                               scale=unit, sampled_bias_apart=True)

        def remake(some: Any) -> tuple:  # the logits of the rows ``some`` (a mask) again
            part = Rows(rows.true_weights[some, ...], rows.true_biases[some, ...],
                        rows.sampled_weights, rows.sampled_biases)
            count = xp.broadcast_to(values.true_expected_count, tuple(labels.shape))
            counts = values._replace(true_expected_count=count[some, ...])
            return logits_from_rows(xp, inputs[some, ...], labels[some, ...], counts, part,
                                    subtract_log_q, remove_accidental_hits, scale=unit,
                                    sampled_bias_apart=True)

        loss, d_true, exps, scale, column = _softmax_unshifted(xp, backend, true, product,
                                                               bias, need_grad, remake,
                                                               unit=unit)
    else:
        true, sampled = logits_from_rows(xp, inputs, labels, values, rows, subtract_log_q,
                                         remove_accidental_hits, scale=unit)
        true, sampled = xp.astype(true, wide, copy=False), xp.astype(sampled, wide, copy=False)
        loss, d_true, exps, scale = per_row(xp, backend, true, sampled, need_grad, unit)
        column = None
    loss = xp.astype(loss, dtype, copy=False)
    if not need_grad:
        return loss, None
    return loss, RowResiduals(inputs, rows, d_true, exps, scale, column)


def row_loss_backward(xp: Any, residuals: RowResiduals, cotangent: Any = None) -> tuple:
    """``(d_inputs [B, D], d_weight_rows [B T + S, D], d_bias_rows [B T + S])``: the
    gradients of ``sum(loss * cotangent)`` (``cotangent`` ``[B]``; None: ones), in the
    dtypes of the inputs and rows. The hit mask passes the gradient through (as
    TensorFlow's additive mask), and a masked logit's softmax is 0; ``log Q`` takes none."""
    inputs, rows, d_true, sampled, scale, column = residuals
    wide = sampled.dtype
    batch, num_true = (int(d) for d in d_true.shape)
    dim = int(inputs.shape[1])
    if cotangent is not None:
        cotangent = xp.astype(cotangent, wide, copy=False)
        scale = scale * cotangent
        d_true = d_true * cotangent[:, None]
    x = xp.astype(inputs, wide, copy=False)
    true_w = xp.astype(rows.true_weights, wide, copy=False)
    sampled_w = xp.astype(rows.sampled_weights, wide, copy=False)
    backend = backend_for(xp)
    weighted_w = sampled_w if column is None else column[:, None] * sampled_w
    d_inputs = (xp.sum(d_true[:, :, None] * true_w, axis=1)
                + scale[:, None] * backend.matmul(xp, sampled, weighted_w))
    d_sampled_b = xp.matmul(scale[None, :], sampled)[0, :]
    if column is not None:
        d_sampled_b = d_sampled_b * column
    d_weight_rows = backend.stack_matmul_at(
        xp, xp.reshape(d_true[:, :, None] * x[:, None, :], (batch * num_true, dim)), sampled,
        scale[:, None] * x, column)
    d_bias_rows = xp.concat([xp.reshape(d_true, (-1,)), d_sampled_b])
    return (xp.astype(d_inputs, inputs.dtype, copy=False),
            xp.astype(d_weight_rows, rows.true_weights.dtype, copy=False),
            xp.astype(d_bias_rows, rows.true_biases.dtype, copy=False))


class PreparedRows(NamedTuple):
    """Checked arguments of a sampled loss and its gathered rows (:func:`prepare_rows`)."""

    xp: Any
    labels: Any
    values: SampledValues
    weight_rows: Any
    bias_rows: Any
    remove_accidental_hits: bool


def prepare_rows(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int,
                 num_classes: int, num_true: int, sampled_values: Any,
                 remove_accidental_hits: bool, partition_strategy: str,
                 seed: int | None) -> PreparedRows:
    """Check a sampled loss's arguments, draw the default sample if needed and look up
    the touched rows (:func:`~candidate_sampling.core.logits.lookup_rows`)."""
    remove_accidental_hits = checks.check_bool(remove_accidental_hits, "remove_accidental_hits")
    xp, labels, values = prepare(weights, biases, labels, inputs, num_sampled, num_classes,
                                 num_true, sampled_values, partition_strategy, seed)
    return rows_of(xp, weights, biases, labels, values, remove_accidental_hits,
                   partition_strategy)


def rows_of(xp: Any, weights: Any, biases: Any, labels: Any, values: SampledValues,
            remove_accidental_hits: bool, partition_strategy: str) -> PreparedRows:
    """:class:`PreparedRows` of arguments already checked (``labels`` ``[B, T]`` and
    ``values`` as :func:`~candidate_sampling.core.logits.prepare` returns them): the
    lookup of the touched rows only, nothing read back."""
    weight_rows, bias_rows = lookup_rows(xp, weights, biases, labels, values.sampled_candidates,
                                         partition_strategy)
    return PreparedRows(xp, labels, values, weight_rows, bias_rows, remove_accidental_hits)


def sampled_loss(kind: str, weights: Any, biases: Any, labels: Any, inputs: Any,
                 num_sampled: int, num_classes: int, num_true: int, sampled_values: Any,
                 remove_accidental_hits: bool, partition_strategy: str,
                 seed: int | None) -> Any:
    """The ``[B]`` loss ``kind`` of TensorFlow's sampled losses, from the parameters:
    :func:`prepare_rows`, then :func:`row_loss`."""
    p = prepare_rows(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                     sampled_values, remove_accidental_hits, partition_strategy, seed)
    return row_loss(kind, p.xp, inputs, p.labels, p.values, p.weight_rows, p.bias_rows,
                    True, p.remove_accidental_hits)


def row_loss(kind: str, xp: Any, inputs: Any, labels: Any, values: SampledValues,
             weight_rows: Any, bias_rows: Any, subtract_log_q: bool = True,
             remove_accidental_hits: bool = False) -> Any:
    """The ``[B]`` loss of :func:`row_loss_forward`, differentiable with respect to
    ``inputs``, ``weight_rows`` and ``bias_rows`` by :func:`row_loss_backward` wherever
    the backend differentiates (``labels`` and ``values`` take no gradient)."""
    def forward(inputs: Any, weight_rows: Any, bias_rows: Any, labels: Any, values: Any, *,
                need_grad: bool) -> tuple:
        return row_loss_forward(kind, xp, inputs, labels, SampledValues(*values), weight_rows,
                                bias_rows, subtract_log_q, remove_accidental_hits, need_grad)

    return backend_for(xp).with_gradient(forward, partial(row_loss_backward, xp),
                                         (inputs, weight_rows, bias_rows),
                                         (labels, tuple(values)))
