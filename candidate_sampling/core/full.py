"""The full losses that the sampled ones approximate, for evaluation and inference.

TensorFlow's documentation of ``sampled_softmax_loss`` and ``nce_loss`` says to train with
them and to evaluate with the loss over every class: the logits ``x W^T + b`` of all ``V``
classes, then ``softmax_cross_entropy_with_logits`` (sampled softmax) or the sum over the
classes of ``sigmoid_cross_entropy_with_logits`` (NCE), against labels that give each of
a row's ``T`` true classes ``1/T``, as the sampled losses do. These are those recipes.
They cost ``O(B V D)`` time and ``O(B V)`` memory: evaluate in batches.
"""

from __future__ import annotations

from typing import Any

from ..backends import backend_for
from . import checks
from .namespace import accumulation_dtype, device_of, required_namespace
from .row_loss import sigmoid_cross_entropy

__all__ = ["full_logits", "full_softmax_loss", "full_sigmoid_loss"]


def full_logits(weights: Any, biases: Any, inputs: Any) -> Any:
    """The logits of every class, ``inputs @ weights.T + biases``: ``[batch_size,
    num_classes]`` in the dtype of ``inputs``.

    Args:
      weights: ``[num_classes, dim]`` float array (one array, not shards).
      biases: ``[num_classes]``, of the dtype of ``weights``.
      inputs: ``[batch_size, dim]``, of that dtype too.
    """
    xp = required_namespace(weights=weights, biases=biases, inputs=inputs)
    _check_layer(xp, weights, biases, inputs)
    return backend_for(xp).linear(xp, inputs, weights, biases)


def _check_layer(xp: Any, weights: Any, biases: Any, inputs: Any) -> None:
    for name, x in (("weights", weights), ("biases", biases)):
        if isinstance(x, (list, tuple)):
            raise TypeError(f"{name}: expected one array; the full losses and logits do not "
                            f"take shards (concatenate them in the order of the class ids)")
    checks.check_same_device(xp, [("inputs", inputs), ("weights", weights), ("biases", biases)])
    for name, x in (("weights", weights), ("biases", biases), ("inputs", inputs)):
        checks.check_float_array(xp, x, name)
    checks.check_ndim(weights, 2, "weights", "[num_classes, dim]")
    checks.check_ndim(biases, 1, "biases", "[num_classes]")
    checks.check_ndim(inputs, 2, "inputs", "[batch_size, dim]")
    num_classes, dim = (int(d) for d in weights.shape)
    if int(biases.shape[0]) != num_classes:
        raise ValueError(f"biases: expected shape [num_classes] = [{num_classes}] (from "
                         f"weights), got {list(biases.shape)}")
    checks.check_inputs_dim(inputs, dim)
    checks.check_same_dtype([("weights", weights), ("biases", biases), ("inputs", inputs)],
                            backend_for(xp).casts_mixed_floats(inputs))


def _logits_and_targets(weights: Any, biases: Any, labels: Any, inputs: Any,
                        num_classes: int, num_true: int) -> tuple:
    """``(xp, logits [B, V] in the accumulation dtype, labels as index ids)``."""
    xp = required_namespace(weights=weights, biases=biases, labels=labels, inputs=inputs)
    num_classes = checks.check_int(num_classes, "num_classes", minimum=1)
    num_true = checks.check_int(num_true, "num_true", minimum=1)
    _check_layer(xp, weights, biases, inputs)
    checks.check_same_device(xp, [("inputs", inputs), ("labels", labels)])
    if int(weights.shape[0]) != num_classes:
        raise ValueError(f"weights: expected shape [num_classes, dim] with num_classes = "
                         f"{num_classes}, got {list(weights.shape)}")
    checks.check_labels(xp, labels, int(inputs.shape[0]), num_true, num_classes)
    logits = backend_for(xp).linear(xp, inputs, weights, biases)
    wide = accumulation_dtype(xp, logits.dtype)
    logits = xp.astype(logits, wide, copy=False)
    return xp, logits, xp.astype(labels, backend_for(xp).int64(xp), copy=False)


def full_softmax_loss(weights: Any, biases: Any, labels: Any, inputs: Any, num_classes: int,
                      num_true: int = 1) -> Any:
    """The softmax cross entropy over every class, which ``sampled_softmax_loss``
    approximates: TensorFlow's evaluation recipe ``softmax_cross_entropy_with_logits``
    of ``inputs @ weights.T + biases``, each true class of a row having target ``1/T``
    (a class given twice, ``2/T``).

    Args:
      weights: ``[num_classes, dim]`` float array (one array, not shards).
      biases: ``[num_classes]``.
      labels: int ``[batch_size, num_true]``, ids in ``[0, num_classes)``.
      inputs: ``[batch_size, dim]``.
      num_classes: the number of classes (rows of ``weights``).
      num_true: the number of target classes per row.

    Returns:
      ``[batch_size]`` losses in the dtype of ``inputs`` (reduced in float32 at least),
      differentiable wherever the arrays' library differentiates.
    """
    xp, logits, ids = _logits_and_targets(weights, biases, labels, inputs, num_classes,
                                          num_true)
    # TensorFlow's order: the logits shifted by their row's maximum before the true ones
    # are taken from the log of the row's sum, so that a confident row's small loss is not
    # lost to the rounding of large logits (log(total) + max - true gave 0 for 6e-6 at
    # logits near 1000)
    peak = backend_for(xp).stop_gradient(xp.max(logits, axis=1, keepdims=True))
    shifted = logits - xp.where(xp.isfinite(peak), peak, xp.zeros_like(peak))
    true = xp.mean(xp.take_along_axis(shifted, ids, axis=1), axis=1)
    total = xp.sum(xp.exp(shifted), axis=1)  # shifted once: not again by logsumexp
    return xp.astype(xp.log(total) - true, inputs.dtype, copy=False)


def full_sigmoid_loss(weights: Any, biases: Any, labels: Any, inputs: Any, num_classes: int,
                      num_true: int = 1) -> Any:
    """The sigmoid cross entropy summed over every class, which ``nce_loss``
    approximates: TensorFlow's evaluation recipe ``reduce_sum(sigmoid_cross_entropy_with_
    logits(labels, inputs @ weights.T + biases), axis=1)``, each true class of a row
    having target ``1/T``, as in ``nce_loss`` (a class given twice, ``2/T``), the others 0.

    Arguments and result as :func:`full_softmax_loss`.
    """
    xp, logits, ids = _logits_and_targets(weights, biases, labels, inputs, num_classes,
                                          num_true)
    # TensorFlow's form (max(x, 0) - x z) + log1p(exp(-|x|)) class by class: the sum of
    # softplus(x) less the true logits cancelled a confident row's small loss
    classes = xp.arange(int(logits.shape[1]), device=device_of(logits))[None, :]
    hits = sum(xp.astype(classes == ids[:, t:t + 1], logits.dtype) for t in range(num_true))
    terms = sigmoid_cross_entropy(xp, logits, hits * (1.0 / num_true))
    return xp.astype(xp.sum(terms, axis=1), inputs.dtype, copy=False)
