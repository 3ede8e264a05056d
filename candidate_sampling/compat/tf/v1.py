"""``tf.compat.v1``: ``v1.nn.sampled_softmax_loss`` and ``v1.nn.nce_loss`` take
``partition_strategy`` ('mod' by default); ``v1.set_random_seed`` and ``v1.get_seed``
(also in ``v1.random``, with the samplers) are TensorFlow 1's names of the seed
functions, sharing :mod:`~candidate_sampling.compat.tf.random`'s global seed."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from . import random as _random
from .nn import compute_accidental_hits, nce_loss_with_stream, softmax_loss_with_stream
from .seed_state import get_seed, set_seed

__all__ = ["get_seed", "nn", "random", "set_random_seed"]


def sampled_softmax_loss(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int,
                         num_classes: int, num_true: int = 1, sampled_values: Any = None,
                         remove_accidental_hits: bool = True, partition_strategy: str = "mod",
                         name: str = "sampled_softmax_loss", seed: int | None = None) -> Any:
    """``tf.compat.v1.nn.sampled_softmax_loss`` (eager: the default sampler follows
    TensorFlow's stream, as :func:`candidate_sampling.compat.tf.nn.sampled_softmax_loss`)."""
    return softmax_loss_with_stream(weights, biases, labels, inputs, num_sampled, num_classes,
                                    num_true, sampled_values, remove_accidental_hits,
                                    partition_strategy, seed)


def nce_loss(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int,
             num_classes: int, num_true: int = 1, sampled_values: Any = None,
             remove_accidental_hits: bool = False, partition_strategy: str = "mod",
             name: str = "nce_loss") -> Any:
    """``tf.compat.v1.nn.nce_loss`` (eager: the default sampler follows TensorFlow's stream)."""
    return nce_loss_with_stream(weights, biases, labels, inputs, num_sampled, num_classes,
                                num_true, sampled_values, remove_accidental_hits,
                                partition_strategy)


def set_random_seed(seed: int | None) -> None:
    """``tf.compat.v1.set_random_seed``: in eager mode the same as ``tf.random.set_seed``
    (:func:`~candidate_sampling.compat.tf.random.set_seed`)."""
    set_seed(seed)


_SAMPLERS = {
    "uniform_candidate_sampler": _random.uniform_candidate_sampler,
    "log_uniform_candidate_sampler": _random.log_uniform_candidate_sampler,
    "learned_unigram_candidate_sampler": _random.learned_unigram_candidate_sampler,
    "fixed_unigram_candidate_sampler": _random.fixed_unigram_candidate_sampler,
    "all_candidate_sampler": _random.all_candidate_sampler,
}

random = SimpleNamespace(set_random_seed=set_random_seed, get_seed=get_seed, **_SAMPLERS)
"""``tf.compat.v1.random``: the samplers and the seed functions."""

nn = SimpleNamespace(
    sampled_softmax_loss=sampled_softmax_loss,
    nce_loss=nce_loss,
    compute_accidental_hits=compute_accidental_hits,
    **_SAMPLERS,
)
"""``tf.compat.v1.nn``."""
