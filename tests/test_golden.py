"""Every golden case of the real TensorFlow and Paddle, on every installed backend.

Values on every backend; gradients where the backend differentiates (PyTorch
autograd, ``jax.vjp``, also under ``jax.jit``).
"""

from __future__ import annotations

import pytest

from candidate_sampling.conformance import load_cases
from candidate_sampling.conformance.adapters import get_adapter
from candidate_sampling.conformance.ops import op_spec
from candidate_sampling.conformance.runner import case_inputs, run_case

from conftest import BACKENDS

CASES = [c for c in load_cases() if op_spec(c.op, c.api) is not None and not c.is_stream]
VALUE_CASES = [c for c in CASES if c.raises is None]
ERROR_CASES = [c for c in CASES if c.raises is not None]
DYNAMIC_SHAPE_OPS = {"compute_accidental_hits"}  # output length depends on the data: no jit


def _pairs():
    for case in VALUE_CASES:
        for name in BACKENDS:
            if get_adapter(name).traced and case.op in DYNAMIC_SHAPE_OPS:
                continue
            yield pytest.param(case, name, id=f"{case.id}-{name}")


def test_there_are_enough_cases():
    ops = {c.op for c in VALUE_CASES}
    assert len(VALUE_CASES) >= 200
    assert {"sampled_softmax_loss", "nce_loss", "compute_accidental_hits",
            "rank_sampled_softmax_loss", "sampled_sparse_softmax_loss",
            "sampled_softmax_with_cross_entropy"} <= ops


@pytest.mark.parametrize(("case", "backend_name"), list(_pairs()))
def test_golden_case(case, backend_name):
    result = run_case(case, get_adapter(backend_name))
    assert result.comparisons, f"{case.id}: nothing was compared"
    assert result.ok, result.describe()


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda c: c.id)
def test_oracle_error_case_raises_clearly(case):
    """Where the oracle raised, crashed or hung, we raise a ValueError or TypeError."""
    inputs, kwargs = case_inputs(case)
    adapter = get_adapter("numpy")
    with pytest.raises((ValueError, TypeError)):
        adapter.call(op_spec(case.op, case.api).resolve(), inputs, kwargs)
