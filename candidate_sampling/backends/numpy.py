"""NumPy backend."""

from __future__ import annotations

from typing import Any

from ._base import Backend

__all__ = ["NumpyBackend", "first_distinct"]


def first_distinct(draw: Any, num_sampled: int, block: int) -> tuple:
    """``(values, tries)``: the first ``num_sampled`` distinct values of the stream that
    ``draw(index, n)`` yields block by block (NumPy arrays), and the draws that took.

    One ``np.unique`` over the stream so far (a sort) per block."""
    import numpy as np

    stream = draw(0, block)
    index = 1
    while True:
        _, first = np.unique(stream, return_index=True)
        if first.size >= num_sampled:
            positions = np.sort(first)[:num_sampled]
            return stream[positions], int(positions[-1]) + 1
        stream = np.concatenate([stream, draw(index, max(block // 2, num_sampled))])
        index += 1


class NumpyBackend(Backend):
    name = "numpy"

    def unique_draws(self, xp, law, num_sampled, stream, device):
        values, tries = first_distinct(lambda i, n: law.sample(stream.uniform(i, n)),
                                       num_sampled, max(2 * num_sampled, 64))
        return xp.asarray(values), tries
