"""A tree of integer counts (a Fenwick tree) for TensorFlow's learned unigram sampler.

TensorFlow's ``UnigramSampler`` keeps its counts in a ``WeightedPicker``, a tree of
partial sums: a pick walks down it and an update walks up it, O(log range) each, so
that a call does not cost a pass over all the classes. :class:`CountTree` does the same
with NumPy, vectorised over the values of a call: ``log2(range)`` rounds of small
operations on ``n`` values, where a running sum over the counts would touch every class
after every update.

The counts are integers, so every partial sum is exact, and a pick equals the binary
search of the running sum: the class ``i`` with ``sum(counts[:i]) <= r < sum(counts[:i+1])``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CountTree"]

RUNNING_SUM_PER_VALUE = 256
"""A pick from the whole running sum (one pass over the counts, then binary searches)
where there are at most this many classes per value to pick: on a CPU the pass costs
about 2 ns a class, the walks down the tree about 25 ns a level and value."""


def _lowest_bit(i: np.ndarray) -> np.ndarray:
    """The lowest set bit of each positive ``i``."""
    return i & -i


class CountTree:
    """``size`` int64 counts, all 1 at first, with O(log size) sums.

    ``tree[j]`` (1-based) holds the sum of the ``lowest_bit(j)`` counts that end at
    class ``j - 1``."""

    def __init__(self, size: int):
        self.size = size
        self.counts = np.ones(size, dtype=np.int64)
        positions = np.arange(size + 1, dtype=np.int64)
        self.tree = _lowest_bit(positions)   # the partial sums of all-one counts
        self.total = size
        self._top = 1 << (size.bit_length() - 1)   # the largest power of two <= size

    def add(self, values: np.ndarray) -> None:
        """Adds 1 to the count of each of ``values`` (int64 in ``[0, size)``; repeats
        count once each)."""
        values = np.asarray(values, dtype=np.int64).reshape(-1)
        np.add.at(self.counts, values, 1)
        self.total += int(values.size)
        positions = values + 1
        while positions.size:
            np.add.at(self.tree, positions, 1)
            positions = positions + _lowest_bit(positions)
            positions = positions[positions <= self.size]

    def find(self, r: np.ndarray) -> np.ndarray:
        """For each ``r`` in ``[0, total)``, the class ``i`` whose counts' running sum
        first exceeds it: ``searchsorted(cumsum(counts), r, side='right')``, int64."""
        r = np.asarray(r, dtype=np.int64)
        if self.size <= RUNNING_SUM_PER_VALUE * r.size:
            return np.searchsorted(np.cumsum(self.counts), r, side="right").astype(np.int64)
        remaining = r.copy()
        position = np.zeros(remaining.shape, dtype=np.int64)
        step = self._top
        while step:
            ahead = position + step
            inside = ahead <= self.size
            partial = self.tree[np.where(inside, ahead, 0)]
            take = inside & (partial <= remaining)
            position = np.where(take, ahead, position)
            remaining -= np.where(take, partial, 0)
            step >>= 1
        return position
