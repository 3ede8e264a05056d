"""Sampled softmax in PyTorch, TensorFlow 2's signature: ``tf_port`` right, and a port
that lets gradients flow into the expected counts (TensorFlow stops them)."""

from __future__ import annotations

import numpy as np
import torch

from .ports import FLT_MAX, check, hit_mask, shard_rows


def _host(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _lookup(params, ids: torch.Tensor) -> torch.Tensor:
    if not isinstance(params, (list, tuple)):
        return params[ids]
    shard, row = shard_rows([len(p) for p in params], _host(ids).ravel(), "div")
    rows = torch.stack([params[s][r] for s, r in zip(shard.tolist(), row.tolist())])
    return rows.reshape(tuple(ids.shape) + tuple(rows.shape[1:]))


def _loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true, sampled_values,
          remove_accidental_hits, stop_counts=True):
    check([_host(w) for w in weights] if isinstance(weights, (list, tuple)) else _host(weights),
          _host(labels), _host(inputs), num_true, num_classes,
          None if sampled_values is None else [_host(v) for v in sampled_values])
    sampled, true_q, sampled_q = sampled_values
    if stop_counts:
        true_q, sampled_q = true_q.detach(), sampled_q.detach()
    labels = labels.to(torch.int64)
    true = (inputs[:, None, :] * _lookup(weights, labels)).sum(-1) + _lookup(biases, labels)
    samp = inputs @ _lookup(weights, sampled).T + _lookup(biases, sampled)
    if remove_accidental_hits:
        mask = torch.from_numpy(hit_mask(_host(labels), _host(sampled)))
        samp = samp + torch.where(mask, -float(FLT_MAX), 0.0).to(samp.dtype)
    true, samp = true - torch.log(true_q), samp - torch.log(sampled_q)
    return torch.logsumexp(torch.cat([true, samp], 1), 1) - true.mean(1)


def tf_port(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
            sampled_values=None, remove_accidental_hits=True, seed=None):
    """Right: TensorFlow 2's sampled softmax loss, no gradient into ``sampled_values``."""
    return _loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                 sampled_values, remove_accidental_hits)


def counts_take_gradients(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                          sampled_values=None, remove_accidental_hits=True, seed=None):
    """Lets gradients flow into the expected counts of ``sampled_values``."""
    return _loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                 sampled_values, remove_accidental_hits, stop_counts=False)
