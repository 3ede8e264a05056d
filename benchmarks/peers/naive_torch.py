"""A naive PyTorch port of sampled softmax and NCE, written the way such ports are commonly
written, as a peer for the benchmarks (run as ``python -m
candidate_sampling.benchmarks.peers.naive_torch``; one JSON task a line, see
``protocol.py``):

- the sampler is ``torch.multinomial`` over the log-uniform distribution of all ``V``
  classes, without replacement, and the expected counts are ``num_sampled * p``;
- the rows are gathered by indexing, ``weight[ids]``, so the weight gradient is a dense
  ``[V, D]`` tensor, zero except on the touched rows;
- the loss is ``F.cross_entropy`` (NCE: ``F.binary_cross_entropy_with_logits``) on the
  concatenated true and sampled logits, accidental hits masked with the lowest float;
- the update is a dense ``torch.optim.SGD`` step over all ``V`` rows.

Given the same sampled values the losses equal ``candidate_sampling``'s
(:func:`sampled_logits`, :func:`sampled_softmax_loss`, :func:`nce_loss`), so the
benchmark compares the same computation written two ways.

Tasks: ``{"task": "step", "loss": "sampled_softmax"|"nce", "batch", "dim", "num_sampled",
"num_classes", "number", "warmup", "budget_s"}``; ``{"task": "release"}`` drops the
weights kept between tasks.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .protocol import serve, time_calls

__all__ = ["log_uniform_probabilities", "sample", "sampled_logits", "sampled_softmax_loss",
           "nce_loss", "initial_parameters", "NaiveStep"]


def log_uniform_probabilities(num_classes: int, device: torch.device | str | None = None) -> torch.Tensor:
    """``p(k) = log((k + 2) / (k + 1)) / log(V + 1)`` for every class ``k < V``."""
    k = torch.arange(num_classes, dtype=torch.float64, device=device)
    return (torch.log((k + 2) / (k + 1)) / math.log(num_classes + 1)).to(torch.float32)


def sample(probabilities: torch.Tensor, num_sampled: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(ids [S], expected counts [S])``: ``num_sampled`` distinct classes by
    ``torch.multinomial``, expected counts ``num_sampled * p``."""
    ids = torch.multinomial(probabilities, num_sampled, replacement=False)
    return ids, num_sampled * probabilities[ids]


def sampled_logits(weight: torch.Tensor, bias: torch.Tensor, inputs: torch.Tensor,
                   labels: torch.Tensor, sampled: torch.Tensor, true_expected: torch.Tensor,
                   sampled_expected: torch.Tensor,
                   remove_accidental_hits: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """``(logits [B, T + S], targets [B, T + S])``: ``x w^T + b - log(expected count)`` of
    the true classes ``labels [B, T]`` then the sampled ones; targets ``1/T`` on the true
    columns."""
    num_true = labels.shape[1]
    true_logits = (inputs[:, None, :] * weight[labels]).sum(-1) + bias[labels]
    true_logits = true_logits - torch.log(true_expected)
    logits_sampled = inputs @ weight[sampled].T + bias[sampled] - torch.log(sampled_expected)
    if remove_accidental_hits:
        hits = (labels[:, :, None] == sampled[None, None, :]).any(dim=1)
        logits_sampled = logits_sampled.masked_fill(hits, torch.finfo(logits_sampled.dtype).min)
    logits = torch.cat([true_logits, logits_sampled], dim=1)
    targets = torch.cat([torch.full_like(true_logits, 1.0 / num_true),
                         torch.zeros_like(logits_sampled)], dim=1)
    return logits, targets


def sampled_softmax_loss(weight: torch.Tensor, bias: torch.Tensor, inputs: torch.Tensor,
                         labels: torch.Tensor, sampled: torch.Tensor,
                         true_expected: torch.Tensor, sampled_expected: torch.Tensor,
                         remove_accidental_hits: bool = True) -> torch.Tensor:
    """Per-row sampled softmax losses ``[B]``: ``F.cross_entropy`` with soft targets."""
    logits, targets = sampled_logits(weight, bias, inputs, labels, sampled, true_expected,
                                     sampled_expected, remove_accidental_hits)
    return F.cross_entropy(logits, targets, reduction="none")


def nce_loss(weight: torch.Tensor, bias: torch.Tensor, inputs: torch.Tensor,
             labels: torch.Tensor, sampled: torch.Tensor, true_expected: torch.Tensor,
             sampled_expected: torch.Tensor, remove_accidental_hits: bool = False) -> torch.Tensor:
    """Per-row NCE losses ``[B]``: ``F.binary_cross_entropy_with_logits`` summed over the
    true and sampled columns."""
    logits, targets = sampled_logits(weight, bias, inputs, labels, sampled, true_expected,
                                     sampled_expected, remove_accidental_hits)
    return F.binary_cross_entropy_with_logits(logits, targets, reduction="none").sum(dim=1)


LOSSES = {"sampled_softmax": sampled_softmax_loss, "nce": nce_loss}


def initial_parameters(num_classes: int, dim: int,
                       device: torch.device | str = "cpu") -> tuple[torch.nn.Parameter, ...]:
    """``(weight [V, D], bias [V])``: normal weights (standard deviation 0.05, one random
    block of rows repeated, as the benchmark's other implementations), zero biases."""
    gen = torch.Generator().manual_seed(0)
    block = torch.randn(min(4096, num_classes), dim, generator=gen) * 0.05
    weight = block.repeat(-(-num_classes // block.shape[0]), 1)[:num_classes].contiguous()
    return (torch.nn.Parameter(weight.to(device)),
            torch.nn.Parameter(torch.zeros(num_classes, device=device)))


class NaiveStep:
    """One training step of the naive port on ``weight``/``bias``: sample, loss, backward
    (dense weight gradient), dense SGD update; :meth:`step` returns the input gradient."""

    def __init__(self, loss: str, weight: torch.nn.Parameter, bias: torch.nn.Parameter,
                 batch: int, num_sampled: int, learning_rate: float = 0.1):
        if loss not in LOSSES:
            raise ValueError(f"loss: must be one of {sorted(LOSSES)}, got {loss!r}")
        num_classes, dim = weight.shape
        gen = torch.Generator().manual_seed(1)
        self.weight, self.bias = weight, bias
        self.optimizer = torch.optim.SGD([weight, bias], lr=learning_rate)
        self.probabilities = log_uniform_probabilities(num_classes, weight.device)
        self.inputs = torch.randn(batch, dim, generator=gen).to(weight.device).requires_grad_()
        self.labels = torch.randint(0, num_classes, (batch, 1), generator=gen).to(weight.device)
        self.loss, self.num_sampled = LOSSES[loss], num_sampled
        self.true_expected = num_sampled * self.probabilities[self.labels]

    def step(self) -> torch.Tensor:
        self.optimizer.zero_grad()
        self.inputs.grad = None
        sampled, sampled_expected = sample(self.probabilities, self.num_sampled)
        loss = self.loss(self.weight, self.bias, self.inputs, self.labels, sampled,
                         self.true_expected, sampled_expected).mean()
        loss.backward()
        self.optimizer.step()
        return self.inputs.grad


_STATE: dict = {}  # (num_classes, dim): (weight, bias, {(loss, batch, num_sampled): NaiveStep})


def step_task(t: dict) -> list[float]:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    shape = (t["num_classes"], t["dim"])
    if shape not in _STATE:
        _STATE.clear()  # one shape at a time: free the last one's weights first
        _STATE[shape] = (*initial_parameters(*shape, device=device), {})
    weight, bias, steps = _STATE[shape]
    key = (t.get("loss", "sampled_softmax"), t["batch"], t["num_sampled"])
    if key not in steps:
        steps[key] = NaiveStep(key[0], weight, bias, key[1], key[2])
    sync = (lambda _: torch.cuda.synchronize()) if device.type == "cuda" else None
    return time_calls(steps[key].step, t["number"], t.get("warmup", 2), sync=sync,
                      budget_s=t.get("budget_s"))


def release_task(t: dict) -> list[float]:
    """Drop the weights kept between tasks."""
    _STATE.clear()
    return []


if __name__ == "__main__":
    serve({"step": step_task, "release": release_task}, f"torch {torch.__version__}")
