"""Class ids drawn from float32 uniforms with the uniform, log-uniform and unigram laws
intact.

Where the widest float is float32 (JAX without ``jax_enable_x64``), the float64 recipes
``floor(u * range_max)`` and ``floor(exp(u * log(range_max + 1))) - 1`` go wrong: a
float32 uniform takes one of ``2**23`` values, so above a few thousand classes some ids
get one more of them than their neighbours (a uniform law over 200,000 classes is 2%
uneven, a log-uniform one 15% near its top), and above ``2**24`` whole ids are never
drawn (float32 holds no odd integer there). Here each draw spends a few uniforms
instead, each read as 23 exact random bits:

- uniform: a 31-bit integer ``m`` (two uniforms); ``m`` itself, shifted, when
  ``range_max`` is a power of 2, else ``m % range_max`` for the first ``m`` below the
  largest multiple of ``range_max`` (rejection: no id takes more values of ``m`` than
  another), over enough rounds that all fail with probability below :data:`FAILURE`
  (the last ``m % range_max`` is then kept, within ``range_max / 2**31`` of the law);
- log-uniform: ``p(v) = log((v + 2) / (v + 1)) / log(range_max + 1)``, so the ids
  ``k = v + 1`` of any interval ``[a, b)`` have the mass that the continuous law of
  density ``1 / (x log(range_max + 1))`` on ``[1, range_max + 1)`` gives it: ``k =
  floor(x)`` for ``x = (range_max + 1)**u`` is exact, bar the resolution of ``u``.
  Below 512 classes that one uniform is kept (every id then gets its probability to
  within 4e-4). Above, the law is extended to the end of the top octave's part (of
  256, ``[2**n (1 + j / 256), 2**n (1 + (j + 1) / 256))``) that holds ``range_max``,
  and an attempt takes four uniforms: one picks ``[1, 256)``, an octave ``[2**n,
  2**(n + 1))``, or the last region (the octave below the top and the top's parts), by
  ``floor(u log2(end))``; the next one the id in ``[1, 256)``, or the part, as
  ``floor(x)`` of the continuous law in the region; in a part ``[a, a + w)`` (``w`` a
  power of 2, at most ``a / 256``) the third gives ``k = a + floor(u w)``, and the
  fourth keeps it with probability ``log1p(1 / k) / log1p(1 / a)`` (at least 0.996) if
  ``k <= range_max``. A draw is the first of two attempts that stands; if neither does
  (at most one draw in 2.5e5), an attempt's ``k`` in range, else the second one's moved
  down by a top part's width. Every id keeps its probability to within 2e-4 (each
  uniform resolves ``2**23`` shares of its region), but for those of the part below
  the last one, which take that share when both attempts fall past ``range_max``
  (``log1p(1 / 256) / log(end)`` of the draws twice over): within 7e-4, far below
  what a sample can show.

- unigram (a law given by weights, fixed or learned): an inverse CDF over blocks of
  1,024 classes with one uniform, then over the classes of the block with another,
  each block's running sum its own: every id is resolved to ``2**-23`` of its block's
  mass and of the law's blocks (a float32 running sum of the whole law resolves ids only
  to ``2**-23`` of the total: a Zipf law over 200,000 classes failed a per-id test).

Each law takes a fixed number of uniforms per draw (:func:`uniforms_per_draw`), so the
shapes stay static under ``jax.jit``. A sampler that may drop an attempt (a unique draw,
which counts only the draws it keeps) takes single attempts (:func:`attempts`): one
rejection round, one log-uniform attempt of four uniforms; those that stand are exact
draws of the law, and the uniforms of a second attempt are not spent.
"""

from __future__ import annotations

import math
from typing import Any

from .namespace import device_of

__all__ = [
    "FAILURE",
    "UNIGRAM_BLOCK",
    "attempts",
    "ids",
    "log_uniform_ids",
    "uniform_ids",
    "uniforms_per_attempt",
    "uniforms_per_draw",
    "unigram_blocks",
    "unigram_ids",
]

FAILURE = 2.0**-24
"""Bound on the probability that every rejection round of a uniform draw fails."""

_BITS = 23
"""Random bits read from one float32 uniform in ``[0, 1)`` (a multiple of ``2**-23``)."""

_PARTS = 256
"""Parts of an octave of the log-uniform law; below ``_PARTS`` every id is a part."""

_PART_BITS = 8
"""``log2(_PARTS)``."""

_ATTEMPTS = 2
"""Attempts of a log-uniform draw (from 512 classes on)."""

_ATTEMPT_UNIFORMS = 4
"""Uniforms of an attempt: region, part, id in the part, whether it stands."""


def _rounds(reject: float) -> int:
    """Rounds after which all reject with probability at most :data:`FAILURE`."""
    if reject <= 0.0:
        return 1
    return max(1, math.ceil(math.log(FAILURE) / math.log(reject)))


def _uniform_plan(range_max: int) -> tuple[int, int]:
    """``(rounds, limit)`` of the uniform law: ``m < limit`` is kept (``limit`` 0: a
    power of 2, ``m`` is shifted)."""
    if range_max & (range_max - 1) == 0:
        return 1, 0
    limit = range_max * (2**31 // range_max)
    return _rounds((2**31 - limit) / 2**31), limit


def uniforms_per_draw(law: str, range_max: int) -> int:
    """Uniforms one draw of ``law`` (``'uniform'`` or ``'log_uniform'``) takes."""
    if law == "uniform":
        return 2 * _uniform_plan(range_max)[0]
    return 1 if range_max < 2 * _PARTS else _ATTEMPTS * _ATTEMPT_UNIFORMS


def _bits(xp: Any, u: Any, bits: int, ints: Any) -> Any:
    """``floor(u * 2**bits)``: ``bits <= 23`` exact random bits of float32 uniforms."""
    return xp.astype(xp.floor(u * float(2**bits)), ints)


def _word31(xp: Any, high: Any, low: Any, ints: Any) -> Any:
    """A uniform integer in ``[0, 2**31)`` from two uniforms (23 bits, then 8)."""
    return _bits(xp, high, _BITS, ints) * 256 + _bits(xp, low, 8, ints)


def uniform_ids(xp: Any, u: Any, range_max: int, ints: Any) -> Any:
    """Uniform ids in ``[0, range_max)`` from ``u`` of shape ``[uniforms_per_draw, n]``."""
    rounds, limit = _uniform_plan(range_max)
    if limit == 0:
        shift = 31 - (range_max.bit_length() - 1)
        return xp.bitwise_right_shift(_word31(xp, u[0, ...], u[1, ...], ints),
                                      xp.asarray(shift, dtype=ints))
    words = [_word31(xp, u[2 * r, ...], u[2 * r + 1, ...], ints) for r in range(rounds)]
    return _first_kept(xp, [(m % range_max, m < limit) for m in words], words[-1] % range_max)


def _first_kept(xp: Any, tries: list, fallback: Any) -> Any:
    """The candidate of the first ``(candidate, kept)`` of ``tries`` that is kept, draw by
    draw; ``fallback`` where none is."""
    out = fallback
    for candidate, kept in reversed(tries):
        out = xp.where(kept, candidate, out)
    return out


def _log_uniform_extent(range_max: int) -> tuple[int, int]:
    """``(top_octave, end)``: the octave of ``range_max``, and the end of the part of it
    that holds ``range_max`` (the extended law's ``[1, end)``)."""
    top_octave = range_max.bit_length() - 1
    width = 2**max(top_octave - _PART_BITS, 0)
    return top_octave, -(-(range_max + 1) // width) * width


def _part(xp: Any, share: Any, ints: Any) -> Any:
    """``floor(256 (2**share - 1))``, in ``[0, 256)``: the part of an octave in whose
    mass the ``share`` (in ``[0, 1)``) of the octave's mass falls (parts ``[1 + j / 256,
    1 + (j + 1) / 256)`` of ``[1, 2)`` have the masses ``log2((257 + j) / (256 + j))``)."""
    j = xp.floor((xp.exp2(share) - 1.0) * float(_PARTS))
    return xp.astype(xp.clip(j, 0.0, float(_PARTS - 1)), ints)


def _log_uniform_attempt(xp: Any, u: Any, range_max: int, ints: Any) -> tuple:
    """``(k, kept)`` of one attempt from the four uniforms ``u[0:4]`` (``range_max`` of
    512 or more): an id ``k = v + 1`` of the extended law, and whether it stands."""
    top_octave, end = _log_uniform_extent(range_max)
    f32 = u.dtype
    log_end = math.log2(end)
    last_octave = top_octave - 1  # the last region: octaves top - 1 and top, up to end
    last_scale = log_end - last_octave
    u_region, u_part, u_offset, u_keep = (u[i, ...] for i in range(_ATTEMPT_UNIFORMS))
    octave = xp.astype(xp.floor(u_region * log_end), ints)
    head = octave < _PART_BITS
    last = octave >= last_octave
    # the last region's share of its mass, in octaves from 2**(top - 1)
    y = u_part * last_scale
    upper = last & (y >= 1.0)
    share = xp.where(last, xp.where(upper, y - 1.0, y), u_part)
    octave = xp.where(last, xp.where(upper, top_octave, last_octave), octave)
    part = _part(xp, share, ints)
    one = xp.ones_like(octave)
    bits = xp.clip(octave - _PART_BITS, 0, None)
    start = xp.bitwise_left_shift(one, octave) + part * xp.bitwise_left_shift(one, bits)
    in_head = xp.clip(xp.astype(xp.exp2(u_part * float(_PART_BITS)), ints), 1, _PARTS - 1)
    start = xp.where(head, in_head, start)
    width = xp.where(head, xp.ones_like(start), xp.bitwise_left_shift(one, bits))
    k = start + xp.astype(xp.floor(u_offset * xp.astype(width, f32)), ints)
    keep = (u_keep * xp.log1p(1.0 / xp.astype(start, f32))
            < xp.log1p(1.0 / xp.astype(k, f32)))
    return k, keep & (k <= range_max)


def _log_uniform_single(xp: Any, u: Any, range_max: int, ints: Any) -> Any:
    """Below 512 classes, every id a part of its own: ``floor(end**u) - 1`` of ``u[0]``."""
    k = xp.astype(xp.exp2(u[0, ...] * math.log2(range_max + 1)), ints)
    return xp.clip(k, 1, range_max) - 1


def log_uniform_ids(xp: Any, u: Any, range_max: int, ints: Any) -> Any:
    """Log-uniform ids ``v`` in ``[0, range_max)`` from ``u`` of shape
    ``[uniforms_per_draw, n]`` (module docstring)."""
    top_octave, _ = _log_uniform_extent(range_max)
    if top_octave <= _PART_BITS:
        return _log_uniform_single(xp, u, range_max, ints)
    tries = [_log_uniform_attempt(xp, u[first:first + _ATTEMPT_UNIFORMS, ...], range_max, ints)
             for first in range(0, _ATTEMPTS * _ATTEMPT_UNIFORMS, _ATTEMPT_UNIFORMS)]
    # none stands (at most one draw in 2.5e5): the first id in range, unkept, or else the
    # last one moved down by a top part's width, to an id that the extended top part's
    # share past range_max spreads evenly over
    in_range = _first_kept(xp, [(k, k <= range_max) for k, _ in tries],
                           tries[-1][0] - 2**(top_octave - _PART_BITS))
    return _first_kept(xp, tries, in_range) - 1


def ids(law: str, xp: Any, u: Any, range_max: int, ints: Any) -> Any:
    """:func:`uniform_ids` (``law`` ``'uniform'``) or :func:`log_uniform_ids`."""
    return (uniform_ids if law == "uniform" else log_uniform_ids)(xp, u, range_max, ints)


def uniforms_per_attempt(law: str, range_max: int) -> int:
    """Uniforms one attempt of :func:`attempts` takes."""
    if law == "uniform":
        return 2
    return 1 if range_max < 2 * _PARTS else _ATTEMPT_UNIFORMS


def attempts(law: str, xp: Any, u: Any, range_max: int, ints: Any) -> tuple[Any, Any]:
    """``(ids, stands)`` of single attempts from ``u`` of shape ``[uniforms_per_attempt,
    n]``: one rejection round of the uniform law, one attempt of the log-uniform law;
    ``stands`` is None where every attempt stands. The attempts that stand are draws of
    the law; a sampler that drops the others (a unique draw, which counts only the draws
    it keeps) spends fewer uniforms a draw than :func:`ids`, which must give one id per
    draw."""
    if law == "uniform":
        _, limit = _uniform_plan(range_max)
        if limit == 0:
            return uniform_ids(xp, u, range_max, ints), None
        m = _word31(xp, u[0, ...], u[1, ...], ints)
        return m % range_max, m < limit
    top_octave, _ = _log_uniform_extent(range_max)
    if top_octave <= _PART_BITS:
        return _log_uniform_single(xp, u, range_max, ints), None
    k, stands = _log_uniform_attempt(xp, u, range_max, ints)
    return k - 1, stands


UNIGRAM_BLOCK = 1024
"""Classes per block of a unigram law drawn from float32 uniforms."""


def unigram_blocks(xp: Any, weights: Any) -> tuple[Any, Any]:
    """``(block_cdf [nb], inner_cdf [nb * 1024])`` of float32 ``weights [V]`` in blocks of
    :data:`UNIGRAM_BLOCK` classes: the running sum of the blocks' totals, and each
    block's running sum over its total (1 past its last class, and in a block of total
    0, which is never drawn)."""
    size = int(weights.shape[0])
    blocks = -(-size // UNIGRAM_BLOCK)
    padded = xp.concat([weights, xp.zeros((blocks * UNIGRAM_BLOCK - size,), dtype=weights.dtype,
                                          device=device_of(weights))])
    rows = xp.reshape(padded, (blocks, UNIGRAM_BLOCK))
    totals = xp.sum(rows, axis=1)
    inner = xp.cumulative_sum(rows, axis=1)
    positive = totals > 0
    safe = xp.where(positive, totals, xp.ones_like(totals))
    inner = xp.where(positive[:, None], inner / safe[:, None], xp.ones_like(inner))
    # float32 rounding may leave a block's last sum a little below 1
    last = xp.arange(UNIGRAM_BLOCK, device=device_of(weights)) == UNIGRAM_BLOCK - 1
    inner = xp.where(last[None, :], xp.ones_like(inner), inner)
    return xp.cumulative_sum(totals), xp.reshape(inner, (-1,))


def unigram_ids(xp: Any, u: Any, block_cdf: Any, inner_cdf: Any, size: int, ints: Any) -> Any:
    """Ids in ``[0, size)`` of the unigram law of :func:`unigram_blocks` from ``u`` of
    shape ``[2, n]``: the block by the first uniform against the blocks' running sum,
    the class by a binary search of the second in the block's own (so each is resolved
    to ``2**-23`` of its block's mass or of its own block's, not of the whole law's)."""
    blocks = int(block_cdf.shape[0])
    block = xp.searchsorted(block_cdf, u[0, ...] * block_cdf[-1], side="right")
    block = xp.astype(xp.clip(block, 0, blocks - 1), ints)
    low = xp.zeros_like(block)
    high = xp.full_like(block, UNIGRAM_BLOCK - 1)
    base = block * UNIGRAM_BLOCK
    for _ in range(UNIGRAM_BLOCK.bit_length() - 1):  # the first class whose sum exceeds u
        middle = (low + high) // 2
        above = xp.take(inner_cdf, base + middle) > u[1, ...]
        high = xp.where(above, middle, high)
        low = xp.where(above, low, middle + 1)
    return xp.clip(base + low, 0, size - 1)
