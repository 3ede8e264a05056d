"""The demo's model, a softmax regression over the classes, ``softmax(x . weights.T +
biases)`` with ``weights [V, D]`` and ``biases [V]``: its initial parameters, and its
evaluation with the full softmax on held-out examples on any array library."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..core.losses import logsumexp
from ..core.namespace import namespace_of

__all__ = ["EVAL_ELEMENTS", "Scores", "evaluate", "initial_params"]

EVAL_ELEMENTS = 1 << 24
"""Logits computed at once by :func:`evaluate` (rows of held-out examples times classes)."""


class Scores(NamedTuple):
    """Full-softmax scores on held-out examples: ``perplexity = exp(mean cross entropy)``
    and ``recall``, the share of examples whose class is among the ``k`` highest logits."""

    perplexity: float
    recall: float


MAX_LOG_PERPLEXITY = 709.0
"""The largest mean loss whose exponential a float holds (``exp(709.78)`` overflows)."""

def initial_params(num_classes: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(weights [V, D], biases [V])`` float32: the weights normal with standard deviation
    ``1/sqrt(dim)``, values beyond two standard deviations drawn again (the
    initialisation of :class:`candidate_sampling.layers.torch.SampledSoftmaxLoss`),
    the biases zero."""
    rng = np.random.default_rng(seed)
    weights = rng.standard_normal((num_classes, dim))
    outside = np.abs(weights) > 2
    while outside.any():
        weights[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(weights) > 2
    del outside
    weights /= math.sqrt(dim)  # in place: no second [V, D] float64 array
    return weights.astype(np.float32), np.zeros(num_classes, np.float32)


def evaluate(weights: Any, biases: Any, inputs: Any, labels: Any, k: int = 10) -> Scores:
    """Held-out :class:`Scores` of the model with the full softmax over all classes.

    Args:
      weights, biases: ``[V, D]`` and ``[V]`` arrays of any array library (NumPy,
        PyTorch, JAX, CuPy), as are the held-out examples.
      inputs, labels: ``[n, D]`` float and int ``[n]``, the held-out examples.
      k: the recall is counted in the ``k`` highest logits (a class tied with the true
        one counts in its favour).

    Returns:
      :class:`Scores` as Python floats. The logits are computed :data:`EVAL_ELEMENTS` at
      a time.
    """
    xp = namespace_of(weights=weights, biases=biases, inputs=inputs, labels=labels)
    num_classes = int(weights.shape[0])
    n = int(labels.shape[0])
    rows = max(1, EVAL_ELEMENTS // num_classes)
    total_loss, hits = 0.0, 0
    for start in range(0, n, rows):
        x, y = inputs[start:start + rows], labels[start:start + rows]
        logits = x @ weights.T + biases
        picked = xp.take_along_axis(logits, y[:, None], axis=1)
        total_loss += float(xp.sum(logsumexp(xp, logits, axis=1) - picked[:, 0]))
        # NaN logits count above the true class, and a NaN true logit below every class
        rank = xp.count_nonzero(~(logits <= picked), axis=1)
        hits += int(xp.count_nonzero(rank < k))
    mean = total_loss / n
    # a diverged run: a mean loss past 709 nats overflows exp (inf), a NaN one stays NaN
    return Scores(math.exp(mean) if not mean > MAX_LOG_PERPLEXITY else math.inf, hits / n)
