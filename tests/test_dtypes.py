"""Every float dtype of every backend: float64 reproduces the oracle's float32 numbers
to float32 precision, float16 and bfloat16 to their own; nothing overflows or gives NaN."""

from __future__ import annotations

import numpy as np
import pytest

import candidate_sampling as cs
from candidate_sampling.conformance.adapters import get_adapter
from candidate_sampling.conformance.runner import run_case

from conftest import BACKENDS, float64_on, moderate_loss_cases

CASES = moderate_loss_cases()
# (backend, dtype, relative tolerance against the float32 oracle)
PRECISIONS = [("numpy", "float64", 1e-5), ("numpy", "float16", 3e-2),
              ("array_api_strict", "float64", 1e-5), ("torch", "float64", 1e-5),
              ("torch", "float16", 3e-2), ("torch", "bfloat16", 1e-1),
              ("torch-cuda", "float64", 1e-5), ("torch-cuda", "float16", 3e-2),
              ("torch-cuda", "bfloat16", 1e-1),
              ("jax-jit", "float16", 3e-2), ("jax-jit", "bfloat16", 1e-1),
              ("jax", "float64", 1e-5), ("jax-jit", "float64", 1e-5)]
"""JAX's float64 runs with ``jax_enable_x64`` on (:func:`conftest.float64_on`)."""
PRECISIONS = [p for p in PRECISIONS if p[0] in BACKENDS]


@pytest.mark.parametrize("backend_name,dtype,tol", PRECISIONS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_golden_case_in_dtype(case, backend_name, dtype, tol):
    with float64_on(backend_name, dtype):
        _check_golden_case(case, backend_name, dtype, tol)


def _check_golden_case(case, backend_name, dtype, tol):
    adapter = get_adapter(backend_name).with_dtype(dtype)
    scale = max(1.0, float(np.max(np.abs(case.outputs["loss"]))))
    grad_scale = max([1.0] + [float(np.max(np.abs(np.concatenate([np.ravel(x) for x in g]))))
                              if isinstance(g, list) else float(np.max(np.abs(g)))
                              for g in case.grads.values()])
    result = run_case(case, adapter, tolerance={
        "rtol": tol, "atol": tol * scale,
        "grad_rtol": 3 * tol, "grad_atol": 3 * tol * grad_scale})
    assert result.ok, result.describe()


@pytest.mark.parametrize("backend_name,dtype", [(b, d) for b, d, _ in PRECISIONS])
def test_hits_and_huge_logits_stay_finite(backend_name, dtype, rng):
    """Logits of magnitude 1e4 (1e2 in bfloat16/float16 sums) and a batch full of
    accidental hits: finite losses and gradients in ``dtype``, masked hits have no weight."""
    with float64_on(backend_name, dtype):
        _check_huge_logits(backend_name, dtype, rng)


def _check_huge_logits(backend_name, dtype, rng):
    adapter = get_adapter(backend_name).with_dtype(dtype)
    num_classes, dim, batch = 12, 4, 6
    scale = 1e4 if dtype in ("float32", "float64") else 2e3
    weights = (rng.normal(size=(num_classes, dim)) * np.sqrt(scale)).astype(np.float32)
    inputs = (rng.normal(size=(batch, dim)) * np.sqrt(scale)).astype(np.float32)
    labels = np.array([[0], [1], [2], [0], [1], [2]])
    sampled = np.array([0, 1, 2, 3, 4])
    values = [sampled, np.full((batch, 1), 0.5, np.float32), np.full(5, 0.5, np.float32)]
    inputs_ = dict(weights=weights, biases=np.zeros(num_classes, np.float32), labels=labels,
                   inputs=inputs, sampled_values=values)
    kwargs = dict(num_sampled=5, num_classes=num_classes, remove_accidental_hits=True)
    for fn in (_in_dtype(cs.sampled_softmax_loss, dtype), _in_dtype(cs.nce_loss, dtype)):
        if adapter.differentiable:
            out, grads = adapter.value_and_grads(fn, inputs_, kwargs, ("weights", "inputs"),
                                                 np.ones(batch, np.float32))
            assert all(np.all(np.isfinite(g.astype(np.float64))) for g in grads.values())
        else:
            out = adapter.call(fn, inputs_, kwargs)
        assert np.all(np.isfinite(out.astype(np.float64))), (fn.__name__, out)
        assert np.all(out.astype(np.float64) >= 0)


def _in_dtype(fn, dtype):
    """``fn``, checking that the loss it returns (before any conversion) is ``dtype``."""
    def checked(**kwargs):
        out = fn(**kwargs)
        assert str(out.dtype).rsplit(".", 1)[-1] == dtype, (fn.__name__, out.dtype)
        return out

    return checked


def test_mask_is_lowest_finite_value_of_each_dtype():
    w = np.eye(3, dtype=np.float32)
    for dtype in (np.float16, np.float32, np.float64):
        logits, _ = cs.compute_sampled_logits(
            w.astype(dtype), np.zeros(3, dtype), np.array([[1]]), w[:1].astype(dtype), 2, 3,
            sampled_values=(np.array([1, 2]), np.ones((1, 1), np.float32), np.ones(2, np.float32)),
            remove_accidental_hits=True)
        assert logits.dtype == dtype
        assert logits[0, 1] == np.finfo(dtype).min
        assert np.isfinite(logits).all()
