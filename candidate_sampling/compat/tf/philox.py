"""Philox4x32-10 as TensorFlow runs it, vectorised with NumPy.

TensorFlow's ``PhiloxRandom`` (``tensorflow/core/lib/random/philox_random.h``) is the
Random123 Philox4x32 generator with 10 rounds: a 64-bit key ``(seed lo32, seed hi32)``
and a 128-bit block counter, starting at ``seed2 << 64``. Each block gives four uint32
words, used in order. A kernel that reserves ``n`` words skips ``(n + 3) // 4`` blocks.

This module holds the generator (:func:`philox4x32`), the word stream of one generator
from a given block on (:class:`PhiloxStream`), TensorFlow's conversions of words to
numbers (``random_distributions_utils.h``, ``simple_philox.h``) and its rejection
sampling of integers in ``[0, n)`` (``exact_uniform_int.h``), done on whole arrays of
words at once (:func:`parse_draws`).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = [
    "philox4x32", "PhiloxStream", "parse_draws", "uniform_double", "uniform_float",
    "uint64_of", "uniform_int_rule", "MASK32",
]

M0, M1 = 0xD2511F53, 0xCD9E8D57
"""Round multipliers."""
W0, W1 = 0x9E3779B9, 0xBB67AE85
"""Key increments (Weyl sequence) between rounds."""
MASK32 = 0xFFFFFFFF
_MASK64 = (1 << 64) - 1
_MASK128 = (1 << 128) - 1
_BITS32 = np.uint64(32)
_LOW32 = np.uint64(MASK32)


def philox4x32(counters: np.ndarray, key: tuple[int, int], rounds: int = 10) -> np.ndarray:
    """Philox4x32 of a batch of counters.

    Args:
      counters: ``[4, n]`` integers < 2**32 (any integer dtype), word ``i`` of each
        128-bit counter in row ``i`` (row 0 the lowest word).
      key: ``(k0, k1)``, the two 32-bit key words.
      rounds: number of rounds (TensorFlow uses 10).

    Returns:
      ``[4, n]`` uint32, the output words of each counter.
    """
    words = [np.array(row, dtype=np.uint64) for row in np.asarray(counters)]
    return _rounds(words, key, rounds).T.copy()


def _rounds(w: list[np.ndarray], key: tuple[int, int], rounds: int = 10) -> np.ndarray:
    """The rounds on the four uint64 word arrays ``w`` (changed in place); the output
    as ``[n, 4]`` uint32, one block per row."""
    w0, w1, w2, w3 = w
    p0, p1 = np.empty_like(w0), np.empty_like(w0)
    m0, m1 = np.uint64(M0), np.uint64(M1)
    k0, k1 = int(key[0]) & MASK32, int(key[1]) & MASK32
    for r in range(rounds):
        if r:
            k0, k1 = (k0 + W0) & MASK32, (k1 + W1) & MASK32
        np.multiply(w0, m0, out=p0)
        np.multiply(w2, m1, out=p1)
        # (w0, w1, w2, w3) <- (hi(M1 w2) ^ w1 ^ k0, lo(M1 w2), hi(M0 w0) ^ w3 ^ k1, lo(M0 w0))
        np.right_shift(p1, _BITS32, out=w0)
        np.bitwise_xor(w0, w1, out=w0)
        np.bitwise_xor(w0, np.uint64(k0), out=w0)
        np.right_shift(p0, _BITS32, out=w2)
        np.bitwise_xor(w2, w3, out=w2)
        np.bitwise_xor(w2, np.uint64(k1), out=w2)
        np.bitwise_and(p1, _LOW32, out=w1)
        np.bitwise_and(p0, _LOW32, out=w3)
    out = np.empty((w0.size, 4), dtype=np.uint32)
    for i, word in enumerate((w0, w1, w2, w3)):
        out[:, i] = word
    return out


def _block_counters(counter: int, start: int, count: int) -> list[np.ndarray]:
    """The four uint64 word arrays of the 128-bit counters ``counter + start + j``."""
    first = (counter + start) & _MASK128
    lo_first, hi_first = first & _MASK64, first >> 64
    lo = np.arange(count, dtype=np.uint64)
    lo += np.uint64(lo_first)  # wraps modulo 2**64
    hi = np.full(count, np.uint64(hi_first), dtype=np.uint64)
    if lo_first + count > _MASK64:
        hi[lo < np.uint64(lo_first)] = np.uint64((hi_first + 1) & _MASK64)
    return [lo & _LOW32, lo >> _BITS32, hi & _LOW32, hi >> _BITS32]


class PhiloxStream:
    """The uint32 words of one generator, from block ``start`` on, made as needed.

    ``key`` is the kernel's ``seed`` attribute (64 bits), ``counter`` the initial 128-bit
    counter (``seed2 << 64``), ``start`` the number of blocks already used.
    """

    def __init__(self, key: int, counter: int, start: int = 0):
        key &= _MASK64
        self.key = (key & MASK32, key >> 32)
        self.counter = counter & _MASK128
        self.start = start
        self._words = np.empty(0, dtype=np.uint32)

    def words(self, count: int) -> np.ndarray:
        """The first ``count`` words of the stream (a read-only view)."""
        have = self._words.size
        if count > have:
            blocks_have = have // 4
            blocks = max(-(-count // 4), 2 * blocks_have) - blocks_have
            new = _rounds(_block_counters(self.counter, self.start + blocks_have, blocks), self.key)
            self._words = np.concatenate([self._words, new.reshape(-1)])
            self._words.flags.writeable = False
        return self._words[:count]


def uint64_of(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """TensorFlow's 64-bit draw from two words: ``lo | hi << 32``."""
    return lo.astype(np.uint64) | (hi.astype(np.uint64) << _BITS32)


def uniform_double(w0: np.ndarray, w1: np.ndarray) -> np.ndarray:
    """Doubles in ``[0, 1)`` from word pairs: the low 20 bits of ``w0`` above ``w1`` as
    the 52-bit mantissa (``Uint64ToDouble``); exact."""
    mantissa = ((w0.astype(np.uint64) & np.uint64(0xFFFFF)) << _BITS32) | w1.astype(np.uint64)
    return mantissa.astype(np.float64) * 2.0**-52


def uniform_float(w: np.ndarray) -> np.ndarray:
    """Float32 in ``[0, 1)`` from words: the low 23 bits as mantissa (``Uint32ToFloat``)."""
    return (w & np.uint32(0x7FFFFF)).astype(np.float32) * np.float32(2.0**-23)


def uniform_int_rule(n: int, bits: int) -> tuple[int, Callable[[np.ndarray], np.ndarray]]:
    """TensorFlow's integer in ``[0, n)`` from ``bits``-bit draws (``ExactUniformInt``).

    Returns ``(rem, to_int)``: a draw ``v`` is rejected when ``v < rem`` (``rem`` is 0 when
    nothing is rejected: ``n`` a power of two), and ``to_int(v)`` maps accepted draws to
    ``[0, n)`` (a mask for powers of two, else ``v % n``).
    """
    if n <= 0:
        raise ValueError(f"n: must be >= 1, got {n}")
    dtype = np.uint32 if bits == 32 else np.uint64
    if n & (n - 1) == 0:
        mask = dtype(n - 1)
        return 0, lambda v: v & mask
    rem = ((1 << bits) - 1) % n + 1
    modulus = dtype(n)
    return rem, lambda v: v % modulus


def parse_draws(stream: PhiloxStream, start: int, count: int, prefix: int, attempt: int,
                accepted: Callable[[np.ndarray], np.ndarray] | None
                ) -> tuple[np.ndarray, np.ndarray, int]:
    """Split the stream, from word ``start`` on, into ``count`` draws made of ``prefix``
    words, then attempts of ``attempt`` words repeated until one is accepted.

    ``accepted(words [k, attempt]) -> bool [k]`` says which attempts are kept (``None``:
    all). Draws are read as TensorFlow makes them, one after the other, but on whole
    arrays: without a prefix the draws are simply the accepted attempts in order; with
    one, the words are cut into whole draws and a draw with a rejected attempt is
    finished one attempt at a time (rejections are rare there: 32-bit draws below a
    vocabulary size).

    Returns:
      ``(prefix words [count, prefix], accepted attempt words [count, attempt], end)``, where
      ``end`` is the position of the first word after the last draw.
    """
    if prefix == 0:
        return _parse_attempts(stream, start, count, attempt, accepted)
    width = prefix + attempt
    heads = [np.empty((0, prefix), dtype=np.uint32)]
    tails = [np.empty((0, attempt), dtype=np.uint32)]
    pos, left, window = start, count, count
    while left:
        take = min(left, window)
        rows = stream.words(pos + take * width)[pos:].reshape(take, width)
        ok = np.ones(take, dtype=bool) if accepted is None else accepted(rows[:, prefix:])
        bad = int(np.argmin(ok)) if not ok.all() else take
        heads.append(rows[:bad, :prefix])
        tails.append(rows[:bad, prefix:])
        pos, left = pos + bad * width, left - bad
        if bad == take:
            continue
        at = pos + prefix
        while True:
            tail = stream.words(at + attempt)[at:].reshape(1, attempt)
            at += attempt
            if accepted(tail)[0]:
                break
        heads.append(rows[bad:bad + 1, :prefix])
        tails.append(tail)
        pos, left = at, left - 1
        window = max(64, 2 * bad)   # look about as far ahead as the last run went
    return np.concatenate(heads), np.concatenate(tails), pos


def _parse_attempts(stream: PhiloxStream, start: int, count: int, attempt: int,
                    accepted: Callable[[np.ndarray], np.ndarray] | None
                    ) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`parse_draws` without a prefix: the first ``count`` accepted attempts."""
    found = [np.empty((0, attempt), dtype=np.uint32)]
    pos, left = start, count
    while left:
        take = left + left // 8 + 16 if accepted is not None else left
        rows = stream.words(pos + take * attempt)[pos:].reshape(take, attempt)
        ok = None if accepted is None else accepted(rows)
        if ok is None or ok[:left].all():     # the usual case: nothing rejected
            found.append(rows[:left])
            pos += left * attempt
            break
        kept = np.flatnonzero(ok)[:left]
        found.append(rows[kept])
        left -= kept.size
        pos += (int(kept[-1]) + 1 if left == 0 else take) * attempt
    return np.empty((count, 0), dtype=np.uint32), np.concatenate(found), pos
