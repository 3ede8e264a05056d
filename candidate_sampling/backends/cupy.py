"""CuPy backend (no autodiff)."""

from __future__ import annotations

from ._base import Backend, Stream
from .numpy import masked_minimum, tanh_sigmoid

__all__ = ["CupyBackend"]


class CupyBackend(Backend):
    name = "cupy"

    def random_stream(self, xp, seed, rng, device):
        return CupyStream(seed, rng, device)

    def may_overwrite(self, x):
        return True

    def iexp(self, xp, x):
        import cupy

        return cupy.exp(x, out=x)

    def iexp2(self, xp, x):
        import cupy

        return cupy.exp2(x, out=x)

    def sigmoid(self, xp, x):
        """:func:`~candidate_sampling.backends.numpy.tanh_sigmoid`."""
        import cupy

        return tanh_sigmoid(cupy, x)

    def device_memory(self, device):
        """What the driver has free on ``device`` plus what CuPy's default memory pool
        holds unused."""
        import cupy

        with device:
            free, _ = cupy.cuda.runtime.memGetInfo()
            return int(free + cupy.get_default_memory_pool().free_bytes())

    def mask_positions(self, xp, x, found, position, value):
        """``cupyx.scatter_min`` over the ``B T`` positions (in place)."""
        import cupy
        import cupyx

        rows, position, src = masked_minimum(cupy, found, position, value, x.dtype)
        cupyx.scatter_min(x, (rows, position), src)
        return x

    def scatter_add(self, xp, target, indices, values):
        """``cupyx.scatter_add`` (atomic adds on the GPU) on a copy."""
        return self.add_rows(xp, target.copy(), indices, values)

    def add_rows(self, xp, target, indices, values):
        """``cupyx.scatter_add``, in place."""
        import cupyx

        cupyx.scatter_add(target, indices, values.astype(target.dtype, copy=False))
        return target


class CupyStream(Stream):
    """Draws from a ``cupy.random.Generator`` on the current GPU."""

    def __init__(self, seed, rng, device):
        import cupy

        if rng is not None and not isinstance(rng, cupy.random.Generator):
            raise TypeError(f"rng: expected a cupy.random.Generator for CuPy arrays, got "
                            f"{type(rng).__name__}")
        self.gen = rng if rng is not None else cupy.random.default_rng(seed)
        self.device = device

    def uniform(self, index, n):
        import cupy

        with self.device:
            return self.gen.random(n, dtype=cupy.float64)
