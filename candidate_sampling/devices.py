"""Which accelerator a framework sees: the device the demo and the benchmarks run on."""

from __future__ import annotations

from typing import Any

__all__ = ["torch_device", "cupy_usable"]


def torch_device() -> Any:
    """CUDA when torch sees a GPU, else the CPU."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def cupy_usable() -> bool:
    """CuPy is installed and sees a GPU."""
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # not installed, no driver, no device
        return False
