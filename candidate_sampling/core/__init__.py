"""Every sampler and loss, written once against the Python Array API.

Nothing in this package imports a framework; per-backend pieces are in
:mod:`candidate_sampling.backends`.
"""

from .gradients import (
    LogitsGrads,
    SampledGrads,
    nce_loss_and_grad,
    rank_sampled_softmax_loss_and_grad,
    sampled_softmax_loss_and_grad,
    sampled_softmax_with_cross_entropy_and_grad,
    sampled_sparse_softmax_loss_and_grad,
)
from .full import full_logits, full_sigmoid_loss, full_softmax_loss
from .hits import compute_accidental_hits
from .logits import compute_sampled_logits
from .losses import (
    nce_loss,
    rank_sampled_softmax_loss,
    sampled_softmax_loss,
    sampled_sparse_softmax_loss,
)
from .sample_logits import sampled_softmax_with_cross_entropy
from .samplers import (
    LearnedUnigramSampler,
    all_candidate_sampler,
    fixed_unigram_candidate_sampler,
    learned_unigram_candidate_sampler,
    learned_unigram_step,
    log_uniform_candidate_sampler,
    uniform_candidate_sampler,
)
from .types import AccidentalHits, SampledValues

__all__ = [
    "SampledValues", "AccidentalHits", "compute_accidental_hits", "compute_sampled_logits",
    "full_logits", "full_softmax_loss", "full_sigmoid_loss",
    "sampled_softmax_loss", "nce_loss", "sampled_sparse_softmax_loss",
    "rank_sampled_softmax_loss", "sampled_softmax_with_cross_entropy",
    "uniform_candidate_sampler", "log_uniform_candidate_sampler",
    "learned_unigram_candidate_sampler", "fixed_unigram_candidate_sampler",
    "all_candidate_sampler", "LearnedUnigramSampler", "learned_unigram_step",
    "sampled_softmax_loss_and_grad", "nce_loss_and_grad", "sampled_sparse_softmax_loss_and_grad",
    "rank_sampled_softmax_loss_and_grad", "sampled_softmax_with_cross_entropy_and_grad",
    "SampledGrads", "LogitsGrads",
]
