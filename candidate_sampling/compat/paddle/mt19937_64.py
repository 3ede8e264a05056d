"""``std::mt19937_64``, the 64-bit Mersenne Twister of the C++ standard, on NumPy ``uint64`` arrays.

Seeding is the standard's sequential recurrence over the 312 state words; every
later block of 312 outputs is one vectorised twist of the state (three array
steps) and one vectorised tempering, so no Python code runs per output.
"""

from __future__ import annotations

import numpy as np

from ...core import checks

__all__ = ["MT19937_64", "DEFAULT_SEED", "STATE_SIZE"]

STATE_SIZE = 312
"""``n``: words of state, and outputs per twist."""

DEFAULT_SEED = 5489
"""``std::mt19937_64::default_seed``."""

_SHIFT = 156  # m
_MASK64 = (1 << 64) - 1
_INIT_MULTIPLIER = 6364136223846793005  # f
_MATRIX_A = np.uint64(0xB5026F5AA96619E9)
_UPPER = np.uint64(0xFFFFFFFF80000000)  # the top w - r = 33 bits
_LOWER = np.uint64(0x7FFFFFFF)  # the low r = 31 bits
_ONE = np.uint64(1)


def _seed_state(seed: int) -> np.ndarray:
    """The 312 state words ``std::mt19937_64(seed)`` starts from (``seed`` taken mod 2**64)."""
    words = [seed & _MASK64]
    for k in range(1, STATE_SIZE):
        prev = words[-1]
        words.append((_INIT_MULTIPLIER * (prev ^ (prev >> 62)) + k) & _MASK64)
    return np.array(words, dtype=np.uint64)


def _mix(upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """``(y >> 1) ^ (a if y is odd)`` for ``y = upper bits of upper | lower bits of lower``."""
    y = (upper & _UPPER) | (lower & _LOWER)
    return (y >> _ONE) ^ ((y & _ONE) * _MATRIX_A)


def _twist(state: np.ndarray) -> np.ndarray:
    """The next 312 state words.

    Word ``i`` depends on old words ``i``, ``i + 1`` and on word ``i + 156 mod 312``,
    which is still old for ``i < 156`` and already new after that; so the block is
    built in three vectorised pieces: words 0-155, words 156-310, word 311.
    """
    new = np.empty_like(state)
    new[:_SHIFT] = state[_SHIFT:] ^ _mix(state[:_SHIFT], state[1:_SHIFT + 1])
    new[_SHIFT:-1] = new[:_SHIFT - 1] ^ _mix(state[_SHIFT:-1], state[_SHIFT + 1:])
    new[-1:] = new[_SHIFT - 1:_SHIFT] ^ _mix(state[-1:], new[:1])
    return new


def _temper(y: np.ndarray) -> np.ndarray:
    """The output transform of the 64-bit engine, elementwise."""
    y = y ^ ((y >> np.uint64(29)) & np.uint64(0x5555555555555555))
    y = y ^ ((y << np.uint64(17)) & np.uint64(0x71D67FFFEDA60000))
    y = y ^ ((y << np.uint64(37)) & np.uint64(0xFFF7EEE000000000))
    return y ^ (y >> np.uint64(43))


class MT19937_64:
    """A ``std::mt19937_64`` engine: the same 64-bit outputs, in the same order.

    Args:
      seed: the engine seed, taken mod ``2**64`` as the C++ constructor does
        (a negative Python int ``s`` gives ``s + 2**64``).
    """

    def __init__(self, seed: int = DEFAULT_SEED) -> None:
        self._state = _seed_state(checks.check_int(seed, "seed"))
        self._pending = np.empty(0, dtype=np.uint64)

    def random_raw(self, n: int) -> np.ndarray:
        """The next ``n`` outputs of the engine, a ``uint64`` array of shape ``[n]``."""
        n = checks.check_int(n, "n", minimum=0)
        # the outputs, and their tempering's copies
        checks.check_memory(16 * n, "n", f"{n} outputs of the engine")
        short = n - self._pending.size
        if short > 0:
            blocks = np.empty((-(-short // STATE_SIZE), STATE_SIZE), dtype=np.uint64)
            state = self._state
            for block in blocks:
                block[:] = _twist(state)
                state = block
            self._state = state.copy()
            self._pending = np.concatenate([self._pending, _temper(blocks.reshape(-1))])
        out, self._pending = self._pending[:n], self._pending[n:]
        return out
