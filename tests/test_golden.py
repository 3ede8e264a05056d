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
VALUE_CASES = [c for c in CASES if c.raises is None and c.deviation is None]
ERROR_CASES = [c for c in CASES if (c.raises is not None and c.deviation is None)
               or (c.deviation or {}).get("expect") == "raises"]
DEVIATION_CASES = [c for c in CASES if (c.deviation or {}).get("expect") == "value"]
DYNAMIC_SHAPE_OPS = {"compute_accidental_hits"}  # output length depends on the data: no jit


EAGER_JAX_EVERY = 4
"""Eager JAX compiles every primitive for every new shape (about 2 s a case on two
cores), so it runs a fixed quarter of the cases; ``jax-jit`` runs them all, values and
gradients in one compiled program, and the code path is the same."""


def _pairs():
    for index, case in enumerate(VALUE_CASES):
        for name in BACKENDS:
            if get_adapter(name).traced and case.op in DYNAMIC_SHAPE_OPS:
                continue
            if name == "jax" and index % EAGER_JAX_EVERY and case.op not in DYNAMIC_SHAPE_OPS:
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
    """Where the oracle raised, crashed, hung or returned NaN, we raise a ValueError or TypeError."""
    inputs, kwargs = case_inputs(case)
    adapter = get_adapter("numpy")
    with pytest.raises((ValueError, TypeError)):
        adapter.call(op_spec(case.op, case.api).resolve(), inputs, kwargs)


@pytest.mark.parametrize("case", DEVIATION_CASES, ids=lambda c: c.id)
def test_documented_result_where_the_oracle_fails(case):
    """Where the oracle's failure is a defect (spec/deviations.json), we return finite losses."""
    import numpy as np

    inputs, kwargs = case_inputs(case)
    out = get_adapter("numpy").call(op_spec(case.op, case.api).resolve(), inputs, kwargs)
    rows = np.shape(case.inputs.get("inputs", case.inputs.get("logits")))[0]
    assert np.shape(out)[0] == rows
    assert np.all(np.isfinite(out)) and np.all(np.asarray(out) >= 0)
