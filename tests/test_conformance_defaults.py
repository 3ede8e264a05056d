"""The ``+defaults`` checks: golden value cases called again without the arguments whose
recorded values are the original's defaults. A port whose defaults differ from
TensorFlow's or Paddle's passed every other check (each case passes every argument)."""

from __future__ import annotations

import pytest

from candidate_sampling.compat import paddle
from candidate_sampling.compat.tf import nn, v1
from candidate_sampling.conformance.defaults import SUFFIX, signature_defaults
from candidate_sampling.conformance.suite import run_checks, select_cases


def test_the_defaults_are_the_recorded_signatures():
    assert signature_defaults("nce_loss", "tf2") == {"num_true": 1,
                                                    "remove_accidental_hits": False}
    assert signature_defaults("sampled_softmax_loss", "tf1") == {
        "num_true": 1, "remove_accidental_hits": True, "partition_strategy": "mod"}
    assert signature_defaults("sampled_sparse_softmax_loss", "contrib") == {
        "remove_accidental_hits": True, "partition_strategy": "mod"}
    assert signature_defaults("sampled_softmax_with_cross_entropy", "paddle")[
        "remove_accidental_hits"] is True
    assert signature_defaults("rank_sampled_softmax_loss", "contrib") == {}  # none


def _failed(impl, op, api):
    checks = run_checks(select_cases(op, api), ["numpy"], impl=impl)
    assert checks and any(c.case.id.endswith(SUFFIX) for c in checks)
    return [c.case for c in checks if not c.result.ok]


@pytest.mark.parametrize("op, api, original, wrong", [
    ("nce_loss", "tf2", nn.nce_loss, {"remove_accidental_hits": True}),
    ("sampled_softmax_loss", "tf2", nn.sampled_softmax_loss, {"remove_accidental_hits": False}),
    ("sampled_softmax_loss", "tf2", nn.sampled_softmax_loss, {"num_true": 2}),
    ("sampled_softmax_loss", "tf1", v1.sampled_softmax_loss, {"partition_strategy": "div"}),
    ("sampled_softmax_with_cross_entropy", "paddle", paddle.sampled_softmax_with_cross_entropy,
     {"remove_accidental_hits": False}),
])
def test_a_port_with_another_default_fails_its_defaults_checks(op, api, original, wrong):
    """It fails a ``+defaults`` variant, and only checks that leave the argument out."""
    def port(*args, **kwargs):
        return original(*args, **{**wrong, **kwargs})

    failed = _failed(port, op, api)
    assert any(case.id.endswith(SUFFIX) for case in failed), [c.id for c in failed]
    assert not any(set(wrong) <= set(case.kwargs) for case in failed)
    assert _failed(original, op, api) == []


def test_a_port_as_lenient_as_tensorflow_is_not_held_to_the_checks_this_library_adds():
    """TensorFlow returns a loss for rank-1 and rank-3 labels without hit removal (run);
    a port that does the same failed those error checks, which TensorFlow itself skips."""
    from candidate_sampling.conformance.suite import plan
    from candidate_sampling.conformance.targets import Target

    target = Target(impl="port:loss", op="sampled_softmax_loss", semantics="tf2")
    skipped = {p.case.id: p.skip for p in plan(target, ["numpy"]) if p.kind == "errors"}
    added = "TensorFlow returns here; the error is a check this library adds"
    assert {k for k, why in skipped.items() if why == added} == {
        "tf2.sampled_softmax_loss.error-labels-rank1-norah",
        "tf2.sampled_softmax_loss.error-labels-rank3-norah"}
    paddle_target = Target(impl="port:loss", op="sampled_softmax_with_cross_entropy",
                           semantics="paddle")
    assert all(p.skip is None for p in plan(paddle_target, ["numpy"]) if p.kind == "errors")
