"""``tf.contrib.nn`` (TensorFlow 1.15): the rank-resampled and sparse sampled softmax losses."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ...backends import backend_for
from ...core import losses
from ...core.namespace import namespace_of
from .random import loss_ids

__all__ = ["rank_sampled_softmax_loss", "sampled_sparse_softmax_loss", "nn"]


def rank_sampled_softmax_loss(weights: Any, biases: Any, labels: Any, inputs: Any,
                              num_sampled: int, num_resampled: int, num_classes: int,
                              num_true: int, sampled_values: Any, resampling_temperature: float,
                              remove_accidental_hits: bool, partition_strategy: str,
                              name: str | None = None) -> Any:
    """``tf.contrib.nn.rank_sampled_softmax_loss``: see
    :func:`candidate_sampling.rank_sampled_softmax_loss`."""
    labels, sampled_values = loss_ids(labels, sampled_values)
    # TensorFlow's `if not sampled_values`: () and [] draw as None does
    empty = isinstance(sampled_values, (tuple, list)) and not sampled_values
    _check_default_draw(labels, None if empty else sampled_values)
    return losses.rank_sampled_softmax_loss(weights, biases, labels, inputs, num_sampled,
                                            num_resampled, num_classes, num_true, sampled_values,
                                            resampling_temperature, remove_accidental_hits,
                                            partition_strategy)


def sampled_sparse_softmax_loss(weights: Any, biases: Any, labels: Any, inputs: Any,
                                num_sampled: int, num_classes: int, sampled_values: Any = None,
                                remove_accidental_hits: bool = True,
                                partition_strategy: str = "mod",
                                name: str = "sampled_sparse_softmax_loss") -> Any:
    """``tf.contrib.nn.sampled_sparse_softmax_loss``."""
    labels, sampled_values = loss_ids(labels, sampled_values)
    _check_default_draw(labels, sampled_values)
    return losses.sampled_sparse_softmax_loss(weights, biases, labels, inputs, num_sampled,
                                              num_classes, sampled_values, remove_accidental_hits,
                                              partition_strategy)


def _check_default_draw(labels: Any, sampled_values: Any) -> None:
    """The contrib losses take no seed: with no ``sampled_values``, inside a function that
    JAX stages their default sampler would draw once, when traced (the native losses
    ask for a ``seed`` or ``rng`` there, which these signatures do not have)."""
    if sampled_values is not None:
        return
    try:
        xp = namespace_of(labels=labels)
    except TypeError:  # the loss's own checks name it
        return
    if backend_for(xp).stages():
        raise ValueError(
            "sampled_values: None inside a function that JAX stages (jax.jit, lax.scan, ...): "
            "this loss has no seed, and its default sampler would draw once, when the "
            "function is traced; pass sampled_values drawn with a JAX key, a new one each "
            "call (e.g. candidate_sampling.log_uniform_candidate_sampler(..., rng=key))")


nn = SimpleNamespace(rank_sampled_softmax_loss=rank_sampled_softmax_loss,
                     sampled_sparse_softmax_loss=sampled_sparse_softmax_loss)
"""``tf.contrib.nn``."""
