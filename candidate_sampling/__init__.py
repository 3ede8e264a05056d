"""TensorFlow's and Paddle's candidate-sampling losses on any array library.

``sampled_softmax_loss``, ``nce_loss``, the contrib losses, Paddle's
``sampled_softmax_with_cross_entropy`` and the candidate samplers, written once against
the Python Array API: NumPy, PyTorch, JAX, CuPy arrays in, arrays of the same
library and device out, with TensorFlow's numbers in float32.

Front ends with the exact signatures of the originals are in
:mod:`candidate_sampling.compat` (``compat.tf``, ``compat.paddle``).
"""

from .core import (
    SampledValues,
    LearnedUnigramSampler,
    LogitsGrads,
    SampledGrads,
    all_candidate_sampler,
    compute_accidental_hits,
    compute_sampled_logits,
    fixed_unigram_candidate_sampler,
    learned_unigram_candidate_sampler,
    learned_unigram_step,
    log_uniform_candidate_sampler,
    nce_loss,
    nce_loss_and_grad,
    rank_sampled_softmax_loss,
    rank_sampled_softmax_loss_and_grad,
    sampled_softmax_loss,
    sampled_softmax_loss_and_grad,
    sampled_softmax_with_cross_entropy,
    sampled_softmax_with_cross_entropy_and_grad,
    sampled_sparse_softmax_loss,
    sampled_sparse_softmax_loss_and_grad,
    uniform_candidate_sampler,
)

__version__ = "0.1.0"

__all__ = [
    "SampledValues", "compute_accidental_hits", "compute_sampled_logits",
    "sampled_softmax_loss", "nce_loss", "sampled_sparse_softmax_loss",
    "rank_sampled_softmax_loss", "sampled_softmax_with_cross_entropy",
    "uniform_candidate_sampler", "log_uniform_candidate_sampler",
    "learned_unigram_candidate_sampler", "fixed_unigram_candidate_sampler",
    "all_candidate_sampler", "LearnedUnigramSampler", "learned_unigram_step",
    "sampled_softmax_loss_and_grad", "nce_loss_and_grad", "sampled_sparse_softmax_loss_and_grad",
    "rank_sampled_softmax_loss_and_grad", "sampled_softmax_with_cross_entropy_and_grad",
    "SampledGrads", "LogitsGrads", "__version__",
]
