"""The installed TensorFlow 2.x as an implementation under test (``--impl tensorflow``).

Each (op, origin) of the golden cases is TensorFlow's own function: ``tf.nn`` (``tf2``),
``tf.compat.v1.nn`` (``tf1``, with partition strategies), the private
``nn_impl._compute_sampled_logits``, ``tf.nn.compute_accidental_hits`` and the
``tf.random`` samplers, with ``tf.random.set_seed`` for the streams. Arrays are eager
tensors (:class:`~candidate_sampling.conformance.adapters.TensorFlowAdapter`). oneDNN
rewrites are turned off before TensorFlow is imported, as when the golden vectors were
recorded.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from .targets import Functions

__all__ = ["TensorFlowFunctions", "TENSORFLOW_ORIGINS"]

TENSORFLOW_ORIGINS = ("tf2", "tf1")


def _tensorflow() -> Any:
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise ValueError(f"--impl tensorflow: cannot import tensorflow: {exc}") from None
    if not tf.__version__.startswith("2."):
        raise ValueError(f"--impl tensorflow: needs TensorFlow 2.x, found {tf.__version__}")
    return tf


class TensorFlowFunctions(Functions):
    """TensorFlow's function for each (op, origin)."""

    def __init__(self) -> None:
        self.tf = _tensorflow()

    def function(self, op: str, origin: str) -> Callable[..., Any]:
        tf = self.tf
        if op.endswith("_candidate_sampler"):
            return getattr(tf.random, op)
        if op == "compute_accidental_hits":
            return tf.nn.compute_accidental_hits
        if op == "compute_sampled_logits":
            from tensorflow.python.ops import nn_impl

            return nn_impl._compute_sampled_logits
        if origin == "tf1":
            return getattr(tf.compat.v1.nn, op)
        if origin == "tf2" and op in ("sampled_softmax_loss", "nce_loss"):
            return getattr(tf.nn, op)
        raise ValueError(f"TensorFlow 2 has no {op!r} with origin {origin!r}")

    def set_seed(self) -> Callable[[Any], Any]:
        return self.tf.random.set_seed
