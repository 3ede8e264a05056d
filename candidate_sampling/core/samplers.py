"""Candidate samplers with TensorFlow's laws and expected counts.

Each sampler returns :class:`SampledValues`. With ``unique=True`` a sampler draws with
replacement until it has ``num_sampled`` distinct values, counting the draws
("tries"); the expected count of a class of probability ``p`` is then
``-expm1(tries * log1p(-p))``, and ``p * num_sampled`` when ``tries == num_sampled``
(always so with ``unique=False``), computed in float32 as TensorFlow does.

Random draws come from the backend of ``true_classes`` and are made on its device.
"""

from __future__ import annotations

import math
import os
from typing import Any, Sequence

from ..backends import backend_for
from . import checks
from .namespace import device_of, namespace_of
from .types import SampledValues

__all__ = [
    "uniform_candidate_sampler", "log_uniform_candidate_sampler",
    "learned_unigram_candidate_sampler", "fixed_unigram_candidate_sampler",
    "all_candidate_sampler", "expected_count", "read_vocab_counts",
]

_MAX_RANGE = 2**62
"""Largest ``range_max`` accepted (ids and counts must fit int64 arithmetic)."""


def _chunk_seed(seed: int | None, index: int) -> int | None:
    """Seed of the ``index``-th chunk of draws of a seeded stream."""
    if seed is None:
        return None
    import numpy as np

    return int(np.random.SeedSequence([seed, index]).generate_state(1, dtype=np.uint64)[0] >> 1)


def expected_count(xp: Any, p: Any, num_tries: Any, num_sampled: int) -> Any:
    """Float32 expected count of classes of probability ``p`` after ``num_tries`` draws."""
    p = xp.astype(p, xp.float32)
    if int(num_tries) == num_sampled:
        return p * num_sampled
    return -xp.expm1(xp.asarray(float(num_tries), dtype=xp.float32) * xp.log1p(-p))


def _first_occurrence(xp: Any, values: Any) -> Any:
    """Boolean: True where ``values[k]`` does not occur before ``k``."""
    dev = device_of(values)
    order = xp.argsort(values, stable=True)
    ordered = xp.take(values, order)
    new = xp.concat([xp.ones((1,), dtype=xp.bool, device=dev), ordered[1:] != ordered[:-1]])
    return xp.take(new, xp.argsort(order))


def _draw(xp: Any, law: Any, num_sampled: int, unique: bool, seed: int | None, device: Any):
    """``(candidates, tries)``: ``num_sampled`` draws, or the first ``num_sampled`` distinct
    values of a with-replacement stream and the number of draws that took."""
    backend = backend_for(xp)
    if not unique:
        return law.sample(backend.uniform(xp, num_sampled, seed, device)), num_sampled
    stream = None
    chunk = max(2 * num_sampled, 64)
    index = 0
    while True:
        drawn = law.sample(backend.uniform(xp, chunk, _chunk_seed(seed, index), device))
        stream = drawn if stream is None else xp.concat([stream, drawn])
        new = _first_occurrence(xp, stream)
        distinct = int(xp.sum(xp.astype(new, xp.int32)))
        if distinct >= num_sampled:
            (positions,) = xp.nonzero(new)
            positions = positions[:num_sampled]
            tries = int(positions[-1]) + 1
            return xp.take(stream, positions), tries
        index += 1
        chunk *= 2


class _Uniform:
    def __init__(self, xp: Any, range_max: int):
        self.xp, self.range_max = xp, range_max

    def sample(self, u: Any) -> Any:
        xp = self.xp
        v = xp.astype(xp.floor(u * self.range_max), xp.int64)
        return xp.minimum(v, xp.asarray(self.range_max - 1, dtype=v.dtype))

    def probability(self, ids: Any) -> Any:
        xp = self.xp
        return xp.full(ids.shape, 1.0 / self.range_max, dtype=xp.float32, device=device_of(ids))


class _LogUniform:
    def __init__(self, xp: Any, range_max: int):
        self.xp, self.range_max = xp, range_max
        self.log_range = math.log1p(range_max)

    def sample(self, u: Any) -> Any:
        xp = self.xp
        return (xp.astype(xp.exp(u * self.log_range), xp.int64) - 1) % self.range_max

    def probability(self, ids: Any) -> Any:
        xp = self.xp
        v = xp.astype(ids, backend_for(xp).float64(xp))
        return xp.astype(xp.log((v + 2.0) / (v + 1.0)) / self.log_range, xp.float32)


class _Unigram:
    """Sampling proportional to ``weights`` (inverse CDF)."""

    def __init__(self, xp: Any, weights: Any):
        self.xp = xp
        wide = backend_for(xp).float64(xp)
        self.weights = xp.astype(weights, wide)
        self.total = xp.sum(self.weights)
        self.cdf = xp.cumulative_sum(self.weights)

    def sample(self, u: Any) -> Any:
        xp = self.xp
        v = xp.searchsorted(self.cdf, u * self.total, side="right")
        return xp.astype(xp.minimum(v, xp.asarray(self.cdf.shape[0] - 1, dtype=v.dtype)), xp.int64)

    def probability(self, ids: Any) -> Any:
        xp = self.xp
        return xp.astype(xp.take(self.weights, ids) / self.total, xp.float32)


def _checked(true_classes: Any, num_true: int, num_sampled: int, unique: bool, range_max: int,
             seed: int | None):
    xp = namespace_of(true_classes=true_classes)
    num_true = checks.check_int(num_true, "num_true", minimum=1)
    num_sampled = checks.check_int(num_sampled, "num_sampled", minimum=1)
    unique = checks.check_bool(unique, "unique")
    range_max = checks.check_int(range_max, "range_max", minimum=1, maximum=_MAX_RANGE)
    if seed is not None:
        seed = checks.check_int(seed, "seed")
    checks.check_int_array(xp, true_classes, "true_classes")
    checks.check_ndim(true_classes, 2, "true_classes", "[batch_size, num_true]")
    if int(true_classes.shape[1]) != num_true:
        raise ValueError(f"true_classes: second dimension must equal num_true={num_true}, got "
                         f"shape {list(true_classes.shape)}")
    if unique and num_sampled > range_max:
        raise ValueError(f"num_sampled: must be in [1, range_max={range_max}] when unique=True, "
                         f"got {num_sampled}")
    checks.check_ids_in_range(xp, true_classes, range_max, "true_classes")
    return xp, num_sampled, unique, seed


def _sample(xp: Any, law: Any, true_classes: Any, num_sampled: int, unique: bool,
            seed: int | None) -> SampledValues:
    candidates, tries = _draw(xp, law, num_sampled, unique, seed, device_of(true_classes))
    true_q = expected_count(xp, law.probability(true_classes), tries, num_sampled)
    sampled_q = expected_count(xp, law.probability(candidates), tries, num_sampled)
    return SampledValues(xp.astype(candidates, backend_for(xp).int64(xp)), true_q, sampled_q)


def uniform_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int, unique: bool,
                              range_max: int, seed: int | None = None) -> SampledValues:
    """Samples a set of classes using a uniform base distribution over ``[0, range_max)``.

    Same arguments and outputs as ``tf.random.uniform_candidate_sampler``.
    """
    xp, num_sampled, unique, seed = _checked(true_classes, num_true, num_sampled, unique,
                                             range_max, seed)
    return _sample(xp, _Uniform(xp, range_max), true_classes, num_sampled, unique, seed)


def log_uniform_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int,
                                  unique: bool, range_max: int,
                                  seed: int | None = None) -> SampledValues:
    """Samples a set of classes using a log-uniform (Zipfian) base distribution.

    ``P(class) = (log(class + 2) - log(class + 1)) / log(range_max + 1)``. Same
    arguments and outputs as ``tf.random.log_uniform_candidate_sampler``.
    """
    xp, num_sampled, unique, seed = _checked(true_classes, num_true, num_sampled, unique,
                                             range_max, seed)
    return _sample(xp, _LogUniform(xp, range_max), true_classes, num_sampled, unique, seed)


def learned_unigram_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int,
                                      unique: bool, range_max: int,
                                      seed: int | None = None) -> SampledValues:
    """Samples a set of classes from a unigram distribution learned from the true classes.

    Every class starts with count 1; this call samples from those counts (so the
    first call is uniform). Same arguments and outputs as
    ``tf.random.learned_unigram_candidate_sampler`` for a fresh op.
    """
    xp, num_sampled, unique, seed = _checked(true_classes, num_true, num_sampled, unique,
                                             range_max, seed)
    counts = xp.ones((range_max,), dtype=backend_for(xp).float64(xp), device=device_of(true_classes))
    return _sample(xp, _Unigram(xp, counts), true_classes, num_sampled, unique, seed)


def read_vocab_counts(vocab_file: str | os.PathLike) -> list[float]:
    """The counts of a vocabulary file: one entry per line, the count in the last
    comma-separated field (``word,count`` or ``count``)."""
    counts = []
    try:
        handle = open(vocab_file, encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"vocab_file: cannot read {os.fspath(vocab_file)!r}: {exc.strerror}") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            text = line.rstrip("\n")
            field = text.rsplit(",", 1)[-1].strip()
            try:
                value = float(field)
            except ValueError:
                raise ValueError(f"vocab_file: {os.fspath(vocab_file)}:{number}: expected "
                                 f"'<word>,<count>', got {text!r}") from None
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"vocab_file: {os.fspath(vocab_file)}:{number}: count must be "
                                 f"a finite number >= 0, got {field!r}")
            counts.append(value)
    return counts


def fixed_unigram_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int,
                                    unique: bool, range_max: int, vocab_file: str = "",
                                    distortion: float = 1.0, num_reserved_ids: int = 0,
                                    num_shards: int = 1, shard: int = 0,
                                    unigrams: Sequence[float] = (),
                                    seed: int | None = None) -> SampledValues:
    """Samples a set of classes using a provided (fixed) base distribution.

    Weights come from ``vocab_file`` (CSV, count in the last field) or ``unigrams``
    (exactly one of them), raised to the power ``distortion``; ``num_reserved_ids``
    ids of weight 0 come first; with ``num_shards > 1`` only the ids with
    ``id % num_shards == shard`` are kept (and returned as local indices). Same
    arguments and outputs as ``tf.random.fixed_unigram_candidate_sampler``.
    """
    xp, num_sampled, unique, seed = _checked(true_classes, num_true, num_sampled, unique,
                                             range_max, seed)
    has_file = bool(vocab_file)
    has_list = len(unigrams) > 0
    if has_file == has_list:
        raise ValueError("vocab_file, unigrams: give exactly one of them")
    num_reserved_ids = checks.check_int(num_reserved_ids, "num_reserved_ids", minimum=0)
    num_shards = checks.check_int(num_shards, "num_shards", minimum=1)
    shard = checks.check_int(shard, "shard", minimum=0, maximum=num_shards - 1)
    distortion = float(distortion)
    counts = read_vocab_counts(vocab_file) if has_file else [float(u) for u in unigrams]
    if any(not (c >= 0 and math.isfinite(c)) for c in counts):
        raise ValueError("unigrams: every weight must be a finite number >= 0")
    weights = [0.0] * num_reserved_ids + [c ** distortion for c in counts]
    if len(weights) != range_max:
        raise ValueError(f"range_max: must equal num_reserved_ids + vocabulary size = "
                         f"{len(weights)}, got {range_max}")
    weights = [w for i, w in enumerate(weights) if i % num_shards == shard]
    if not any(w > 0 for w in weights):
        raise ValueError("unigrams: the weights of this shard are all zero")
    table = xp.asarray(weights, dtype=backend_for(xp).float64(xp), device=device_of(true_classes))
    checks.check_ids_in_range(xp, true_classes, len(weights), "true_classes")
    return _sample(xp, _Unigram(xp, table), true_classes, num_sampled, unique, seed)


def all_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int, unique: bool,
                          seed: int | None = None) -> SampledValues:
    """Generates the set of all classes: ``0 .. num_sampled - 1``, expected counts 1.

    Same arguments and outputs as ``tf.random.all_candidate_sampler``.
    """
    xp, num_sampled, unique, seed = _checked(true_classes, num_true, num_sampled, unique,
                                             2**62, seed)
    dev = device_of(true_classes)
    candidates = xp.arange(num_sampled, dtype=backend_for(xp).int64(xp), device=dev)
    return SampledValues(candidates,
                         xp.ones(true_classes.shape, dtype=xp.float32, device=dev),
                         xp.ones((num_sampled,), dtype=xp.float32, device=dev))
