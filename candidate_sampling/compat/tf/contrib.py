"""``tf.contrib.nn`` (TensorFlow 1.15): the rank-resampled and sparse sampled softmax losses."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ...core import losses

__all__ = ["rank_sampled_softmax_loss", "sampled_sparse_softmax_loss", "nn"]


def rank_sampled_softmax_loss(weights: Any, biases: Any, labels: Any, inputs: Any,
                              num_sampled: int, num_resampled: int, num_classes: int,
                              num_true: int, sampled_values: Any, resampling_temperature: float,
                              remove_accidental_hits: bool, partition_strategy: str,
                              name: str | None = None) -> Any:
    """``tf.contrib.nn.rank_sampled_softmax_loss``: see
    :func:`candidate_sampling.rank_sampled_softmax_loss`."""
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
    return losses.sampled_sparse_softmax_loss(weights, biases, labels, inputs, num_sampled,
                                              num_classes, sampled_values, remove_accidental_hits,
                                              partition_strategy)


nn = SimpleNamespace(rank_sampled_softmax_loss=rank_sampled_softmax_loss,
                     sampled_sparse_softmax_loss=sampled_sparse_softmax_loss)
"""``tf.contrib.nn``."""
