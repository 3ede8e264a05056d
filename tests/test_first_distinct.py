"""The NumPy pieces of unique sampling: the radix stable order of ids and the first
occurrences of distinct values, against plain definitions."""

from __future__ import annotations

import numpy as np
import pytest

from candidate_sampling.backends.numpy import first_distinct, first_positions, stable_order


def _first_positions_by_definition(values):
    seen, positions = set(), []
    for k, v in enumerate(values.tolist()):
        if v not in seen:
            seen.add(v)
            positions.append(k)
    return np.asarray(positions, dtype=np.int64)


CASES = [
    # (size, low, high): one 16-bit digit, two digits, past 2**32, negative ids
    (0, 0, 1), (1, 0, 1), (7, 0, 3), (5000, 0, 300), (5000, 0, 2**16),
    (5000, 2**16 - 3, 2**16 + 3), (8192, 0, 200_000), (3000, 2**32 - 50, 2**32 + 50),
    (3000, -1000, 1000), (3000, 0, 2**62),
]


@pytest.mark.parametrize("size, low, high, dtype", [
    case + (dtype,) for case in CASES for dtype in (np.int64, np.int32)
    if dtype == np.int64 or case[2] <= 2**31])
def test_stable_order_is_numpys_stable_argsort(size, low, high, dtype):
    values = np.random.default_rng(size + low).integers(low, high, size).astype(dtype)
    order = stable_order(values)
    np.testing.assert_array_equal(order, np.argsort(values, kind="stable"))


@pytest.mark.parametrize("size, low, high", CASES)
def test_first_positions_are_first_occurrences(size, low, high):
    values = np.random.default_rng(size).integers(low, high, size)
    positions = first_positions(values)
    np.testing.assert_array_equal(positions, _first_positions_by_definition(values))
    assert positions.dtype.kind == "i"


def test_first_distinct_takes_the_stream_in_blocks():
    stream = np.random.default_rng(3).integers(0, 40, 10_000)
    calls = []

    def draw(index, n):
        start = sum(calls)
        calls.append(n)
        return stream[start:start + n]

    values, tries = first_distinct(draw, 30, 16)
    positions = _first_positions_by_definition(stream)[:30]
    np.testing.assert_array_equal(values, stream[positions])
    assert tries == positions[-1] + 1
    # after the first block, each one draws as many as drawn so far
    assert len(calls) > 2 and calls == [16] + [16 * 2**k for k in range(len(calls) - 1)]
