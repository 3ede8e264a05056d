"""Class ids drawn from 32-bit random words with the uniform, log-uniform and unigram
laws intact, where the widest float is float32.

Where the widest float is float32 (JAX without ``jax_enable_x64``), the float64 recipes
``floor(u * range_max)`` and ``floor(exp(u * log(range_max + 1))) - 1`` go wrong: a
float32 uniform takes one of ``2**23`` values, so above a few thousand classes some ids
get one more of them than their neighbours (a uniform law over 200,000 classes is 2%
uneven, a log-uniform one 15% near its top), and above ``2**24`` whole ids are never
drawn (float32 holds no odd integer there). Here each draw reads uint32 random words
(:meth:`~candidate_sampling.backends.Stream.words`) with integer operations:

- uniform: a word ``m`` itself, shifted, when ``range_max`` is a power of 2, else ``m %
  range_max`` for the first ``m`` below the largest multiple of ``range_max`` under
  ``2**32`` (rejection: no id takes more values of ``m`` than another), over enough
  rounds (a word each) that all fail with probability below :data:`FAILURE` (the last
  ``m % range_max`` is then kept, within ``range_max / 2**32`` of the law);
- log-uniform: ``p(v) = log((v + 2) / (v + 1)) / log(range_max + 1)``, so the ids ``k =
  v + 1`` of any interval ``[a, b)`` have the mass that the continuous law of density
  ``1 / (x log(range_max + 1))`` on ``[1, range_max + 1)`` gives it. The law is
  extended to the end of the top octave's part (of 256, ``[2**n (1 + j / 256), 2**n (1 +
  (j + 1) / 256))``) that holds ``range_max``, and cut in cells: the ids below 256, and
  the 256 parts of each octave from ``2**8`` up (below 512 classes, every cell one id).
  An attempt picks a cell with one word by its envelope, as many ids as it holds of the
  mass of its first one (Walker's alias table over the cells, padded to ``2**c``: the
  word's top ``c`` bits name a cell, its other bits, at least 19, choose between it and
  its alias, so that every cell's share is resolved to ``2**-32``; a cell of one id has
  its own mass, and below 512 classes that is the draw), and in a cell ``[a, a + w)``
  (``w`` a power of 2, at most ``a / 256``) the id ``k = a + r`` by ``r``, the low bits
  of a second word; it keeps ``k`` with probability ``log1p(1 / k) / log1p(1 / a)`` (at
  least 0.996) by a uniform of the second word's top 17 bits (below ``2**24`` classes,
  where ``r`` takes at most 15; above, 24 bits of a third word), and only if ``k <=
  range_max``. A cell's ids follow from its index, and ``log1p(1 / k)`` from its series
  (``k >= 512``), so an attempt costs one small gather and a few integer and float
  operations. A draw is the first of two attempts that stands; if neither does (at most
  one draw in 2.5e5), an attempt's ``k`` in range, else the second one's moved down by
  a top part's width. Every id keeps its probability to within 1e-5 (the cells' shares
  resolved to ``2**-32``, the keep test to ``2**-17``), but for those of the part below
  the last one, which take
  that share when both attempts fall past ``range_max`` (``log1p(1 / 256) / log(end)``
  of the draws twice over): within 7e-4, far below what a sample can show.
- unigram (a law given by weights, fixed or learned): an inverse CDF over blocks of
  1,024 classes with one uniform, then over the classes of the block with another (24
  bits of a word each), each block's running sum its own: every id is resolved to
  ``2**-24`` of its block's mass and of the law's blocks (a float32 running sum of the
  whole law resolves ids only to ``2**-24`` of the total: a Zipf law over 200,000 classes
  failed a per-id test).

Each law takes a fixed number of words per draw (:func:`words_per_draw`), so the shapes
stay static under ``jax.jit``. A sampler that may drop an attempt (a unique draw, which
counts only the draws it keeps) takes single attempts (:func:`attempts`): one rejection
round, one log-uniform attempt; those that stand are exact draws of the law, and the
words of a second attempt are not spent.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from .namespace import device_of

__all__ = [
    "FAILURE",
    "UNIGRAM_BLOCK",
    "attempts",
    "ids",
    "log_uniform_cells",
    "log_uniform_ids",
    "uniform_ids",
    "uniforms",
    "unigram_blocks",
    "unigram_ids",
    "words_per_attempt",
    "words_per_draw",
]

FAILURE = 2.0**-24
"""Bound on the probability that every rejection round of a uniform draw fails."""

_PARTS = 256
"""Parts of an octave of the log-uniform law; below ``_PARTS`` every id is a cell."""

_PART_BITS = 8
"""``log2(_PARTS)``."""

_ATTEMPTS = 2
"""Attempts of a log-uniform draw (from 512 classes on)."""

_SHARED_WORD_BITS = 15
"""Most bits of a cell's offset that the word of its keep test also holds (leaving it
17 bits or more): cells up to ``2**15`` wide, below ``2**24`` classes."""


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
    limit = range_max * (2**32 // range_max)
    return _rounds((2**32 - limit) / 2**32), limit


def _top_octave(range_max: int) -> int:
    return range_max.bit_length() - 1


def words_per_attempt(law: str, range_max: int) -> int:
    """Words one attempt of :func:`attempts` takes (``law``: ``'uniform'`` or
    ``'log_uniform'``)."""
    if law == "uniform" or _top_octave(range_max) <= _PART_BITS:  # cells of one id
        return 1
    return 2 if _top_octave(range_max) - _PART_BITS <= _SHARED_WORD_BITS else 3


def words_per_draw(law: str, range_max: int) -> int:
    """Words one draw of :func:`ids` takes."""
    if law == "uniform":
        return _uniform_plan(range_max)[0]
    if _top_octave(range_max) <= _PART_BITS:  # every attempt stands
        return 1
    return _ATTEMPTS * words_per_attempt(law, range_max)


def uniforms(xp: Any, words: Any) -> Any:
    """Float32 uniforms in ``[0, 1)``, multiples of ``2**-24``: the top 24 bits of
    ``words``."""
    return xp.astype(xp.bitwise_right_shift(words, 8), xp.float32) * 2.0**-24


def uniform_ids(xp: Any, words: Any, range_max: int, ints: Any) -> Any:
    """Uniform ids in ``[0, range_max)`` from ``words`` of shape ``[words_per_draw, n]``."""
    rounds, limit = _uniform_plan(range_max)
    if limit == 0:
        return _power_of_two(xp, words[0, ...], range_max, ints)
    tries = [_uniform_round(xp, words[r, ...], range_max, limit, ints) for r in range(rounds)]
    return _first_kept(xp, tries, tries[-1][0])


def _uniform_round(xp: Any, word: Any, range_max: int, limit: int, ints: Any) -> tuple:
    """``(m % range_max, m < limit)`` of the words ``m`` (the constants as uint32: a
    Python int past ``2**31`` is no weak scalar to JAX)."""
    as_word = lambda value: xp.asarray(value, dtype=word.dtype, device=device_of(word))
    return xp.astype(word % as_word(range_max), ints), word < as_word(limit)


def _power_of_two(xp: Any, word: Any, range_max: int, ints: Any) -> Any:
    """The top ``log2(range_max)`` bits of ``word``."""
    if range_max == 1:
        return xp.zeros(word.shape, dtype=ints, device=device_of(word))
    shift = 32 - _top_octave(range_max)
    return xp.astype(xp.bitwise_right_shift(word, shift), ints)


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
    top_octave = _top_octave(range_max)
    width = 2**max(top_octave - _PART_BITS, 0)
    return top_octave, -(-(range_max + 1) // width) * width


@functools.lru_cache(maxsize=64)
def log_uniform_cells(range_max: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray,
                                               np.ndarray]:
    """The cells of the extended log-uniform law over ``range_max`` classes (one id each
    below 512) and their alias table: ``(c, table, start, bits, mass)``, arrays of ``2**c``
    entries (the cells, then cells of mass 0). The top ``c`` bits of a word name cell
    ``i``, which stands where the word's other ``32 - c`` bits, as an integer, are below
    ``table[i] >> c``, else cell ``table[i] & (2**c - 1)`` (its alias) does: a cell is
    drawn in proportion to its envelope, ``2**bits[i]`` times the mass of its first id.
    Cell ``i`` holds the ids ``k`` in ``[start[i], start[i] + 2**bits[i])``, of total
    mass ``mass[i]`` under the extended law (float64, summing to 1): ``k = i + 1`` for
    ``i < 255``, then the parts of the octaves in order (:func:`_cell_ids`)."""
    top_octave, end = _log_uniform_extent(range_max)
    head = np.arange(1, _PARTS, dtype=np.int64)
    octaves = np.arange(_PART_BITS, top_octave + 1, dtype=np.int64)
    bits = np.concatenate([np.zeros(head.size, np.int64),
                           np.repeat(octaves - _PART_BITS, _PARTS)])
    start = np.concatenate([head, (np.left_shift(1, octaves)[:, None]
                                   + np.arange(_PARTS)[None, :]
                                   * np.left_shift(1, octaves - _PART_BITS)[:, None]).ravel()])
    inside = start < end
    start, bits = start[inside], bits[inside]
    first = np.log1p(1.0 / start.astype(np.float64))  # the mass of a cell's first id
    mass = np.log1p(np.left_shift(1, bits) / start.astype(np.float64)) / math.log(end)
    c = max(1, math.ceil(math.log2(start.size)))
    padding = 2**c - start.size
    start = np.concatenate([start, np.ones(padding, np.int64)])
    bits = np.concatenate([bits, np.zeros(padding, np.int64)])
    mass = np.concatenate([mass / mass.sum(), np.zeros(padding)])
    # each cell by its envelope, as many ids as it holds of its first one's mass: the
    # keep test thins an id k to its own mass log1p(1 / k)
    envelope = np.concatenate([np.left_shift(1, bits[:first.size]) * first, np.zeros(padding)])
    own, alias = _alias_table(envelope / envelope.sum())
    # an own share of 1 has the cell as its alias, so the largest threshold in 32 - c bits
    # gives the same cell
    threshold = np.minimum(np.round(own * 2.0**(32 - c)), 2.0**(32 - c) - 1).astype(np.uint64)
    table = (threshold << np.uint64(c)) | alias.astype(np.uint64)
    return c, table.astype(np.uint32), start, bits, mass


def _alias_table(mass: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table of ``mass`` (``n`` entries, summing to 1): cell ``i`` is
    taken with probability ``own[i]``, else ``alias[i]`` (Vose's construction, in
    float64). A cell of mass 0 is never taken."""
    n = mass.size
    scaled = mass * n
    own = np.ones(n)
    alias = np.arange(n, dtype=np.int64)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        low, high = small.pop(), large.pop()
        own[low], alias[low] = scaled[low], high
        scaled[high] -= 1.0 - scaled[low]
        (small if scaled[high] < 1.0 else large).append(high)
    if np.any(own[mass == 0] > 0):  # left over by rounding: never seen, but never drawn
        raise AssertionError("alias table: a cell of mass 0 keeps a share")
    return own, alias


def _cell_ids(xp: Any, cell: Any, ints: Any) -> tuple[Any, Any]:
    """``(start, bits)`` of cells (:func:`log_uniform_cells`): ``k = i + 1`` below 255,
    then part ``j % 256`` of octave ``8 + j // 256`` (``j = i - 255``)."""
    j = xp.maximum(cell - (_PARTS - 1), xp.zeros_like(cell))
    head = cell < _PARTS - 1
    bits = xp.where(head, xp.zeros_like(j), xp.bitwise_right_shift(j, _PART_BITS))
    one = xp.ones_like(j)
    octave_start = xp.bitwise_left_shift(one, bits + _PART_BITS)
    part_start = xp.bitwise_left_shift(xp.bitwise_and(j, _PARTS - 1), bits)
    start = xp.where(head, cell + 1, octave_start + part_start)
    return xp.astype(start, ints), xp.astype(bits, ints)


def _log1p_small(z: Any) -> Any:
    """``log1p(z)`` for ``0 < z <= 2**-9``: ``z - z**2 / 2 + z**3 / 3``, within ``2**-29``
    of it relatively (float32 rounds to ``2**-24``); XLA's CPU ``log1p`` costs as much
    as a draw's other operations."""
    return z * (1.0 - z * (0.5 - z * (1.0 / 3.0)))


_KEEP_BITS = 32 - _SHARED_WORD_BITS
"""Bits of the keep test's uniform where it shares its word with a cell's offset."""


def _log_uniform_cell(xp: Any, word: Any, range_max: int, ints: Any) -> tuple[Any, Any]:
    """``(start, bits)`` of the cells that ``word`` draws by the alias table of
    :func:`log_uniform_cells`."""
    c, table, _, _, _ = log_uniform_cells(range_max)
    cell = xp.bitwise_right_shift(word, 32 - c)
    entry = xp.take(xp.asarray(table, device=device_of(word)), xp.astype(cell, ints))
    own = xp.bitwise_and(word, 2**(32 - c) - 1) < xp.bitwise_right_shift(entry, c)
    return _cell_ids(xp, xp.astype(xp.where(own, cell, xp.bitwise_and(entry, 2**c - 1)), ints),
                     ints)


def _log_uniform_attempt(xp: Any, words: Any, range_max: int, ints: Any) -> tuple:
    """``(k, stands)`` of one attempt from ``words[0:words_per_attempt]`` (``range_max``
    of 512 or more): an id ``k = v + 1`` of the extended law, and whether it stands."""
    start, bits = _log_uniform_cell(xp, words[0, ...], range_max, ints)
    second = words[1, ...]
    mask = xp.astype(xp.bitwise_left_shift(xp.ones_like(bits), bits) - 1, second.dtype)
    k = start + xp.astype(xp.bitwise_and(second, mask), ints)
    if words.shape[0] > 2:  # the keep test's 24 bits from a word of its own
        u_keep = uniforms(xp, words[2, ...])
    else:  # from the 17 bits above the offset's (it takes at most 15)
        u_keep = (xp.astype(xp.bitwise_right_shift(second, _SHARED_WORD_BITS), xp.float32)
                  * 2.0**-_KEEP_BITS)
    f32 = u_keep.dtype
    # cells of one id keep it; the others start at 512 or more
    keep = (bits == 0) | (u_keep * _log1p_small(1.0 / xp.astype(start, f32))
                          < _log1p_small(1.0 / xp.astype(k, f32)))
    return k, keep & (k <= range_max)


def _log_uniform_single(xp: Any, word: Any, range_max: int, ints: Any) -> Any:
    """Below 512 classes, every id a cell of its own: the cell's id ``v``."""
    return _log_uniform_cell(xp, word, range_max, ints)[0] - 1


def log_uniform_ids(xp: Any, words: Any, range_max: int, ints: Any) -> Any:
    """Log-uniform ids ``v`` in ``[0, range_max)`` from ``words`` of shape
    ``[words_per_draw, n]`` (module docstring)."""
    top_octave, _ = _log_uniform_extent(range_max)
    if top_octave <= _PART_BITS:
        return _log_uniform_single(xp, words[0, ...], range_max, ints)
    each = words_per_attempt("log_uniform", range_max)
    tries = [_log_uniform_attempt(xp, words[first:first + each, ...], range_max, ints)
             for first in range(0, _ATTEMPTS * each, each)]
    # none stands (at most one draw in 2.5e5): the first id in range, unkept, or else the
    # last one moved down by a top part's width, to an id that the extended top part's
    # share past range_max spreads evenly over
    in_range = _first_kept(xp, [(k, k <= range_max) for k, _ in tries],
                           tries[-1][0] - 2**(top_octave - _PART_BITS))
    return _first_kept(xp, tries, in_range) - 1


def ids(law: str, xp: Any, words: Any, range_max: int, ints: Any) -> Any:
    """:func:`uniform_ids` (``law`` ``'uniform'``) or :func:`log_uniform_ids`."""
    return (uniform_ids if law == "uniform" else log_uniform_ids)(xp, words, range_max, ints)


def attempts(law: str, xp: Any, words: Any, range_max: int, ints: Any) -> tuple[Any, Any]:
    """``(ids, stands)`` of single attempts from ``words`` of shape ``[words_per_attempt,
    n]``: one rejection round of the uniform law, one attempt of the log-uniform law;
    ``stands`` is None where every attempt stands. The attempts that stand are draws of
    the law; a sampler that drops the others (a unique draw, which counts only the draws
    it keeps) spends fewer words a draw than :func:`ids`, which must give one id per
    draw."""
    if law == "uniform":
        _, limit = _uniform_plan(range_max)
        word = words[0, ...]
        if limit == 0:
            return _power_of_two(xp, word, range_max, ints), None
        return _uniform_round(xp, word, range_max, limit, ints)
    top_octave, _ = _log_uniform_extent(range_max)
    if top_octave <= _PART_BITS:
        return _log_uniform_single(xp, words[0, ...], range_max, ints), None
    k, stands = _log_uniform_attempt(xp, words, range_max, ints)
    return k - 1, stands


UNIGRAM_BLOCK = 1024
"""Classes per block of a unigram law drawn from float32 uniforms."""


def unigram_blocks(xp: Any, weights: Any) -> tuple[Any, Any]:
    """``(block_cdf [nb], inner_cdf [nb * 1024])`` of float32 ``weights [V]`` in blocks of
    :data:`UNIGRAM_BLOCK` classes: the running sum of the blocks' totals, and each
    block's running sum over its total (1 from its last class of positive weight on,
    and in a block of total 0, which is never drawn)."""
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
    # float32 rounding may leave a block's last sum a little below 1: 1 from its last
    # class of positive weight on (where the sum reaches its end), so that no uniform
    # passes it to a class of weight 0
    inner = xp.where(inner >= inner[:, -1:], xp.ones_like(inner), inner)
    return xp.cumulative_sum(totals), xp.reshape(inner, (-1,))


def unigram_ids(xp: Any, words: Any, block_cdf: Any, inner_cdf: Any, size: int,
                ints: Any) -> Any:
    """Ids in ``[0, size)`` of the unigram law of :func:`unigram_blocks` from ``words`` of
    shape ``[2, n]``: the block by the first word's uniform against the blocks' running
    sum, the class by a binary search of the second's in the block's own (so each is
    resolved to ``2**-24`` of its block's mass or of its own block's, not of the whole
    law's)."""
    u = uniforms(xp, words)
    # the last block of positive total: u * total may round up to the total
    last = xp.searchsorted(block_cdf, block_cdf[-1:], side="left")
    block = xp.searchsorted(block_cdf, u[0, ...] * block_cdf[-1], side="right")
    block = xp.astype(xp.minimum(block, xp.astype(last, block.dtype)), ints)
    low = xp.zeros_like(block)
    high = xp.full_like(block, UNIGRAM_BLOCK - 1)
    base = block * UNIGRAM_BLOCK
    for _ in range(UNIGRAM_BLOCK.bit_length() - 1):  # the first class whose sum exceeds u
        middle = (low + high) // 2
        above = xp.take(inner_cdf, base + middle) > u[1, ...]
        high = xp.where(above, middle, high)
        low = xp.where(above, low, middle + 1)
    return xp.clip(base + low, 0, size - 1)
