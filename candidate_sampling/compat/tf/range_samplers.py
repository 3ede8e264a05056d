"""TensorFlow's range samplers (``tensorflow/core/kernels/range_sampler.cc``) on Philox words.

Each sampler turns a :class:`~.philox.PhiloxStream` into draws exactly as the C++
``Sample`` does, many at a time, and gives each class's probability as the C++
``Probability`` computes it (float32). :func:`sample_batch` is
``SampleBatchGetExpectedCount``: ``num_sampled`` draws, or draws until ``num_sampled``
distinct values with the number of tries, then the expected counts.
"""

from __future__ import annotations

import math
import os
from typing import Protocol, Sequence

import numpy as np

from ...backends.numpy import first_distinct
from ...core import checks
from ...core.vocab import read_vocab_counts, shard_offset
from .count_tree import CountTree
from .floatmath import exp_floor, expm1f, float32_of, log1pf, powf
from .philox import (
    PhiloxStream,
    parse_draws,
    uint64_of,
    uniform_double,
    uniform_float,
    uniform_int_rule,
)

__all__ = [
    "RangeSampler", "UniformSampler", "LogUniformSampler", "UnigramSampler",
    "FixedUnigramSampler", "fixed_unigram_weights", "float32_distortion", "sample_batch",
    "expected_count", "check_drawable",
]

_KINT32MAX = 2**31 - 1


class RangeSampler(Protocol):
    """What :func:`sample_batch` needs of a sampler over ``[0, range)``."""

    range: int
    reachable: int
    """How many distinct values a draw can give (a bound for unique sampling)."""

    def draw(self, stream: PhiloxStream, start: int, count: int) -> tuple[np.ndarray, int]:
        """``count`` draws (int64) from word ``start`` on, and the word after the last."""

    def probability(self, values: np.ndarray) -> np.ndarray:
        """float32 probability of each value."""


def _accept_at_least(rem: int, bits: int):
    """Attempt filter of ``ExactUniformInt``: keep draws ``>= rem`` (``None``: keep all)."""
    if rem == 0:
        return None
    if bits == 32:
        low = np.uint32(rem)
        return lambda words: words[:, 0] >= low
    low64 = np.uint64(rem)
    return lambda words: uint64_of(words[:, 0], words[:, 1]) >= low64


class UniformSampler:
    """``UniformSampler``: ``Uniform64(range)``; probability ``float(1.0 / range)``."""

    def __init__(self, range_max: int):
        self.range = self.reachable = range_max
        rem, self._to_int = uniform_int_rule(range_max, 64)
        self._accept = _accept_at_least(rem, 64)

    def draw(self, stream: PhiloxStream, start: int, count: int) -> tuple[np.ndarray, int]:
        _, words, end = parse_draws(stream, start, count, 0, 2, self._accept)
        return self._to_int(uint64_of(words[:, 0], words[:, 1])).astype(np.int64), end

    def probability(self, values: np.ndarray) -> np.ndarray:
        return np.full(values.shape, np.float32(1.0 / self.range), dtype=np.float32)


class LogUniformSampler:
    """``LogUniformSampler``: ``(int64) exp(u * log1p(range)) - 1`` modulo ``range`` for a
    double ``u`` in ``[0, 1)``; probability ``log((v + 2) / (v + 1)) / log1p(range)``."""

    def __init__(self, range_max: int):
        self.range = self.reachable = range_max
        self.log_range = math.log1p(range_max)

    def draw(self, stream: PhiloxStream, start: int, count: int) -> tuple[np.ndarray, int]:
        _, words, end = parse_draws(stream, start, count, 0, 2, None)
        u = uniform_double(words[:, 0], words[:, 1])
        return (exp_floor(u * self.log_range) - 1) % self.range, end

    def probability(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=np.float64)
        flat = v.reshape(-1)

        def exact(i: int) -> float:
            return math.log((flat[i] + 2.0) / (flat[i] + 1.0)) / self.log_range

        return float32_of(np.log((v + 2.0) / (v + 1.0)) / self.log_range, exact)


class UnigramSampler:
    """``UnigramSampler`` (the learned unigram sampler): integer counts, all 1 at first,
    picked with ``Uniform(total)`` (32-bit) in a tree of their partial sums
    (:class:`~.count_tree.CountTree`, as TensorFlow's ``WeightedPicker``: O(log range) a
    pick and an update); ``update`` adds 1 per true class seen."""

    def __init__(self, range_max: int):
        # the counts, then their tree of partial sums: two int64 arrays
        checks.check_memory(16 * range_max, "range_max",
                            "a learned unigram sampler over range_max classes")
        self.range = self.reachable = range_max
        self.tree = CountTree(range_max)

    def draw(self, stream: PhiloxStream, start: int, count: int) -> tuple[np.ndarray, int]:
        rem, to_int = uniform_int_rule(self.tree.total, 32)
        _, words, end = parse_draws(stream, start, count, 0, 1, _accept_at_least(rem, 32))
        return self.tree.find(to_int(words[:, 0]).astype(np.int64)), end

    def probability(self, values: np.ndarray) -> np.ndarray:
        return self.tree.counts[values].astype(np.float32) / np.float32(self.tree.total)

    def update(self, values: np.ndarray) -> None:
        """Count the true classes of a call (at most up to a total of ``2**31 - 1``)."""
        values = np.asarray(values, dtype=np.int64).reshape(-1)
        self.tree.add(values[:max(0, min(values.size, _KINT32MAX - self.tree.total))])


def _alias_table(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``DistributionSampler``'s Walker alias table: ``(prob float32 [n], alt int64 [n])``,
    built in the same order with the same double arithmetic."""
    n = weights.size
    total = float(np.cumsum(weights.astype(np.float64))[-1])   # sequential, as the C++ loop
    scaled = ((weights * np.float32(n)).astype(np.float64) / total).tolist()
    alt = [-1] * n
    low = [i for i, p in enumerate(scaled) if p < 1.0]
    high = [i for i, p in enumerate(scaled) if not p < 1.0]
    while high and low:
        small, big = low.pop(), high.pop()
        alt[small] = big
        remaining = scaled[big] - (1.0 - scaled[small])
        scaled[big] = remaining
        (low if remaining < 1.0 else high).append(big)
    for idx in high + low:   # left over from rounding: keep themselves
        scaled[idx] = 1.0
        alt[idx] = idx
    return np.array(scaled, dtype=np.float64).astype(np.float32), np.array(alt, dtype=np.int64)


class FixedUnigramSampler:
    """``FixedUnigramSampler``: float32 weights drawn by ``DistributionSampler`` (a float
    then ``Uniform(n)``, 32-bit); probability ``weight / total`` in float32."""

    def __init__(self, weights: np.ndarray, total: np.float32):
        self.weights = np.asarray(weights, dtype=np.float32)
        self.range = self.weights.size
        self.total = np.float32(total)
        self._prob, self._alt = _alias_table(self.weights)
        drawn = np.zeros(self.range, dtype=bool)
        drawn[self._prob > 0] = True                  # k itself when r < prob[k]
        drawn[self._alt[self._prob < 1]] = True       # alt[k] otherwise
        self.reachable = int(drawn.sum())
        rem, self._to_int = uniform_int_rule(self.range, 32)
        self._accept = _accept_at_least(rem, 32)

    def draw(self, stream: PhiloxStream, start: int, count: int) -> tuple[np.ndarray, int]:
        heads, words, end = parse_draws(stream, start, count, 1, 1, self._accept)
        r = uniform_float(heads[:, 0])
        idx = self._to_int(words[:, 0]).astype(np.int64)
        return np.where(r < self._prob[idx], idx, self._alt[idx]), end

    def probability(self, values: np.ndarray) -> np.ndarray:
        return self.weights[values] / self.total


def fixed_unigram_weights(range_max: int, vocab_file: str | os.PathLike = "",
                          distortion: float = 1.0, num_reserved_ids: int = 0, num_shards: int = 1,
                          shard: int = 0, unigrams: Sequence[float] = ()
                          ) -> tuple[np.ndarray, np.float32]:
    """The float32 weights of TensorFlow's fixed unigram sampler and their float32 total.

    As ``FixedUnigramSampler``: the reserved ids of this shard get weight 0; the counts
    (``unigrams``, or the last field of each ``vocab_file`` line) are numbered on from the
    number of reserved ids *kept in this shard* (TensorFlow's numbering, which differs
    from the global id when ``num_shards > 1`` and ``num_reserved_ids`` is not a multiple
    of it) and kept where that number is ``shard`` modulo ``num_shards``; each kept count
    ``w`` becomes ``powf(w, distortion)``. ``range_max`` must equal the number of weights.

    TensorFlow keeps the counts, ``distortion``, the weights and their running total in
    float32; where one of them is infinite there (a count, a power or a sum past float32's
    largest value, or 0 raised to a negative ``distortion``), its probabilities are NaN or
    0. Such a law is refused with a ValueError
    (:func:`~candidate_sampling.core.checks.check_unigram_law`).
    """
    if bool(vocab_file) == (len(unigrams) > 0):
        raise ValueError("vocab_file, unigrams: give exactly one of them")
    num_reserved_ids = checks.check_int(num_reserved_ids, "num_reserved_ids", minimum=0)
    num_shards = checks.check_int(num_shards, "num_shards", minimum=1)
    shard = checks.check_int(shard, "shard", minimum=0, maximum=num_shards - 1)
    distortion32 = float32_distortion(distortion)
    reserved = len(range(shard, num_reserved_ids, num_shards))
    if vocab_file:  # only this shard's lines are read
        counts = np.asarray(read_vocab_counts(vocab_file, num_shards, shard, reserved),
                            dtype=np.float64)
    else:
        counts = np.asarray(unigrams, dtype=np.float64)
        if not np.all(np.isfinite(counts) & (counts >= 0)):
            raise ValueError("unigrams: every weight must be a finite number >= 0")
        counts = counts[shard_offset(num_shards, shard, reserved)::num_shards]
    with np.errstate(over="ignore"):  # a count past float32's range is refused below
        counts32 = counts.astype(np.float32)
    kept = powf(counts32, distortion32)
    if reserved + kept.size != range_max:
        raise ValueError(f"range_max: must equal the number of ids of this shard "
                         f"({reserved} reserved + {kept.size} weighted = {reserved + kept.size}), "
                         f"got {range_max}")
    with np.errstate(over="ignore"):  # an infinite total is refused below
        total = np.cumsum(kept, dtype=np.float32)[-1] if kept.size else np.float32(0)
    checks.check_unigram_law("vocab_file" if vocab_file else "unigrams", float(distortion32),
                             bool(np.any(counts32 == 0)), float(np.max(kept, initial=0.0)),
                             float(total))
    return np.concatenate([np.zeros(reserved, dtype=np.float32), kept]), total


def float32_distortion(distortion: float) -> np.float32:
    """``distortion`` as TensorFlow's float32 attribute: a real number, finite in float32."""
    value = checks.check_distortion(distortion)
    with np.errstate(over="ignore"):
        value32 = np.float32(value)
    if not np.isfinite(value32):
        raise ValueError(f"distortion: must be finite in float32 (TensorFlow's dtype for it), "
                         f"got {value}")
    return value32


def expected_count(p: np.ndarray, tries: int, num_sampled: int) -> np.ndarray:
    """``ExpectedCountHelper`` in float32: ``p * num_sampled`` when ``tries == num_sampled``,
    else ``-expm1f(tries * log1pf(-p))``."""
    p = np.asarray(p, dtype=np.float32)
    if tries == num_sampled:
        return p * np.float32(num_sampled)
    return -expm1f(np.float32(tries) * log1pf(-p))


def _unique_draws(sampler: RangeSampler, stream: PhiloxStream,
                  num_sampled: int) -> tuple[np.ndarray, int]:
    """The first ``num_sampled`` distinct draws, in order, and how many draws that took."""
    end = 0

    def draw(index: int, count: int) -> np.ndarray:
        nonlocal end
        values, end = sampler.draw(stream, end, count)
        return values

    return first_distinct(draw, num_sampled, 5 * num_sampled // 2 + 64)


def check_drawable(sampler: RangeSampler, num_sampled: int, unique: bool) -> None:
    """Refuse a unique sample larger than the number of ids the sampler can draw
    (TensorFlow would draw forever), or one whose mean number of draws passes the limit
    (:func:`~candidate_sampling.core.checks.check_mean_tries`)."""
    if unique and num_sampled > sampler.reachable:
        raise ValueError(f"num_sampled: must be at most the {sampler.reachable} ids that can be "
                         f"drawn (of nonzero weight) when unique=True, got {num_sampled}")
    law = {UniformSampler: "uniform", LogUniformSampler: "log_uniform"}.get(type(sampler))
    if unique and law:  # draws that would run to the limit of draws first
        checks.check_mean_tries(law, sampler.range, num_sampled)


def sample_batch(sampler: RangeSampler, stream: PhiloxStream, num_sampled: int, unique: bool,
                 true_classes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(sampled candidates int64, true expected counts, sampled expected counts)``, the
    counts float32 and shaped like their values."""
    check_drawable(sampler, num_sampled, unique)
    if unique:
        candidates, tries = _unique_draws(sampler, stream, num_sampled)
    else:
        candidates, _ = sampler.draw(stream, 0, num_sampled)
        tries = num_sampled
    true_q = expected_count(sampler.probability(true_classes), tries, num_sampled)
    sampled_q = expected_count(sampler.probability(candidates), tries, num_sampled)
    return candidates, true_q, sampled_q
