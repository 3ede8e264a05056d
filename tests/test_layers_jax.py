"""JAX transformations over the losses, and the training step that updates only the
rows a batch touches (candidate_sampling.layers.jax).

JAX compiles every new shape, so the tests share a few shapes: the golden cases of one
shape, and one synthetic problem (V=101 classes, D=12, B=6 rows, T=2, S=10)."""

from __future__ import annotations

import re

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

import candidate_sampling as cs  # noqa: E402
from candidate_sampling.conformance import load_cases  # noqa: E402
from candidate_sampling.core.logits import lookup_rows  # noqa: E402
from candidate_sampling.layers.jax import (  # noqa: E402
    OutputParams, TouchedRows, apply_row_updates, loss_from_rows, make_train_step,
    row_gradients, touched_rows)

V, D, B, T, S = 101, 12, 6, 2, 10
LR = 0.5
LOSS_FNS = {"sampled_softmax": cs.sampled_softmax_loss, "nce": cs.nce_loss}


@pytest.fixture(autouse=True)
def _x64_left_off():
    """Every test leaves ``jax_enable_x64`` as it found it (off)."""
    assert not jax.config.jax_enable_x64
    yield
    assert not jax.config.jax_enable_x64


def _problem(seed: int = 0, x64: bool = False):
    rng = np.random.default_rng(seed)
    ints = np.int64 if x64 else np.int32
    labels = rng.integers(0, V, size=(B, T)).astype(ints)
    labels[1] = labels[0]  # repeated rows: their updates must add up
    return (jnp.asarray(rng.normal(size=(V, D)).astype(np.float32)),
            jnp.asarray(rng.normal(size=(V,)).astype(np.float32) * 0.1),
            jnp.asarray(rng.normal(size=(B, D)).astype(np.float32)),
            jnp.asarray(labels))


def _sample(labels, key):
    return cs.log_uniform_candidate_sampler(labels, T, S, True, V, rng=key)


# --- golden cases: jit(grad) == grad == TensorFlow's gradients ----------------------------

GOLDEN = ["tf2.sampled_softmax_loss.t2-hand-dups-hits-rah",
          "tf2.sampled_softmax_loss.t2-hand-dups-hits-norah",
          "tf2.nce_loss.t2-hand-dups-hits-rah",
          "tf2.nce_loss.t2-hand-dups-hits-norah"]
CASES = {c.id: c for c in load_cases() if c.id in GOLDEN}


def _golden_args(case):
    args = {k: jnp.asarray(v) for k, v in case.inputs.items() if k != "sampled_values"}
    values = tuple(jnp.asarray(v) for v in case.inputs["sampled_values"])
    return args, values, jnp.asarray(case.cotangent)


def _weighted(fn, case, args, values, cot):
    def weighted(weights, biases, inputs):
        loss = fn(weights, biases, args["labels"], inputs, sampled_values=values, **case.kwargs)
        return jnp.sum(loss * cot)
    return weighted


def _check_grads(case, grads):
    for name, got in zip(("weights", "biases", "inputs"), grads):
        np.testing.assert_allclose(np.asarray(got), case.grads[name], rtol=case.grad_rtol,
                                   atol=case.grad_atol, err_msg=f"{case.id}: d/d{name}")


@pytest.mark.parametrize("case_id", GOLDEN)
def test_eager_and_jit_grad_equal_tensorflow(case_id):
    case = CASES[case_id]
    args, values, cot = _golden_args(case)
    weighted = _weighted(LOSS_FNS[case.op.removesuffix("_loss")], case, args, values, cot)
    grad = jax.grad(weighted, argnums=(0, 1, 2))
    floats = (args["weights"], args["biases"], args["inputs"])
    eager, jitted = grad(*floats), jax.jit(grad)(*floats)
    _check_grads(case, eager)
    _check_grads(case, jitted)
    for e, j in zip(eager, jitted):
        np.testing.assert_allclose(np.asarray(j), np.asarray(e), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("x64", [False, True], ids=["x32", "x64"])
@pytest.mark.parametrize("case_id", GOLDEN)
def test_row_gradients_equal_tensorflow(case_id, x64):
    """Gradients taken against the gathered rows, scattered back, are TensorFlow's dense ones."""
    case = CASES[case_id]
    loss = case.op.removesuffix("_loss")
    with jax.enable_x64(x64):
        args, values, cot = _golden_args(case)
        kwargs = {"loss": loss, "remove_accidental_hits": case.kwargs["remove_accidental_hits"]}

        @jax.jit
        def grads(weights, biases, inputs):
            rows = touched_rows(weights, biases, args["labels"], values[0])

            def weighted(w_rows, b_rows, inputs):
                per_row = loss_from_rows(TouchedRows(rows.ids, w_rows, b_rows), inputs,
                                         args["labels"], values, **kwargs)
                return jnp.sum(per_row * cot), per_row

            (_, per_row), g = jax.value_and_grad(weighted, argnums=(0, 1, 2), has_aux=True)(
                rows.weights, rows.biases, inputs)
            dense_w, dense_b = apply_row_updates(jnp.zeros_like(weights), jnp.zeros_like(biases),
                                                 rows.ids, g[0], g[1], -1.0)
            return per_row, rows.ids, (dense_w, dense_b, g[2])

        per_row, ids, got = grads(args["weights"], args["biases"], args["inputs"])
    assert ids.dtype == (jnp.int64 if x64 else jnp.int32)
    np.testing.assert_allclose(np.asarray(per_row), case.outputs["loss"], rtol=case.rtol,
                               atol=case.atol)
    _check_grads(case, got)


# --- the training step -----------------------------------------------------------------

def _dense_reference(weights, biases, inputs, labels, key, loss):
    """One SGD step with the dense gradient of the public loss, on the step's sample."""
    fn = LOSS_FNS[loss]
    values = _sample(labels, jax.random.split(key)[1])

    def mean_loss(weights, biases):
        return jnp.mean(fn(weights, biases, labels, inputs, S, V, T, sampled_values=values))

    value, (gw, gb) = jax.value_and_grad(mean_loss, argnums=(0, 1))(weights, biases)
    return weights - LR * gw, biases - LR * gb, value, values[0]


@pytest.mark.parametrize("x64", [False, True], ids=["x32", "x64"])
@pytest.mark.parametrize("loss", ["sampled_softmax", "nce"])
def test_train_step_equals_dense_sgd(loss, x64):
    with jax.enable_x64(x64):
        weights, biases, inputs, labels = _problem(1, x64)
        key = jax.random.key(3)
        step = make_train_step(S, V, LR, num_true=T, loss=loss)
        params, new_key, value = step(OutputParams(weights + 0, biases + 0), inputs, labels, key)
        ref_w, ref_b, ref_value, sampled = jax.jit(_dense_reference, static_argnums=5)(
            weights, biases, inputs, labels, key, loss)
    assert sampled.dtype == (jnp.int64 if x64 else jnp.int32)
    np.testing.assert_array_equal(jax.random.key_data(new_key),
                                  jax.random.key_data(jax.random.split(key)[0]))
    np.testing.assert_allclose(float(value), float(ref_value), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(params.weights), np.asarray(ref_w), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(params.biases), np.asarray(ref_b), rtol=1e-6, atol=1e-6)
    touched = np.unique(np.concatenate([np.ravel(labels), np.asarray(sampled)]))
    untouched = np.setdiff1d(np.arange(V), touched)
    np.testing.assert_array_equal(np.asarray(params.weights)[untouched],
                                  np.asarray(weights)[untouched])


def _leaf_equations(jaxpr):
    """Every equation of ``jaxpr`` and of the jaxprs nested in it that calls no jaxpr
    (a scatter's combiner, ``update_jaxpr``, is part of the scatter)."""
    for eqn in jaxpr.eqns:
        params = [p for k, p in eqn.params.items() if k != "update_jaxpr"]
        subs = [p for p in params if hasattr(p, "eqns") or hasattr(p, "jaxpr")]
        subs += [q for p in params if isinstance(p, (tuple, list))
                 for q in p if hasattr(q, "eqns") or hasattr(q, "jaxpr")]
        if not subs:
            yield eqn
        for sub in subs:
            yield from _leaf_equations(sub if hasattr(sub, "eqns") else sub.jaxpr)


def test_train_step_does_no_dense_work_and_updates_in_place():
    weights, biases, inputs, labels = _problem(2)
    step = make_train_step(S, V, LR, num_true=T)
    params = OutputParams(weights + 0, biases + 0)
    key = jax.random.key(4)
    jaxpr = jax.make_jaxpr(step)(params, inputs, labels, key).jaxpr
    dense = []
    for eqn in _leaf_equations(jaxpr):
        shapes = [tuple(v.aval.shape) for v in list(eqn.invars) + list(eqn.outvars)
                  if hasattr(v, "aval") and jnp.issubdtype(v.aval.dtype, jnp.floating)]
        if any(s in ((V, D), (V,)) for s in shapes):
            dense.append((eqn.primitive.name, shapes))
    # Reading the weights is the gather of the touched rows; writing them, the scatter-add.
    assert sorted({name for name, _ in dense}) == ["gather", "scatter-add"], dense
    assert [s[-1] for name, s in dense if name == "scatter-add"] == [(V, D), (V,)]
    assert all(s[-1] != (V, D) for name, s in dense if name == "gather")

    compiled = step.lower(params, inputs, labels, key).compile().as_text()
    assert "input_output_alias={ {0}: (0" in compiled and "{1}: (1" in compiled
    new_params, _, _ = step(params, inputs, labels, key)
    assert params.weights.is_deleted() and params.biases.is_deleted()
    assert new_params.weights.shape == (V, D)


@pytest.mark.parametrize("sharded", [False, True])
def test_traced_lookup_gathers_the_true_and_sampled_rows_apart(sharded):
    """Under a trace the true and sampled rows are two gathers, stacked: the losses'
    slices of the stack are then those gathers (XLA copies a slice of one gather out).
    Eagerly one gather; the rows are the same either way, shards included."""
    weights, biases, _, labels = _problem(3)
    sampled = _sample(labels, jax.random.key(5))[0]
    if sharded:
        weights, biases = [weights[:51], weights[51:]], [biases[:51], biases[51:]]  # "div"

    def lookup(weights, biases):
        return lookup_rows(jnp, weights, biases, labels, sampled, "div")

    jaxpr = jax.make_jaxpr(lookup)(weights, biases).jaxpr
    gathered = sorted(tuple(e.outvars[0].aval.shape) for e in _leaf_equations(jaxpr)
                      if e.primitive.name == "gather")
    per_part = [(B * T,), (B * T, D), (S,), (S, D)]
    assert gathered == sorted(per_part * (2 if sharded else 1))
    eager_w, eager_b = lookup(weights, biases)
    traced_w, traced_b = jax.jit(lookup)(weights, biases)
    ids = np.concatenate([np.asarray(labels).reshape(-1), np.asarray(sampled)])
    full_w, full_b = (np.concatenate([np.asarray(p) for p in params]) if sharded
                      else np.asarray(params) for params in (weights, biases))
    for got in (eager_w, traced_w):
        np.testing.assert_array_equal(np.asarray(got), full_w[ids])
    for got in (eager_b, traced_b):
        np.testing.assert_array_equal(np.asarray(got), full_b[ids])


def test_apply_row_updates_accumulates_repeated_ids():
    weights, biases = jnp.zeros((5, 2)), jnp.zeros((5,))
    ids = jnp.asarray([3, 1, 3], dtype=jnp.int32)
    gw = jnp.asarray([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    w, b = apply_row_updates(weights, biases, ids, gw, jnp.asarray([1.0, 2.0, 3.0]), 0.5)
    np.testing.assert_array_equal(np.asarray(w), [[0, 0], [-1.5, -2], [0, 0], [-3, -4], [0, 0]])
    np.testing.assert_array_equal(np.asarray(b), [0, -1, 0, -2, 0])


def test_row_helpers_check_ids_and_counts_outside_jit():
    """The building blocks of a hand-written step name bad values where they can be read:
    an id past the weights was dropped by the scatter (``apply_row_updates``) or read as
    a NaN row (``touched_rows``), -1 updated the last row, a count of 0 gave an infinite
    loss, and rows that do not match the ids gave JAX's broadcasting error. Under
    ``jax.jit`` the values cannot be read and the helpers run as before."""
    weights, biases, inputs, labels = _problem(0)
    one, rows1 = jnp.ones((1, D)), jnp.ones(1)
    for bad in (V, V + 3, -1):
        with pytest.raises(ValueError, match=rf"^ids: every id must be in \[0, {V}\), got {bad}$"):
            apply_row_updates(weights, biases, jnp.asarray([bad]), one, rows1, 0.1)
    with pytest.raises(ValueError, match=r"^grad_weight_rows: expected shape \[3, 12\] \(one row "
                                         r"per id of ids\), got shape \[2, 12\]$"):
        apply_row_updates(weights, biases, jnp.arange(3), jnp.ones((2, D)), jnp.ones(3), 0.1)
    with pytest.raises(ValueError, match=r"^grad_bias_rows: expected shape \[3\]"):
        apply_row_updates(weights, biases, jnp.arange(3), jnp.ones((3, D)), jnp.ones(2), 0.1)
    with pytest.raises(ValueError, match=rf"^biases: expected shape \[{V}\]"):
        apply_row_updates(weights, biases[:5], jnp.arange(3), jnp.ones((3, D)), jnp.ones(3), 0.1)
    with pytest.raises(TypeError, match=r"^ids: expected an integer array"):
        apply_row_updates(weights, biases, jnp.ones(1), one, rows1, 0.1)
    w, _ = jax.jit(apply_row_updates)(weights, biases, jnp.asarray([V - 1]), one, rows1, 1.0)
    np.testing.assert_allclose(np.asarray(w[V - 1]), np.asarray(weights[V - 1]) - 1, rtol=1e-6)
    sampled = jnp.arange(S)
    with pytest.raises(ValueError, match=rf"^labels: every id must be in \[0, {V}\), got {V + 2}$"):
        touched_rows(weights, biases, labels.at[0, 0].set(V + 2), sampled)
    with pytest.raises(ValueError, match=rf"^sampled: every id must be in \[0, {V}\), got -1$"):
        touched_rows(weights, biases, labels, sampled.at[2].set(-1))
    with pytest.raises(ValueError, match=r"^labels: expected shape \[batch_size, num_true\], got "
                                         r"shape \[6\]"):
        touched_rows(weights, biases, labels[:, 0], sampled)
    rows = touched_rows(weights, biases, labels, sampled)
    traced = jax.jit(touched_rows)(weights, biases, labels, sampled)
    np.testing.assert_array_equal(np.asarray(traced.weights), np.asarray(rows.weights))
    good = (sampled, jnp.full((B, T), 0.5), jnp.full((S,), 0.5))
    for index, name in ((1, r"sampled_values\[1\] \(true_expected_count\)"),
                        (2, r"sampled_values\[2\] \(sampled_expected_count\)")):
        bad = tuple(jnp.zeros_like(v) if i == index else v for i, v in enumerate(good))
        with pytest.raises(ValueError, match=rf"^{name}: every value must be finite and > 0"):
            loss_from_rows(rows, inputs, labels, bad)
    np.testing.assert_allclose(np.asarray(jax.jit(loss_from_rows)(rows, inputs, labels, good)),
                               np.asarray(loss_from_rows(rows, inputs, labels, good)), rtol=1e-6)


def test_make_train_step_names_its_labels():
    """The step's labels are named ``labels`` (the sampler's ``true_classes`` was heard)."""
    weights, biases, inputs, labels = _problem(0)
    params = OutputParams(weights, biases)
    step = make_train_step(8, V, 0.1, num_true=T, donate=False)
    for wrong, error, message in (
            (labels[:, :1], ValueError, (r"^labels: expected shape \[batch_size, num_true\] = "
                                         rf"\[{B}, {T}\] \(batch_size from inputs\), got \[{B}, 1\]")),
            (labels.astype(jnp.float32), TypeError, r"^labels: expected an integer array"),
            (labels[:, 0], ValueError, (r"^labels: expected shape \[batch_size, num_true\], "
                                        r"got shape \[6\]"))):
        with pytest.raises(error, match=message):
            step(params, inputs, wrong, jax.random.key(0))
    with pytest.raises(ValueError, match=r"^inputs: expected shape \[batch_size, dim\]"):
        step(params, inputs[0], labels, jax.random.key(0))
    with pytest.raises(ValueError, match=r"^num_true: "):
        make_train_step(8, V, 0.1, num_true=0)


def test_row_gradients_checks_its_arguments():
    weights, biases, inputs, labels = _problem(0)
    values = _sample(labels, jax.random.key(0))
    with pytest.raises(ValueError, match="loss"):
        row_gradients(weights, biases, inputs, labels, values, loss="softmax")
    with pytest.raises(TypeError, match="sampled_values"):
        row_gradients(weights, biases, inputs, labels, values[:2])
    with pytest.raises(ValueError, match="labels"):
        row_gradients(weights, biases, inputs, labels + V, values)
    with pytest.raises(TypeError, match="shards"):
        row_gradients([weights[:50], weights[50:]], biases, inputs, labels, values)
    # arguments that are not arrays of the right rank: named, not an IndexError or
    # an AttributeError from inside
    with pytest.raises(ValueError, match=r"^labels: expected an array of shape "
                                         r"\[batch_size, num_true\], got shape \[\]"):
        row_gradients(weights, biases, inputs, jnp.asarray(3), values)
    with pytest.raises(ValueError, match=r"^sampled_values\[0\] \(sampled_candidates\): "
                                         r"expected an array of shape \[num_sampled\], got list"):
        row_gradients(weights, biases, inputs, labels, ([1, 2],) + tuple(values[1:]))


def test_make_train_step_refuses_labels_out_of_range():
    """A label of ``num_classes`` (an off-by-one vocabulary id) or -1 is a ValueError
    naming ``labels`` before the step runs, the parameters untouched (it gave a NaN
    loss and NaN rows); ``validate=False`` drops the read, and inside the caller's own
    ``jax.jit`` the values cannot be read."""
    weights, biases, inputs, labels = _problem(0)
    params = OutputParams(weights, biases)
    step = make_train_step(8, V, 0.1, num_true=T, donate=False)
    for bad in (V, -1):
        wrong = labels.at[1, 0].set(bad)
        with pytest.raises(ValueError, match=rf"^labels: every id must be in \[0, {V}\), got {bad}"):
            step(params, inputs, wrong, jax.random.key(0))
    new, _, loss = step(params, inputs, labels, jax.random.key(0))
    assert np.isfinite(float(loss)) and bool(jnp.all(jnp.isfinite(new.weights)))
    unchecked = make_train_step(8, V, 0.1, num_true=T, donate=False, validate=False)
    _, _, loss = unchecked(params, inputs, labels.at[1, 0].set(V), jax.random.key(0))
    assert np.isnan(float(loss))  # what validate=True prevents
    _, _, loss = jax.jit(step)(params, inputs, labels, jax.random.key(0))
    assert np.isfinite(float(loss))
    with pytest.raises(TypeError, match="^validate: "):
        make_train_step(8, V, 0.1, validate="yes")
    with pytest.raises(TypeError, match="^sampler: expected a function"):  # failed inside jit
        make_train_step(8, V, 0.1, sampler="log_uniform")


def test_make_train_step_checks_its_arguments():
    """``num_classes`` against the rows of the weights and biases (the sampler draws
    below it: rows past theirs were read clamped and written nowhere, a NaN loss and
    NaN rows), under ``jax.jit`` too; and ``learning_rate``."""
    weights, biases, inputs, labels = _problem(0)
    params = OutputParams(weights, biases)
    with pytest.raises(ValueError, match=rf"^weights: holds {V} rows, fewer than "
                                         rf"num_classes={V + 1}"):
        make_train_step(8, V + 1, 0.1, num_true=T, donate=False)(params, inputs, labels,
                                                                 jax.random.key(0))
    with pytest.raises(ValueError, match=rf"^biases: holds {V - 1} rows"):
        make_train_step(8, V, 0.1, num_true=T, donate=False)(
            params._replace(biases=biases[1:]), inputs, labels, jax.random.key(0))
    for bad, error in (("0.1", TypeError), (True, TypeError), (jnp.ones(2), TypeError),
                       (float("inf"), ValueError), (np.float32("nan"), ValueError),
                       (jnp.asarray(float("nan")), ValueError), (-0.5, ValueError)):
        with pytest.raises(error, match="^learning_rate: "):
            make_train_step(8, V, bad)
        if isinstance(bad, float) and bad < 0:
            continue  # apply_row_updates takes a negative rate
        with pytest.raises(error, match="^learning_rate: "):  # the helper itself
            apply_row_updates(weights, biases, jnp.asarray([1]), jnp.ones((1, D)), jnp.ones(1),
                              bad)
    with pytest.raises(TypeError, match="^weights: expected a JAX array"):
        apply_row_updates(np.asarray(weights), biases, jnp.asarray([1]), jnp.ones((1, D)),
                          jnp.ones(1), 0.1)
    with pytest.raises(ValueError, match="^num_classes: "):
        make_train_step(8, 0, 0.1)
    # a plain (weights, biases) pair: AttributeError 'tuple' object has no attribute 'weights'
    with pytest.raises(TypeError, match=r"^params: expected an OutputParams\(weights, biases\), "
                                        r"got tuple; wrap a pair as OutputParams\(\*pair\)"):
        make_train_step(8, V, 0.1, num_true=T, donate=False)(
            (weights, biases), inputs, labels, jax.random.key(0))
    _, _, loss = make_train_step(8, V, jnp.float32(0.1), num_true=T, donate=False)(
        params, inputs, labels, jax.random.key(0))
    assert np.isfinite(float(loss))


# --- vmap and the sampler under jit ------------------------------------------------------

P = 3


def _problems():
    rng = np.random.default_rng(7)
    weights, biases, _, _ = _problem(0)
    inputs = jnp.asarray(rng.normal(size=(P, B, D)).astype(np.float32))
    labels = jnp.asarray(rng.integers(0, V, size=(P, B, T)).astype(np.int32))
    keys = jax.random.split(jax.random.key(11), P)
    return weights, biases, inputs, labels, keys


@pytest.mark.parametrize("loss", ["sampled_softmax", "nce"])
def test_vmap_over_problems_equals_a_loop(loss):
    """Independent batches (inputs, labels, sample) against shared weights: the loss given
    ``sampled_values``, its input gradient, and the sampler drawn inside with its key."""
    weights, biases, inputs, labels, keys = _problems()
    fn = LOSS_FNS[loss]

    def given(inputs, labels, values):
        return fn(weights, biases, labels, inputs, S, V, T, sampled_values=values)

    def drawn(inputs, labels, key):
        loss_of = lambda x: jnp.sum(given(x, labels, _sample(labels, key)))  # noqa: E731
        return jax.value_and_grad(loss_of)(inputs)

    values = [jax.jit(_sample)(labels[p], keys[p]) for p in range(P)]
    stacked = tuple(jnp.stack(v) for v in zip(*values))
    batched = jax.jit(jax.vmap(given))(inputs, labels, stacked)
    batched_value, batched_grad = jax.jit(jax.vmap(drawn))(inputs, labels, keys)
    for p in range(P):
        single = jax.jit(given)(inputs[p], labels[p], values[p])
        np.testing.assert_allclose(np.asarray(batched[p]), np.asarray(single), rtol=1e-6)
        value, grad = jax.jit(drawn)(inputs[p], labels[p], keys[p])
        np.testing.assert_allclose(float(batched_value[p]), float(value), rtol=1e-6)
        np.testing.assert_allclose(np.asarray(batched_grad[p]), np.asarray(grad), rtol=1e-5,
                                   atol=1e-6)


def test_vmap_row_gradients_equals_a_loop():
    weights, biases, inputs, labels, keys = _problems()

    def one(inputs, labels, key):
        return row_gradients(weights, biases, inputs, labels, _sample(labels, key))

    batched_value, batched = jax.jit(jax.vmap(one))(inputs, labels, keys)
    for p in range(P):
        value, grads = jax.jit(one)(inputs[p], labels[p], keys[p])
        np.testing.assert_allclose(float(batched_value[p]), float(value), rtol=1e-6)
        for got, want in zip(batched, grads):
            np.testing.assert_allclose(np.asarray(got[p]), np.asarray(want), rtol=1e-5, atol=1e-6)


def test_default_sampler_under_jit_is_the_keyed_sampler():
    """``sampled_values=None`` with ``seed`` draws what the sampler draws with
    ``rng=jax.random.key(seed)``; both run under jit, gradient included."""
    weights, biases, inputs, labels = _problem(0)

    def default(weights):
        return cs.sampled_softmax_loss(weights, biases, labels, inputs, S, V, T, seed=5)

    def keyed(weights):
        values = cs.log_uniform_candidate_sampler(labels, T, S, True, V, rng=jax.random.key(5))
        return cs.sampled_softmax_loss(weights, biases, labels, inputs, S, V, T,
                                       sampled_values=values)

    def value_and_grad(f):
        return jax.jit(jax.value_and_grad(lambda w: jnp.sum(f(w))))(weights)

    for got, want in zip(value_and_grad(default), value_and_grad(keyed)):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6)


def test_a_count_on_the_cpu_is_read_as_an_int_outside_jit():
    """The number of draws of an eager unique sample is read back on the CPU (the expected
    counts are then chosen in Python), never from a tracer, a float or a vector; an eager
    draw's counts are those of the jitted one."""
    from candidate_sampling.backends.jax import JaxBackend

    backend = JaxBackend()
    assert backend.host_int(jnp.asarray(17)) == 17
    assert type(backend.host_int(jnp.asarray(17))) is int
    for other in (jnp.asarray([17]), jnp.asarray(17.0)):
        assert backend.host_int(other) is None
    seen = []
    jax.jit(lambda t: seen.append(backend.host_int(t)) or t)(jnp.asarray(3))
    assert seen == [None]
    labels = jnp.asarray([[0], [999]])
    key = jax.random.key(5)
    eager = cs.log_uniform_candidate_sampler(labels, 1, 64, True, 1000, rng=key)
    jitted = jax.jit(lambda k: cs.log_uniform_candidate_sampler(labels, 1, 64, True, 1000,
                                                                rng=k))(key)
    np.testing.assert_array_equal(np.asarray(eager[0]), np.asarray(jitted[0]))
    for a, b in zip(eager[1:], jitted[1:]):  # XLA fuses the jitted counts: an ulp apart
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)


_SHARDED_STEP = """
import os
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
os.environ["JAX_PLATFORMS"] = "cpu"
import jax, jax.numpy as jnp, numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from candidate_sampling.layers.jax import OutputParams, make_train_step

classes, dim, batch, sampled = 1000, 16, 8, 64
mesh = Mesh(np.array(jax.devices()), ("classes",))
rows = NamedSharding(mesh, PartitionSpec("classes", None))
rng = np.random.default_rng(0)
weights = rng.standard_normal((classes, dim)).astype(np.float32)
inputs = jnp.asarray(rng.standard_normal((batch, dim)), jnp.float32)
labels = jnp.asarray(rng.integers(0, classes, (batch, 2)))
for loss in ("sampled_softmax", "nce"):
    step = make_train_step(sampled, classes, 0.5, num_true=2, loss=loss)
    biases = jax.device_put(jnp.zeros(classes), NamedSharding(mesh, PartitionSpec("classes")))
    sharded = OutputParams(jax.device_put(jnp.asarray(weights), rows), biases)
    whole = OutputParams(jnp.asarray(weights), jnp.zeros(classes))
    key = jax.random.key(1)
    for _ in range(3):
        sharded, _, got = step(sharded, inputs, labels, key)
        whole, key, want = step(whole, inputs, labels, key)
        assert abs(float(got) - float(want)) <= 1e-6 * abs(float(want)), (loss, got, want)
    assert sharded.weights.sharding.spec == rows.spec, sharded.weights.sharding
    assert len(sharded.weights.addressable_shards) == 2
    assert float(jnp.abs(sharded.weights - whole.weights).max()) <= 1e-6
    assert float(jnp.abs(whole.weights - weights).max()) > 0
print("ok")
"""


def test_a_train_step_on_weights_sharded_across_devices_equals_the_unsharded_one():
    """Weights and biases sharded along the classes over two (host) devices: the jitted
    step (gather, row gradients, scatter-add) partitions as XLA sees fit, keeps the
    sharding, and gives the losses and weights of the unsharded step (to float32
    rounding; here they are equal). In a fresh process: the number of host devices is
    fixed when JAX starts."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _SHARDED_STEP], capture_output=True,
                          text=True, timeout=240, check=False)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-3000:]


def test_fresh_randomness_inside_jit_is_refused_by_name():
    """Neither ``seed`` nor ``rng`` inside ``jax.jit``: the entropy was drawn once, when
    the function was traced, and every call drew the same negatives, silently. Eagerly
    (``jax.grad`` alone too) each call draws afresh; a seed or a key works under jit."""
    from candidate_sampling.compat import paddle

    weights, biases, inputs, labels = _problem(0)
    fresh = r"^seed, rng: neither given inside a function that JAX stages \(jax\.jit"
    calls = {
        "sampler": lambda y: cs.uniform_candidate_sampler(y, T, S, True, V)[0],
        "loss": lambda y: cs.sampled_softmax_loss(weights, biases, y, inputs, S, V, T),
    }
    for name, call in calls.items():
        with pytest.raises(ValueError, match=fresh):
            jax.jit(call)(labels)
        draws = {tuple(np.asarray(call(labels)).ravel().tolist()) for _ in range(4)}
        assert len(draws) > 1, name  # eager: fresh each call
    with pytest.raises(ValueError, match=fresh):  # a scan's body is staged, even eagerly
        jax.lax.scan(lambda c, _: (c, calls["sampler"](labels)), 0, None, length=2)
    logits = jnp.ones((B, V))
    with pytest.raises(ValueError, match=r"^seed: 0 draws fresh negatives on every call, which "
                                         r"a function that JAX stages"):
        jax.jit(lambda y: paddle.sampled_softmax_with_cross_entropy(logits, y, S, T))(labels)
    grads = {float(jax.grad(lambda w: jnp.sum(calls["loss"](labels) * w))(1.0))
             for _ in range(4)}
    assert len(grads) > 1
    keyed = jax.jit(lambda y, k: cs.uniform_candidate_sampler(y, T, S, True, V, rng=k)[0])
    assert not np.array_equal(keyed(labels, jax.random.key(0)), keyed(labels, jax.random.key(1)))
    seeded = jax.jit(lambda y: cs.uniform_candidate_sampler(y, T, S, True, V, seed=3)[0])
    np.testing.assert_array_equal(seeded(labels),
                                  cs.uniform_candidate_sampler(labels, T, S, True, V, seed=3)[0])


def test_contrib_losses_inside_jit_without_values_name_sampled_values():
    """The contrib losses have no seed or rng: under ``jax.jit`` without
    ``sampled_values`` the error names ``sampled_values`` (it asked for a ``seed, rng``
    these signatures lack); given values drawn with a key they run there, and eagerly
    their default draw runs."""
    from candidate_sampling.compat.tf import contrib

    weights, biases, inputs, labels = _problem(0)
    labels = labels[:, :1]
    calls = [lambda y, v: contrib.sampled_sparse_softmax_loss(weights, biases, y, inputs, S, V, v),
             lambda y, v: contrib.rank_sampled_softmax_loss(weights, biases, y, inputs, S, S - 1,
                                                            V, 1, v, 1.0, True, "div")]
    for call in calls:
        with pytest.raises(ValueError, match=r"^sampled_values: None inside a function that "
                                             r"JAX stages"):
            jax.jit(call)(labels, None)
        values = cs.uniform_candidate_sampler(labels, 1, S, True, V, seed=2)
        np.testing.assert_allclose(jax.jit(call)(labels, values), call(labels, values),
                                   rtol=1e-6)
        assert call(labels, None).shape == (B,)
    for empty in ((), []):  # the rank loss draws for them as for None (named seed, rng)
        with pytest.raises(ValueError, match=r"^sampled_values: None inside a function that "
                                             r"JAX stages"):
            jax.jit(lambda y, empty=empty: calls[1](y, empty))(labels)


def test_learned_unigram_sampler_inside_jit_is_refused_by_name():
    """Its counts live in Python: under ``jax.jit`` they became a tracer and never moved
    on (a later eager call raised JAX's UnexpectedTracerError); ``make_train_step``
    given one reported ``seed, rng``. The function form and the step form work there."""
    weights, biases, inputs, labels = _problem(0)
    sampler = cs.LearnedUnigramSampler(V)
    message = r"^LearnedUnigramSampler: keeps its counts in Python between calls"
    with pytest.raises(TypeError, match=message):
        jax.jit(lambda y, k: sampler(y, T, S, True, rng=k))(labels, jax.random.key(0))
    assert sampler.counts is None
    step = make_train_step(S, V, 0.1, num_true=T, donate=False,
                           sampler=lambda y, t, s, u, v, rng: sampler(y, t, s, u, rng=rng))
    with pytest.raises(TypeError, match=message):
        step(OutputParams(weights, biases), inputs, labels, jax.random.key(0))
    eager = sampler(labels, T, S, True, rng=jax.random.key(0))
    assert float(jnp.sum(sampler.counts)) == V + B * T
    function = jax.jit(lambda y, k: cs.learned_unigram_candidate_sampler(y, T, S, True, V,
                                                                         rng=k))
    for got, want in zip(function(labels, jax.random.key(0)), eager):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def test_negative_ids_unchecked_under_jit_are_out_of_range():
    """Under ``jax.jit`` ids cannot be checked; a negative one counted from the end (JAX's
    indexing): -1 trained the last class, silently. Now, as an id past the end, it
    gathers a row of NaN and its update is dropped."""
    weights, biases, inputs, labels = _problem(0)
    sampled = jnp.arange(S)
    rows = jax.jit(touched_rows)(weights, biases, labels, sampled.at[2].set(-1))
    assert np.isnan(np.asarray(rows.weights[B * T + 2])).all()
    assert np.isnan(float(rows.biases[B * T + 2]))
    assert np.isfinite(np.asarray(rows.weights[B * T + 3])).all()
    new, new_b = jax.jit(apply_row_updates)(weights, biases, jnp.asarray([-1, 1]),
                                            jnp.ones((2, D)), jnp.ones(2), 1.0)
    np.testing.assert_array_equal(np.asarray(new[V - 1]), np.asarray(weights[V - 1]))
    np.testing.assert_allclose(np.asarray(new[1]), np.asarray(weights[1]) - 1, rtol=1e-6)
    assert float(new_b[V - 1]) == float(biases[V - 1])
    unchecked = make_train_step(S, V, 0.1, num_true=T, donate=False, validate=False)
    _, _, loss = unchecked(OutputParams(weights, biases), inputs, labels.at[1, 0].set(-1),
                           jax.random.key(0))
    assert np.isnan(float(loss))
    values = cs.log_uniform_candidate_sampler(labels, T, S, True, V, rng=jax.random.key(1))
    per_row = jax.jit(lambda y: cs.sampled_softmax_loss(weights, biases, y, inputs, S, V, T,
                                                        sampled_values=values))
    out = np.asarray(per_row(labels.at[1, 0].set(-1)))
    assert np.isnan(out[1]) and np.isfinite(np.delete(out, 1)).all()


def test_loss_from_rows_names_arguments_of_the_wrong_shape_or_dtype():
    """It checked only the expected counts: rows, inputs and samples that did not match
    gave JAX's broadcasting and dot_general errors, and integer inputs a value."""
    weights, biases, inputs, labels = _problem(0)
    values = _sample(labels, jax.random.key(4))
    rows = touched_rows(weights, biases, labels, values[0])
    cases = [
        ((TouchedRows(*(a[:-2] for a in rows)), inputs, labels, values), ValueError,
         rf"^rows\.ids: expected shape \[{B * T + S}\] \(batch_size \* num_true \+ num_sampled"),
        ((rows._replace(weights=rows.weights[:, :3]), inputs, labels, values), ValueError,
         rf"^rows\.weights: expected shape \[{B * T + S}, {D}\]"),
        ((rows, inputs[:3], labels, values), ValueError,
         rf"^labels: expected shape \[batch_size, num_true\] = \[3, {T}\] \(batch_size from inputs"),
        ((rows, inputs[:, :3], labels, values), ValueError,
         rf"^rows\.weights: expected shape \[{B * T + S}, 3\]"),
        ((rows, inputs, labels, (values[0][:4], values[1], values[2][:4])), ValueError,
         r"^rows\.ids: expected shape"),
        ((rows, inputs, labels, (values[0], values[1], values[2][:4])), ValueError,
         rf"^sampled_values\[2\] \(sampled_expected_count\): expected shape \[num_sampled\] = \[{S}\]"),
        ((rows, inputs.astype(jnp.int32), labels, values), TypeError,
         r"^inputs: expected a floating-point array"),
        ((rows, inputs.astype(jnp.float16), labels, values), TypeError,
         r"^rows\.weights: dtype float32 differs from the float16 of inputs"),
        ((rows, inputs, labels[:, 0], values), ValueError,
         r"^labels: expected shape \[batch_size, num_true\], got shape"),
        # rows of other labels (or candidates): the hits masked were other columns
        ((rows, inputs, (labels + 1) % V, values), ValueError,
         r"^rows: gathered for other ids than these labels and sampled candidates"),
        ((rows, inputs, labels, (values[0][::-1], *values[1:])), ValueError,
         r"^rows: gathered for other ids"),
    ]
    for args, error, message in cases:
        with pytest.raises(error, match=message):
            loss_from_rows(*args)
    # under jax.jit the ids are not read
    assert jax.jit(loss_from_rows)(rows, inputs, (labels + 1) % V, values).shape == (B,)
    want = cs.sampled_softmax_loss(weights, biases, labels, inputs, S, V, T, sampled_values=values)
    np.testing.assert_allclose(np.asarray(loss_from_rows(rows, inputs, labels, values)),
                               np.asarray(want), rtol=1e-6)
    # one sampled count for all, broadcast as TensorFlow does (golden case counts-one)
    one = values._replace(sampled_expected_count=values[2][:1])
    want = cs.sampled_softmax_loss(weights, biases, labels, inputs, S, V, T, sampled_values=one)
    np.testing.assert_allclose(np.asarray(jax.jit(loss_from_rows)(rows, inputs, labels, one)),
                               np.asarray(want), rtol=1e-6)


def test_apply_row_updates_refuses_integer_weights_and_takes_integer_rates():
    """Integer weights took a step of 0 silently (NumPy's sgd_update refuses them); a 0-d
    integer rate, as a Python int is, was refused as "got shape []"."""
    weights, biases, *_ = _problem(0)
    ids, rows_w, rows_b = jnp.asarray([1, 2]), jnp.ones((2, D)), jnp.ones(2)
    with pytest.raises(TypeError, match=r"^weights: expected a floating-point array, got dtype "
                                        r"int32"):
        apply_row_updates(weights.astype(jnp.int32), biases, ids, rows_w, rows_b, 0.1)
    with pytest.raises(TypeError, match=r"^biases: expected a floating-point array"):
        apply_row_updates(weights, biases.astype(jnp.int32), ids, rows_w, rows_b, 0.1)
    for rate in (jnp.int32(2), 2):
        new, _ = apply_row_updates(weights, biases, ids, rows_w, rows_b, rate)
        np.testing.assert_allclose(np.asarray(new[1]), np.asarray(weights[1]) - 2, rtol=1e-6)
    with pytest.raises(TypeError, match=r"^learning_rate: expected a real number or a 0-d real "
                                        r"array, got shape \[\] and dtype bool"):
        apply_row_updates(weights, biases, ids, rows_w, rows_b, jnp.asarray(True))
    # complex rows lost their imaginary part in the cast (JAX only warned), bool ones
    # stepped by the rate
    for name, bad in (("grad_weight_rows", (rows_w.astype(jnp.complex64), rows_b)),
                      ("grad_weight_rows", (rows_w.astype(bool), rows_b)),
                      ("grad_bias_rows", (rows_w, rows_b.astype(jnp.int32)))):
        with pytest.raises(TypeError, match=rf"^{name}: expected a floating-point array"):
            apply_row_updates(weights, biases, ids, *bad, 0.1)


def test_helpers_name_every_bad_argument():
    """Arguments the helpers failed on inside JAX or Python: ``donate="no"`` donated (and
    deleted) the caller's arrays; a bad ``key`` gave JAX's "invalid PRNG key data"; lists
    and None an AttributeError (``'list' object has no attribute 'ndim'``); a Fraction
    learning rate a TypeError from its product with a tracer; ``all_candidate_sampler``
    "seed, rng: give at most one of them" (``range_max`` taken as its seed)."""
    import fractions
    import functools

    from candidate_sampling.layers.jax import (
        OutputParams,
        apply_row_updates,
        loss_from_rows,
        make_train_step,
        touched_rows,
    )

    labels, inputs = jnp.array([[1], [3]]), jnp.ones((2, 8))

    def params():
        return OutputParams(jnp.zeros((50, 8)), jnp.zeros(50))

    with pytest.raises(TypeError, match=r"^donate: expected a bool, got str 'no'"):
        make_train_step(4, 50, 0.1, donate="no")
    for bad in (cs.all_candidate_sampler, functools.partial(cs.all_candidate_sampler)):
        with pytest.raises(ValueError, match=r"^sampler: must take range_max"):
            make_train_step(4, 50, 0.1, sampler=bad)
    step = make_train_step(4, 50, 0.1)
    for key in (0, None, jax.random.split(jax.random.key(0), 2), jnp.zeros(4, jnp.uint32)):
        with pytest.raises(TypeError, match=r"^key: expected one JAX PRNG key"):
            step(params(), inputs, labels, key)
    for args, name in (((params(), [[1.0] * 8] * 2, labels), "inputs"),
                       ((OutputParams(None, jnp.zeros(50)), inputs, labels), "params.weights")):
        with pytest.raises(TypeError, match=f"^{name}: expected a JAX array, got"):
            step(*args, jax.random.key(0))
    weights, biases = params()
    sampled = jnp.array([5, 6, 7, 8])
    for args, name in (((weights, biases, [[1], [3]], sampled), "labels"),
                       ((None, biases, labels, sampled), "weights")):
        with pytest.raises(TypeError, match=f"^{name}: expected a JAX array, got"):
            touched_rows(*args)
    rows = touched_rows(weights, biases, labels, sampled)
    values = cs.log_uniform_candidate_sampler(labels, 1, 4, True, 50, seed=1)
    with pytest.raises(TypeError, match=r"^rows: expected the TouchedRows of touched_rows"):
        loss_from_rows(tuple(rows), inputs, labels, values)
    grads = (jnp.ones((2, 8)), jnp.ones(2))
    with pytest.raises(TypeError, match=r"^ids: expected a JAX array, got list"):
        apply_row_updates(weights, biases, [1, 2], *grads, 0.1)
    # a Fraction is the float it stands for
    tenth = fractions.Fraction(1, 10)
    for got, want in zip(apply_row_updates(weights, biases, jnp.array([1, 2]), *grads, tenth),
                         apply_row_updates(weights, biases, jnp.array([1, 2]), *grads, 0.1)):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    key = jax.random.key(3)
    once = make_train_step(4, 50, tenth, donate=False)(params(), inputs, labels, key)
    again = make_train_step(4, 50, 0.1, donate=False)(params(), inputs, labels, key)
    np.testing.assert_array_equal(np.asarray(once[0].weights), np.asarray(again[0].weights))
    # a raw key of the configured implementation only: threefry's is uint32 [2]
    with pytest.raises(TypeError, match=r"^rng: expected one JAX PRNG key .*uint32 of shape "
                                        r"\[2\]\), got ArrayImpl of dtype uint32 and shape \[4\]"):
        cs.uniform_candidate_sampler(labels, 1, 3, True, 10, rng=jnp.zeros(4, jnp.uint32))


_OTHER_DEVICE = '''
import os
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=3"
import jax
import numpy as np
import candidate_sampling as cs

device = jax.devices()[2]
labels = np.arange(8).reshape(8, 1)
for unique in (True, False):
    for sampler in (cs.log_uniform_candidate_sampler, cs.uniform_candidate_sampler):
        for given in ({"seed": 3}, {"rng": jax.random.key(0)}):
            here = sampler(jax.device_put(labels, device), 1, 6, unique, 48, **given)
            assert all(a.devices() == {device} for a in here), [a.devices() for a in here]
            default = sampler(jax.numpy.asarray(labels), 1, 6, unique, 48, **given)
            for a, b in zip(here, default):
                np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
print("ok")
'''


def test_native_samplers_draw_on_the_labels_device():
    """Labels committed to a device other than the default: the draw's key goes there,
    and the sample with it. The sample was drawn on the default device (unique), or the
    call failed with "incompatible devices" (with replacement). Three CPU devices, in a
    process of their own (XLA's device count is fixed at JAX's start)."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", _OTHER_DEVICE], capture_output=True, text=True,
                         timeout=300, check=False)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]


def test_arrays_bound_to_a_partial_sampler_are_not_folded_when_the_step_compiles():
    """``functools.partial(fixed_unigram_candidate_sampler, unigrams=...)`` (the step's
    documented way to bind the weights) made them constants of the compiled step, and
    XLA folded the law's running sums over them: compiling the first call took 18 s at
    3·10^5 classes (7 s now). They now pass through an optimization barrier; the step
    draws and trains as before."""
    import functools

    weights, biases, inputs, labels = _problem(0)
    unigrams = jnp.asarray(np.random.default_rng(1).integers(1, 50, V).astype(np.float32))
    sampler = functools.partial(cs.fixed_unigram_candidate_sampler, unigrams=unigrams)
    step = make_train_step(S, V, LR, num_true=T, sampler=sampler, donate=False)
    lowered = step.lower(OutputParams(weights, biases), inputs, labels, jax.random.key(2))
    barrier = re.compile(rf"optimization_barrier %\w+ : tensor<{V}xf32>")  # the unigrams'
    assert barrier.search(lowered.as_text())
    params, _, loss = step(OutputParams(weights, biases), inputs, labels, jax.random.key(2))
    values = sampler(labels, T, S, True, V, rng=jax.random.split(jax.random.key(2))[1])
    want_loss, grads = row_gradients(weights, biases, inputs, labels, values)
    want = apply_row_updates(weights, biases, grads.ids, grads.weights, grads.biases, LR)
    np.testing.assert_allclose(float(loss), float(want_loss), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(params.weights), np.asarray(want[0]), rtol=1e-5,
                               atol=1e-6)
    plain = make_train_step(S, V, LR, num_true=T, donate=False)  # no partial: as it was
    assert not barrier.search(plain.lower(OutputParams(weights, biases), inputs, labels,
                                          jax.random.key(2)).as_text())


@pytest.mark.parametrize("case", ["nan", "negative", "too few for unique", "zero label"])
def test_a_step_with_bound_unigrams_checks_the_law_as_the_sampler_does(case):
    """Behind the barrier the bound ``unigrams`` are out of the sampler's checks, which a
    step of a bad law skipped: it trained on a NaN or negative weight, and gave a NaN
    loss and NaN rows for a unique sample larger than the classes of nonzero weight or a
    label of weight 0. The law is now checked once when the step is made, and the labels
    against its classes of weight 0 at each call, with the sampler's own messages."""
    import functools

    weights, biases, inputs, labels = _problem(0)
    unigrams = np.ones(V, np.float32)
    message = r"^unigrams: every weight must be a finite number >= 0"
    if case in ("nan", "negative"):
        unigrams[7] = np.nan if case == "nan" else -5.0
    elif case == "too few for unique":
        unigrams[:] = 0
        unigrams[:S - 1] = 1
        message = rf"^num_sampled: must be at most the {S - 1} ids of nonzero weight"
    else:
        unigrams[int(labels[1, 0])] = 0
        message = r"^labels: a true class has weight 0 under this fixed unigram distribution"
    eager = message.replace("labels:", "true_classes:")   # the sampler's name of them
    with pytest.raises(ValueError, match=eager):  # the sampler itself, eagerly
        cs.fixed_unigram_candidate_sampler(np.asarray(labels), T, S, True, V,
                                           unigrams=unigrams, seed=1)
    sampler = functools.partial(cs.fixed_unigram_candidate_sampler, unigrams=jnp.asarray(unigrams))
    with pytest.raises(ValueError, match=message):
        step = make_train_step(S, V, LR, num_true=T, sampler=sampler, donate=False)
        step(OutputParams(weights, biases), inputs, labels, jax.random.key(2))
    if case == "zero label":  # the other labels train
        other = jnp.where(labels == labels[1, 0], (labels[1, 0] + 1) % V, labels)
        _, _, loss = step(OutputParams(weights, biases), inputs, other, jax.random.key(2))
        assert np.isfinite(float(loss))
