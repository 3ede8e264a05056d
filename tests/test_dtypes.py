"""Every float dtype of every backend: float64 reproduces the oracle's float32 numbers
to float32 precision, float16 and bfloat16 to their own; nothing overflows or gives NaN."""

from __future__ import annotations

import numpy as np
import pytest

import candidate_sampling as cs
from candidate_sampling.conformance.adapters import get_adapter
from candidate_sampling.conformance.runner import run_case

from conftest import BACKENDS, exact_softplus_sigmoid, float64_on, moderate_loss_cases

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


FLOAT64 = [b for b, d, _ in PRECISIONS if d == "float64"] + [
    b for b in ("torch.func",) if b in BACKENDS]


def _long_double_losses(kind, weights, biases, labels, inputs, values, hits):
    """Per-row losses and their gradient w.r.t. the inputs (cotangent ones), in long
    double, from the definitions: softmax cross entropy over the ``T`` true and ``S``
    sampled logits ``x . w + b - log Q`` (targets ``1/T``), or NCE's sigmoid cross entropy
    summed over them; a masked hit contributes nothing."""
    wide = np.longdouble
    w, b, x = weights.astype(wide), biases.astype(wide), inputs.astype(wide)
    ids, true_q, sampled_q = values
    num_true = labels.shape[1]
    true = (np.einsum("btd,bd->bt", w[labels], x) + b[labels]
            - np.log(true_q.astype(wide)))
    sampled = x @ w[ids].T + b[ids] - np.log(sampled_q.astype(wide))
    masked = ((labels[:, :, None] == ids[None, None, :]).any(axis=1) if hits
              else np.zeros(sampled.shape, bool))
    if kind == "softmax":
        logits = np.concatenate([true, np.where(masked, -np.inf, sampled)], axis=1)
        top = logits.max(axis=1, keepdims=True)
        weights_ = np.exp(logits - top)
        loss = top[:, 0] + np.log(weights_.sum(axis=1)) - true.sum(axis=1) / num_true
        p = weights_ / weights_.sum(axis=1, keepdims=True)
        d_true, d_sampled = p[:, :num_true] - 1 / num_true, p[:, num_true:]
    else:
        (true_softplus, true_sigmoid), (sampled_softplus, sampled_sigmoid) = (
            exact_softplus_sigmoid(true), exact_softplus_sigmoid(sampled))
        loss = (true_softplus.sum(axis=1) - true.sum(axis=1) / num_true
                + np.where(masked, 0, sampled_softplus).sum(axis=1))
        d_true = true_sigmoid - 1 / num_true
        d_sampled = np.where(masked, 0, sampled_sigmoid)
    d_inputs = np.einsum("bt,btd->bd", d_true, w[labels]) + d_sampled @ w[ids]
    return loss, d_inputs


@pytest.mark.parametrize("hits", [True, False])
@pytest.mark.parametrize("kind", ["softmax", "nce"])
@pytest.mark.parametrize("backend_name", FLOAT64)
def test_float64_losses_and_gradients_hold_float64_precision(backend_name, kind, hits):
    """In float64, with logits in the tens (where a float32 shortcut such as
    ``softplus(x) = x`` above 20 shows), every backend's losses and input gradients are
    within 1e-13 (relative) of a long-double evaluation of their definition."""
    rng = np.random.default_rng(64)
    num_classes, dim, batch, num_true, num_sampled = 80, 5, 7, 2, 30
    weights, biases = rng.normal(size=(num_classes, dim)) * 3, rng.normal(size=num_classes) * 3
    inputs, labels = rng.normal(size=(batch, dim)) * 3, rng.integers(0, 20, (batch, num_true))
    values = cs.log_uniform_candidate_sampler(labels, num_true, num_sampled, True, num_classes,
                                              seed=2)
    values = [np.asarray(values[0]), *(np.asarray(v, np.float64) for v in values[1:])]
    want, want_d_inputs = _long_double_losses(kind, weights, biases, labels, inputs, values,
                                              hits)
    assert np.abs(want_d_inputs).max() > 1
    fn = cs.sampled_softmax_loss if kind == "softmax" else cs.nce_loss
    arguments = dict(weights=weights, biases=biases, labels=labels, inputs=inputs,
                     sampled_values=values)
    kwargs = dict(num_sampled=num_sampled, num_classes=num_classes, num_true=num_true,
                  remove_accidental_hits=hits)
    with float64_on(backend_name, "float64"):
        adapter = get_adapter(backend_name).with_dtype("float64")
        if adapter.differentiable:
            got, grads = adapter.value_and_grads(_in_dtype(fn, "float64"), arguments, kwargs,
                                                 ("inputs",), np.ones(batch))
            d_inputs = grads["inputs"]
        else:
            with_grad = (cs.sampled_softmax_loss_and_grad if kind == "softmax"
                         else cs.nce_loss_and_grad)

            def loss_and_input_gradient(**args):
                loss, grads = with_grad(**args)
                return loss, grads.inputs

            got, d_inputs = adapter.call(loss_and_input_gradient, arguments, kwargs)
    for value, wanted in ((got, want), (d_inputs, want_d_inputs)):
        assert np.asarray(value).dtype == np.float64
        error = np.abs(np.asarray(value, np.longdouble) - wanted) / np.abs(wanted).max()
        assert float(error.max()) < 1e-13, (backend_name, float(error.max()))


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


@pytest.mark.filterwarnings("error")
def test_a_hit_far_below_zero_is_masked_to_the_lowest_value_without_a_warning():
    """A hit logit of -2e38 plus the lowest float32 overflows to -inf, which the mask
    clamps to the lowest value: no RuntimeWarning (an error under ``-W error``)."""
    w = np.full((3, 2), -1e38, np.float32)
    logits, _ = cs.compute_sampled_logits(
        w, np.zeros(3, np.float32), np.array([[1]]), np.ones((1, 2), np.float32), 2, 3,
        sampled_values=(np.array([1, 2]), np.ones((1, 1), np.float32), np.ones(2, np.float32)),
        remove_accidental_hits=True)
    low = np.float32(-1e38) * 2
    np.testing.assert_array_equal(logits, np.array([[low, np.finfo(np.float32).min, low]]))


_MIXED_TF = {  # TensorFlow 2.21, run: float64 weights, float16 biases, float32 inputs
    "softmax": [1.0142759084701538, 4.019838333129883],
    "nce": [7.060393333435059, 5.5781450271606445],
    "d_weights_rows": [[0.0] * 4,
                       [-0.07312994170933962, -0.00251034926623106, 0.06810920126736164,
                        0.1387287676334381],
                       [-1.3107772469520569, -2.0972437262535095, -2.8837097883224487,
                        -3.6701762676239014],
                       [-0.773023709654808, -0.12531164288520813, 0.5224004201591015,
                        1.170112520456314],
                       [-0.3870133012533188, 0.42099226266145706, 1.2289977073669434,
                        2.037003368139267],
                       [0.1822422742843628, 1.2644922137260437, 2.346742033958435,
                        3.4289920330047607]],
    "d_biases_rows": [0.0, 0.16455078125, -1.8349609375, 1.51171875, 1.8857421875,
                      2.525390625],
}


@pytest.mark.parametrize("library", ["numpy", "torch", "jax"])
def test_compat_tf_casts_parameters_to_the_inputs_dtype(library):
    """``compat.tf``'s losses with float64 weights and float16 biases beside float32
    inputs: TensorFlow casts the gathered rows to the inputs' dtype, and its losses and
    gradients (summed over both losses, each in its parameter's dtype) are these. They
    were refused here ("dtype float16 differs from the float64 of weights"); the native
    losses still refuse them."""
    from candidate_sampling.compat import tf

    weights = np.linspace(-1, 1, 40).reshape(10, 4)
    biases = np.linspace(0, 1, 10).astype(np.float16)
    inputs = np.linspace(-1, 2, 8).reshape(2, 4).astype(np.float32)
    labels = np.array([[1], [2]])
    values = (np.array([3, 4, 5, 1]), np.full((2, 1), 0.5, np.float32),
              np.full(4, 0.5, np.float32))
    if library == "numpy":
        for name, loss in (("softmax", tf.nn.sampled_softmax_loss), ("nce", tf.nn.nce_loss),
                           ("nce", tf.v1.nn.nce_loss)):
            got = loss(weights, biases, labels, inputs, 4, 10, sampled_values=values)
            assert got.dtype == np.float32
            np.testing.assert_allclose(got, _MIXED_TF[name], rtol=1e-6)
        with pytest.raises(TypeError, match="^biases: dtype float16 differs from the float64"):
            cs.sampled_softmax_loss(weights, biases, labels, inputs, 4, 10,
                                    sampled_values=values)
        return
    if library not in BACKENDS:
        pytest.skip(f"{library} is not installed")
    if library == "torch":
        import torch

        w, b = torch.tensor(weights, requires_grad=True), torch.tensor(biases, requires_grad=True)
        arrays = [torch.asarray(a) for a in (labels, inputs, *values)]
        total = (tf.nn.sampled_softmax_loss(w, b, *arrays[:2], 4, 10,
                                            sampled_values=tuple(arrays[2:])).sum()
                 + tf.nn.nce_loss(w, b, *arrays[:2], 4, 10,
                                  sampled_values=tuple(arrays[2:])).sum())
        total.backward()
        grads = [(w.grad.dtype, w.grad.numpy()), (b.grad.dtype, b.grad.numpy())]
        assert [g[0] for g in grads] == [torch.float64, torch.float16]
    else:
        import jax
        import jax.numpy as jnp

        with jax.enable_x64(True):
            def total(w, b):
                arrays = [jnp.asarray(a) for a in (labels, inputs, *values)]
                return (tf.nn.sampled_softmax_loss(w, b, *arrays[:2], 4, 10,
                                                   sampled_values=tuple(arrays[2:])).sum()
                        + tf.nn.nce_loss(w, b, *arrays[:2], 4, 10,
                                         sampled_values=tuple(arrays[2:])).sum())

            got = jax.grad(total, argnums=(0, 1))(jnp.asarray(weights), jnp.asarray(biases))
            grads = [(g.dtype, np.asarray(g)) for g in got]
        assert [str(g[0]) for g in grads] == ["float64", "float16"]
    np.testing.assert_allclose(grads[0][1][:6], _MIXED_TF["d_weights_rows"], rtol=1e-6,
                               atol=1e-7)
    assert not grads[0][1][6:].any() and not grads[1][1][6:].any()
    # TensorFlow sums the float16 slices of class 1 (label and sample, each near 1) in
    # float16, an error of half their ulp each; here the sum is cast
    np.testing.assert_allclose(grads[1][1][:6].astype(np.float64), _MIXED_TF["d_biases_rows"],
                               rtol=1e-3, atol=1e-3)
