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
import numbers
import os
from collections.abc import Sequence
from typing import Any

from ..backends import _base, backend_for, host_array
from . import checks, float32_draws
from .hits import first_occurrence
from .namespace import device_of, index_dtype, required_namespace
from .types import SampledValues
from .vocab import read_vocab_counts, shard_offset

__all__ = [
    "uniform_candidate_sampler", "log_uniform_candidate_sampler",
    "learned_unigram_candidate_sampler", "fixed_unigram_candidate_sampler",
    "all_candidate_sampler", "LearnedUnigramSampler", "learned_unigram_step",
    "unigram_counts_update", "unigram_weights", "expected_count", "read_vocab_counts",
    "seed_bits",
]



def expected_count(xp: Any, p: Any, num_tries: Any, num_sampled: int) -> Any:
    """Float32 expected count of classes of probability ``p`` after ``num_tries`` draws:
    ``p * num_sampled`` when ``num_tries == num_sampled``, else ``-expm1(tries * log1p(-p))``.
    ``num_tries`` may be a Python int or a scalar array (traced under ``jax.jit``); where
    its value is at hand (:meth:`~candidate_sampling.backends.Backend.host_int`) the
    count is chosen in Python. A negative one (a traced unique draw stopped at the draw
    limit, see :meth:`~candidate_sampling.backends.Backend.finish_draws`) gives NaN
    counts."""
    p = xp.astype(p, xp.float32)
    known = backend_for(xp).host_int(num_tries)
    if known is not None and known >= 0:
        return p * num_sampled if known == num_sampled else _after_tries(xp, p, known)
    if isinstance(num_tries, numbers.Integral):  # an array as it is: a batched one (under
        num_tries = xp.asarray(num_tries, device=device_of(p))  # jax.vmap) fails there
    tries = xp.astype(num_tries, xp.float32)
    count = xp.where(tries == num_sampled, p * num_sampled, _after_tries(xp, p, tries))
    return xp.where(tries >= 0, count, xp.asarray(float("nan"), dtype=xp.float32,
                                                  device=device_of(p)))


_BELOW_ONE = 1.0 - 2.0**-24
"""The largest float32 below 1."""


def _after_tries(xp: Any, p: Any, tries: Any) -> Any:
    """``-expm1(tries * log1p(-p))`` in float32, for ``tries`` >= 2 draws. A probability
    of 1 (a single class; or just above, rounded) is taken as the largest float32 below
    1, whose count rounds to 1 after two draws or more, as ``-expm1(-inf)`` would give:
    no ``log1p(-1)``, which NumPy warns of."""
    return -xp.expm1(tries * xp.log1p(-xp.clip(p, None, _BELOW_ONE)))


def _unique_draws(xp: Any, law: Any, num_sampled: int, stream: Any, device: Any):
    """The first ``num_sampled`` distinct values of a with-replacement stream of ``law``,
    and the number of draws that took ("tries").

    Draws come in blocks of fixed size; each loop step keeps the new values of one
    block in stream order. Every shape is static, so the loop runs traced (JAX). The
    blocks are as long as the first of the backends' own draws
    (:func:`~candidate_sampling.backends._base.first_block`)."""
    backend = backend_for(xp)
    ints = backend.int64(xp)
    size = num_sampled
    block = _base.first_block(size)
    slots = xp.arange(size, dtype=ints, device=device)
    positions = xp.arange(block, dtype=ints, device=device)

    # stop at the last whole block within the draw limit (tries fits int32)
    last_block = _base.MAX_TRIES // block

    possible = law.can_give(size)

    def cond(state):
        return (state[1] < size) & (state[3] < last_block) & possible

    def body(state):
        found, count, tries, index = state
        drawn = xp.astype(law.draw(stream, index, block), ints)
        # Empty slots hold -1, which no class id equals; the block's values are new when
        # they are the first of their value after the found ones.
        new = first_occurrence(xp, xp.concat([found, drawn]))[size:]
        rank = backend_for(xp).cumulative_sum(xp, xp.astype(new, ints))
        need = size - count
        keep = new & (rank <= need)
        complete = rank[-1] >= need
        last = xp.max(xp.where(keep, positions, xp.zeros_like(positions)))
        tries = tries + xp.where(complete, last + 1, xp.asarray(block, dtype=ints, device=device))
        # Place the kept values, in stream order, in slots count .. count + kept - 1.
        destination = xp.where(keep, rank - 1, xp.asarray(block, dtype=ints, device=device))
        ordered = xp.take(drawn, xp.argsort(destination, stable=True))
        kept = xp.minimum(rank[-1], need)
        offset = xp.clip(slots - count, 0, block - 1)
        fresh = (slots >= count) & (slots < count + kept)
        found = xp.where(fresh, xp.take(ordered, offset), found)
        return found, count + kept, tries, index + 1

    zero = xp.asarray(0, dtype=ints, device=device)
    start = (xp.full((size,), -1, dtype=ints, device=device), zero, zero, zero)
    # a first block of a law that cannot complete does no harm: no read before it
    found, count, tries, _ = backend.while_loop(cond, body, start, entered=last_block > 0)
    return found, backend.finish_draws(xp, count >= size, tries, size, last_block * block,
                                       lambda: possible)


def seed_bits(seed: int | None) -> int | None:
    """The 64 bits of a checked ``seed`` (:func:`~candidate_sampling.core.checks.check_seed`)
    as an int in ``[0, 2**64)``, what every backend seeds its generator with: ``-1`` and
    ``2**64 - 1`` are one seed, as for ``torch.manual_seed``."""
    return None if seed is None else seed % 2**64


def _draw(xp: Any, law: Any, num_sampled: int, unique: bool, seed: int | None, rng: Any,
          device: Any):
    """``(candidates, tries)`` for one sampler call."""
    backend = backend_for(xp)
    if seed is None and rng is None and backend.stages():
        raise ValueError(
            "seed, rng: neither given inside a function that JAX stages (jax.jit, lax.scan, "
            "...): fresh randomness would be drawn once, when the function is traced, and "
            "every call would draw the same sample. Pass a JAX key as rng, a new one each "
            "call (for a loss: sampled_values drawn with one), or a seed")
    stream = backend.random_stream(xp, seed_bits(seed), rng, device)
    if unique:
        if isinstance(law, (_Uniform, _LogUniform)):  # known from the sizes (also in a trace)
            checks.check_mean_tries(law.narrow_law, law.range_max, num_sampled)
        native = backend.unique_draws(xp, law, num_sampled, stream, device)
        return native if native is not None else _unique_draws(xp, law, num_sampled, stream, device)
    return law.draw(stream, 0, num_sampled), num_sampled


class _Law:
    """What every law gives the draws: ``draw(stream, index, n)``, ``n`` ids from block
    ``index`` of a stream. A law takes one uniform a draw (``sample``), or, where the
    widest float is float32, ``narrow_words()`` 32-bit words (``narrow_ids``,
    :mod:`~candidate_sampling.core.float32_draws`)."""

    def draw(self, stream: Any, index: Any, n: int) -> Any:
        """``n`` ids: ``sample`` of ``n`` uniforms, or ``narrow_ids`` of ``[k, n]`` words."""
        k = self.narrow_words()
        if not k:
            return self.sample(stream.uniform(index, n))
        return self.narrow_ids(self._words(stream, index, k, n), backend_for(self.xp).int64(self.xp))

    def attempt(self, stream: Any, index: Any, n: int) -> tuple[Any, Any]:
        """``(ids, stands)``: ``n`` attempts, those that stand draws of the law (``stands``
        None: all of them). From words a range law's attempt is one rejection round
        (:func:`~.float32_draws.attempts`), fewer words than a draw that must stand;
        otherwise an attempt is a draw."""
        k = self.narrow_attempt_words()
        if not k:
            return self.draw(stream, index, n), None
        return self.narrow_attempts(self._words(stream, index, k, n),
                                    backend_for(self.xp).int64(self.xp))

    def _words(self, stream: Any, index: Any, k: int, n: int) -> Any:
        """Block ``index`` of the stream as ``[k, n]`` words."""
        return self.xp.reshape(stream.words(index, k * n), (k, n))

    def narrow_words(self) -> int:
        """Words a draw takes where the widest float is float32; 0: one uniform, by
        ``sample``."""
        return 0

    def narrow_attempt_words(self) -> int:
        """Words an attempt takes where the widest float is float32; 0: an attempt is a
        draw."""
        return 0

    def can_give(self, num_sampled: int) -> Any:
        """Whether ``num_sampled`` distinct classes have positive probability: True for a
        law over a range (checked against ``range_max`` up front); a unigram law's 0-d
        array. A unique draw's loop runs only while it holds: where the weights cannot be
        read (under ``jax.jit``) a law of too few classes would otherwise run to the
        draw limit, hours of blocks, where it now stops at once (NaN counts)."""
        return True


def _narrow(xp: Any) -> bool:
    """Whether ``xp``'s widest float is float32 (JAX without ``jax_enable_x64``): its
    uniforms hold 23 random bits, too few for ``floor(u * range_max)`` over many classes
    (:mod:`~candidate_sampling.core.float32_draws`)."""
    return backend_for(xp).float64(xp) == xp.float32


class _RangeLaw(_Law):
    """A law over ``[0, range_max)`` defined by ``range_max`` alone.

    Every law splits into a hashable description and the arrays it holds
    (:meth:`split`), and is rebuilt from them (:meth:`join`), so that a backend may keep
    one compiled draw per description and pass the arrays as arguments."""

    narrow_law = ""
    """Its name in :mod:`~candidate_sampling.core.float32_draws`."""

    def __init__(self, xp: Any, range_max: int):
        self.xp, self.range_max = xp, range_max  # checked with the sampler's arguments

    def narrow_words(self) -> int:
        if not _narrow(self.xp):
            return 0
        return float32_draws.words_per_draw(self.narrow_law, self.range_max)

    def narrow_ids(self, words: Any, ints: Any) -> Any:
        """:func:`~.float32_draws.ids` of the law."""
        return float32_draws.ids(self.narrow_law, self.xp, words, self.range_max, ints)

    def narrow_attempt_words(self) -> int:
        if not _narrow(self.xp):
            return 0
        return float32_draws.words_per_attempt(self.narrow_law, self.range_max)

    def narrow_attempts(self, words: Any, ints: Any) -> tuple[Any, Any]:
        """:func:`~.float32_draws.attempts` of the law."""
        return float32_draws.attempts(self.narrow_law, self.xp, words, self.range_max, ints)

    def split(self) -> tuple[tuple, tuple]:
        """``(description, arrays)``: hashable, and the arrays of the law (none here)."""
        return (type(self), self.xp, self.range_max), ()

    @classmethod
    def join(cls, description: tuple, arrays: tuple) -> Any:
        """The law of ``description`` over ``arrays`` (:meth:`split`'s inverse)."""
        _, xp, range_max = description
        return cls(xp, range_max)


class _Uniform(_RangeLaw):
    """``p = 1 / range_max``."""

    narrow_law = "uniform"

    def sample(self, u: Any) -> Any:
        xp = self.xp
        v = xp.astype(xp.floor(u * self.range_max), backend_for(xp).int64(xp))
        return xp.minimum(v, xp.asarray(self.range_max - 1, dtype=v.dtype, device=device_of(v)))

    def probability(self, ids: Any) -> Any:
        xp = self.xp
        return xp.full(ids.shape, 1.0 / self.range_max, dtype=xp.float32, device=device_of(ids))


class _LogUniform(_RangeLaw):
    """``p(v) = log((v + 2) / (v + 1)) / log(range_max + 1)``; ``v = floor(exp(u L)) - 1``."""

    narrow_law = "log_uniform"

    def __init__(self, xp: Any, range_max: int):
        super().__init__(xp, range_max)
        self.log_range = math.log1p(range_max)

    def sample(self, u: Any) -> Any:
        xp = self.xp
        v = xp.astype(xp.exp(u * self.log_range), backend_for(xp).int64(xp)) - 1
        return v % self.range_max

    def probability(self, ids: Any) -> Any:
        """In float64 as TensorFlow computes it, ``log((v + 2) / (v + 1))``, below
        ``2**52``; above, where that quotient rounds to 1 (TensorFlow's counts are 0 from
        about ``2**53``, and its losses NaN), and in float32 (above ``2**24``), as
        ``log1p(1 / (v + 1))``."""
        xp = self.xp
        v = xp.astype(ids, backend_for(xp).float64(xp))
        if v.dtype == xp.float32:
            return xp.log1p(1.0 / (v + 1.0)) / self.log_range
        p = xp.log((v + 2.0) / (v + 1.0)) / self.log_range
        if self.range_max > 2**52:
            p = xp.where(v < 2.0**52, p, xp.log1p(1.0 / (v + 1.0)) / self.log_range)
        return xp.astype(p, xp.float32)


class _Unigram(_Law):
    """``p(v) = weights[v] / sum(weights)``, sampled by inverse CDF."""

    def __init__(self, xp: Any, weights: Any):
        self.xp = xp
        self.range_max = int(weights.shape[0])
        checks.check_memory(16 * self.range_max, "range_max",
                            "a unigram law over range_max classes (its weights and running sum)",
                            weights)
        wide = backend_for(xp).float64(xp)
        self.weights = xp.astype(weights, wide)
        self.cdf = backend_for(xp).cumulative_sum(xp, self.weights)
        self.total = self.cdf[-1]
        # float32 uniforms: a float32 running sum over the whole law resolves a class
        # only to 2**-24 of the total (a law over a million classes 12% uneven)
        self.blocks = float32_draws.unigram_blocks(xp, self.weights) if _narrow(xp) else ()

    def split(self) -> tuple[tuple, tuple]:
        """As :meth:`_RangeLaw.split`: the weights, their running sum and total (and the
        blocks of :func:`~.float32_draws.unigram_blocks` from float32 uniforms)."""
        return ((type(self), self.xp, self.range_max),
                (self.weights, self.cdf, self.total, *self.blocks))

    @classmethod
    def join(cls, description: tuple, arrays: tuple) -> "_Unigram":
        law = cls.__new__(cls)
        _, law.xp, law.range_max = description
        law.weights, law.cdf, law.total = arrays[:3]
        law.blocks = tuple(arrays[3:])
        return law

    def narrow_words(self) -> int:
        return 2 if self.blocks else 0

    def can_give(self, num_sampled: int) -> Any:
        """Whether ``num_sampled`` classes are drawable (:func:`~.checks.drawable`)."""
        xp = self.xp
        reach = checks.drawable(xp, self.weights, self.total)
        return xp.sum(xp.astype(reach, backend_for(xp).int64(xp))) >= num_sampled

    def narrow_ids(self, words: Any, ints: Any) -> Any:
        """:func:`~.float32_draws.unigram_ids` over the law's blocks."""
        return float32_draws.unigram_ids(self.xp, words, *self.blocks, self.range_max, ints)

    def sample(self, u: Any) -> Any:
        xp = self.xp
        v = xp.searchsorted(self.cdf, xp.astype(u, self.cdf.dtype) * self.total, side="right")
        v = xp.minimum(v, xp.asarray(self.cdf.shape[0] - 1, dtype=v.dtype, device=device_of(v)))
        return xp.astype(v, backend_for(xp).int64(xp))

    def probability(self, ids: Any) -> Any:
        xp = self.xp
        picked = xp.take(self.weights, xp.reshape(xp.astype(ids, index_dtype(xp, ids)), (-1,)))
        picked = xp.reshape(picked, ids.shape)
        if self.weights.dtype != xp.float32:
            return xp.astype(picked / self.total, xp.float32)
        # float32 weights (JAX without jax_enable_x64): XLA divides by multiplying with the
        # reciprocal, which is subnormal, and flushed to 0, for a total above 2**126; a total
        # that large is divided by 2**64 first, and the weights with it (exactly)
        scale = 2.0**64
        large = self.total > 2.0**100
        divisor = xp.where(large, self.total / scale, self.total)
        return xp.where(large, (picked / scale) / divisor, picked / divisor)


def _sample(xp: Any, law: Any, true_classes: Any, num_sampled: int, unique: bool,
            seed: int | None, rng: Any) -> SampledValues:
    """The draw and the expected counts of the true and sampled classes, computed for both
    at once (one set of small operations: a PyTorch sampler takes 0.93 of its time)."""
    candidates, tries = _draw(xp, law, num_sampled, unique, seed, rng, device_of(true_classes))
    dt = index_dtype(xp, true_classes, candidates)
    n_true = int(true_classes.shape[0]) * int(true_classes.shape[1])
    ids = xp.concat([xp.reshape(xp.astype(true_classes, dt), (-1,)), xp.astype(candidates, dt)])
    counts = expected_count(xp, law.probability(ids), tries, num_sampled)
    return SampledValues(xp.astype(candidates, backend_for(xp).int64(xp)),
                         xp.reshape(counts[:n_true], tuple(true_classes.shape)),
                         counts[n_true:])


_RANDOMNESS = """
    Randomness: ``seed`` or ``rng`` (a ``numpy.random.Generator``, ``torch.Generator``,
    JAX PRNG key or ``cupy.random.Generator``, matching ``true_classes``); neither draws
    fresh entropy (torch: its global generator); both is a ValueError naming them.
    ``seed`` is an int in ``[-2**63, 2**64 - 1]`` (what an int64 or a uint64 holds; an
    int outside is a ValueError naming it, anything not an int a TypeError); its 64
    bits, ``seed % 2**64``, seed the generator of every backend alike, so ``-1`` and
    ``2**64 - 1`` draw the same. Samples are made on the device of ``true_classes``, with
    static shapes, so the sampler also runs under ``jax.jit``.
"""


def uniform_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int, unique: bool,
                              range_max: int, seed: int | None = None, *,
                              rng: Any = None) -> SampledValues:
    """Samples a set of classes using a uniform base distribution over ``[0, range_max)``.

    Same arguments and outputs as ``tf.random.uniform_candidate_sampler``: with
    ``unique=True`` the sample is drawn with replacement until ``num_sampled`` distinct
    classes are found, and the expected counts account for the number of draws.
    """
    xp, num_sampled, unique, range_max, seed = checks.check_sampler_arguments(
        true_classes, num_true, num_sampled, unique, range_max, seed, rng=rng)
    return _sample(xp, _Uniform(xp, range_max), true_classes, num_sampled, unique, seed, rng)


def log_uniform_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int,
                                  unique: bool, range_max: int, seed: int | None = None, *,
                                  rng: Any = None) -> SampledValues:
    """Samples a set of classes using a log-uniform (Zipfian) base distribution.

    ``P(class) = (log(class + 2) - log(class + 1)) / log(range_max + 1)``: suited to class
    ids sorted by decreasing frequency. Same arguments and outputs as
    ``tf.random.log_uniform_candidate_sampler``.
    """
    return log_uniform_draw(true_classes, num_true, num_sampled, unique, range_max, seed, rng)


def log_uniform_draw(true_classes: Any, num_true: int, num_sampled: int, unique: bool,
                     range_max: int, seed: int | None, rng: Any,
                     check_values: bool = True) -> SampledValues:
    """:func:`log_uniform_candidate_sampler`; ``check_values=False`` for a caller that has
    already checked ``true_classes`` to lie in ``[0, range_max)`` (no second read)."""
    xp, num_sampled, unique, range_max, seed = checks.check_sampler_arguments(
        true_classes, num_true, num_sampled, unique, range_max, seed, check_values, rng=rng)
    return _sample(xp, _LogUniform(xp, range_max), true_classes, num_sampled, unique, seed, rng)


def unigram_counts_update(counts: Any, true_classes: Any) -> Any:
    """``counts`` plus one for every entry of ``true_classes`` (duplicates count twice).

    Each class seen gets its whole count added at once (as many as its entries, found in
    the sorted labels: O(n log n) for n labels), by the backend's scatter-add (NumPy's
    ``np.add.at``, ``Tensor.index_add``, JAX's ``.at[].add``), so the update touches n
    entries; the new array is a copy of the ``V`` counts, a memory-bound pass."""
    xp = required_namespace(counts=counts, true_classes=true_classes)
    labels = xp.sort(xp.reshape(true_classes, (-1,)))
    if labels.shape[0] == 0:
        return counts
    backend = backend_for(xp)
    seen = (xp.searchsorted(labels, labels, side="right")
            - xp.searchsorted(labels, labels, side="left"))
    first = xp.concat([xp.ones((1,), dtype=xp.bool, device=device_of(labels)),
                       labels[1:] != labels[:-1]])
    adds = xp.astype(xp.where(first, seen, xp.zeros_like(seen)), counts.dtype)
    return backend.scatter_add(xp, counts, backend.unread_ids(xp, labels, counts.shape[0]),
                               adds)


def learned_unigram_step(counts: Any, true_classes: Any, num_true: int, num_sampled: int,
                         unique: bool, seed: int | None = None, *,
                         rng: Any = None) -> tuple[SampledValues, Any]:
    """One call of a learned unigram sampler in functional form (for ``jax.jit``).

    Samples from ``counts`` (float ``[range_max]``, initially all ones), then returns the
    sampled values and the counts updated by ``true_classes``:
    ``(values, new_counts) = learned_unigram_step(counts, ...)``.

    A call costs O(range_max): the law's running sum and the counts' checks and update
    are passes over the ``range_max`` counts (TensorFlow's kernel keeps a tree of them,
    O(log range_max) a draw and an update). Counts whose update would wrap around (an
    integer dtype's largest value) or round away (past 2048 in float16, 2**24 in
    float32), or whose sum is infinite, are a ValueError naming ``counts``.
    """
    values = _learned_draw(counts, true_classes, num_true, num_sampled, unique, seed, rng)
    return values, unigram_counts_update(counts, true_classes)


def _learned_draw(counts: Any, true_classes: Any, num_true: int, num_sampled: int,
                  unique: bool, seed: int | None, rng: Any) -> SampledValues:
    """The draw of :func:`learned_unigram_step` from ``counts`` (checked), without the
    update."""
    xp = required_namespace(counts=counts, true_classes=true_classes)
    if not checks.isdtype(xp, counts, "counts", ("real floating", "integral")):
        raise TypeError(f"counts: expected a real array, got dtype {counts.dtype}")
    checks.check_ndim(counts, 1, "counts", "[range_max]")
    xp, num_sampled, unique, _, seed = checks.check_sampler_arguments(
        true_classes, num_true, num_sampled, unique, int(counts.shape[0]), seed, rng=rng)
    stats = backend_for(xp).read(  # one read
        lambda: host_array(checks.learned_count_stats(xp, counts, true_classes)))
    if stats is not None:
        checks.check_learned_counts("counts", stats, num_sampled, unique,
                                    checks.learned_count_limit(xp, counts.dtype),
                                    math.prod(true_classes.shape))
    return _sample(xp, _Unigram(xp, counts), true_classes, num_sampled, unique, seed, rng)


class LearnedUnigramSampler:
    """A learned unigram sampler that keeps its counts between calls, as a TensorFlow op does.

    Every class starts with count 1; after each call every true class (flattened,
    duplicates included) adds 1. Call it like the function form, without ``range_max``::

        sampler = LearnedUnigramSampler(range_max=10_000)
        values = sampler(labels, num_true=1, num_sampled=64, unique=True, seed=1)
    """

    def __init__(self, range_max: int):
        self.range_max = checks.check_int(range_max, "range_max", minimum=1,
                                          maximum=checks.MAX_RANGE)
        self.counts: Any = None

    def __call__(self, true_classes: Any, num_true: int, num_sampled: int, unique: bool,
                 seed: int | None = None, *, rng: Any = None) -> SampledValues:
        """Raises ``TypeError`` inside a function that JAX stages (``jax.jit``,
        ``lax.scan``, ...): the counts kept in Python would be a traced value, fixed for
        every later call; carry them with :func:`learned_unigram_step` there."""
        xp = required_namespace(true_classes=true_classes)
        if backend_for(xp).stages():
            raise TypeError("LearnedUnigramSampler: keeps its counts in Python between calls, "
                            "which a function that JAX stages (jax.jit, lax.scan, ...) cannot "
                            "update; carry the counts through learned_unigram_step there")
        if self.counts is None:
            self.counts = _initial_counts(xp, self.range_max, true_classes)
        values, self.counts = learned_unigram_step(self.counts, true_classes, num_true,
                                                   num_sampled, unique, seed, rng=rng)
        return values


def _initial_counts(xp: Any, range_max: int, true_classes: Any) -> Any:
    """A learned unigram sampler's first counts: ``range_max`` ones, float64 where the
    library has it, on the device of ``true_classes``."""
    # the counts, then the law's weights and running sum: three float64 arrays
    checks.check_memory(24 * range_max, "range_max",
                        "a learned unigram law over range_max classes", true_classes)
    return xp.ones((range_max,), dtype=backend_for(xp).float64(xp),
                   device=device_of(true_classes))


def learned_unigram_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int,
                                      unique: bool, range_max: int, seed: int | None = None, *,
                                      rng: Any = None) -> SampledValues:
    """Samples a set of classes from a unigram distribution learned from the true classes.

    This function form is one call of a fresh sampler (all counts 1, so the law is
    uniform); keep counts across calls with :class:`LearnedUnigramSampler` or
    :func:`learned_unigram_step`. Same arguments and outputs as
    ``tf.random.learned_unigram_candidate_sampler``.
    """
    xp, num_sampled, unique, range_max, seed = checks.check_sampler_arguments(
        true_classes, num_true, num_sampled, unique, range_max, seed, rng=rng)
    return _learned_draw(_initial_counts(xp, range_max, true_classes), true_classes,
                         num_true, num_sampled, unique, seed, rng)


def _given(unigrams: Any) -> bool:
    """Whether ``unigrams`` (a sequence, or an array: a 0-d one is refused later) holds
    any weight; a TypeError naming it for anything else (a number, a generator)."""
    if hasattr(unigrams, "shape") and hasattr(unigrams, "dtype"):
        return len(unigrams.shape) == 0 or math.prod(unigrams.shape) > 0
    try:
        return len(unigrams) > 0
    except TypeError:
        raise TypeError(f"unigrams: expected a sequence of numbers or a 1-D array, got "
                        f"{checks.described(unigrams)}") from None


def _counts_array(xp: Any, counts: Any, dtype: Any, device: Any) -> Any:
    """``counts`` (a sequence of numbers, or a 1-D real array) as a ``dtype`` array."""
    if hasattr(counts, "shape") and hasattr(counts, "dtype"):
        if backend_for(xp).is_concrete(counts):  # a traced one stays (batched by jax.vmap,
            counts = xp.asarray(counts, device=device)  # asarray fails on it)
        if counts.ndim != 1 or not xp.isdtype(counts.dtype, ("real floating", "integral")):
            raise TypeError(f"unigrams: expected a 1-D array of numbers, got shape "
                            f"{list(counts.shape)} and dtype {counts.dtype}")
        return xp.astype(counts, dtype)
    try:
        counts = xp.asarray(counts, dtype=dtype, device=device)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError("unigrams: expected a sequence of numbers") from None
    if counts.ndim != 1:
        raise TypeError(f"unigrams: expected a flat sequence of numbers, got shape "
                        f"{list(counts.shape)}")
    return counts


def _overflow_bound(distortion: float) -> float:
    """The count whose power ``distortion`` is twice float32's largest value: counts beyond
    it (above for a positive ``distortion``, below for a negative one) give weights that
    :func:`~candidate_sampling.core.checks.check_unigram_law` refuses, so they can be
    clipped to it, which keeps their power finite in float64 (and NumPy silent)."""
    exponent = math.log(2 * checks.FLOAT32_MAX) / distortion
    return math.inf if exponent > 700 else math.exp(exponent)


def unigram_weights(xp: Any, range_max: int, vocab_file: str | os.PathLike = "",
                    distortion: float = 1.0, num_reserved_ids: int = 0, num_shards: int = 1,
                    shard: int = 0, unigrams: Any = (), device: Any = None) -> Any:
    """The weights a fixed unigram sampler draws from (TensorFlow's rules), as an array of
    ``xp``'s widest float on ``device``.

    ``num_reserved_ids`` zeros, then the counts of ``vocab_file`` or ``unigrams`` (a
    sequence or an array) raised to ``distortion``; with ``num_shards > 1`` only ids with
    ``id % num_shards == shard``, so ``range_max`` and the true classes are shard-local
    (and only the lines of those ids are read from ``vocab_file``).
    The counts are checked in one read of their values and the weights in another (none
    inside a trace): weights or a sum beyond float32's range, TensorFlow's dtype for
    them, are refused (:func:`~candidate_sampling.core.checks.check_unigram_law`).
    """
    has_file = bool(vocab_file)
    has_list = _given(unigrams)
    if has_file == has_list:
        raise ValueError("vocab_file, unigrams: give exactly one of them")
    num_reserved_ids = checks.check_int(num_reserved_ids, "num_reserved_ids", minimum=0)
    num_shards = checks.check_int(num_shards, "num_shards", minimum=1)
    shard = checks.check_int(shard, "shard", minimum=0, maximum=num_shards - 1)
    distortion = checks.check_distortion(distortion)
    backend = backend_for(xp)
    wide = backend.float64(xp)
    reserved = len(range(shard, num_reserved_ids, num_shards))
    if has_file:  # only this shard's lines are read, as TensorFlow reads them
        counts = _counts_array(xp, read_vocab_counts(vocab_file, num_shards, shard,
                                                     num_reserved_ids), wide, device)
        every = counts
    else:
        every = _counts_array(xp, unigrams, wide, device)
        counts = every[shard_offset(num_shards, shard, num_reserved_ids)::num_shards]
    shard_size = reserved + int(counts.shape[0])
    if shard_size != range_max:
        raise ValueError(f"range_max: must equal the number of ids of this shard "
                         f"(num_reserved_ids + vocabulary size, every num_shards-th) = "
                         f"{shard_size}, got {range_max}")
    found = backend.read(lambda: (bool(xp.all((every >= 0) & xp.isfinite(every))),
                                  bool(xp.any(counts == 0))))
    if found is not None and not found[0]:
        raise ValueError("unigrams: every weight must be a finite number >= 0")
    # 0 ** distortion is 1 for distortion 0 (as C's pow), else 0 (a negative one is
    # refused below, or, inside a trace where the counts cannot be read, gives 0)
    nonzero = counts > 0
    base = xp.where(nonzero, counts, xp.ones_like(counts))
    if distortion != 0:  # a power past float32's range, refused below, stays finite here
        bound = xp.full_like(base, min(_overflow_bound(distortion), float(xp.finfo(wide).max)))
        base = xp.minimum(base, bound) if distortion > 0 else xp.maximum(base, bound)
    raised = base ** distortion
    raised = xp.where(nonzero, raised, xp.full_like(counts, float(distortion == 0)))
    weights = xp.concat([xp.zeros((reserved,), dtype=wide, device=device), raised])
    law = backend.read(lambda: (float(xp.max(weights)), float(xp.sum(weights))))
    if found is not None and law is not None:
        checks.check_unigram_law("vocab_file" if has_file else "unigrams", distortion,
                                 found[1], *law)
    return weights


def fixed_unigram_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int,
                                    unique: bool, range_max: int, vocab_file: str = "",
                                    distortion: float = 1.0, num_reserved_ids: int = 0,
                                    num_shards: int = 1, shard: int = 0,
                                    unigrams: Sequence[float] = (), seed: int | None = None, *,
                                    rng: Any = None) -> SampledValues:
    """Samples a set of classes using a provided (fixed) base distribution.

    Weights as :func:`unigram_weights` builds them, in the labels' library and on their
    device, at every call; same arguments and outputs as
    ``tf.random.fixed_unigram_candidate_sampler``, except that ``unigrams`` may also be a
    1-D array (of any library; a large vocabulary converts faster from one than from a
    list). A true class of weight 0 would get an expected count of 0 (and TensorFlow a
    NaN loss): it is refused with a ValueError.
    """
    xp, num_sampled, unique, range_max, seed = checks.check_sampler_arguments(
        true_classes, num_true, num_sampled, unique, range_max, seed, rng=rng)
    weights = backend_for(xp).outside_graph(unigram_weights)(
        xp, range_max, vocab_file, distortion, num_reserved_ids, num_shards, shard, unigrams,
        device_of(true_classes))
    law = _Unigram(xp, weights)
    found = backend_for(xp).read(lambda: (
        int(xp.count_nonzero(checks.drawable(xp, law.weights, law.total))),
        bool(xp.any(law.probability(true_classes) == 0))))
    if found is not None:  # one read of both checks
        positive, zero_true = found
        _check_unique_weighted(positive, num_sampled, unique)
        if zero_true:
            raise ValueError(zero_true_message("true_classes"))
    return _sample(xp, law, true_classes, num_sampled, unique, seed, rng)


_ZERO_TRUE = ("a true class has weight 0 under this fixed unigram distribution, or a share "
              "of the total weight too small for float32 (its expected count would be 0 and "
              "log Q infinite)")


def _check_unique_weighted(positive: int, num_sampled: int, unique: bool) -> None:
    """Refuse a unique sample of more classes than the ``positive`` ones a draw reaches."""
    if unique and num_sampled > positive:
        raise ValueError(f"num_sampled: must be at most the {positive} ids of nonzero "
                         f"weight {checks.DRAWABLE_CLASSES} when unique=True, got {num_sampled}")


def fixed_unigram_zero_classes(xp: Any, range_max: int, num_sampled: int, unique: bool,
                               device: Any = None, **law: Any) -> Any:
    """The checks :func:`fixed_unigram_candidate_sampler` makes of its law at every call,
    made once, eagerly: ``law`` holds its keyword arguments ``vocab_file``,
    ``distortion``, ``num_reserved_ids``, ``num_shards``, ``shard`` and ``unigrams``.

    For a caller that draws from the same law inside a trace, where the values are out of
    reach (a jitted step with the ``unigrams`` bound). Returns a bool ``[range_max]`` array
    of ``xp`` on ``device``: the classes of probability 0, which the sampler refuses as
    true classes (``ValueError: true_classes: ...``; :func:`zero_true_message` for the
    caller's own name of them)."""
    unigram = _Unigram(xp, unigram_weights(xp, range_max, device=device, **law))
    positive = int(xp.count_nonzero(checks.drawable(xp, unigram.weights, unigram.total)))
    _check_unique_weighted(positive, num_sampled, unique)
    ids = xp.arange(range_max, dtype=backend_for(xp).int64(xp), device=device)
    return unigram.probability(ids) == 0


def zero_true_message(name: str) -> str:
    """The ValueError message of a true class of probability 0, naming them ``name``."""
    return f"{name}: {_ZERO_TRUE}"


def all_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int, unique: bool,
                          seed: int | None = None, *, rng: Any = None) -> SampledValues:
    """Generates the set of all classes: ``0 .. num_sampled - 1``, expected counts 1.

    The true classes must lie in ``[0, num_sampled)``, as TensorFlow checks.

    Same arguments and outputs as ``tf.random.all_candidate_sampler`` (``seed`` or ``rng``
    is checked and unused).
    """
    xp, num_sampled, unique, _, seed = checks.check_sampler_arguments(
        true_classes, num_true, num_sampled, unique, num_sampled, seed, rng=rng)
    dev = device_of(true_classes)
    candidates = xp.arange(num_sampled, dtype=backend_for(xp).int64(xp), device=dev)
    return SampledValues(candidates,
                         xp.ones(true_classes.shape, dtype=xp.float32, device=dev),
                         xp.ones((num_sampled,), dtype=xp.float32, device=dev))


for _f in (uniform_candidate_sampler, log_uniform_candidate_sampler,
           learned_unigram_candidate_sampler, fixed_unigram_candidate_sampler,
           all_candidate_sampler, learned_unigram_step):
    _f.__doc__ = (_f.__doc__ or "") + _RANDOMNESS
del _f
