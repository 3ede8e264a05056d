"""PyTorch backend."""

from __future__ import annotations

from typing import Any

from ._base import Backend

__all__ = ["TorchBackend"]


class TorchBackend(Backend):
    name = "torch"

    def stop_gradient(self, x: Any) -> Any:
        return x.detach()

    def is_concrete(self, x: Any) -> bool:
        import torch

        if torch.compiler.is_compiling():
            return False
        return x.device.type != "meta"

    def uniform(self, xp: Any, n: int, seed: int | None, device: Any) -> Any:
        import torch

        gen = torch.Generator(device=device)
        if seed is None:
            gen.seed()
        else:
            gen.manual_seed(seed)
        return torch.rand(n, generator=gen, dtype=torch.float64, device=device)
