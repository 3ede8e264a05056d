"""The pytest plugin: one readable pytest test per golden case, for any implementation."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_an_implementation_that_cannot_be_imported_is_one_usage_error(pytester):
    """One collection error naming --conform-impl (an error in each of the op's 67
    tests, each naming --impl, before)."""
    pytester.makepyfile(test_conform="""
from candidate_sampling.conformance.pytest_plugin import test_golden_case  # noqa: F401
""")
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "--conform-op", "nce_loss",
                                "--conform-impl", "nosuch_module:fn")
    assert result.ret == pytest.ExitCode.INTERRUPTED  # a collection error, as a missing op
    result.stdout.fnmatch_lines(["*UsageError: --conform-impl: cannot import 'nosuch_module'*",
                                 "*1 error*"])


def test_sampler_laws_and_streams_as_tests(pytester):
    """A sampler op runs its law cases; a claimed stream adds its cases."""
    pytester.makepyfile(test_conform="""
import pytest
from candidate_sampling.conformance.pytest_plugin import test_golden_case  # noqa: F401

pytestmark = pytest.mark.conformance(op="uniform_candidate_sampler", stream="tf2")


@pytest.fixture
def conformance_impl():
    from candidate_sampling.compat.tf.random import uniform_candidate_sampler
    return uniform_candidate_sampler
""")
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "--collect-only")
    ids = result.stdout.str()
    assert "test_golden_case[numpy-laws.tf2.uniform_candidate_sampler.unique]" in ids
    assert "test_golden_case[numpy-tf2.stream.uniform.u-gs-t1-s5-r20]" in ids
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "-k",
                                "unique or u-gs-t1-s5-r20 or nu-s-t2")
    # laws .unique, streams (n)u-gs-t1-s5-r20, nu-s-t2-s8-r50, errors .error-unique-more-than-range
    result.assert_outcomes(passed=5)


def test_one_backend_may_be_a_string(pytester):
    pytester.makepyfile(test_conform=MODULE.replace('backends=["numpy"]', 'backends="numpy"'))
    result = pytester.runpytest("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=len(select_cases("sampled_sparse_softmax_loss", "contrib")))


def test_an_absent_backend_skips_with_a_reason(pytester):
    """A backend whose library is not installed (or finds no device) is one skipped test
    that names it; the other backends run."""
    from candidate_sampling.conformance.adapters import available_adapters

    if "cupy" in available_adapters():
        pytest.skip("CuPy finds a GPU here: no backend of the suite is absent")
    pytester.makepyfile(test_conform=MODULE.replace('backends=["numpy"]',
                                                    'backends=["numpy", "cupy"]'))
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "-rs")
    result.assert_outcomes(passed=len(select_cases("sampled_sparse_softmax_loss", "contrib")),
                           skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] *backend 'cupy': cupy *"])


def test_torch_names_torch_cuda_too_which_skips_without_a_gpu(pytester):
    """``torch`` names both PyTorch backends (as ``jax`` names ``jax-jit``): the CPU
    one runs, and where torch sees no GPU, ``torch-cuda`` is one skipped test that
    says so."""
    pytest.importorskip("torch")
    from candidate_sampling.conformance.adapters import available_adapters

    if "torch-cuda" in available_adapters():
        pytest.skip("torch sees a GPU here: torch-cuda runs")
    pytester.makepyfile(test_conform=MODULE.replace('backends=["numpy"]', 'backends="torch"'))
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "-rs")
    result.assert_outcomes(passed=len(select_cases("sampled_sparse_softmax_loss", "contrib")),
                           skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] *backend 'torch-cuda': torch finds no "
                                 "device here*"])


def test_an_unknown_backend_is_a_usage_error(pytester):
    pytester.makepyfile(test_conform=MODULE.replace('backends=["numpy"]', 'backends=["nmpy"]'))
    result = pytester.runpytest("-p", "no:cacheprovider", "-q")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*conformance(backends=...) or --conform-backend: must be "
                                 "among *, got 'nmpy'*"])
