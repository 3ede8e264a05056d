"""A sampled softmax port in PyTorch, as such ports are often written: the negatives come
from a log-uniform sampler on the host (NumPy), accidental hits are masked with -10000,
and the expected counts always use the "tries" formula ``-expm1(tries * log1p(-p))``.

Check it against TensorFlow (from this folder)::

    candidate-sampling conform --backend torch --impl port_host_mask:sampled_softmax_loss \\
        --op sampled_softmax_loss
    candidate-sampling conform --backend torch \\
        --impl port_host_mask:log_uniform_candidate_sampler --op log_uniform_candidate_sampler
"""

from __future__ import annotations

import numpy as np
import torch


def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                  seed=None):
    """Zipfian negatives drawn on the host, with their expected counts."""
    rng = np.random.default_rng(seed)
    log_range = np.log(range_max + 1)

    def draw(n):
        return (np.exp(rng.random(n) * log_range).astype(np.int64) - 1) % range_max

    if unique:
        found, tries = [], 0
        while len(found) < num_sampled:
            v = int(draw(1)[0])
            tries += 1
            if v not in found:
                found.append(v)
        sampled = np.array(found)
    else:
        sampled, tries = draw(num_sampled), num_sampled

    def expected_count(ids):
        p = np.log((ids + 2.0) / (ids + 1.0)) / log_range
        return torch.tensor(-np.expm1(tries * np.log1p(-p)), dtype=torch.float32)

    true_classes = torch.as_tensor(true_classes)
    return (torch.as_tensor(sampled), expected_count(true_classes.cpu().numpy()),
            expected_count(sampled))


def sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                         sampled_values=None, remove_accidental_hits=True, seed=None):
    """Per-row sampled softmax loss, TensorFlow 2's signature."""
    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(labels, num_true, num_sampled, True,
                                                       num_classes, seed)
    sampled, true_q, sampled_q = (torch.as_tensor(v) for v in sampled_values)
    labels = labels.long()
    true_logits = (weights[labels] * inputs[:, None, :]).sum(-1) + biases[labels]
    sampled_logits = inputs @ weights[sampled].T + biases[sampled]
    true_logits = true_logits - torch.log(true_q)
    sampled_logits = sampled_logits - torch.log(sampled_q)
    if remove_accidental_hits:
        hits = (labels[:, :, None] == sampled[None, None, :]).any(1)
        sampled_logits = sampled_logits.masked_fill(hits, -10000.0)
    logits = torch.cat([true_logits, sampled_logits], 1)
    targets = torch.cat([torch.full_like(true_logits, 1.0 / num_true),
                         torch.zeros_like(sampled_logits)], 1)
    return -(targets * torch.log_softmax(logits, 1)).sum(1)


if __name__ == "__main__":  # one loss on random data
    print(sampled_softmax_loss(torch.randn(100, 8), torch.zeros(100), torch.randint(0, 100, (4, 1)),
                               torch.randn(4, 8), num_sampled=10, num_classes=100, seed=1))
