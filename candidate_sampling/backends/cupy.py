"""CuPy backend (no autodiff)."""

from __future__ import annotations

from ._base import Backend

__all__ = ["CupyBackend"]


class CupyBackend(Backend):
    name = "cupy"
