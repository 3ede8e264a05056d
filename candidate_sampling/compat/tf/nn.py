"""``tf.nn`` (TensorFlow 2): the losses with 'div' partitioning, and ``compute_accidental_hits``."""

from __future__ import annotations

from typing import Any

from ...core import losses
from ...core.hits import compute_accidental_hits as _hits
from ...core.logits import compute_sampled_logits
from ...core.types import SampledValues
from .random import (
    all_candidate_sampler,
    fixed_unigram_candidate_sampler,
    learned_unigram_candidate_sampler,
    log_uniform_candidate_sampler,
    uniform_candidate_sampler,
)

__all__ = [
    "sampled_softmax_loss", "nce_loss", "compute_accidental_hits", "compute_sampled_logits",
    "uniform_candidate_sampler", "log_uniform_candidate_sampler",
    "learned_unigram_candidate_sampler", "fixed_unigram_candidate_sampler",
    "all_candidate_sampler",
]


def sampled_softmax_loss(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int,
                         num_classes: int, num_true: int = 1, sampled_values: Any = None,
                         remove_accidental_hits: bool = True, seed: int | None = None,
                         name: str = "sampled_softmax_loss") -> Any:
    """``tf.nn.sampled_softmax_loss`` (TensorFlow 2): see
    :func:`candidate_sampling.sampled_softmax_loss`. ``name`` is accepted and ignored."""
    return losses.sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes,
                                       num_true, sampled_values, remove_accidental_hits, seed,
                                       partition_strategy="div")


def nce_loss(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int,
             num_classes: int, num_true: int = 1, sampled_values: Any = None,
             remove_accidental_hits: bool = False, name: str = "nce_loss") -> Any:
    """``tf.nn.nce_loss`` (TensorFlow 2): see :func:`candidate_sampling.nce_loss`."""
    return losses.nce_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                           sampled_values, remove_accidental_hits, partition_strategy="div")


def compute_accidental_hits(true_classes: Any, sampled_candidates: Any, num_true: int,
                            seed: int | None = None, name: str | None = None):
    """``tf.nn.compute_accidental_hits``: ``(indices, ids, weights)``. ``seed`` is accepted
    (TensorFlow takes one and uses none of it)."""
    return _hits(true_classes, sampled_candidates, num_true)


