"""A sampled softmax port in PyTorch, as such ports are often written: the negatives are
``torch.multinomial(probs, 2 * num_sampled, replacement=True).unique()``, the expected
counts ``p * num_sampled``, and the loss a cross entropy against the first column.

Check it against TensorFlow (from this folder)::

    candidate-sampling conform --backend torch \\
        --impl port_multinomial_unique:sampled_softmax_loss --op sampled_softmax_loss
    candidate-sampling conform --backend torch \\
        --impl port_multinomial_unique:log_uniform_candidate_sampler \\
        --op log_uniform_candidate_sampler
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                  seed=None):
    """Zipfian negatives from ``torch.multinomial``, with their expected counts."""
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    ids = torch.arange(range_max, dtype=torch.float64)
    probs = (torch.log(ids + 2) - torch.log(ids + 1)) / math.log(range_max + 1)
    draws = torch.multinomial(probs, 2 * num_sampled, replacement=True, generator=generator)
    sampled = draws.unique()[:num_sampled] if unique else draws[:num_sampled]
    true_q = probs[torch.as_tensor(true_classes).long()] * num_sampled
    return sampled, true_q.float(), (probs[sampled] * num_sampled).float()


def sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                         sampled_values=None, remove_accidental_hits=True, seed=None):
    """Per-row sampled softmax loss, TensorFlow 2's signature."""
    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(labels, num_true, num_sampled, True,
                                                       num_classes, seed)
    sampled, true_q, sampled_q = (torch.as_tensor(v).detach() for v in sampled_values)
    labels = labels.long()
    true_logits = (weights[labels] * inputs[:, None, :]).sum(-1) + biases[labels]
    sampled_logits = inputs @ weights[sampled].T + biases[sampled]
    logits = torch.cat([true_logits - torch.log(true_q),
                        sampled_logits - torch.log(sampled_q)], 1)
    if remove_accidental_hits:
        hits = (labels[:, :, None] == sampled[None, None, :]).any(1)
        logits[:, num_true:] = logits[:, num_true:].masked_fill(hits, float("-inf"))
    return F.cross_entropy(logits, torch.zeros(len(logits), dtype=torch.long),
                           reduction="none")


if __name__ == "__main__":  # one loss on random data
    print(sampled_softmax_loss(torch.randn(100, 8), torch.zeros(100), torch.randint(0, 100, (4, 1)),
                               torch.randn(4, 8), num_sampled=10, num_classes=100, seed=1))
