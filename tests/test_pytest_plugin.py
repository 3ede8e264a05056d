"""The pytest plugin: one readable pytest test per golden case, for any implementation."""

from __future__ import annotations

from pathlib import Path

from candidate_sampling.conformance.suite import select_cases

TESTS = Path(__file__).resolve().parent

MODULE = """
import pytest
from candidate_sampling.conformance.pytest_plugin import test_golden_case  # noqa: F401

pytestmark = pytest.mark.conformance(op="sampled_sparse_softmax_loss", semantics="contrib",
                                     backends=["numpy"])
"""


def test_this_library_passes_every_case(pytester):
    pytester.makepyfile(test_conform=MODULE)
    result = pytester.runpytest("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=len(select_cases("sampled_sparse_softmax_loss", "contrib")))


def test_a_wrong_implementation_fails_with_readable_ids(pytester):
    pytester.makeconftest(f"""
import sys
import pytest
sys.path.insert(0, {str(TESTS)!r})

@pytest.fixture
def conformance_impl():
    from wrong.ports import forgets_log_q
    return forgets_log_q
""")
    pytester.makepyfile(test_conform="""
import pytest
from candidate_sampling.conformance.pytest_plugin import test_golden_case  # noqa: F401

pytestmark = pytest.mark.conformance(op="sampled_softmax_loss", semantics="tf2")
""")
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "-rf")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) > 0 and outcomes.get("passed", 0) > 0
    result.stdout.fnmatch_lines(["FAILED test_conform.py::test_golden_case"
                                 "[[]numpy-tf2.sampled_softmax_loss.t1-*]*"])
    assert "[numpy]: loss off by" in result.stdout.str()


def test_options_name_the_implementation_and_op(pytester):
    pytester.makepyfile(test_conform="""
from candidate_sampling.conformance.pytest_plugin import test_golden_case  # noqa: F401
""")
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "--conform-op", "nce_loss",
                                "--conform-semantics", "tf1", "--conform-impl",
                                "candidate_sampling.compat.tf.v1:nce_loss")
    result.assert_outcomes(passed=len(select_cases("nce_loss", "tf1")))


def test_missing_op_is_a_usage_error(pytester):
    pytester.makepyfile(test_conform="""
from candidate_sampling.conformance.pytest_plugin import test_golden_case  # noqa: F401
""")
    result = pytester.runpytest("-p", "no:cacheprovider", "-q")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*test_golden_case needs an op*"])
