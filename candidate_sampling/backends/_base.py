"""The generic backend: correct for any array-API library, with no fast paths."""

from __future__ import annotations

from typing import Any

__all__ = ["Backend"]


class Backend:
    """Backend hooks used by the core. Subclasses override what their framework does better."""

    name = "generic"

    def stop_gradient(self, x: Any) -> Any:
        """``x`` with gradients blocked (identity where there is no autodiff)."""
        return x

    def int64(self, xp: Any) -> Any:
        """The widest integer dtype the backend gives arrays now (int64)."""
        return xp.int64

    def uniform(self, xp: Any, n: int, seed: int | None, device: Any) -> Any:
        """``n`` independent uniform draws in ``[0, 1)`` (float64 where the backend has it)
        on ``device``; ``seed=None`` draws fresh entropy."""
        import numpy as np

        values = np.random.default_rng(seed).random(n)
        return xp.asarray(values, dtype=self.float64(xp), device=device)

    def float64(self, xp: Any) -> Any:
        """The widest float dtype the backend gives arrays now (float64)."""
        return xp.float64

    def is_concrete(self, x: Any) -> bool:
        """Whether the values of ``x`` can be read now (not a traced placeholder)."""
        return True
