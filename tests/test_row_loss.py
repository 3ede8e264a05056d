"""The row-loss kernel: sparse hit positions, in-place steps that never touch the caller's
arrays, and the analytic gradient wired into each backend's autodiff."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import candidate_sampling as cs
from candidate_sampling.backends import Backend, backend_for
from candidate_sampling.core.hits import hit_positions

from conftest import exact_softplus_sigmoid, float64_on, numpy_exp_base


def _reference_hits(labels: np.ndarray, sampled: np.ndarray) -> np.ndarray:
    """``[B, S]``: position ``s`` is the last occurrence of its id and that id is a true
    class of the row (TensorFlow's ``compute_accidental_hits``, by brute force)."""
    batch, num_sampled = labels.shape[0], sampled.shape[0]
    out = np.zeros((batch, num_sampled), dtype=bool)
    for s in range(num_sampled):
        if sampled[s] in sampled[s + 1:]:
            continue
        out[:, s] = (labels == sampled[s]).any(axis=1)
    return out


@pytest.mark.parametrize("num_true", [1, 3])
def test_hit_positions_are_the_last_occurrences(xp, rng, num_true):
    labels = rng.integers(0, 12, (7, num_true))
    sampled = rng.integers(0, 12, 20)  # many duplicates and hits
    found, position = hit_positions(xp, xp.asarray(labels), xp.asarray(sampled))
    found, position = np.asarray(found), np.asarray(position)
    for i in range(labels.shape[0]):
        for j in range(num_true):
            occurs = np.flatnonzero(sampled == labels[i, j])
            assert found[i, j] == (occurs.size > 0)
            assert position[i, j] == (occurs[-1] if occurs.size else 0)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_native_mask_equals_the_generic_dense_mask(xp, rng, dtype):
    if dtype == "float16" and not hasattr(xp, "float16"):
        pytest.skip(f"{xp.__name__} has no float16")
    with float64_on(xp.__name__, dtype):
        _check_native_mask(xp, rng, dtype)


def _check_native_mask(xp, rng, dtype):
    labels = rng.integers(0, 10, (6, 2))
    sampled = rng.integers(0, 10, 16)
    logits = rng.standard_normal((6, 16)).astype(dtype)
    lowest = float(np.finfo(dtype).min)
    found, position = hit_positions(xp, xp.asarray(labels), xp.asarray(sampled))
    native = backend_for(xp).mask_positions(xp, xp.asarray(logits.copy()), found, position, lowest)
    generic = Backend().mask_positions(xp, xp.asarray(logits.copy()), found, position, lowest)
    expected = np.where(_reference_hits(labels, sampled), np.asarray(lowest, dtype), logits)
    np.testing.assert_array_equal(np.asarray(native), expected)
    np.testing.assert_array_equal(np.asarray(generic), expected)


def _problem(rng, num_classes=50, batch=8, dim=4, num_true=2, num_sampled=12):
    weights = rng.standard_normal((num_classes, dim)).astype(np.float32)
    biases = rng.standard_normal(num_classes).astype(np.float32)
    labels = rng.integers(0, num_classes, (batch, num_true))
    inputs = rng.standard_normal((batch, dim)).astype(np.float32)
    values = cs.log_uniform_candidate_sampler(labels, num_true, num_sampled, False, num_classes,
                                              seed=3)
    values = (values[0], values[1], values[2])
    return weights, biases, labels, inputs, values


@pytest.mark.parametrize("fn", [cs.sampled_softmax_loss, cs.nce_loss,
                                cs.sampled_softmax_loss_and_grad, cs.nce_loss_and_grad])
def test_numpy_arguments_are_left_untouched(rng, fn):
    """The kernel updates its own arrays in place, never the caller's."""
    args = _problem(rng)
    weights, biases, labels, inputs, values = args
    before = [np.copy(a) for a in (weights, biases, labels, inputs, *values)]
    fn(weights, biases, labels, inputs, 12, 50, 2, values, True)
    after = [weights, biases, labels, inputs, *values]
    for old, new in zip(before, after):
        np.testing.assert_array_equal(old, new)


def _torch_loss(rng):
    torch = pytest.importorskip("torch")
    weights, biases, labels, inputs, values = _problem(rng)
    w = torch.tensor(weights, requires_grad=True)
    x = torch.tensor(inputs, requires_grad=True)
    loss = cs.sampled_softmax_loss(w, torch.tensor(biases), torch.tensor(labels), x, 12, 50, 2,
                                   tuple(torch.tensor(v) for v in values)).sum()
    return torch, (weights, biases, labels, inputs, values), w, x, loss


def test_torch_gradient_is_the_analytic_one_and_survives_retain_graph(rng):
    torch, args, w, x, loss = _torch_loss(rng)
    _, grads = cs.sampled_softmax_loss_and_grad(*args[:4], 12, 50, 2, args[4])
    dense_w, _ = grads.dense(args[0])
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(w.grad.numpy(), dense_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), grads.inputs, rtol=1e-5, atol=1e-6)
    first = w.grad.clone()
    loss.backward()  # the residuals are still there, unchanged
    np.testing.assert_allclose(w.grad.numpy(), 2 * first.numpy(), rtol=1e-6)


def test_torch_value_is_the_same_with_and_without_grad(rng):
    torch, args, w, x, loss = _torch_loss(rng)
    with torch.no_grad():
        _, _, _, _, again = _torch_loss(np.random.default_rng(20261123))
    np.testing.assert_allclose(float(loss.detach()), float(again), rtol=1e-6)


@pytest.mark.parametrize("op", ["sampled_softmax_loss", "nce_loss"])
def test_jax_second_derivatives_through_the_custom_vjp(op, rng):
    """``jax.hessian`` and ``jax.grad`` of ``jax.grad`` differentiate the analytic rule's
    forward and backward: in float64, within 1e-7 of central differences of the
    gradient."""
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    weights, biases, labels, inputs, values = _problem(rng)
    with jax.enable_x64(True):
        jvalues = tuple(jnp.asarray(v) for v in values)

        def total(x):
            return jnp.sum(getattr(cs, op)(jnp.asarray(weights, jnp.float64),
                                           jnp.asarray(biases, jnp.float64),
                                           jnp.asarray(labels), x, 12, 50, 2, jvalues, True))

        x = jnp.asarray(inputs, jnp.float64)
        hessian = np.asarray(jax.jit(jax.hessian(total))(x))
        gradient = jax.jit(jax.grad(total))
        step = 1e-5
        for i, j in [(0, 0), (1, 2), (len(inputs) - 1, inputs.shape[1] - 1)]:
            bump = jnp.zeros_like(x).at[i, j].set(step)
            column = (np.asarray(gradient(x + bump)) - np.asarray(gradient(x - bump))) / (2 * step)
            np.testing.assert_allclose(hessian[:, :, i, j], column, rtol=0, atol=1e-7)
        assert np.abs(hessian).max() > 1e-3
        twice = jax.jit(jax.grad(lambda x: jnp.sum(gradient(x) ** 2)))(x)
        np.testing.assert_allclose(np.asarray(twice), 2 * np.einsum(
            "ij,ijkl->kl", np.asarray(gradient(x)), hessian), rtol=1e-10, atol=1e-12)


def test_jax_grad_vmap_and_jit_use_the_analytic_gradient(rng):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    weights, biases, labels, inputs, values = _problem(rng)
    _, grads = cs.nce_loss_and_grad(weights, biases, labels, inputs, 12, 50, 2, values, True)
    dense_w, dense_b = grads.dense(weights)
    jvalues = tuple(jnp.asarray(v) for v in values)

    def total(w, b, x):
        return jnp.sum(cs.nce_loss(w, b, jnp.asarray(labels), x, 12, 50, 2, jvalues, True))

    gw, gb, gx = jax.jit(jax.grad(total, argnums=(0, 1, 2)))(jnp.asarray(weights),
                                                              jnp.asarray(biases),
                                                              jnp.asarray(inputs))
    np.testing.assert_allclose(np.asarray(gw), dense_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(gb), dense_b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(gx), grads.inputs, rtol=1e-5, atol=1e-6)
    # per-example gradients: vmap over rows of the batch
    per_row = jax.vmap(jax.grad(lambda x, y, q: jnp.sum(cs.nce_loss(
        jnp.asarray(weights), jnp.asarray(biases), y[None, :], x[None, :], 12, 50, 2,
        (jvalues[0], q[None, :], jvalues[2]), True))))
    rows = per_row(jnp.asarray(inputs), jnp.asarray(labels), jvalues[1])
    assert rows.shape == inputs.shape
    np.testing.assert_allclose(np.asarray(rows), grads.inputs, rtol=1e-5, atol=1e-6)


def test_native_sigmoid_and_softplus_equal_the_generic_forms(xp):
    """Every backend's sigmoid/softplus is finite and within float32 rounding of the
    overflow-free generic forms, extreme logits included."""
    values = np.array([-1e4, -100.0, -30.0, -1.0, -1e-3, 0.0, 1e-3, 1.0, 30.0, 100.0, 1e4],
                      np.float32)
    x = xp.asarray(values)
    native, generic = backend_for(xp), Backend()
    from scipy.special import expit

    exact_sigmoid = expit(values.astype(np.float64))
    exact_softplus = np.logaddexp(0.0, values.astype(np.float64))
    for got in (native.sigmoid(xp, x), generic.sigmoid(xp, x)):
        np.testing.assert_allclose(np.asarray(got), exact_sigmoid, rtol=0, atol=1e-7)
    for got in (native.softplus(xp, x), generic.softplus(xp, x)):
        np.testing.assert_allclose(np.asarray(got), exact_softplus, rtol=2e-7, atol=1e-7)
    np.testing.assert_array_equal(np.asarray(x), values)  # computed out of place


def test_native_sigmoid_and_softplus_keep_float64_precision(xp):
    """In float64 every backend's softplus is within a few float64 roundings of a
    long-double reference, between 20 and 40 too (where float32 code may return ``x``
    itself), and its sigmoid within a few roundings of 1."""
    from conftest import float64_on

    values = np.concatenate([np.linspace(-60.0, 60.0, 481), [20.5, 21.0, 25.0, 33.0, 37.0]])
    wide = values.astype(np.longdouble)
    want_soft, want_sig = exact_softplus_sigmoid(wide)
    native = backend_for(xp)
    with float64_on(xp.__name__, "float64"):
        x = xp.asarray(values, dtype=xp.float64)
        got_soft, got_sig = (np.asarray(f(xp, x), dtype=np.longdouble)
                             for f in (native.softplus, native.sigmoid))
    rounding = np.spacing(want_soft.astype(np.float64)).astype(np.longdouble)
    assert float(np.max(np.abs(got_soft - want_soft) / rounding)) <= 4
    assert float(np.max(np.abs(got_sig - want_sig))) <= 4 * np.finfo(np.float64).eps


def test_every_backends_base_2_power_is_exp_of_x_log_2(xp):
    """``iexp2`` (the softmax's exponentials: ``2^(l log2(e) - max)``, whose exponent is
    at most 0) against float64 ``2^x`` on every backend: within a few float32 roundings
    plus ``|x|`` of them (XLA and the generic ``exp(x log 2)`` round ``x log 2``), 0 far
    below the float32 range and ``inf`` far above."""
    values = np.array([-200.0, -126.5, -60.25, -10.0, -1.0, -1e-3, 0.0, 1e-3, 1.0, 10.0,
                       60.25, 127.9, 200.0], np.float32)
    exact = np.exp2(values.astype(np.float64))
    exact[np.abs(exact) > np.finfo(np.float32).max] = np.inf
    finite = np.isfinite(exact)
    eps, tiny = np.finfo(np.float32).eps, np.finfo(np.float32).tiny
    for backend in (backend_for(xp), Backend()):
        with np.errstate(over="ignore"):
            got = np.asarray(backend.iexp2(xp, xp.asarray(values.copy())), dtype=np.float64)
        error = np.abs(got[finite] - exact[finite])
        assert np.all(error <= (4 + np.abs(values[finite])) * eps * exact[finite] + tiny)
        assert np.all(got[~finite] == np.inf)


def test_softmax_in_base_2_equals_the_natural_softmax(xp, rng):
    """The softmax's loss and exponentials from logits in units of log2(e) (float32 and
    float64) equal the natural-unit ones to float32 rounding of the logits, a hit mask
    and logits of 1e4 included (there a float32 logit is itself only known to 1e-3)."""
    from candidate_sampling.core.row_loss import LOG2_E, _softmax

    true = rng.standard_normal((5, 2)) * 4
    sampled = rng.standard_normal((5, 9)) * 4
    sampled[1, 3] = np.finfo(np.float32).min  # a masked hit
    sampled[2] += 1e4
    true[2] += 1e4
    backend = backend_for(xp)
    out = {}
    for unit in (1.0, LOG2_E):  # both the true and the sampled logits in units
        scaled = np.where(sampled > np.finfo(np.float32).min, sampled * unit, sampled)
        args = [xp.asarray(a, dtype=xp.float32) for a in (true * unit, scaled)]
        out[unit] = [np.asarray(v, dtype=np.float64)
                     for v in _softmax(xp, backend, *args, True, unit)]
    # a few roundings of each row's largest logit
    slack = 8 * np.finfo(np.float32).eps * np.maximum(np.abs(true).max(axis=1), 1)
    loss, d_true, exps, inverse = (out[LOG2_E][k] - out[1.0][k] for k in range(4))
    assert np.all(np.abs(loss) <= slack)
    assert np.all(np.abs(d_true) <= slack[:, None])
    softmax = {u: out[u][2] * out[u][3][:, None] for u in out}
    assert np.all(np.abs(softmax[LOG2_E] - softmax[1.0]) <= slack[:, None])
    assert out[LOG2_E][2][1, 3] == 0  # the masked hit's exponential


def test_softmax_loss_is_never_below_zero_where_one_logit_dominates(xp, rng):
    """A cross entropy is at least 0. Where the true logit dominates, its exact value is
    below float32's resolution of the logits, and the base-2 sums (shifted, or unshifted
    on NumPy) rounded it to a few ulps below 0; it is 0 there now, or a true tiny
    positive, and exactly 0 with a single class."""
    dominant = rng.uniform(5, 80, size=(64, 1))
    inputs = np.concatenate([dominant, rng.standard_normal((64, 3))], axis=1)
    weights = np.concatenate([np.eye(4), -np.eye(4)[:1]])[:, :4]
    values = cs.SampledValues(np.array([1, 2, 3, 4]), np.ones((64, 1), np.float32),
                              np.ones(4, np.float32))
    args = [xp.asarray(a, dtype=xp.float32) for a in (weights, np.zeros(5), inputs)]
    loss = np.asarray(cs.sampled_softmax_loss(
        args[0], args[1], xp.asarray(np.zeros((64, 1), np.int64)), args[2], 4, 5,
        sampled_values=cs.SampledValues(*(xp.asarray(v) for v in values))))
    logits = inputs.astype(np.float32).astype(np.float64) @ weights.T
    exact = np.log(np.exp(logits - logits[:, :1]).sum(axis=1))
    assert loss.min() >= 0
    np.testing.assert_allclose(loss, exact, rtol=1e-4, atol=4 * np.finfo(np.float32).eps * 80)
    single = rng.standard_normal((3, 4)) * 20
    one = np.asarray(cs.sampled_softmax_loss(
        xp.asarray(np.ones((1, 4), np.float32)), xp.asarray(np.zeros(1, np.float32)),
        xp.asarray(np.zeros((3, 1), np.int64)), xp.asarray(single, dtype=xp.float32), 1, 1,
        seed=0))
    # exactly 0 shifted; NumPy's unshifted sum is log(2^(l log2(e))) - l, a few ulps of l
    assert np.all(one >= 0)
    assert np.all(one <= 4 * np.finfo(np.float32).eps * np.abs(single.sum(axis=1)))


def test_nce_takes_its_logits_in_any_unit(xp, rng):
    """The per-row losses share one contract, ``sampled = l * unit``: NCE's results are
    the same from logits given in units of log2(e)."""
    from candidate_sampling.core.row_loss import LOG2_E, _nce

    true, sampled = rng.standard_normal((4, 2)) * 3, rng.standard_normal((4, 7)) * 3
    backend = backend_for(xp)
    out = {unit: [np.asarray(v, dtype=np.float64) for v in _nce(
        xp, backend, xp.asarray(true, dtype=xp.float32),
        xp.asarray(sampled * unit, dtype=xp.float32), True, unit)]
        for unit in (1.0, LOG2_E)}
    for natural, scaled in zip(out[1.0], out[LOG2_E]):
        np.testing.assert_allclose(scaled, natural, rtol=1e-5, atol=1e-6)


def test_native_row_sums_are_within_float32_rounding_of_the_exact_sums(xp, rng):
    """Row sums of the exponentials (NumPy: a product with ones) against float64 sums:
    positive terms, so the error is a few float32 roundings of the sum itself."""
    values = np.exp(rng.standard_normal((7, 4099)) * 3).astype(np.float32)
    got = np.asarray(backend_for(xp).row_sum(xp, xp.asarray(values)))
    assert got.shape == (7,) and got.dtype == np.float32
    np.testing.assert_allclose(got, values.astype(np.float64).sum(axis=1), rtol=1e-6)
    # weighted by the columns' 2^c: each term is a rounded product too
    weights = np.exp2(rng.uniform(-8, 8, 4099)).astype(np.float32)
    got = np.asarray(backend_for(xp).row_sum(xp, xp.asarray(values), xp.asarray(weights)))
    np.testing.assert_allclose(got, values.astype(np.float64) @ weights.astype(np.float64),
                               rtol=4e-6)


def test_every_backends_transposed_product_is_a_t_b(xp, rng):
    """``matmul_at(a, b) == a^T @ b``, the backward's ``g^T x`` (JAX: rearranged so that
    XLA's fast kernels take it), on every backend."""
    g, x = rng.standard_normal((6, 40)), rng.standard_normal((6, 5))
    got = backend_for(xp).matmul_at(xp, xp.asarray(g, dtype=xp.float32),
                                    xp.asarray(x, dtype=xp.float32))
    assert tuple(got.shape) == (40, 5)
    np.testing.assert_allclose(np.asarray(got), g.T @ x, rtol=1e-5, atol=1e-5)


def test_jax_transposed_product_under_jit_and_vmap(rng):
    """The JAX form of ``g^T x``, jitted and batched."""
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    g, x = (rng.standard_normal(s).astype(np.float32) for s in ((3, 6, 40), (3, 6, 5)))
    matmul_at = backend_for(jnp).matmul_at
    one = jax.jit(lambda g, x: matmul_at(jnp, g, x))
    want = np.einsum("kbs,kbd->ksd", g.astype(np.float64), x.astype(np.float64))
    np.testing.assert_allclose(np.asarray(one(g[0], x[0])), want[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(jax.vmap(one)(g, x)), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("n, high", [(1, 5), (300, 20), (4096, 10**6), (50_000, 7)])
def test_every_backends_argsort_is_the_stable_one(xp, rng, n, high):
    """Equal values keep their order (the hit search relies on it); JAX's two-sort form
    (used while n * n < 2^31; 50,000 takes the plain argsort) included, jitted too."""
    values = rng.integers(-high, high, n)
    want = np.argsort(values, kind="stable")
    backend = backend_for(xp)
    got = backend.argsort(xp, xp.asarray(values, dtype=backend.int64(xp)))
    np.testing.assert_array_equal(np.asarray(got), want)
    if getattr(xp, "__name__", "").startswith("jax"):
        import jax

        jitted = jax.jit(lambda v: backend.argsort(xp, v))
        np.testing.assert_array_equal(np.asarray(jitted(xp.asarray(values))), want)


JAX_SAMPLERS = {
    "log_uniform": lambda labels, key, call: cs.log_uniform_candidate_sampler(
        labels, 1, 33, True, 997, rng=key),
    # other weights in every call: the weights are arguments of the compiled draw
    "fixed_unigram": lambda labels, key, call: cs.fixed_unigram_candidate_sampler(
        labels, 1, 33, True, 997, unigrams=[1.0 + (k * (call + 3)) % 7 for k in range(997)],
        rng=key),
    "learned_unigram": lambda labels, key, call: cs.learned_unigram_step(
        jax_numpy().ones(997) + call, labels, 1, 33, True, rng=key)[0],
}


def jax_numpy():
    import jax.numpy

    return jax.numpy


@pytest.mark.parametrize("sampler", sorted(JAX_SAMPLERS))
def test_eager_jax_sampler_compiles_once_and_equals_the_jitted_one(sampler):
    jax = pytest.importorskip("jax")
    from candidate_sampling.backends.jax import _compiled_table_draws

    draw = JAX_SAMPLERS[sampler]
    labels = jax.numpy.asarray([[1], [2]])
    compiled = _compiled_table_draws()
    eager = [draw(labels, jax.random.key(0), 0)]
    compiles = compiled._cache_size()
    eager += [draw(labels, jax.random.key(i), i) for i in (1, 2)]
    assert compiled._cache_size() == compiles > 0  # one law, size and dtype: one compile
    jitted = jax.jit(lambda key: draw(labels, key, 2))(jax.random.key(2))
    np.testing.assert_array_equal(np.asarray(eager[2][0]), np.asarray(jitted[0]))
    for got, want in zip(eager[2][1:], jitted[1:]):  # counts: XLA fuses them under jit
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6)
    assert len(set(np.asarray(eager[0][0]).tolist())) == 33


VMAPPED_SAMPLERS = {
    "uniform": lambda labels, key: cs.uniform_candidate_sampler(labels, 1, 4, True, 100, rng=key),
    "uniform_10**7": lambda labels, key: cs.uniform_candidate_sampler(labels, 1, 4, True, 10**7,
                                                                      rng=key),
    "uniform_with_repeats": lambda labels, key: cs.uniform_candidate_sampler(
        labels, 1, 4, False, 100, rng=key),
    "log_uniform": lambda labels, key: cs.log_uniform_candidate_sampler(labels, 1, 4, True, 100,
                                                                        rng=key),
    "learned_unigram": lambda labels, key: cs.learned_unigram_candidate_sampler(
        labels, 1, 4, True, 100, rng=key),
    "fixed_unigram": lambda labels, key: cs.fixed_unigram_candidate_sampler(
        labels, 1, 4, True, 5, unigrams=[1.0, 2, 3, 4, 5], rng=key),
}


def _check_vmap_equals_each(jax, draw, batch):
    """``jax.vmap(draw)`` over ``batch``, with and without ``jax.jit``, equals ``draw`` of
    each element (the candidates exactly, the counts to float32 rounding); the draws of
    the elements are returned."""
    each = [draw(element) for element in batch]
    for batched in (jax.vmap(draw)(batch), jax.jit(jax.vmap(draw))(batch)):
        for k, one in enumerate(each):
            np.testing.assert_array_equal(np.asarray(batched[0][k]), np.asarray(one[0]))
            for got, want in zip(batched[1:], one[1:]):
                np.testing.assert_allclose(np.asarray(got[k]), np.asarray(want), rtol=1e-6)
    return each


@pytest.mark.parametrize("sampler", sorted(VMAPPED_SAMPLERS))
def test_jax_samplers_under_vmap_equal_each_key(sampler):
    """``jax.vmap`` over keys, with and without ``jax.jit``, gives each key's own draw.
    (Without ``jit`` the uniform law's counts, which do not depend on the ids, met a
    batched number of draws in ``jnp.asarray(..., device=)``, an AttributeError.)"""
    jax = pytest.importorskip("jax")
    labels = jax.numpy.asarray([[0]], jax.numpy.int32)
    draw = functools.partial(VMAPPED_SAMPLERS[sampler], labels)
    keys = jax.random.split(jax.random.key(5), 3)
    _check_vmap_equals_each(jax, draw, keys)


def test_an_eager_learned_unigram_loop_compiles_the_draw_once():
    """Eager steps that feed each step's counts to the next: the counts a step returns
    are committed to their device, the first ones were not, and the draw compiled a
    second time at the second step (6 s at 10^5 classes)."""
    jax = pytest.importorskip("jax")
    from candidate_sampling.backends.jax import _compiled_table_draws

    labels, counts = jax.numpy.asarray([[1], [2]]), jax.numpy.ones(991)
    values, counts = cs.learned_unigram_step(counts, labels, 1, 31, True, rng=jax.random.key(0))
    compiles = _compiled_table_draws()._cache_size()
    for i in (1, 2):
        values, counts = cs.learned_unigram_step(counts, labels, 1, 31, True,
                                                 rng=jax.random.key(i))
    assert _compiled_table_draws()._cache_size() == compiles > 0
    assert int(counts[1]) == 4 and len(set(np.asarray(values[0]).tolist())) == 31


def test_jax_vmap_over_fixed_unigram_counts_equals_each_law():
    """``jax.vmap`` over the ``unigrams`` array of the fixed unigram sampler (an
    ensemble's laws), with and without ``jax.jit``: each law's own draw, where
    ``jnp.asarray(batched counts, device=)`` raised AttributeError ('SingleDeviceSharding'
    object has no attribute 'spec')."""
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    labels = jnp.asarray([[1], [3]])

    def draw(counts):
        return cs.fixed_unigram_candidate_sampler(labels, 1, 3, True, 10, unigrams=counts,
                                                  rng=jax.random.key(0))

    laws = jnp.stack([jnp.ones(10), jnp.arange(1.0, 11.0), jnp.arange(10.0, 0.0, -1.0)])
    each = _check_vmap_equals_each(jax, draw, laws)
    assert len({tuple(np.asarray(one[0]).tolist()) for one in each}) > 1


MIXED = (1.0, 0.1, 1.0, 0.1, 0.1, 0.1)
"""Row factors of the inputs: rows 0 and 2 at the full scale, the others at a tenth."""


def _unshifted_problem(dtype, scale, bias, num_true=2, rows=(1.0,) * 6):
    """``(weights, biases, labels, inputs, sampled_values)`` whose logits are about
    ``scale`` times a standard normal (``|scale| > 20``: all equal to ``scale`` times the
    row's factor in ``rows``) plus ``bias`` on every class, with accidental hits and
    repeated ids among the 30 sampled ones."""
    gen = np.random.default_rng(11)
    dim, classes = 4, 40
    weights = (np.ones((classes, dim)) * scale / 120 if abs(scale) > 20
               else gen.standard_normal((classes, dim)) * scale / 2).astype(dtype)
    inputs = (np.ones((6, dim)) * 30 * np.asarray(rows)[:, None] if abs(scale) > 20
              else gen.standard_normal((6, dim))).astype(dtype)
    biases = np.full(classes, bias, dtype=dtype)
    labels = gen.integers(0, classes, (6, num_true))
    values = cs.uniform_candidate_sampler(labels, num_true, 30, False, classes, seed=5)
    return weights, biases, labels, inputs, values


def _softmax_grads(problem, hits=True):
    """``(loss, d_inputs, d_weight_rows, d_bias_rows)`` of ``sampled_softmax_loss_and_grad``."""
    weights, biases, labels, inputs, values = problem
    loss, grads = cs.sampled_softmax_loss_and_grad(weights, biases, labels, inputs, 30,
                                                   weights.shape[0], labels.shape[1], values,
                                                   hits)
    return [np.asarray(a, dtype=np.float64)
            for a in (loss, grads.inputs, grads.weight_rows, grads.bias_rows)]


def _reference_grads(problem, hits=True):
    """The same four by the definition, in float64: logits ``x . w + b - log Q`` (the
    hits of :func:`_reference_hits` at ``-inf``), softmax cross entropy against ``1/T``
    on the true columns, and its gradient ``softmax - labels`` pulled back to the inputs
    and to each touched row, labels' rows first."""
    weights, biases, labels, inputs, (sampled, true_q, sampled_q) = problem
    w, b, x = (np.asarray(a, dtype=np.float64) for a in (weights, biases, inputs))
    num_true = labels.shape[1]
    true_logits = np.einsum("bd,btd->bt", x, w[labels]) + b[labels] - np.log(true_q)
    sampled_logits = x @ w[sampled].T + b[sampled] - np.log(sampled_q)
    if hits:
        sampled_logits[_reference_hits(labels, sampled)] = -np.inf
    logits = np.concatenate([true_logits, sampled_logits], axis=1)
    peak = logits.max(axis=1, keepdims=True)
    softmax = np.exp(logits - peak)
    total = softmax.sum(axis=1, keepdims=True)
    softmax /= total
    loss = np.log(total[:, 0]) + peak[:, 0] - true_logits.mean(axis=1)
    g = softmax
    g[:, :num_true] -= 1.0 / num_true
    g_true, g_sampled = g[:, :num_true], g[:, num_true:]
    d_inputs = np.einsum("bt,btd->bd", g_true, w[labels]) + g_sampled @ w[sampled]
    d_rows = np.concatenate([(g_true[:, :, None] * x[:, None, :]).reshape(-1, x.shape[1]),
                             g_sampled.T @ x])
    d_biases = np.concatenate([g_true.reshape(-1), g_sampled.sum(axis=0)])
    return [loss, d_inputs, d_rows, d_biases]


def _assert_reference(got, problem, hits, dtype):
    """Within a few roundings of the float64 reference: in float32, of the logits'
    magnitude in the loss (a float32 logit is only known to that) and of each
    gradient's largest value."""
    want = _reference_grads(problem, hits)
    eps = np.finfo(dtype).eps
    weights, biases, _, inputs, _ = problem
    size = np.abs(inputs).sum(axis=1).max() * np.abs(weights).max() + np.abs(biases).max()
    np.testing.assert_allclose(got[0], want[0], rtol=0, atol=16 * eps * max(size, 1))
    for g, w in zip(got[1:], want[1:]):
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g, w, rtol=0, atol=64 * eps * max(np.abs(w).max(), 1))


def _spy_unshifted(monkeypatch) -> list:
    """For each unshifted softmax (none where a bias is out of its range): the indices
    of the rows it made again and shifted."""
    from candidate_sampling.core import row_loss

    seen, real = [], row_loss._softmax_unshifted

    def spy(*args, **kwargs):
        remade = []

        def remake(some):
            remade.extend(np.flatnonzero(some).tolist())
            return args[-1](some)

        result = real(*args[:-1], remake, **kwargs)
        seen.append(remade)
        return result

    monkeypatch.setattr(row_loss, "_softmax_unshifted", spy)
    return seen


@pytest.fixture(params=[True, False], ids=["exp2", "exp"])
def exp_base(request, monkeypatch):
    """NumPy's softmax in powers of 2 and of e, whichever this CPU makes faster."""
    return numpy_exp_base(monkeypatch, request.param)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("num_true, hits", [(1, True), (2, True), (2, False)])
def test_unshifted_softmax_equals_the_shifted_one(monkeypatch, exp_base, dtype, num_true,
                                                  hits):
    """NumPy's softmax without the row maximum and with the bias as column weights
    (``2^c`` in the row sum and in each gradient) gives the loss and every gradient of
    the definition, to a few roundings."""
    seen = _spy_unshifted(monkeypatch)
    problem = _unshifted_problem(dtype, 3.0, 0.7, num_true)
    got = _softmax_grads(problem, hits)
    assert seen == [[]]
    _assert_reference(got, problem, hits, dtype)


ALL, NONE = list(range(6)), []


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale, bias, rows, remade", [
    # 2^519 overflows float32 and is past float64's ceiling of 2^512 (a backward product
    # of such exponentials and the rows could overflow)
    (360.0, 0.0, MIXED, {np.float32: [0, 2], np.float64: [0, 2]}),
    (1000.0, 0.0, MIXED, {np.float32: ALL, np.float64: [0, 2]}),  # 2^1443 float64 too
    (-50.0, 0.0, MIXED, {np.float32: NONE, np.float64: NONE}),  # exponentials of 2^-72
    (-60.0, 0.0, (1.0,) * 6, {np.float32: ALL, np.float64: NONE}),  # 2^-87: too near 0
    (-360.0, 0.0, (1.0,) * 6, {np.float32: ALL, np.float64: NONE}),  # a total of 2^-515
    (-1000.0, 0.0, (1.0,) * 6, {np.float32: ALL, np.float64: ALL}),  # 0 in both
    (1.0, 40.0, (1.0,) * 6, {np.float32: NONE, np.float64: NONE}),  # bias 57.7 (log2 e)
    (1.0, 45.0, (1.0,) * 6, {np.float32: None, np.float64: None}),  # 64.9: past the limit
    (1.0, -60.0, (1.0,) * 6, {np.float32: ALL, np.float64: NONE}),  # -86.6: in range,
    # but float32 totals of 2^-81 are too small: shifted, 2^(l - m) up to 2^87 each
    (1.0, -70.0, (1.0,) * 6, {np.float32: None, np.float64: None}),  # -101: past the limit
])
def test_unshifted_softmax_shifts_the_rows_that_leave_its_range(monkeypatch, exp_base, dtype,
                                                                scale, bias, rows, remade):
    """Rows whose ``2^l`` overflow, or whose total is too small for lost terms to be
    negligible, are made again and shifted by their maximum, the others kept; a bias
    outside ``[-100, 64]`` (units of log2(e)) leaves the product's bias in it and shifts every row (None).
    Silently (no warning), with the finite results of the definition."""
    seen = _spy_unshifted(monkeypatch)
    problem = _unshifted_problem(dtype, scale, bias, rows=rows)
    got = _softmax_grads(problem)
    assert seen == ([] if remade[dtype] is None else [remade[dtype]])
    _assert_reference(got, problem, True, dtype)


@pytest.mark.parametrize("true_logit,sampled_logit", [(50.0, 38.0), (1000.0, 988.0),
                                                      (1000.0, 1000.0), (3.0, 1.0)])
def test_small_softmax_loss_keeps_its_precision_beside_large_logits(
        backend, other_exp_base, true_logit, sampled_logit):
    """A row whose loss is far smaller than its logits: ``log(total) + max - true``
    cancelled them in float32 (6e-6 came out as 0 from logits near 1000, and 7.6e-6 on
    NumPy from logits near 50); ``-log(p_true)`` keeps the loss to float32's rounding of
    the row sum (TensorFlow 2.21 gives 6.198864e-06 for the first two, 0.9% off), in
    both exponential bases of NumPy's softmax."""
    weights = np.array([[true_logit], [sampled_logit]], np.float32)
    arrays = {"weights": weights, "biases": np.zeros(2, np.float32),
              "labels": np.array([[0]]), "inputs": np.ones((1, 1), np.float32),
              "sampled_values": (np.array([1]), np.ones((1, 1), np.float32),
                                 np.ones(1, np.float32))}
    exact = np.log1p(np.exp(np.float64(sampled_logit - true_logit)))
    loss = np.asarray(backend.call(cs.sampled_softmax_loss, arrays,
                                   {"num_sampled": 1, "num_classes": 2}))
    assert loss.dtype == np.float32
    # float32 holds the row sum 1 + 6.1e-6 to 6e-8: 2% of such a loss. Equal logits
    # give log 2 to float32's rounding: the true and the sampled logits are taken in
    # the same units (base 2 on PyTorch and JAX: the true ones in natural units gave
    # log 2 + 3e-5 at 1000)
    np.testing.assert_allclose(loss, [exact], rtol=0.03 if exact < 1e-3 else 1e-6)


@pytest.mark.parametrize("true_logit,num_true", [(12.0, 1), (16.0, 1), (20.0, 1), (30.0, 1),
                                                  (16.0, 2), (-16.0, 2), (3.0, 1)])
def test_small_nce_loss_keeps_its_precision_beside_large_logits(backend, true_logit, num_true):
    """A confident NCE row, true logits ``L`` and a sampled one ``-L``: ``softplus(L) -
    L`` cancelled its loss to the rounding of ``L`` (1.13e-7 for 2.25e-7 at ``L = 16``,
    2.06e-9 for 4.12e-9 at 20, as the fuzzing against TensorFlow found); TensorFlow's form
    ``(max(x, 0) - x z) + log1p(exp(-|x|))`` keeps it to float32's rounding, and so do
    the losses here, on every backend (two true columns ``L`` with targets 1/2 too)."""
    weights = np.array([[true_logit], [-abs(true_logit)]], np.float32)
    arrays = {"weights": weights, "biases": np.zeros(2, np.float32),
              "labels": np.zeros((1, num_true), np.int64), "inputs": np.ones((1, 1), np.float32),
              "sampled_values": (np.array([1]), np.ones((1, num_true), np.float32),
                                 np.ones(1, np.float32))}
    x = np.float64(true_logit)  # max(x, 0) - x / T is exact in float64 here
    exact = (num_true * (max(x, 0.0) - x / num_true + np.log1p(np.exp(-abs(x))))
             + np.log1p(np.exp(-abs(x))))
    loss = np.asarray(backend.call(cs.nce_loss, arrays, {"num_sampled": 1, "num_classes": 2,
                                                          "num_true": num_true}))
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss, [exact], rtol=2e-6)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("base2", [False, True], ids=["exp", "exp2"])
@pytest.mark.parametrize("num_true", [1, 2])
def test_an_overflowing_unshifted_row_is_made_again_silently(monkeypatch, base2, num_true):
    """NumPy's unshifted softmax lets a row's sum overflow and makes that row again,
    shifted: three logits of 88.5 (each ``e**88.5`` finite, their sum not) give log 3
    with no ``RuntimeWarning`` (an error under ``-W error``; the matrix-vector sum and
    the sum of the true exponentials warned of their overflow), loss and gradient."""
    numpy_exp_base(monkeypatch, base2)
    weights = np.full((3, 1), 88.5, np.float32)
    labels = np.array([[0, 1][:num_true]])
    values = (np.array([1, 2][num_true - 1:]), np.ones((1, num_true), np.float32),
              np.ones(3 - num_true, np.float32))
    args = (weights, np.zeros(3, np.float32), labels, np.ones((1, 1), np.float32),
            3 - num_true, 3, num_true, values)
    np.testing.assert_allclose(cs.sampled_softmax_loss(*args), [np.log(3.0)], rtol=1e-6)
    loss, grads = cs.sampled_softmax_loss_and_grad(*args)
    np.testing.assert_allclose(loss, [np.log(3.0)], rtol=1e-6)
    # softmax 1/3 each, labels 1/T on the true classes; x = 1
    want_rows = [1 / 3 - 1 / num_true] * num_true + [1 / 3] * (3 - num_true)
    np.testing.assert_allclose(grads.weight_rows[:, 0], want_rows, atol=1e-6)
    np.testing.assert_allclose(grads.inputs, [[0.0]], atol=1e-4)


@pytest.mark.parametrize("dtype, peak", [(np.float32, 87.5), (np.float32, 88.0),
                                         (np.float64, 709.0)])
def test_an_unshifted_row_near_the_largest_float_gives_a_finite_gradient(monkeypatch, exp_base,
                                                                        dtype, peak):
    """A row whose unshifted total is finite but near the dtype's largest value: the
    backward product of its exponentials with rows wider than 1 overflowed (an infinite
    input gradient beside a finite loss, where torch gave the definition's); rows past
    the square root of the largest value are made again and shifted."""
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(50, 16)).astype(dtype)
    labels, sampled = rng.integers(0, 50, size=(4, 1)), np.arange(10, 18)
    inputs = rng.normal(size=(4, 16)).astype(dtype)
    inputs[0] *= peak / (inputs[0] @ weights[sampled].T).max()
    values = (sampled, np.full((4, 1), 0.5, dtype), np.full(8, 0.5, dtype))
    problem = (weights, np.zeros(50, dtype), labels, inputs, values)
    loss, grads = cs.sampled_softmax_loss_and_grad(*problem[:4], 8, 50, sampled_values=values)
    got = [np.asarray(a, np.float64)
           for a in (loss, grads.inputs, grads.weight_rows, grads.bias_rows)]
    _assert_reference(got, problem, True, dtype)


@pytest.mark.parametrize("dtype, true_logit, sampled_logit, exact",
                         [(np.float32, -103.0, -40.0, 63.0), (np.float64, -744.0, -600.0, 144.0)])
def test_a_subnormal_true_exponential_gives_the_exact_loss(exp_base, dtype, true_logit,
                                                           sampled_logit, exact):
    """An unshifted row whose true exponential is subnormal (its low bits lost) and whose
    total is far below 1, so that the true softmax is a normal number but off: the
    loss was 63.28 for 63.0 (float32), 144.24 for 144.0 (float64); it is ``log(total) -
    true`` there, as on the other backends."""
    weights = np.array([[true_logit], [sampled_logit]], dtype)
    values = (np.array([1]), np.ones((1, 1), dtype), np.ones(1, dtype))
    args = (weights, np.zeros(2, dtype), np.array([[0]]), np.ones((1, 1), dtype), 1, 2)
    np.testing.assert_allclose(cs.sampled_softmax_loss(*args, sampled_values=values), [exact],
                               rtol=1e-6)
    np.testing.assert_allclose(cs.sampled_softmax_loss_and_grad(*args, sampled_values=values)[0],
                               [exact], rtol=1e-6)


@pytest.mark.parametrize("shape", [(2, 1), (1, 1), (1,), ()])
def test_a_broadcast_true_count_with_a_row_made_again(exp_base, shape):
    """``true_expected_count`` of any shape that broadcasts to ``[B, T]``, where a row
    leaves the unshifted range and is made again: its counts were indexed as ``[B,
    T]`` (an IndexError for ``[1, 1]``, ``[1]`` and ``[]``)."""
    weights = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], np.float32)
    inputs = np.array([[1.0, 2.0], [100.0, 0.0]], np.float32)
    values = (np.array([2]), np.full(shape, 0.5, np.float32), np.full(1, 0.5, np.float32))
    args = (weights, np.zeros(3, np.float32), np.array([[0], [1]]), inputs, 1, 3)
    # logits: row 0 true 1, sampled 3; row 1 true 0, sampled 100 (counts equal: log Q cancels)
    want = [np.log1p(np.exp(2.0)), 100.0]
    np.testing.assert_allclose(cs.sampled_softmax_loss(*args, sampled_values=values), want,
                               rtol=1e-6)
    np.testing.assert_allclose(cs.sampled_softmax_loss_and_grad(*args, sampled_values=values)[0],
                               want, rtol=1e-6)
