"""Paddle front end: ``paddle.fluid.layers.sampled_softmax_with_cross_entropy`` (1.8.5).

With ``seed != 0`` the default sampler is Paddle's own stream (``std::mt19937_64`` and
its log-uniform unique sampler, :mod:`.log_uniform`): the same negatives and expected
counts as Paddle, bit for bit, on every call. ``seed == 0`` draws fresh negatives on
every call, as Paddle does, from this library's log-uniform sampler.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ...core import sample_logits as _core
from .log_uniform import log_uniform_candidate_sampler, log_uniform_samples
from .mt19937_64 import MT19937_64

__all__ = ["sampled_softmax_with_cross_entropy", "log_uniform_samples",
           "log_uniform_candidate_sampler", "MT19937_64", "fluid"]


def sampled_softmax_with_cross_entropy(logits: Any, label: Any, num_samples: int, num_true: int = 1,
                                       remove_accidental_hits: bool = True,
                                       use_customized_samples: bool = False,
                                       customized_samples: Any = None,
                                       customized_probabilities: Any = None, seed: int = 0) -> Any:
    """``paddle.fluid.layers.sampled_softmax_with_cross_entropy`` of Paddle 1.8.5.

    The arguments, the math and the result are those of
    :func:`candidate_sampling.core.sample_logits.sampled_softmax_with_cross_entropy`
    (``[N, 1]`` losses in ``logits``' namespace and device). On the default path a
    nonzero ``seed`` draws Paddle's own negatives (:func:`log_uniform_samples`): the same
    on every call, equal to Paddle's ``Samples`` and ``Probabilities`` bit for bit.
    """
    return _core.sampled_softmax_with_cross_entropy(
        logits, label, num_samples, num_true, remove_accidental_hits, use_customized_samples,
        customized_samples, customized_probabilities, seed, seeded_sampler=log_uniform_samples)


fluid = SimpleNamespace(layers=SimpleNamespace(
    sampled_softmax_with_cross_entropy=sampled_softmax_with_cross_entropy))
"""``paddle.fluid.layers`` namespace for drop-in imports."""
