"""The analytic gradients (``*_and_grad``) against the oracles' golden gradients, on the
backends without automatic differentiation; the ``scatter_add`` hook on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import candidate_sampling as cs
from candidate_sampling.backends import Backend, backend_for
from candidate_sampling.compat.paddle import log_uniform_samples
from candidate_sampling.conformance import load_cases
from candidate_sampling.conformance.adapters import get_adapter
from candidate_sampling.conformance.runner import case_inputs
from candidate_sampling.conformance.vectors import close
from candidate_sampling.core.embedding import shard_of

from conftest import BACKENDS, float64_on, moderate_loss_cases

# (function with gradients, the same loss without them) for each op.
FUNCTIONS = {
    "sampled_softmax_loss": (cs.sampled_softmax_loss_and_grad, cs.sampled_softmax_loss),
    "nce_loss": (cs.nce_loss_and_grad, cs.nce_loss),
    "sampled_sparse_softmax_loss": (cs.sampled_sparse_softmax_loss_and_grad,
                                    cs.sampled_sparse_softmax_loss),
    "rank_sampled_softmax_loss": (cs.rank_sampled_softmax_loss_and_grad,
                                  cs.rank_sampled_softmax_loss),
    "sampled_softmax_with_cross_entropy": (cs.sampled_softmax_with_cross_entropy_and_grad,
                                           cs.sampled_softmax_with_cross_entropy),
}
CASES = [c for c in load_cases() if c.op in FUNCTIONS and c.api in ("tf1", "tf2", "contrib", "paddle")
         and not c.is_stream and c.raises is None and c.deviation is None]
TF_CASES = [c for c in CASES if c.api != "paddle"]
NO_AUTODIFF = [name for name in ("numpy", "array_api_strict") if name in BACKENDS]


def _call_arguments(case) -> tuple[dict, dict]:
    """The case's inputs and keyword arguments for the core functions: TensorFlow 1's
    default partition strategy, Paddle's own stream for its seeded default sampler."""
    inputs, kwargs = case_inputs(case)
    if case.api == "tf1":
        kwargs.setdefault("partition_strategy", "mod")
    if case.api == "paddle":
        kwargs["seeded_sampler"] = log_uniform_samples
    return inputs, kwargs


def _run(case, adapter, *, dense: bool = True):
    """``(loss, gradients as NumPy, the plain loss)`` with the case's cotangent: gradients
    named as in ``case.grads`` (dense), or ``ids``/``weight_rows``/``bias_rows``/``inputs``
    with ``dense=False``."""
    with_grad, plain = FUNCTIONS[case.op]
    inputs, kwargs = _call_arguments(case)
    inputs["cotangent"] = case.cotangent
    names = []

    def run(cotangent, **args):
        loss, grads = with_grad(**args, cotangent=cotangent)
        if case.api == "paddle":
            named = {"logits": grads.logits}
        elif dense:
            d_weights, d_biases = grads.dense(args["weights"], args["biases"])
            named = {"weights": d_weights, "biases": d_biases, "inputs": grads.inputs}
        else:
            named = {"ids": grads.ids, "weight_rows": grads.weight_rows,
                     "bias_rows": grads.bias_rows, "inputs": grads.inputs}
        names.extend(sorted(named))
        return (loss, plain(**args), *(named[n] for n in names))

    loss, plain_loss, *values = adapter.call(run, inputs, kwargs)
    return loss, dict(zip(names, values)), plain_loss


def _assert_close(name, actual, expected, rtol, atol, case_id):
    if isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (case_id, name)
        for i, (a, e) in enumerate(zip(actual, expected)):
            _assert_close(f"{name}[{i}]", a, e, rtol, atol, case_id)
        return
    assert np.shape(actual) == np.shape(expected), (case_id, name, np.shape(actual))
    ok, worst_abs, worst_rel = close(actual, expected, rtol, atol)
    assert ok, f"{case_id}: {name} off by {worst_abs:.3g} (rel {worst_rel:.3g})"


def test_every_op_and_origin_is_covered():
    assert {(c.op, c.api) for c in CASES} == {
        ("sampled_softmax_loss", "tf2"), ("sampled_softmax_loss", "tf1"), ("nce_loss", "tf2"),
        ("nce_loss", "tf1"), ("sampled_sparse_softmax_loss", "contrib"),
        ("rank_sampled_softmax_loss", "contrib"),
        ("sampled_softmax_with_cross_entropy", "paddle")}
    assert len(CASES) >= 250
    assert any(isinstance(c.inputs["weights"], list) for c in TF_CASES if c.api == "tf1")


@pytest.mark.parametrize("backend_name", NO_AUTODIFF)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_golden_gradients(case, backend_name):
    """Loss and dense gradients equal the oracle's, within the case's tolerances; the loss
    is the plain loss function's, bit for bit."""
    loss, grads, plain_loss = _run(case, get_adapter(backend_name))
    np.testing.assert_array_equal(loss, plain_loss)
    _assert_close("loss", loss, case.outputs["loss"], case.rtol, case.atol, case.id)
    assert set(grads) == set(case.grads)
    for name, expected in case.grads.items():
        _assert_close(f"d/d{name}", grads[name], expected, case.grad_rtol, case.grad_atol, case.id)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_golden_gradients_in_numpys_other_exponential_base(case, other_exp_base):
    """NumPy's softmax takes powers of 2 or of e, whichever its build vectorises on this
    CPU; the other base gives the oracle's losses and gradients too."""
    loss, grads, plain_loss = _run(case, get_adapter("numpy"))
    np.testing.assert_array_equal(loss, plain_loss)
    _assert_close("loss", loss, case.outputs["loss"], case.rtol, case.atol, case.id)
    for name, expected in case.grads.items():
        _assert_close(f"d/d{name}", grads[name], expected, case.grad_rtol, case.grad_atol, case.id)


def _class_ids_of_rows(weights, partition_strategy):
    """For each row of the dense gradient (shards concatenated), its class id."""
    if not isinstance(weights, list):
        return np.arange(weights.shape[0])
    sizes = [int(w.shape[0]) for w in weights]
    ids = np.arange(sum(sizes))
    shard, row = shard_of(np, ids, sizes, partition_strategy)
    order = np.lexsort((row, shard))  # shard by shard, row by row: the concatenated layout
    return ids[order]


@pytest.mark.parametrize("case", TF_CASES, ids=lambda c: c.id)
def test_rows_summed_by_id_are_the_dense_gradients(case):
    adapter = get_adapter("numpy")
    _, sparse, _ = _run(case, adapter, dense=False)
    _, dense, _ = _run(case, adapter)
    strategy = _call_arguments(case)[1].get("partition_strategy",
                                             "mod" if case.api == "contrib" else "div")
    np.testing.assert_array_equal(sparse["inputs"], dense["inputs"])
    for param, rows in (("weights", sparse["weight_rows"]), ("biases", sparse["bias_rows"])):
        layout = case.inputs[param]
        num_classes = sum(int(p.shape[0]) for p in layout) if isinstance(layout, list) else len(layout)
        summed = np.zeros((num_classes,) + rows.shape[1:], np.float64)
        for class_id, row in zip(sparse["ids"], rows):
            summed[class_id] += row
        got = dense[param]
        got = np.concatenate(got) if isinstance(got, list) else got
        ids = _class_ids_of_rows(layout, strategy)
        np.testing.assert_allclose(got, summed[ids], rtol=1e-6, atol=1e-6 * max(1, np.abs(summed).max()))
    n = case.inputs["labels"].size
    assert sparse["ids"].shape == (n + int(case.kwargs.get("num_resampled", case.kwargs["num_sampled"])),)
    np.testing.assert_array_equal(sparse["ids"][:n], case.inputs["labels"].reshape(-1))


PRECISIONS = [(b, d, t) for b, d, t in (("numpy", "float64", 1e-5), ("numpy", "float16", 3e-2),
                                        ("array_api_strict", "float64", 1e-5)) if b in BACKENDS]


def _max_abs(value) -> float:
    leaves = value if isinstance(value, list) else [value]
    return max(float(np.max(np.abs(x))) for x in leaves)


@pytest.mark.parametrize("backend_name,dtype,tol", PRECISIONS)
@pytest.mark.parametrize("case", moderate_loss_cases(), ids=lambda c: c.id)
def test_other_dtypes(case, backend_name, dtype, tol):
    """float64 reproduces the oracle to float32 precision, float16 to its own; losses and
    gradients come back in the dtype of the arrays, finite."""
    loss, grads, _ = _run(case, get_adapter(backend_name).with_dtype(dtype))
    assert loss.dtype == np.dtype(dtype)
    scale = max(1.0, _max_abs(case.outputs["loss"]))
    _assert_close("loss", loss, case.outputs["loss"], tol, tol * scale, case.id)
    grad_scale = max([1.0] + [_max_abs(g) for g in case.grads.values()])
    for name, expected in case.grads.items():
        got = grads[name]
        for leaf in (got if isinstance(got, list) else [got]):
            assert leaf.dtype == np.dtype(dtype), (name, leaf.dtype)
            assert np.all(np.isfinite(leaf))
        _assert_close(f"d/d{name}", got, expected, 3 * tol, 3 * tol * grad_scale, case.id)


@pytest.mark.parametrize("op", ["sampled_softmax_loss", "nce_loss"])
def test_cotangent_defaults_to_ones_and_broadcasts(op):
    case = next(c for c in TF_CASES if c.op == op and c.api == "tf2")
    inputs, kwargs = _call_arguments(case)
    fn = FUNCTIONS[op][0]
    batch = case.inputs["inputs"].shape[0]
    _, default = fn(**inputs, **kwargs)
    _, ones = fn(**inputs, **kwargs, cotangent=np.ones(batch, np.float32))
    _, halves = fn(**inputs, **kwargs, cotangent=0.5)
    for name in ("inputs", "weight_rows", "bias_rows"):
        np.testing.assert_array_equal(getattr(default, name), getattr(ones, name))
        np.testing.assert_allclose(getattr(halves, name), 0.5 * getattr(ones, name), rtol=1e-6)
    with pytest.raises(ValueError, match="cotangent"):
        fn(**inputs, **kwargs, cotangent=np.ones(batch + 1, np.float32))


def test_paddle_cotangent_as_loss_shape():
    case = next(c for c in CASES if c.api == "paddle")
    inputs, kwargs = _call_arguments(case)
    fn = FUNCTIONS[case.op][0]
    cot = np.linspace(0.5, 2.0, case.inputs["logits"].shape[0]).astype(np.float32)
    loss, flat = fn(**inputs, **kwargs, cotangent=cot)
    _, column = fn(**inputs, **kwargs, cotangent=cot[:, None])
    assert loss.shape == (cot.size, 1) and flat.logits.shape == case.inputs["logits"].shape
    np.testing.assert_array_equal(flat.logits, column.logits)


def test_dense_from_num_classes():
    case = next(c for c in TF_CASES if not isinstance(c.inputs["weights"], list))
    inputs, kwargs = _call_arguments(case)
    fn = FUNCTIONS[case.op][0]
    _, grads = fn(**inputs, **kwargs)
    by_arrays = grads.dense(inputs["weights"], inputs["biases"])
    rows = int(inputs["weights"].shape[0])
    for count in (rows, np.int64(rows), np.int32(rows), np.array(rows)):  # a NumPy int too
        for a, b in zip(by_arrays, grads.dense(count)):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("library", ["numpy", "jax", "torch"])
def test_dense_refuses_a_layout_without_room_for_the_ids(library):
    """``dense`` of parameters that cannot hold the touched ids: JAX's scatter dropped
    the rows of ids 3 and 4 from a 3-row gradient silently, NumPy and torch raised an
    IndexError from inside; shards of the wrong sizes for the strategy too."""
    if library not in BACKENDS:
        pytest.skip(f"{library} is not installed")
    backend = get_adapter(library)
    rng = np.random.default_rng(0)
    weights, biases = rng.normal(size=(11, 2)), rng.normal(size=11)
    arrays = [backend.asarray(a) for a in (weights, biases, np.array([[0], [1]]),
                                           rng.normal(size=(2, 2)))]
    values = tuple(backend.asarray(a) for a in (np.array([2, 3, 4]), np.full((2, 1), 0.5),
                                                  np.full(3, 0.5)))
    _, grads = cs.sampled_softmax_loss_and_grad(*arrays, 3, 11, 1, values)
    w = arrays[0]
    with pytest.raises(ValueError, match=r"^weights: holds 3 rows, fewer than the touched "
                                         r"class ids need \(the largest is 4\)"):
        grads.dense(w[:3])
    with pytest.raises(ValueError, match=r"^biases: holds 4 rows"):
        grads.dense(w, arrays[1][:4])
    with pytest.raises(ValueError, match=r"^weights: shard sizes \[3, 4, 4\] do not match "
                                         r"partition_strategy='div'"):
        grads.dense([w[:3], w[3:7], w[7:]])
    assert [int(g.shape[0]) for g in grads.dense([w[:4], w[4:8], w[8:]])[0]] == [4, 4, 3]
    assert int(grads.dense(w[:5])[0].shape[0]) == 5  # room enough: rows 0..4
    # parameters whose rows are not the gradient's: a [11, 2] gradient was returned for
    # [11, 7] weights, and 1-D weights or 2-D biases were taken
    wide = backend.asarray(np.zeros((11, 7)))
    rows = r" \(rows like the gradient's\)"
    for call, message in (
            (lambda: grads.dense(wide),
             rf"^weights: expected shape \[num_classes, 2\]{rows}, got shape \[11, 7\]$"),
            (lambda: grads.dense(arrays[1]), r"^weights: expected shape \[num_classes, 2\]"),
            (lambda: grads.dense(w, w),
             rf"^biases: expected shape \[num_classes\]{rows}, got shape \[11, 2\]$"),
            (lambda: grads.dense([w[:4], w[4:8], wide[8:]]),
             (rf"^weights: expected shape \[num_classes, 2\]{rows} in every shard, got shape "
              r"\[3, 7\]$"))):
        with pytest.raises(ValueError, match=message):
            call()


# --- the scatter_add hook ---------------------------------------------------------------

def _reference(target, indices, values):
    out = np.array(target, dtype=np.float64)
    for i, v in zip(indices, values):
        out[i] += v
    return out


SCATTER_SHAPES = [((7,), 12), ((9, 3), 20), ((5, 2, 2), 6), ((4,), 0)]


@pytest.mark.parametrize("generic", [False, True], ids=["native", "generic"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,n", SCATTER_SHAPES)
def test_scatter_add(xp, shape, n, dtype, generic, rng):
    """The backend's scatter-add, and the generic one under the backend's dtype hooks,
    against a NumPy loop (JAX's float64 with ``jax_enable_x64`` on)."""
    with float64_on(xp.__name__, dtype):
        _check_scatter_add(xp, shape, n, dtype, generic, rng)


def _check_scatter_add(xp, shape, n, dtype, generic, rng):
    backend = backend_for(xp)
    scatter_add = (lambda *a: Backend.scatter_add(backend, *a)) if generic else backend.scatter_add
    target = rng.normal(size=shape).astype(dtype)
    indices = rng.integers(0, shape[0], size=n)
    indices[: n // 2] = indices[0] if n else 0  # many duplicates
    values = rng.normal(size=(n,) + shape[1:]).astype(dtype)
    out = scatter_add(xp, xp.asarray(target), xp.asarray(indices), xp.asarray(values))
    assert out.dtype == xp.asarray(target).dtype
    np.testing.assert_allclose(_to_numpy(out), _reference(target, indices, values),
                               rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-5)


def _to_numpy(x):
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    return np.from_dlpack(x) if type(x).__module__.startswith("array_api_strict") else np.asarray(x)


@pytest.mark.parametrize("generic", [False, True], ids=["native", "generic"])
def test_scatter_add_integers_and_float16(xp, generic):
    backend = backend_for(xp)
    scatter_add = (lambda *a: Backend.scatter_add(backend, *a)) if generic else backend.scatter_add
    indices = np.array([3, 0, 3, 3, 1])
    ints = scatter_add(xp, xp.zeros(4, dtype=xp.int32), xp.asarray(indices),
                       xp.ones(5, dtype=xp.int32))
    np.testing.assert_array_equal(_to_numpy(ints), [1, 1, 0, 3])
    if hasattr(xp, "float16"):
        halves = scatter_add(xp, xp.zeros((4, 2), dtype=xp.float16), xp.asarray(indices),
                             xp.ones((5, 2), dtype=xp.float16))
        assert halves.dtype == xp.float16
        np.testing.assert_array_equal(_to_numpy(halves)[:, 0], [1, 1, 0, 3])


# --- CuPy ---------------------------------------------------------------------------------

CUPY = get_adapter("cupy")
needs_cupy = pytest.mark.skipif(not CUPY.available(),
                                reason="CuPy with a CUDA GPU is not available here")


@needs_cupy
@pytest.mark.parametrize("case", moderate_loss_cases(2), ids=lambda c: c.id)
def test_golden_gradients_on_cupy(case):
    loss, grads, _ = _run(case, CUPY)
    _assert_close("loss", loss, case.outputs["loss"], case.rtol, case.atol, case.id)
    for name, expected in case.grads.items():
        _assert_close(f"d/d{name}", grads[name], expected, case.grad_rtol, case.grad_atol, case.id)


@needs_cupy
@pytest.mark.parametrize("shape,n", SCATTER_SHAPES)
def test_scatter_add_on_cupy(shape, n, rng):
    import array_api_compat
    import cupy

    xp = array_api_compat.array_namespace(cupy.zeros(1))
    target = rng.normal(size=shape).astype(np.float32)
    indices = rng.integers(0, shape[0], size=n)
    values = rng.normal(size=(n,) + shape[1:]).astype(np.float32)
    for backend in (backend_for(xp), Backend()):
        out = backend.scatter_add(xp, cupy.asarray(target), cupy.asarray(indices),
                                  cupy.asarray(values))
        np.testing.assert_allclose(cupy.asnumpy(out), _reference(target, indices, values),
                                   rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("lib", ["numpy", "torch", "jax"])
def test_sgd_update_touches_only_the_rows_and_equals_the_dense_step(lib, rng):
    """``grads.sgd_update`` is ``params - lr * dense gradient``, repeated ids accumulating;
    in place where the library can, new arrays on JAX."""
    pytest.importorskip(lib)
    weights = rng.standard_normal((30, 4)).astype(np.float32)
    biases = rng.standard_normal(30).astype(np.float32)
    labels = np.array([[3, 3], [5, 7], [3, 9]])
    inputs = rng.standard_normal((3, 4)).astype(np.float32)
    values = (np.array([3, 11, 12, 11]), np.full((3, 2), 0.5, np.float32),
              np.full(4, 0.25, np.float32))
    _, grads = cs.sampled_softmax_loss_and_grad(weights, biases, labels, inputs, 4, 30, 2, values)
    d_w, d_b = grads.dense(weights)
    expected_w, expected_b = weights - 0.5 * d_w, biases - 0.5 * d_b
    convert = {"numpy": np.array, "torch": lambda a: __import__("torch").tensor(a),
               "jax": lambda a: __import__("jax").numpy.asarray(a)}[lib]
    w, b = convert(weights), convert(biases)
    lib_grads = cs.SampledGrads(*(convert(np.asarray(g)) for g in grads[:4]))
    new_w, new_b = lib_grads.sgd_update(w, b, 0.5)
    np.testing.assert_allclose(np.asarray(new_w), expected_w, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.asarray(new_b), expected_b, rtol=1e-6, atol=1e-7)
    untouched = np.setdiff1d(np.arange(30), np.asarray(grads.ids))
    np.testing.assert_array_equal(np.asarray(new_w)[untouched], weights[untouched])
    assert (new_w is w) == (lib != "jax")


def test_sgd_update_leaves_a_read_only_array_alone_and_refuses_shards(rng):
    weights = rng.standard_normal((10, 2)).astype(np.float32)
    weights.flags.writeable = False
    grads = cs.SampledGrads(np.zeros((2, 2), np.float32), np.array([1, 1]),
                            np.ones((2, 2), np.float32), np.ones(2, np.float32))
    new_w, _ = grads.sgd_update(weights, np.zeros(10, np.float32), 1.0)
    assert new_w is not weights and new_w[1, 0] == weights[1, 0] - np.float32(2)
    with pytest.raises(TypeError, match="weights"):
        grads.sgd_update([weights], np.zeros(10, np.float32), 1.0)


@pytest.mark.parametrize("rate,error", [
    (float("nan"), ValueError), (float("inf"), ValueError), (np.float32("nan"), ValueError),
    (-0.5, ValueError), ("0.1", TypeError), (True, TypeError), (None, TypeError),
    (np.ones(2), TypeError)])
def test_sgd_update_checks_the_learning_rate_before_writing(rng, rate, error):
    """A NaN, infinite or negative step (which wrote non-finite rows, or climbed the
    loss), a string, a bool or None is refused naming ``learning_rate``, the parameters
    untouched; 0 and a NumPy float are steps."""
    weights = rng.standard_normal((10, 2)).astype(np.float32)
    before = weights.copy()
    grads = cs.SampledGrads(np.zeros((2, 2), np.float32), np.array([1, 3]),
                            np.ones((2, 2), np.float32), np.ones(2, np.float32))
    with pytest.raises(error, match="^learning_rate: "):
        grads.sgd_update(weights, np.zeros(10, np.float32), rate)
    np.testing.assert_array_equal(weights, before)
    grads.sgd_update(weights, np.zeros(10, np.float32), np.float32(0.0))
    np.testing.assert_array_equal(weights, before)
    grads.sgd_update(weights, np.zeros(10, np.float32), np.float64(0.5))
    assert weights[1, 0] == before[1, 0] - np.float32(0.5)


def test_sgd_update_checks_the_parameters_against_the_gradients(rng):
    """Weights with fewer rows than the touched ids need, or rows of another dim, are
    named before anything is written (NumPy's IndexError or broadcast error before), as
    ``dense`` checks them."""
    grads = cs.SampledGrads(np.zeros((2, 2), np.float32), np.array([1, 7]),
                            np.ones((2, 2), np.float32), np.ones(2, np.float32))
    weights = rng.standard_normal((10, 2)).astype(np.float32)
    before = weights.copy()
    with pytest.raises(ValueError, match=r"^biases: holds 5 rows, fewer than the touched"):
        grads.sgd_update(weights, np.zeros(5, np.float32), 0.1)
    with pytest.raises(ValueError, match=r"^weights: holds 6 rows, fewer than the touched"):
        grads.sgd_update(weights[:6], np.zeros(10, np.float32), 0.1)
    with pytest.raises(ValueError, match=r"^weights: expected rows of dim 2"):
        grads.sgd_update(np.zeros((10, 3), np.float32), np.zeros(10, np.float32), 0.1)
    with pytest.raises(ValueError, match=r"^biases: "):
        grads.sgd_update(weights, np.zeros((10, 1), np.float32), 0.1)
    np.testing.assert_array_equal(weights, before)


def test_sgd_update_refuses_integer_parameters(rng):
    """Integer weights or biases took the float step cast to int in place: a step of 0,
    silently. A TypeError names them, NumPy and torch alike."""
    grads = cs.SampledGrads(np.zeros((2, 2), np.float32), np.array([1, 7]),
                            np.ones((2, 2), np.float32), np.ones(2, np.float32))
    with pytest.raises(TypeError, match=r"^weights: expected a floating-point array, got "
                                        r"dtype int64$"):
        grads.sgd_update(np.zeros((10, 2), np.int64), np.zeros(10, np.float32), 0.1)
    with pytest.raises(TypeError, match=r"^biases: expected a floating-point array"):
        grads.sgd_update(np.zeros((10, 2), np.float32), np.zeros(10, np.int32), 0.1)
    torch = pytest.importorskip("torch")
    tgrads = cs.SampledGrads(*(torch.from_numpy(a) for a in grads[:4]))
    with pytest.raises(TypeError, match=r"^weights: expected a floating-point array"):
        tgrads.sgd_update(torch.zeros(10, 2, dtype=torch.int64), torch.zeros(10), 0.1)
