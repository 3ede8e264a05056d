"""JAX backend."""

from __future__ import annotations

from typing import Any

from ._base import Backend

__all__ = ["JaxBackend"]


class JaxBackend(Backend):
    name = "jax"

    def stop_gradient(self, x: Any) -> Any:
        import jax

        return jax.lax.stop_gradient(x)

    def int64(self, xp: Any) -> Any:
        import jax

        return xp.int64 if jax.config.jax_enable_x64 else xp.int32

    def is_concrete(self, x: Any) -> bool:
        import jax

        return not isinstance(x, jax.core.Tracer)

    def float64(self, xp: Any) -> Any:
        import jax

        return xp.float64 if jax.config.jax_enable_x64 else xp.float32

    def uniform(self, xp: Any, n: int, seed: int | None, device: Any) -> Any:
        import secrets

        import jax

        key = jax.random.key(secrets.randbits(63) if seed is None else seed)
        return jax.device_put(jax.random.uniform(key, (n,), dtype=self.float64(xp)), device)
