"""Deliberately wrong implementations (tests/wrong/) that the conformance suite must reject,
each by the case group that exists to catch it; the right ports next to them pass every
case, so each failure comes from the one mistake a mutant makes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from candidate_sampling.conformance import report
from candidate_sampling.conformance.suite import run_target
from candidate_sampling.conformance.targets import Target

sys.path.insert(0, str(Path(__file__).parent))

LOSS = ("sampled_softmax_loss", "tf2")
SAMPLER = ("log_uniform_candidate_sampler", "tf2")

# name -> (op, semantics, backend, kind that catches it, words of the failure)
MUTANTS = {
    "ports:forgets_log_q": (*LOSS, "numpy", "values", "loss off by"),
    "ports:masks_every_duplicate": (*LOSS, "numpy", "values", "hand-dups-hits-rah"),
    "ports:drops_one_over_num_true": (*LOSS, "numpy", "values", "t2-"),
    "ports:nce_mask_minus_1e4": ("nce_loss", "tf2", "numpy", "values", "huge-logits-hits-rah"),
    "ports:nce_mask_minus_1e20": ("nce_loss", "tf2", "numpy", "values", "huge-logits-hits-rah"),
    "ports:bias_after_mask": ("compute_sampled_logits", "tf2", "numpy", "values",
                              "huge-logits-hits-rah [numpy]: logits off by"),
    "ports:true_columns_last": ("compute_sampled_logits", "tf2", "numpy", "values",
                                "labels off by"),
    "ports:div_off_for_uneven_shards": ("sampled_softmax_loss", "tf1", "numpy", "values",
                                        "tf1.sampled_softmax_loss.div-"),
    "ports:rank_by_max": ("rank_sampled_softmax_loss", "contrib", "numpy", "values",
                          "loss off by"),
    "ports:rank_bias_temperature_twice": ("rank_sampled_softmax_loss", "contrib", "numpy",
                                          "values", "loss off by"),
    "ports:never_raises": (*LOSS, "numpy", "errors", "instead of raising"),
    "torch_ports:counts_take_gradients": (*LOSS, "torch", "values",
                                          "d/dsampled_values is"),
    "samplers:raw_probability": (*SAMPLER, "numpy", "laws", "differ from p * num_sampled"),
    "samplers:p_times_s_under_unique": (*SAMPLER, "numpy", "laws", "mean number of tries"),
    "samplers:tries_formula_always": (*SAMPLER, "numpy", "laws",
                                      "no number of tries >= num_sampled explains"),
    "samplers:off_by_one_law": (*SAMPLER, "numpy", "laws", "law of the draws: chi-square"),
    "samplers:with_replacement_under_unique": (*SAMPLER, "numpy", "laws",
                                               "repeat an id under unique=True"),
    "samplers:tries_fixed_at_twice_s": (*SAMPLER, "numpy", "laws", "mean number of tries"),
    "samplers:skips_range_checks": (*SAMPLER, "numpy", "errors", "instead of raising"),
}

RIGHT = {
    "ports:tf_port": (*LOSS, "numpy"),
    "ports:nce_port": ("nce_loss", "tf2", "numpy"),
    "ports:logits_port": ("compute_sampled_logits", "tf2", "numpy"),
    "ports:tf1_port": ("sampled_softmax_loss", "tf1", "numpy"),
    "ports:rank_port": ("rank_sampled_softmax_loss", "contrib", "numpy"),
    "torch_ports:tf_port": (*LOSS, "torch"),
    "samplers:log_uniform": (*SAMPLER, "numpy"),
}


def run(impl: str, op: str, semantics: str, backend: str):
    if backend.startswith("torch"):
        pytest.importorskip("torch")
    return run_target(Target(impl=f"wrong.{impl}", op=op, semantics=semantics), [backend],
                      isolate=False)


def test_enough_mutants():
    assert len(MUTANTS) >= 15
    assert {kind for *_, kind, _ in MUTANTS.values()} == {"values", "errors", "laws"}


@pytest.mark.parametrize("impl", sorted(RIGHT))
def test_right_ports_pass_everything(impl):
    checks = run(impl, *RIGHT[impl])
    assert report.verdict(checks)[1] == 0, report.failures(checks)
    assert sum(c.status == "passed" for c in checks) >= 3


@pytest.mark.parametrize("impl", sorted(MUTANTS))
def test_mutant_is_rejected_by_its_group(impl):
    op, semantics, backend, kind, words = MUTANTS[impl]
    checks = run(impl, op, semantics, backend)
    failed = [c for c in checks if c.status == "failed"]
    assert report.verdict(checks)[1] == len(failed) > 0
    caught = [c for c in failed if c.kind == kind]
    assert caught, report.failures(checks)
    assert any(words in c.result.describe() for c in caught), report.failures(checks)


def test_a_port_reading_its_tensors_with_numpy_fails_under_torch_func():
    """``torch_ports:tf_port`` passes on ``torch`` but reads its tensors with ``.numpy()``,
    which a ``torch.func`` transform refuses: the ``torch.func`` backend says so, for the
    value cases only (its error cases raise before any gradient)."""
    checks = run("torch_ports:tf_port", *LOSS, "torch.func")
    failed = [c for c in checks if c.status == "failed"]
    assert failed and {c.kind for c in failed} == {"values"}
    assert all("Cannot access data pointer" in c.result.describe() for c in failed), \
        report.failures(checks)
