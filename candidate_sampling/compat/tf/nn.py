"""``tf.nn`` (TensorFlow 2): the losses with 'div' partitioning, and ``compute_accidental_hits``."""

from __future__ import annotations

from typing import Any

from ...core import checks, losses
from ...core.hits import compute_accidental_hits as _hits
from ...core.logits import compute_sampled_logits, prepare
from ...core.namespace import namespace_of, required_namespace
from ...core.types import SampledValues
from . import seed_state
from .random import (
    all_candidate_sampler,
    fixed_unigram_candidate_sampler,
    learned_unigram_candidate_sampler,
    log_uniform_candidate_sampler,
    loss_ids,
    tensor_like,
    uniform_candidate_sampler,
)

__all__ = [
    "sampled_softmax_loss", "nce_loss", "compute_accidental_hits", "compute_sampled_logits",
    "uniform_candidate_sampler", "log_uniform_candidate_sampler",
    "learned_unigram_candidate_sampler", "fixed_unigram_candidate_sampler",
    "all_candidate_sampler",
]


_SAMPLER_NAMES = {"true_classes": "labels", "range_max": "num_classes",
                  "num_sampled": "num_sampled"}
"""The default sampler's arguments that are the loss's ``labels``, ``num_classes`` and
``num_sampled``."""


def tf_sampled_values(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int,
                      num_classes: int, num_true: int, sampled_values: Any,
                      remove_accidental_hits: bool, partition_strategy: str,
                      seed: int | None) -> SampledValues:
    """The sampled values of TensorFlow's ``_compute_sampled_logits``, with its draws.

    In TensorFlow's order, so that later calls see the same stream whether or not this
    one raises: with ``sampled_values=None``, first the unique log-uniform sample of
    :func:`log_uniform_candidate_sampler` (TensorFlow's stream for ``seed``; it checks
    its own arguments, and takes its op seed even where it then raises), then the
    loss's checks (of the weights, inputs, label values...: TensorFlow finds those
    after its sampler ran); then, with ``remove_accidental_hits``, the op seed that
    ``compute_accidental_hits`` takes (a draw of the global sequence when only the
    global seed is set).
    """
    remove_accidental_hits = checks.check_bool(remove_accidental_hits, "remove_accidental_hits")
    required_namespace(labels=labels)  # None or a list: TensorFlow fails on it before drawing
    if sampled_values is None:
        try:
            sampled_values = log_uniform_candidate_sampler(labels, num_true, num_sampled, True,
                                                           num_classes, seed=seed)
        except (TypeError, ValueError) as exc:  # named as the loss's own arguments
            message = str(exc)
            ours = next((name for name in _SAMPLER_NAMES if message.startswith(name)), None)
            if ours is None:
                raise
            rest = message[len(ours):].replace("range_max=", "num_classes=")
            raise type(exc)(_SAMPLER_NAMES[ours] + rest) from None
    _, _, values = prepare(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                           sampled_values, partition_strategy, None)
    if remove_accidental_hits:
        seed_state.get_seed(None)
    return values


def in_inputs_dtype(params: Any, inputs: Any) -> Any:
    """``params`` (an array or a list of shards), each floating array of another dtype
    than the floating ``inputs`` cast to theirs: TensorFlow casts the rows it gathers to
    the inputs' dtype (``_compute_sampled_logits``), so float64 weights or float16 biases
    work with float32 inputs, their gradients in their own dtype. Here the whole array
    is cast, a pass over it at each call (one dtype for all avoids it). Anything else
    is left as it is, for the loss's checks to name."""
    try:
        xp = namespace_of(params=params, inputs=inputs)
        floating = xp.isdtype(inputs.dtype, "real floating")
    except (AttributeError, TypeError, ValueError):
        return params
    if not floating:
        return params

    def cast(p: Any) -> Any:
        dtype = getattr(p, "dtype", None)
        if dtype is None or dtype == inputs.dtype or not xp.isdtype(dtype, "real floating"):
            return p
        return xp.astype(p, inputs.dtype)

    return [cast(p) for p in params] if isinstance(params, (list, tuple)) else cast(params)


def softmax_loss_with_stream(weights: Any, biases: Any, labels: Any, inputs: Any,
                             num_sampled: int, num_classes: int, num_true: int,
                             sampled_values: Any, remove_accidental_hits: bool,
                             partition_strategy: str, seed: int | None) -> Any:
    """Sampled softmax loss with TensorFlow's draws (:func:`tf_sampled_values`), the
    parameters in the inputs' dtype (:func:`in_inputs_dtype`), float or bool labels and
    candidates cast to ids (:func:`~candidate_sampling.compat.tf.random.loss_ids`)."""
    weights, biases = in_inputs_dtype(weights, inputs), in_inputs_dtype(biases, inputs)
    labels, sampled_values = loss_ids(labels, sampled_values)
    sampled_values = tf_sampled_values(weights, biases, labels, inputs, num_sampled, num_classes,
                                       num_true, sampled_values, remove_accidental_hits,
                                       partition_strategy, seed)
    return losses.sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes,
                                       num_true, sampled_values, remove_accidental_hits,
                                       partition_strategy=partition_strategy)


def nce_loss_with_stream(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int,
                         num_classes: int, num_true: int, sampled_values: Any,
                         remove_accidental_hits: bool, partition_strategy: str) -> Any:
    """NCE loss with TensorFlow's draws (:func:`tf_sampled_values`; ``nce_loss`` has no
    seed), the parameters and labels as :func:`softmax_loss_with_stream` takes them."""
    weights, biases = in_inputs_dtype(weights, inputs), in_inputs_dtype(biases, inputs)
    labels, sampled_values = loss_ids(labels, sampled_values)
    sampled_values = tf_sampled_values(weights, biases, labels, inputs, num_sampled, num_classes,
                                       num_true, sampled_values, remove_accidental_hits,
                                       partition_strategy, None)
    return losses.nce_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                           sampled_values, remove_accidental_hits,
                           partition_strategy=partition_strategy)


def sampled_softmax_loss(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int,
                         num_classes: int, num_true: int = 1, sampled_values: Any = None,
                         remove_accidental_hits: bool = True, seed: int | None = None,
                         name: str = "sampled_softmax_loss") -> Any:
    """``tf.nn.sampled_softmax_loss`` (TensorFlow 2): see
    :func:`candidate_sampling.sampled_softmax_loss`. ``name`` is accepted and ignored.

    The default sampler (``sampled_values=None``) and the seeds follow TensorFlow's
    stream (see :mod:`candidate_sampling.compat.tf.random`)."""
    return softmax_loss_with_stream(weights, biases, labels, inputs, num_sampled, num_classes,
                                    num_true, sampled_values, remove_accidental_hits, "div", seed)


def nce_loss(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int,
             num_classes: int, num_true: int = 1, sampled_values: Any = None,
             remove_accidental_hits: bool = False, name: str = "nce_loss") -> Any:
    """``tf.nn.nce_loss`` (TensorFlow 2): see :func:`candidate_sampling.nce_loss`.

    The default sampler draws its op seed as TensorFlow does (this loss has no seed)."""
    return nce_loss_with_stream(weights, biases, labels, inputs, num_sampled, num_classes,
                                num_true, sampled_values, remove_accidental_hits, "div")


def compute_accidental_hits(true_classes: Any, sampled_candidates: Any, num_true: int,
                            seed: int | None = None, name: str | None = None):
    """``tf.nn.compute_accidental_hits``: ``(indices, ids, weights)``.

    The result does not depend on ``seed``, but the op takes seeds as TensorFlow's does:
    with only the global seed set, a call draws the next op seed of the global sequence."""
    seed_state.get_seed(seed)
    return _hits(tensor_like(true_classes), tensor_like(sampled_candidates), num_true)


