"""Which callable, arguments and outputs belong to each (op, origin) pair of the golden cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["OpSpec", "OPS", "op_spec", "FLOAT_INPUTS"]

FLOAT_INPUTS = ("weights", "biases", "inputs", "logits")
"""Inputs that gradients are taken against, where a case has them."""


@dataclass(frozen=True)
class OpSpec:
    """How to call candidate_sampling for one (op, origin)."""

    op: str
    api: str
    target: str           # "module:function" of candidate_sampling
    outputs: tuple        # names of the returned values, in order

    def resolve(self) -> Callable[..., Any]:
        import importlib

        module, _, attr = self.target.partition(":")
        obj: Any = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj


_TF = "candidate_sampling.compat.tf"
OPS = {(s.op, s.api): s for s in (
    OpSpec("sampled_softmax_loss", "tf2", f"{_TF}.nn:sampled_softmax_loss", ("loss",)),
    OpSpec("nce_loss", "tf2", f"{_TF}.nn:nce_loss", ("loss",)),
    OpSpec("sampled_softmax_loss", "tf1", f"{_TF}.v1:sampled_softmax_loss", ("loss",)),
    OpSpec("nce_loss", "tf1", f"{_TF}.v1:nce_loss", ("loss",)),
    OpSpec("compute_sampled_logits", "tf2", "candidate_sampling:compute_sampled_logits",
           ("logits", "labels")),
    OpSpec("compute_accidental_hits", "tf2", f"{_TF}.nn:compute_accidental_hits",
           ("indices", "ids", "weights")),
    OpSpec("rank_sampled_softmax_loss", "contrib", f"{_TF}.contrib:rank_sampled_softmax_loss",
           ("loss",)),
    OpSpec("sampled_sparse_softmax_loss", "contrib", f"{_TF}.contrib:sampled_sparse_softmax_loss",
           ("loss",)),
    OpSpec("sampled_softmax_with_cross_entropy", "paddle",
           "candidate_sampling.compat.paddle:sampled_softmax_with_cross_entropy", ("loss",)),
    *(OpSpec(sampler, "tf2", f"{_TF}.random:{sampler}",
             ("sampled_candidates", "true_expected_count", "sampled_expected_count"))
      for sampler in ("uniform_candidate_sampler", "log_uniform_candidate_sampler",
                      "learned_unigram_candidate_sampler", "fixed_unigram_candidate_sampler",
                      "all_candidate_sampler")),
)}


def op_spec(op: str, api: str) -> OpSpec | None:
    """The spec of (op, api), or None if candidate_sampling has no such front end."""
    return OPS.get((op, api))
