"""Host memory: what is available now, and what one benchmark case needs, so that shapes
whose ``[V, D]`` float32 weights would not fit comfortably are skipped (and said so)."""

from __future__ import annotations

import os

__all__ = ["available_bytes", "weight_bytes", "case_bytes", "gigabytes"]

OURS_COPIES = {"numpy": 1, "torch": 1, "jax": 2, "cupy": 1}
"""Our weights in host memory: the array initialised on the host (PyTorch on the CPU
shares it), and JAX's copy of it."""
TF_COPIES = 2
"""TensorFlow's weights: the variable, and its initial value while it is built."""
NAIVE_COPIES = 2
"""The naive port's weights: the parameter and its dense gradient."""
FULL_COPIES = 3
"""Full softmax: weights, their dense gradient, and the scaled update."""


def available_bytes() -> int | None:
    """``MemAvailable`` of ``/proc/meminfo`` (Linux), else free physical pages, else None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def weight_bytes(num_classes: int, dim: int) -> int:
    """Bytes of ``[num_classes, dim]`` float32 weights."""
    return 4 * num_classes * dim


def case_bytes(backend: str, num_classes: int, dim: int, batch: int, *, tensorflow: bool,
               naive: bool, full: bool) -> int:
    """Estimated peak host memory of one case (``backend`` at ``num_classes``, with the
    peers measured next to it)."""
    copies = (OURS_COPIES[backend] + TF_COPIES * tensorflow + NAIVE_COPIES * naive
              + FULL_COPIES * full)
    logits = 3 * 4 * batch * num_classes if full else 0
    return copies * weight_bytes(num_classes, dim) + logits


def gigabytes(n: int) -> str:
    """``n`` bytes as ``'12.3 GB'`` (``'0.0012 GB'`` below 0.1 GB)."""
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e9:.2g} GB"
