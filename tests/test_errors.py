"""Bad input gets a clear ValueError/TypeError naming the argument, never a crash, a hang or NaN."""

from __future__ import annotations

import re

import numpy as np
import pytest

import candidate_sampling as cs
from candidate_sampling.compat import paddle, tf

B, D, V, S = 3, 4, 20, 5


@pytest.fixture
def args(rng):
    weights = rng.normal(size=(V, D)).astype(np.float32)
    biases = rng.normal(size=V).astype(np.float32)
    labels = np.array([[1], [5], [7]], dtype=np.int64)
    inputs = rng.normal(size=(B, D)).astype(np.float32)
    sampled = cs.SampledValues(np.array([0, 2, 3, 4, 6]), np.full((B, 1), 0.3, np.float32),
                               np.full(S, 0.3, np.float32))
    return dict(weights=weights, biases=biases, labels=labels, inputs=inputs, num_sampled=S,
                num_classes=V, sampled_values=sampled)


LOSSES = [cs.sampled_softmax_loss, cs.nce_loss, tf.v1.nn.sampled_softmax_loss, tf.v1.nn.nce_loss]


def raises(exc, *names):
    """pytest.raises whose message must start with one of the argument ``names``."""
    return pytest.raises(exc, match="^(" + "|".join(re.escape(n) for n in names) + ")")


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("bad", [-1, V, V + 100])
def test_label_out_of_range(loss, args, bad):
    args["labels"] = np.array([[1], [bad], [7]])
    with raises(ValueError, "labels"):
        loss(**args)


@pytest.mark.parametrize("loss", LOSSES)
def test_label_out_of_range_with_default_sampler(loss, args):
    args["labels"] = np.array([[1], [V], [7]])
    args["sampled_values"] = None
    with raises(ValueError, "labels"):
        loss(**args)


@pytest.mark.parametrize("loss", LOSSES + [tf.nn.sampled_softmax_loss, tf.nn.nce_loss])
@pytest.mark.parametrize("bad, exc", [(None, TypeError), (-1, ValueError), (0, ValueError)])
def test_bad_num_classes_with_default_sampler_is_named(loss, args, bad, exc):
    """A bad ``num_classes`` with the default sampler is named so; the TensorFlow front
    ends, whose sampler runs first (TensorFlow's order), said ``range_max``."""
    args["num_classes"], args["sampled_values"] = bad, None
    with raises(exc, "num_classes: "):
        loss(**args)


@pytest.mark.parametrize("loss", LOSSES)
def test_sampled_id_out_of_range(loss, args):
    args["sampled_values"] = args["sampled_values"]._replace(sampled_candidates=np.array([0, 2, 3, 4, V]))
    with raises(ValueError, "sampled_values[0]"):
        loss(**args)


def test_num_sampled_above_num_classes_with_unique_default_sampler(args):
    args.update(sampled_values=None, num_sampled=V + 1)
    with raises(ValueError, "num_sampled"):
        cs.sampled_softmax_loss(**args)


@pytest.mark.parametrize("loss", LOSSES)
def test_batch_mismatch(loss, args):
    args["labels"] = np.array([[1], [5], [7], [8]])
    with raises(ValueError, "labels"):
        loss(**args)


@pytest.mark.parametrize("field,value", [
    ("labels", np.array([1, 5, 7])),
    ("labels", np.array([[[1]], [[5]], [[7]]])),
    ("inputs", np.zeros((B, D, 1), np.float32)),
    ("inputs", np.zeros((B, D + 1), np.float32)),
    ("weights", np.zeros((V, D, 1), np.float32)),
    ("weights", np.zeros((V - 1, D), np.float32)),
    ("biases", np.zeros((V, 1), np.float32)),
])
def test_wrong_rank_or_shape(args, field, value):
    args[field] = value
    with raises(ValueError, field):
        cs.sampled_softmax_loss(**args)


def test_num_true_mismatch(args):
    with raises(ValueError, "labels"):
        cs.sampled_softmax_loss(**args, num_true=2)


def test_expected_count_shapes(args):
    sv = args["sampled_values"]
    args["sampled_values"] = sv._replace(sampled_expected_count=np.ones(S + 1, np.float32))
    with raises(ValueError, "sampled_values[2]"):
        cs.sampled_softmax_loss(**args)
    args["sampled_values"] = sv._replace(true_expected_count=np.ones((B + 1, 1), np.float32))
    with raises(ValueError, "sampled_values[1]"):
        cs.sampled_softmax_loss(**args)


@pytest.mark.parametrize("shape, target, fits", [
    ((4, 1), (4, 1), True), ((1,), (4, 3), True), ((), (4, 3), True), ((1, 1), (4, 3), True),
    ((3,), (4, 3), True), ((4,), (4, 3), False), ((5, 1), (4, 1), False),
    ((1, 4, 1), (4, 1), False), ((4, 2), (4, 1), False), ((0,), (4, 0), True)])
def test_broadcasts_to_follows_the_array_api_rules(shape, target, fits):
    from candidate_sampling.core.checks import broadcasts_to

    assert broadcasts_to(shape, target) is fits
    try:
        fits_numpy = np.broadcast_shapes(shape, target) == target
    except ValueError:
        fits_numpy = False
    assert fits_numpy is fits


def test_zero_expected_count_would_give_nan(args):
    sv = args["sampled_values"]
    args["sampled_values"] = sv._replace(true_expected_count=np.zeros((B, 1), np.float32))
    with raises(ValueError, "sampled_values[1]"):
        cs.sampled_softmax_loss(**args)


@pytest.mark.parametrize("bad,named", [(np.inf, "got inf"), (np.nan, "got nan"),
                                       (-np.inf, "got -inf"), (-0.5, "got min -0.5"),
                                       (0.0, "got min 0.0")])
def test_a_bad_expected_count_is_named_in_the_error(args, bad, named):
    """The message names what fails the check: an infinity or a NaN where there is one
    (it gave the minimum, a valid count, for an infinite one), else the minimum."""
    sv = args["sampled_values"]
    counts = np.asarray(sv.sampled_expected_count).copy()
    counts[1] = bad
    args["sampled_values"] = sv._replace(sampled_expected_count=counts)
    with pytest.raises(ValueError, match=r"^sampled_values\[2\] \(sampled_expected_count\): "
                                         r"every value must be finite and > 0 .*, " + named + "$"):
        cs.nce_loss(**args)


@pytest.mark.parametrize(("given", "got"), [
    ((np.array([0, 1, 2, 3, 4]),), "tuple of 1"),
    (np.array([0, 1, 2, 3, 4]), "ndarray"),
    ({"sampled_candidates": np.array([0, 1, 2, 3, 4])}, "dict")])
@pytest.mark.parametrize("loss", ["sampled_softmax_loss", "nce_loss", "rank"])
def test_sampled_values_not_a_triple(args, loss, given, got):
    """Every loss names ``sampled_values`` and what it got: the rank loss took a lone
    array for its truth value (NumPy's "ambiguous" ValueError), a dict was "expected an
    array"."""
    args["sampled_values"] = given
    call = getattr(cs, loss, None) or (lambda **kw: cs.rank_sampled_softmax_loss(
        **kw, num_resampled=2, num_true=1, resampling_temperature=1.0,
        remove_accidental_hits=True, partition_strategy="div"))
    with pytest.raises(TypeError, match=r"^sampled_values: expected a tuple \(sampled_candidates, "
                                        rf"true_expected_count, sampled_expected_count\), got {got}$"):
        call(**args)


def test_rank_loss_draws_for_an_empty_sampled_values(args):
    """TensorFlow's ``if not sampled_values``: ``()`` draws the default sample, as None."""
    kw = {"num_resampled": 2, "num_true": 1, "resampling_temperature": 1.0,
          "remove_accidental_hits": True, "partition_strategy": "div", "seed": 3}
    want = cs.rank_sampled_softmax_loss(**dict(args, sampled_values=None), **kw)
    got = cs.rank_sampled_softmax_loss(**dict(args, sampled_values=()), **kw)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", ["uint16", "uint32", "uint64"])
def test_torch_ids_of_an_unsigned_dtype_it_cannot_sort_are_a_type_error(args, dtype):
    """torch has these dtypes with few operations (no min, max or sort on a CPU): a
    TypeError naming the argument, not torch's NotImplementedError from inside. NumPy
    computes with them (and torch with uint8)."""
    torch = pytest.importorskip("torch")
    t = {k: torch.from_numpy(v) for k, v in args.items() if isinstance(v, np.ndarray)}
    unsigned = getattr(torch, dtype)
    message = (r"the array library has too few operations on dtype torch\.%s \(no min, max "
               r"or sort\); cast the ids to int64 or int32$" % dtype)
    with pytest.raises(TypeError, match="^labels: " + message):
        cs.sampled_softmax_loss(t["weights"], t["biases"], t["labels"].to(unsigned),
                                t["inputs"], S, V)
    with pytest.raises(TypeError, match="^true_classes: " + message):
        cs.log_uniform_candidate_sampler(t["labels"].to(unsigned), 1, S, True, V)
    values = (torch.tensor([0, 2, 3, 4, 6], dtype=unsigned), torch.full((B, 1), 0.3),
              torch.full((S,), 0.3))
    with pytest.raises(TypeError, match=r"^sampled_values\[0\] \(sampled_candidates\): "):
        cs.nce_loss(t["weights"], t["biases"], t["labels"], t["inputs"], S, V,
                    sampled_values=values)
    expected = cs.sampled_softmax_loss(**args)
    given = tuple(torch.from_numpy(np.asarray(a)) for a in args["sampled_values"])
    for ids in (torch.uint8, torch.int16):
        got = cs.sampled_softmax_loss(t["weights"], t["biases"], t["labels"].to(ids),
                                      t["inputs"], S, V, sampled_values=given)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)
    got = cs.sampled_softmax_loss(**dict(args, labels=args["labels"].astype(dtype)))
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize("library, dtype", [
    *((library, dtype) for library in ("numpy", "torch", "jax", "array_api_strict")
      for dtype in ("int8", "uint8", "int16", "int32")),
    ("numpy", "uint64"), ("array_api_strict", "uint32"), ("array_api_strict", "uint64")])
def test_ids_of_other_integer_dtypes_sample_and_index_as_int64(args, library, dtype):
    """Every sampler (the unigram laws look the true classes up) and both losses, with
    true classes and sampled ids of a small or unsigned integer dtype: the results of
    int64 ids (array_api_strict does not promote uint64 with int64; torch's wide unsigned
    dtypes are refused, above)."""
    convert = {"numpy": np.asarray,
               "torch": lambda a: pytest.importorskip("torch").from_numpy(np.asarray(a)),
               "jax": lambda a: pytest.importorskip("jax.numpy").asarray(a),
               "array_api_strict": lambda a: pytest.importorskip("array_api_strict").asarray(
                   np.asarray(a))}[library]
    labels = args["labels"]
    small = convert(labels.astype(dtype))
    for sampler, extra in ((cs.learned_unigram_candidate_sampler, {}),
                           (cs.fixed_unigram_candidate_sampler,
                            {"unigrams": list(range(1, V + 1))}),
                           (cs.log_uniform_candidate_sampler, {})):
        seed = dict(rng=np.random.default_rng(4)) if library == "numpy" else dict(seed=4)
        got = sampler(small, 1, S, True, V, **extra, **seed)
        seed = dict(rng=np.random.default_rng(4)) if library == "numpy" else dict(seed=4)
        expected = sampler(convert(labels), 1, S, True, V, **extra, **seed)
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(np.asarray(g), np.asarray(e))
    arrays = {k: convert(v) for k, v in args.items() if isinstance(v, np.ndarray)}
    given = [np.asarray(a) for a in args["sampled_values"]]
    for loss in (cs.sampled_softmax_loss, cs.nce_loss):
        expected = loss(**args)
        got = loss(arrays["weights"], arrays["biases"], small, arrays["inputs"], S, V,
                   sampled_values=(convert(given[0].astype(dtype)), convert(given[1]),
                                   convert(given[2])))
        np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-6)


def test_jax_ids_in_int32_bound_range_max():
    """Without ``jax_enable_x64`` JAX's ids are int32: a larger ``range_max`` is a
    ValueError naming it, not an overflow inside a compiled draw."""
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    if jax.config.jax_enable_x64:
        pytest.skip("jax_enable_x64 is on here: ids are int64")
    labels = jnp.asarray([[1], [2]])
    with pytest.raises(ValueError, match=r"^range_max: must be in \[1, 2147483647\] while the "
                                         r"array library's ids are int32, got 2147483648$"):
        cs.log_uniform_candidate_sampler(labels, 1, 5, True, 2**31, seed=1)
    drawn = cs.log_uniform_candidate_sampler(labels, 1, 5, True, 2**31 - 1, seed=1)
    assert drawn.sampled_candidates.dtype == jnp.int32


@pytest.mark.parametrize("front", ["tf", "paddle", "paddle_samples"])
def test_jax_int32_ids_bound_the_front_ends_range(front):
    """The TensorFlow and Paddle streams draw on the host in int64; with JAX's int32 ids
    a range past 2**31 - 1 is the same ValueError as the core's, before any draw (the
    Paddle stream's ids wrapped to negative int32 silently; TensorFlow's raised an
    OverflowError only when a drawn id did not fit)."""
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    if jax.config.jax_enable_x64:
        pytest.skip("jax_enable_x64 is on here: ids are int64")
    from candidate_sampling.compat import paddle
    from candidate_sampling.compat.tf import random as tf_random

    labels = jnp.asarray([[1], [2]])
    draw, name = {
        "tf": (lambda n: tf_random.log_uniform_candidate_sampler(labels, 1, 5, True, n, seed=1),
               "range_max"),
        "paddle": (lambda n: paddle.log_uniform_candidate_sampler(labels, 1, 5, True, n, seed=1),
                   "range_max"),
        "paddle_samples": (lambda n: paddle.log_uniform_samples(labels, 5, n, 1), "num_classes"),
    }[front]
    with pytest.raises(ValueError, match=rf"^{name}: must be in \[1, 2147483647\] while the "
                                         r"array library's ids are int32, got 8589934592$"):
        draw(2**33)
    ids = np.asarray(draw(2**31 - 1)[0])
    assert ids.dtype == np.int32 and ids.min() >= 0


def test_float_labels_and_int_inputs(args):
    bad = dict(args, labels=args["labels"].astype(np.float32))
    with raises(TypeError, "labels"):
        cs.sampled_softmax_loss(**bad)
    bad = dict(args, inputs=np.zeros((B, D), np.int64))
    with raises(TypeError, "inputs"):
        cs.sampled_softmax_loss(**bad)


@pytest.mark.parametrize("loss", LOSSES[:2])
@pytest.mark.parametrize("field", ["biases", "inputs", "weights[1]"])
def test_mixed_float_dtypes(loss, args, field):
    """TensorFlow's products take one dtype; NumPy would promote float32 and float64
    silently, so mixing them is an error naming the odd argument (``compat.tf``'s losses
    cast the parameters to the inputs' dtype, as TensorFlow: see test_dtypes)."""
    if field == "weights[1]":
        w = args["weights"]
        args["weights"] = [w[:10], w[10:].astype(np.float64)]
        field = "weights"
    else:
        args[field] = args[field].astype(np.float64)
    with pytest.raises(TypeError, match=f"^{field}: dtype float64 differs from the float32 "
                                        f"of weights"):
        loss(**args)


def test_mixed_float_dtypes_in_torch_outside_and_inside_autocast(args):
    """Outside ``torch.autocast`` bfloat16 inputs with float32 weights are an error naming
    the inputs; inside it, autocast's cast is the point, and the loss and gradients come
    out as without it in float32, up to bfloat16's rounding of the inputs."""
    torch = pytest.importorskip("torch")
    t = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in args.items()}
    t["sampled_values"] = cs.SampledValues(*map(torch.from_numpy, args["sampled_values"]))
    t["weights"].requires_grad_(True)
    half = t["inputs"].bfloat16()
    with raises(TypeError, "inputs"):
        cs.sampled_softmax_loss(**dict(t, inputs=half))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = cs.sampled_softmax_loss(**dict(t, inputs=half))
    loss.sum().backward()
    assert loss.dtype == t["weights"].grad.dtype == torch.float32
    grad = t["weights"].grad.clone()
    t["weights"].grad = None
    want = cs.sampled_softmax_loss(**dict(t, inputs=half.float()))
    want.sum().backward()
    torch.testing.assert_close(loss, want, rtol=2e-2, atol=2e-2)
    torch.testing.assert_close(grad, t["weights"].grad, rtol=2e-2, atol=2e-2)


def test_not_an_array(args):
    args["inputs"] = [[0.0] * D] * B
    with pytest.raises(TypeError, match=r"^inputs: expected an array \(.*\), got a list "
                                        r"holding float$"):
        cs.sampled_softmax_loss(**args)
    args["inputs"] = 1.5
    with pytest.raises(TypeError, match=r"^inputs: expected an array \(.*\), got float$"):
        cs.sampled_softmax_loss(**args)


def test_arrays_from_two_backends(args):
    torch = pytest.importorskip("torch")
    args["inputs"] = torch.from_numpy(args["inputs"])
    with pytest.raises(TypeError, match="different array libraries.*inputs"):
        cs.sampled_softmax_loss(**args)


@pytest.mark.parametrize("field", ["weights", "biases"])
def test_a_shard_from_another_library_is_named(args, field):
    """Only the first shard of a list was looked at: a NumPy shard after a torch one was
    taken (a torch shard after NumPy ones was "not one of the array library's own
    dtypes")."""
    torch = pytest.importorskip("torch")
    half = args[field].shape[0] // 2
    for first, second in ((torch.from_numpy, np.asarray), (np.asarray, torch.from_numpy)):
        mixed = {name: first(args[name]) for name in ("weights", "biases", "labels", "inputs")}
        mixed[field] = [first(args[field][:half]), second(args[field][half:])]
        with pytest.raises(TypeError, match=r"^arrays from different array libraries cannot "
                                            rf"be mixed: .*{field}\[1\] \("):
            cs.sampled_softmax_loss(**{**args, **mixed})


@pytest.mark.parametrize("strategy", ["DIV", "", None, "modulo"])
def test_unknown_partition_strategy(args, strategy):
    with raises(ValueError, "partition_strategy"):
        tf.v1.nn.sampled_softmax_loss(**args, partition_strategy=strategy)


def test_shards_not_laid_out_for_the_strategy(args):
    w = args["weights"]
    args["weights"] = [w[:10], w[10:15], w[15:]]  # 'div' wants 7, 7, 6
    with raises(ValueError, "weights"):
        tf.v1.nn.sampled_softmax_loss(**args, partition_strategy="div")


@pytest.mark.parametrize("num_sampled", [0, -1, 2.5, "5", True])
def test_num_sampled_type_and_range(args, num_sampled):
    args["num_sampled"] = num_sampled
    with raises((ValueError, TypeError), "num_sampled"):
        cs.sampled_softmax_loss(**args)


def test_remove_accidental_hits_not_bool(args):
    with raises(TypeError, "remove_accidental_hits"):
        cs.sampled_softmax_loss(**args, remove_accidental_hits="yes")


def test_numpy_bools_are_bools(args):
    """NumPy 2 names its bool type ``bool``, not ``bool_``: ``np.True_`` was refused with
    "expected a bool, got bool np.True_"."""
    hits = cs.sampled_softmax_loss(**args, remove_accidental_hits=np.True_)
    np.testing.assert_array_equal(hits, cs.sampled_softmax_loss(**args))
    drawn = tf.random.uniform_candidate_sampler(np.array([[1]]), 1, 4, np.True_, 10, seed=1)
    assert len(set(drawn.sampled_candidates.tolist())) == 4
    # a 0-d bool array is one too, as a 0-d int array is an int; a 1-element one is not
    hits = cs.sampled_softmax_loss(**args, remove_accidental_hits=np.array(False))
    np.testing.assert_array_equal(hits, cs.sampled_softmax_loss(**args,
                                                                remove_accidental_hits=False))
    drawn = cs.uniform_candidate_sampler(np.array([[1]]), 1, 4, np.array(True), 10, seed=1)
    assert len(set(drawn.sampled_candidates.tolist())) == 4
    with raises(TypeError, "unique"):
        cs.uniform_candidate_sampler(np.array([[1]]), 1, 4, np.array([True]), 10, seed=1)


class TestRank:
    def call(self, args, **over):
        kw = dict(args, num_sampled=S, num_resampled=2, num_true=1, resampling_temperature=1.0,
                  remove_accidental_hits=True, partition_strategy="div")
        kw.update(over)
        return tf.contrib.rank_sampled_softmax_loss(**kw)

    @pytest.mark.parametrize("num_resampled", [S, S + 1, 0, -1])
    def test_num_resampled_not_below_num_sampled(self, args, num_resampled):
        with pytest.raises(ValueError, match=rf"^num_resampled: must be in \[1, num_sampled={S}\), "
                                             rf"got {num_resampled}$"):
            self.call(args, num_resampled=num_resampled)

    @pytest.mark.parametrize("num_resampled", [V + 5, 0])
    def test_num_sampled_above_num_classes_checked_first(self, args, num_resampled):
        # TensorFlow's first check, also before a num_resampled of 0; its third, the
        # partition strategy, also before a num_resampled of 0 (which it leaves to top_k)
        with raises(ValueError, "num_sampled"):
            self.call(args, num_sampled=V + 1, num_resampled=num_resampled)
        with raises(ValueError, "partition_strategy"):
            self.call(args, num_resampled=0, partition_strategy="foo")

    @pytest.mark.parametrize("t", [0.0, -1.0, float("nan")])
    def test_temperature(self, args, t):
        with raises(ValueError, "resampling_temperature"):
            self.call(args, resampling_temperature=t)


class TestAccidentalHits:
    def test_num_true_mismatch(self):
        with raises(ValueError, "true_classes"):
            cs.compute_accidental_hits(np.array([[1, 2]]), np.array([1, 2]), 1)

    def test_ranks(self):
        with raises(ValueError, "true_classes"):
            cs.compute_accidental_hits(np.array([1, 2]), np.array([1, 2]), 1)
        with raises(ValueError, "sampled_candidates"):
            cs.compute_accidental_hits(np.array([[1]]), np.array([[1, 2]]), 1)

    def test_inside_jit_is_named(self):
        """Its output length depends on the ids: JAX's ConcretizationTypeError about
        ``jnp.nonzero`` came out before."""
        jax = pytest.importorskip("jax")
        labels, sampled = jax.numpy.asarray([[2], [4]]), jax.numpy.asarray([2, 3])
        for fn in (cs.compute_accidental_hits, tf.nn.compute_accidental_hits):
            with pytest.raises(TypeError, match=r"^true_classes: compute_accidental_hits "
                                                r"returns one entry per hit"):
                jax.jit(lambda y, fn=fn: fn(y, sampled, 1))(labels)
            np.testing.assert_array_equal(np.asarray(fn(labels, sampled, 1).ids), [0])
        # under jax.vmap and torch.func.vmap: a ConcretizationTypeError, and torch's
        # "Batching rule not implemented for aten::nonzero_numpy", came out
        message = r"^true_classes: compute_accidental_hits returns one entry per hit"
        with pytest.raises(TypeError, match=message):
            jax.vmap(lambda y: cs.compute_accidental_hits(y, sampled, 1))(labels[None])
        with pytest.raises(TypeError, match=message):
            jax.vmap(lambda s: cs.compute_accidental_hits(labels, s, 1))(sampled[None])
        torch = pytest.importorskip("torch")
        with pytest.raises(TypeError, match=message):
            torch.func.vmap(lambda y: cs.compute_accidental_hits(y, torch.arange(5), 1))(
                torch.tensor([[[1], [3]]]))
        hits = torch.compile(cs.compute_accidental_hits, backend="eager")(
            torch.tensor([[1], [3]]), torch.arange(5), 1)
        assert hits.ids.tolist() == [1, 3]

    def test_fields_are_named_as_tensorflows(self):
        """TensorFlow returns a ``ComputeAccidentalHits`` namedtuple: ported code reads
        ``hits.ids``; a plain tuple gave AttributeError."""
        for fn in (cs.compute_accidental_hits, tf.nn.compute_accidental_hits,
                   tf.v1.nn.compute_accidental_hits):
            for sampled in (np.array([1, 2, 4]), np.array([], np.int64)):
                hits = fn(np.array([[2], [4]]), sampled, 1)
                assert hits._fields == ("indices", "ids", "weights")
                indices, ids, weights = hits
                assert hits.ids is ids and hits.indices is indices and hits.weights is weights
        hits = cs.compute_accidental_hits(np.array([[2], [4]]), np.array([1, 2, 4]), 1)
        np.testing.assert_array_equal(hits.ids, [1, 2])
        np.testing.assert_array_equal(hits.indices, [0, 1])


class TestPaddle:
    @pytest.fixture
    def pargs(self, rng):
        return dict(logits=rng.normal(size=(2, 10)).astype(np.float32),
                    label=np.array([[1], [3]]), num_samples=4, seed=5)

    @pytest.mark.parametrize("n", [-1, 11])
    def test_num_samples_range(self, pargs, n):
        # Paddle 1.8.5 hangs for num_samples > K and segfaults for negative values.
        pargs["num_samples"] = n
        with raises(ValueError, "num_samples"):
            paddle.sampled_softmax_with_cross_entropy(**pargs)

    def test_logits_without_classes(self, pargs):
        # Paddle 1.8.5 crashes (SIGSEGV) on K = 0; the label's range [0, 0) was named
        pargs.update(logits=np.zeros((2, 0), np.float32), num_samples=0)
        for custom in (False, True):
            extra = {"use_customized_samples": True, "customized_samples": pargs["label"],
                     "customized_probabilities": np.ones((2, 1), np.float32)} if custom else {}
            with pytest.raises(ValueError, match=r"^logits: expected \[N, K\] with K >= 1 "
                                                 r"classes, got shape \[2, 0\]$"):
                paddle.sampled_softmax_with_cross_entropy(**pargs, **extra)

    @pytest.mark.parametrize("bad", [-1, 10])
    def test_label_range(self, pargs, bad):
        pargs["label"] = np.array([[1], [bad]])
        with raises(ValueError, "label"):
            paddle.sampled_softmax_with_cross_entropy(**pargs)

    def test_label_width_must_equal_num_true(self, pargs):
        # Paddle silently returns half the loss here.
        with raises(ValueError, "label"):
            paddle.sampled_softmax_with_cross_entropy(**pargs, num_true=2)

    def test_customized_needs_both_arrays(self, pargs):
        with raises(ValueError, "customized_samples"):
            paddle.sampled_softmax_with_cross_entropy(**pargs, use_customized_samples=True)

    def test_customized_path_does_not_read_label(self, pargs):
        """As in Paddle, and as the documentation says, the customized path reads only
        the shape of ``label`` (the true classes are ``customized_samples[:, :T]``):
        placeholder labels outside the range were refused."""
        samples = np.array([[1, 2, 3, 4, 5], [3, 2, 1, 0, 9]])
        kwargs = {"use_customized_samples": True, "customized_samples": samples,
                  "customized_probabilities": np.full((2, 5), 0.5, np.float32)}
        expected = paddle.sampled_softmax_with_cross_entropy(**pargs, **kwargs)
        pargs["label"] = np.full_like(pargs["label"], -1)
        np.testing.assert_array_equal(
            paddle.sampled_softmax_with_cross_entropy(**pargs, **kwargs), expected)

    def test_customized_shapes_and_values(self, pargs):
        samples = np.array([[1, 2, 3, 4, 5], [3, 2, 1, 0, 9]])
        probs = np.full((2, 5), 0.5, np.float32)
        with raises(ValueError, "customized_samples"):
            paddle.sampled_softmax_with_cross_entropy(
                **pargs, use_customized_samples=True, customized_samples=samples[:, :4],
                customized_probabilities=probs)
        with raises(ValueError, "customized_samples"):
            paddle.sampled_softmax_with_cross_entropy(
                **pargs, use_customized_samples=True, customized_samples=samples + 1,
                customized_probabilities=probs)
        with raises(ValueError, "customized_probabilities"):
            paddle.sampled_softmax_with_cross_entropy(
                **pargs, use_customized_samples=True, customized_samples=samples,
                customized_probabilities=-probs)

    def test_seed_must_fit_int32(self, pargs):
        pargs["seed"] = 2**31
        with raises(ValueError, "seed"):
            paddle.sampled_softmax_with_cross_entropy(**pargs)


def _record_value_checks(monkeypatch) -> list:
    """The names of the arguments whose values are read and checked, in order."""
    from candidate_sampling.core import checks

    read = []
    for check in ("check_positive", "check_ids_in_range"):
        original = getattr(checks, check)
        monkeypatch.setattr(checks, check, lambda xp, x, *more, _original=original:
                            (read.append(more[-1]), _original(xp, x, *more))[1])
    return read


def _small_problem() -> tuple:
    """``(weights [50, 4], biases, labels [3, 1], inputs [3, 4])`` of a small loss."""
    rng = np.random.default_rng(0)
    return (rng.standard_normal((50, 4)).astype(np.float32), np.zeros(50, np.float32),
            rng.integers(0, 50, (3, 1)), rng.standard_normal((3, 4)).astype(np.float32))


READ_ONCE = ["labels", "sampled_values[0] (sampled_candidates)",
             "sampled_values[1] (true_expected_count)",
             "sampled_values[2] (sampled_expected_count)"]
"""The value reads of a loss given its sampled values: each argument once, in order."""


def test_the_rank_loss_reads_its_arguments_once(monkeypatch):
    """Phase 2 of the rank-resampled loss (and of its gradient) works on what phase 1
    checked: the labels and the sampled values are read once each."""
    read = _record_value_checks(monkeypatch)
    weights, biases, labels, inputs = _small_problem()
    values = cs.log_uniform_candidate_sampler(labels, 1, 8, True, 50, seed=1)
    for fn in (cs.rank_sampled_softmax_loss, cs.rank_sampled_softmax_loss_and_grad):
        read.clear()
        fn(weights, biases, labels, inputs, 8, 4, 50, 1, values, 1.0, True, "div")
        assert read == READ_ONCE, fn.__name__


def test_a_default_draw_is_not_read_back_given_values_are(monkeypatch):
    """The default sampler's ids and counts are valid by construction: ``prepare`` checks
    their shapes but reads no values (each read is a host synchronisation on a GPU), and
    the labels are read once; values passed in are read and checked."""
    read = _record_value_checks(monkeypatch)
    weights, biases, labels, inputs = _small_problem()
    cs.sampled_softmax_loss(weights, biases, labels, inputs, 5, 50, seed=1)
    assert read == ["labels"]  # once: the default sampler does not check them again
    values = cs.log_uniform_candidate_sampler(labels, 1, 5, True, 50, seed=1)
    read.clear()
    cs.sampled_softmax_loss(weights, biases, labels, inputs, 5, 50, sampled_values=values)
    assert read == READ_ONCE


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("name", ["weights", "biases", "inputs", "labels"])
def test_a_required_array_given_as_none_is_named(loss, args, name):
    """None for a required array (a model without an output bias, say) is a TypeError
    naming it, where it was an AttributeError from inside the checks; also a shard list
    holding None, and None in ``sampled_values``."""
    args[name] = None
    with raises(TypeError, f"{name}: expected an array"):
        loss(**args)
    if name in ("weights", "biases"):
        args[name] = [np.zeros((V // 2, D) if name == "weights" else V // 2, np.float32), None]
        with raises(TypeError, f"{name}: expected an array"):
            loss(**args)


def _none_calls() -> dict:
    """Entry points past the losses, each with one required array given as None."""
    labels = np.array([[1], [2]])
    logits = np.zeros((2, 10), np.float32)
    grads = cs.sampled_softmax_loss_and_grad(
        np.zeros((10, 3), np.float32), np.zeros(10, np.float32), labels,
        np.zeros((2, 3), np.float32), 2, 10, seed=1)[1]
    return {
        "true_classes": [lambda: cs.compute_accidental_hits(None, np.array([1]), 1),
                         lambda: tf.nn.compute_accidental_hits(None, [1], 1),
                         lambda: cs.uniform_candidate_sampler(None, 1, 2, True, 5),
                         lambda: tf.random.uniform_candidate_sampler(None, 1, 2, True, 5),
                         lambda: cs.LearnedUnigramSampler(5)(None, 1, 2, True)],
        "sampled_candidates": [lambda: cs.compute_accidental_hits(labels, None, 1),
                               lambda: tf.nn.compute_accidental_hits(labels, None, 1)],
        "counts": [lambda: cs.learned_unigram_step(None, labels, 1, 2, True)],
        "logits": [lambda: paddle.sampled_softmax_with_cross_entropy(None, labels, 3, seed=1)],
        "label": [lambda: paddle.sampled_softmax_with_cross_entropy(logits, None, 3, seed=1),
                  lambda: paddle.log_uniform_samples(None, 3, 10, 1)],
        "weights": [lambda: grads.sgd_update(None, np.zeros(10, np.float32), 0.1)],
        "biases": [lambda: grads.sgd_update(np.zeros((10, 3), np.float32), None, 0.1)],
    }


@pytest.mark.parametrize("name", ["true_classes", "sampled_candidates", "counts", "logits",
                                  "label", "weights", "biases"])
def test_none_for_an_array_is_named_by_samplers_hits_paddle_and_updates(name):
    """None for the ids of a sampler, of ``compute_accidental_hits`` (native and
    ``compat.tf``), for the Paddle op's arrays or ``sgd_update``'s parameters is a
    TypeError naming it: it was an AttributeError ``dtype`` from inside the checks, or
    "no array arguments were given"."""
    for call in _none_calls()[name]:
        with raises(TypeError, f"{name}: expected an array"):
            call()


@pytest.mark.parametrize("position", [0, 1, 2])
def test_none_in_sampled_values_is_named(args, position):
    values = list(args["sampled_values"])
    values[position] = None
    args["sampled_values"] = tuple(values)
    with raises(TypeError, f"sampled_values[{position}]"):
        cs.sampled_softmax_loss(**args)


@pytest.mark.parametrize("loss", [cs.full_softmax_loss, cs.full_sigmoid_loss])
def test_full_losses_name_a_missing_bias(loss, args):
    with raises(TypeError, "biases: expected an array"):
        loss(args["weights"], None, args["labels"], args["inputs"], V)
    with raises(TypeError, "biases: expected an array"):
        cs.full_logits(args["weights"], None, args["inputs"])


@pytest.mark.parametrize("loss", [cs.sampled_softmax_loss, cs.nce_loss])
@pytest.mark.parametrize("count", [1e-320, 1e-50, 1e300])
def test_float64_counts_beyond_float32_give_finite_losses(loss, args, count):
    """Float64 expected counts beside float32 logits pass the check (finite, > 0); their
    log is taken in float64, where in float32 they became 0 or inf (a NaN or infinite
    loss). ``log(count)`` shifts the true logits: the loss against a count of 1 moves
    by it (softmax: to its floor 0 or its log-sum-exp; NCE: finite)."""
    values = args["sampled_values"]
    args["sampled_values"] = cs.SampledValues(values[0], np.full((B, 1), count), values[2])
    got = np.asarray(loss(**args))
    assert got.dtype == np.float32 and np.isfinite(got).all()
    if loss is cs.sampled_softmax_loss and count < 1:  # true logit + ~115 or more: loss ~ 0
        np.testing.assert_allclose(got, 0.0, atol=1e-6)


@pytest.mark.parametrize("moved", ["weights", "biases", "labels", "inputs", "shard",
                                   "sampled_values"])
@pytest.mark.parametrize("loss", LOSSES)
def test_torch_arguments_on_another_device_are_named(args, loss, moved):
    """Every tensor of a loss is on the inputs' device, or a ValueError names the one
    that is not. Weights on torch's ``meta`` device beside CPU inputs gave a loss of
    made-up numbers (1e29), silently; the others torch's errors from inside."""
    torch = pytest.importorskip("torch")
    given = {k: torch.from_numpy(np.asarray(v)) if isinstance(v, np.ndarray) else v
             for k, v in args.items()}
    given["sampled_values"] = cs.SampledValues(*map(torch.from_numpy, args["sampled_values"]))
    half = V // 2
    if moved == "shard":
        given["weights"] = [given["weights"][:half], given["weights"][half:].to("meta")]
        given["biases"] = [given["biases"][:half], given["biases"][half:]]
        given["partition_strategy"] = "div"
        name = "weights"
    elif moved == "sampled_values":
        given["sampled_values"] = given["sampled_values"]._replace(
            sampled_expected_count=given["sampled_values"][2].to("meta"))
        name = r"sampled_values\[2\] \(sampled_expected_count\)"
    else:
        given[moved] = given[moved].to("meta")
        name = moved
    message = (rf"^{name}: is on meta, inputs on cpu; move them to one device$"
               if moved != "inputs" else r"^inputs: is on the meta device, whose tensors hold "
                                         r"no values to compute with; move the tensors to a "
                                         r"real device")
    with pytest.raises(ValueError, match=message):
        loss(**given)


META_CALLS = {
    "sampled_softmax_loss": lambda W, b, y, x, sv: cs.sampled_softmax_loss(W, b, y, x, 5, 20,
                                                                           sampled_values=sv),
    "nce_loss": lambda W, b, y, x, sv: cs.nce_loss(W, b, y, x, 5, 20, sampled_values=sv),
    "default sampler": lambda W, b, y, x, sv: cs.sampled_softmax_loss(W, b, y, x, 5, 20),
    "full_logits": lambda W, b, y, x, sv: cs.full_logits(W, b, x),
    "full_softmax_loss": lambda W, b, y, x, sv: cs.full_softmax_loss(W, b, y, x, 20),
    "paddle": lambda W, b, y, x, sv: paddle.sampled_softmax_with_cross_entropy(x @ W.T, y, 5),
    "module": lambda W, b, y, x, sv: _meta_module()(x, y),
}


def _meta_module():
    from candidate_sampling.layers.torch import SampledSoftmaxLoss

    return SampledSoftmaxLoss(20, 4, 5, device="meta")


@pytest.mark.parametrize("call", sorted(META_CALLS))
def test_tensors_on_the_meta_device_are_refused_by_name(call):
    """torch's ``meta`` tensors have no values: a loss or a sampler named them, where
    the value checks failed inside torch ("Tensor.item() cannot be called on meta
    tensors", autocast's "unknown device type")."""
    torch = pytest.importorskip("torch")
    meta = {"device": "meta"}
    W, b, x = torch.ones(20, 4, **meta), torch.ones(20, **meta), torch.ones(3, 4, **meta)
    y = torch.zeros(3, 1, dtype=torch.int64, **meta)
    sv = cs.SampledValues(torch.zeros(5, dtype=torch.int64, **meta), torch.ones(3, 1, **meta),
                          torch.ones(5, **meta))
    name = "logits" if call == "paddle" else "inputs"
    with pytest.raises(ValueError, match=rf"^{name}: is on the meta device, whose tensors hold "
                                         r"no values"):
        META_CALLS[call](W, b, y, x, sv)


@pytest.mark.parametrize("sampler", ["uniform_candidate_sampler",
                                     "log_uniform_candidate_sampler",
                                     "learned_unigram_candidate_sampler"])
@pytest.mark.parametrize("unique", [False, True])
def test_samplers_refuse_true_classes_on_the_meta_device(sampler, unique):
    torch = pytest.importorskip("torch")
    y = torch.zeros(3, 1, dtype=torch.int64, device="meta")
    for fn in (getattr(cs, sampler), getattr(tf.random, sampler)):
        with pytest.raises(ValueError, match=r"^true_classes: is on the meta device"):
            fn(y, 1, 5, unique, 20)


def test_full_losses_name_tensors_on_another_device():
    torch = pytest.importorskip("torch")
    W, b, x = torch.ones(20, 4), torch.ones(20), torch.ones(3, 4)
    y = torch.zeros(3, 1, dtype=torch.int64)
    with pytest.raises(ValueError, match=r"^weights: is on meta, inputs on cpu; move them"):
        cs.full_logits(W.to("meta"), b, x)
    with pytest.raises(ValueError, match=r"^labels: is on meta, inputs on cpu; move them"):
        cs.full_sigmoid_loss(W, b, y.to("meta"), x, 20)
    with pytest.raises(ValueError, match=r"^label: is on meta, logits on cpu; move them"):
        paddle.sampled_softmax_with_cross_entropy(x @ W.T, y.to("meta"), 5)
    with pytest.raises(ValueError, match=r"^customized_probabilities: is on meta, logits on "):
        paddle.sampled_softmax_with_cross_entropy(
            x @ W.T, y, 5, use_customized_samples=True,
            customized_samples=torch.zeros(3, 6, dtype=torch.int64),
            customized_probabilities=torch.ones(3, 6, device="meta"))


def test_numpy_arrays_of_a_dtype_numpy_does_not_know_are_named(args):
    """NumPy arrays of ``ml_dtypes.bfloat16`` (JAX's bfloat16 on the host): a TypeError
    naming the argument and what to do, not NumPy's own error from ``isdtype``."""
    ml_dtypes = pytest.importorskip("ml_dtypes")
    for name in ("inputs", "labels"):
        bad = dict(args, **{name: args[name].astype(ml_dtypes.bfloat16)})
        with pytest.raises(TypeError, match=rf"^{name}: dtype bfloat16 is not one of the array "
                                            r"library's own dtypes"):
            cs.sampled_softmax_loss(**bad)
    counts = np.ones(10).astype(ml_dtypes.bfloat16)
    with pytest.raises(TypeError, match=r"^counts: dtype bfloat16 is not one of the array "):
        cs.learned_unigram_step(counts, np.zeros((2, 1), np.int64), 1, 3, True, seed=1)


@pytest.mark.parametrize("count", [0.0, -1.0, float("nan"), float("inf")])
def test_counts_are_not_checked_where_log_q_is_not_subtracted(args, count):
    """TensorFlow's ``_compute_sampled_logits`` reads the expected counts only to subtract
    ``log Q``: with ``subtract_log_q=False`` any value gives the logits of counts 1 (a
    sampler without probabilities may pass zeros); with it, a count that ``log`` cannot
    take is refused, naming it."""
    ids = np.asarray(args["sampled_values"][0])
    ones = (ids, np.ones((B, 1), np.float32), np.ones(S, np.float32))
    bad = (ids, np.full((B, 1), count, np.float32), np.full(S, count, np.float32))
    plain = {k: v for k, v in args.items() if k != "sampled_values"}
    expected = cs.compute_sampled_logits(**plain, sampled_values=ones, subtract_log_q=False)
    got = cs.compute_sampled_logits(**plain, sampled_values=bad, subtract_log_q=False)
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)
    with pytest.raises(ValueError, match=r"^sampled_values\[1\] \(true_expected_count\): every "
                                         r"value must be finite and > 0"):
        cs.compute_sampled_logits(**plain, sampled_values=bad)


@pytest.mark.parametrize("loss", [cs.sampled_softmax_loss, cs.nce_loss,
                                  cs.sampled_sparse_softmax_loss, tf.nn.sampled_softmax_loss,
                                  tf.v1.nn.nce_loss, tf.contrib.nn.sampled_sparse_softmax_loss])
def test_a_default_draw_of_more_classes_than_there_are_names_num_classes(args, loss):
    """The losses have no ``range_max``: the default (unique) sampler's range is their
    ``num_classes``, and its error said ``range_max=20``."""
    args = dict(args, num_sampled=V + 1, sampled_values=None)
    with pytest.raises(ValueError, match=rf"^num_sampled: must be in \[1, num_classes={V}\]"):
        loss(**args)
