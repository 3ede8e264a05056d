"""Paddle front end: ``paddle.fluid.layers.sampled_softmax_with_cross_entropy`` (1.8.5)."""

from __future__ import annotations

from types import SimpleNamespace

from ..core.sample_logits import sampled_softmax_with_cross_entropy

__all__ = ["sampled_softmax_with_cross_entropy", "fluid"]

fluid = SimpleNamespace(layers=SimpleNamespace(
    sampled_softmax_with_cross_entropy=sampled_softmax_with_cross_entropy))
"""``paddle.fluid.layers`` namespace for drop-in imports."""

