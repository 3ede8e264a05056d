"""What sampling replaces: a training step of FULL softmax over every class, the
baseline of the demo and the benchmarks."""

from __future__ import annotations

from typing import Any

from .core.losses import logsumexp_terms

__all__ = ["full_softmax_step"]


def full_softmax_step(xp: Any, weights: Any, biases: Any, inputs: Any, labels: Any,
                      learning_rate: float) -> tuple[Any, Any]:
    """One SGD step of the mean full softmax cross entropy on NumPy-like arrays (NumPy,
    CuPy): updates ``weights [V, D]`` and ``biases [V]`` in place and returns
    ``(mean loss, d loss / d inputs)``; ``labels`` is int ``[B]``."""
    batch = int(inputs.shape[0])
    logits = inputs @ weights.T + biases
    lse, exps, totals = logsumexp_terms(xp, logits, axis=1)
    rows = xp.arange(batch)
    loss = xp.mean(lse - logits[rows, labels])
    d_logits = exps / totals
    d_logits[rows, labels] -= 1.0
    d_logits /= batch
    d_inputs = d_logits @ weights
    weights -= learning_rate * (d_logits.T @ inputs)
    biases -= learning_rate * xp.sum(d_logits, axis=0)
    return loss, d_inputs
