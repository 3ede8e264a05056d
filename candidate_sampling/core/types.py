"""Small value types shared by the samplers and the losses."""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["SampledValues"]


class SampledValues(NamedTuple):
    """What a candidate sampler returns (TensorFlow's ``*_candidate_sampler`` triple).

    Attributes:
      sampled_candidates: int ``[num_sampled]``, the sampled class ids.
      true_expected_count: float ``[batch_size, num_true]``, the expected number of
        times each true class would occur in the sample (Q of the true classes).
      sampled_expected_count: float ``[num_sampled]``, the same for each sampled class.
    """

    sampled_candidates: Any
    true_expected_count: Any
    sampled_expected_count: Any
