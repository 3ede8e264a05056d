"""Small value types shared by the samplers and the losses."""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["AccidentalHits", "SampledValues"]


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


class AccidentalHits(NamedTuple):
    """What ``compute_accidental_hits`` returns (TensorFlow's ``ComputeAccidentalHits``
    triple), one entry per hit.

    Attributes:
      indices: int32 ``[num_hits]``, the row of each hit.
      ids: int64 ``[num_hits]`` (int32 where the library has no int64 enabled), its
        position in ``sampled_candidates``.
      weights: float32 ``[num_hits]``, the lowest finite float32 (the mask's value).
    """

    indices: Any
    ids: Any
    weights: Any
