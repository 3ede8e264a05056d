"""NumPy backend."""

from __future__ import annotations

from ._base import Backend

__all__ = ["NumpyBackend"]


class NumpyBackend(Backend):
    name = "numpy"
