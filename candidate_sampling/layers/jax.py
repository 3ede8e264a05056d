"""JAX training pieces: a sampled softmax or NCE step that reads and writes only the
rows of the output layer that a batch touches.

A batch of ``B`` rows with ``T`` true classes and ``S`` sampled classes uses
``B * T + S`` of the ``V`` rows of the ``[V, D]`` output weights. Differentiating
:func:`candidate_sampling.sampled_softmax_loss` with respect to the whole ``weights``
works (``jax.grad``, ``jax.jit`` and ``jax.vmap`` all apply to the losses), but the
gradient is a dense ``[V, D]`` array that is zero except on those rows. The pieces here
differentiate with respect to the gathered rows instead and scatter-add the update back
(duplicates accumulate, as the dense gradient does); under :func:`jax.jit` with
``donate_argnums`` the scatter updates the weights in place, so a step costs
``O((B T + S) D)``, not ``O(V D)``.

The whole step, sampler included::

    step = make_train_step(num_sampled=64, num_classes=V, learning_rate=0.5)
    params, key = OutputParams(weights, biases), jax.random.key(0)
    for inputs, labels in batches:
        params, key, loss = step(params, inputs, labels, key)  # params is donated

The same by hand, e.g. behind an encoder that produces ``inputs``::

    values = cs.log_uniform_candidate_sampler(labels, 1, 64, True, V, rng=subkey)
    loss, grads = row_gradients(weights, biases, inputs, labels, values)
    weights, biases = apply_row_updates(weights, biases, grads.ids, grads.weights,
                                        grads.biases, learning_rate)
    # grads.inputs is d loss / d inputs: pull it back through the encoder with jax.vjp

The loss and its gradient are the core's (:func:`~candidate_sampling.core.row_loss.row_loss`,
a ``jax.custom_vjp`` with the analytic gradient), so the numbers are TensorFlow's. Ids
are int32 unless ``jax_enable_x64`` is on.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp

from ..backends import backend_for
from ..backends.jax import check_key
from ..core import checks
from ..core.logits import (
    SAMPLED_NAMES,
    check_sampled_values,
    check_triple,
    lookup_rows,
    prepare,
    touched_ids,
)
from ..core.namespace import namespace_of
from ..core.row_loss import row_loss
from ..core.samplers import (
    all_candidate_sampler,
    fixed_unigram_candidate_sampler,
    fixed_unigram_zero_classes,
    log_uniform_candidate_sampler,
    zero_true_message,
)
from ..core.types import SampledValues

__all__ = ["OutputParams", "TouchedRows", "RowGradients", "LOSSES", "touched_rows",
           "loss_from_rows", "row_gradients", "apply_row_updates", "make_train_step"]

LOSSES = {"sampled_softmax": ("softmax", True), "nce": ("nce", False)}
"""Loss name -> (the core's loss kind, TensorFlow's default ``remove_accidental_hits``)."""


class OutputParams(NamedTuple):
    """The output layer: ``weights [V, D]`` and ``biases [V]`` (a JAX pytree)."""

    weights: Any
    biases: Any


class TouchedRows(NamedTuple):
    """The rows a batch uses: ``ids [B*T + S]`` (flattened labels, then the sampled
    candidates), their ``weights [B*T + S, D]`` and ``biases [B*T + S]``."""

    ids: Any
    weights: Any
    biases: Any


class RowGradients(NamedTuple):
    """Gradients of the mean loss: with respect to the rows ``ids`` of the weights
    (``[B*T + S, D]``) and biases (``[B*T + S]``), and to ``inputs`` (``[B, D]``)."""

    ids: Any
    weights: Any
    biases: Any
    inputs: Any


def _check_loss(loss: str, remove_accidental_hits: bool | None) -> tuple[str, bool]:
    if loss not in LOSSES:
        raise ValueError(f"loss: must be one of {sorted(LOSSES)}, got {loss!r}")
    kind, default_hits = LOSSES[loss]
    if remove_accidental_hits is None:
        return kind, default_hits
    try:  # a NumPy bool too, as everywhere else
        return kind, checks.check_bool(remove_accidental_hits, "remove_accidental_hits")
    except TypeError:
        raise TypeError(f"remove_accidental_hits: expected a bool or None, got "
                        f"{checks.described(remove_accidental_hits)}") from None


def _check_unsharded(weights: Any, biases: Any) -> None:
    for name, value in (("weights", weights), ("biases", biases)):
        if isinstance(value, (list, tuple)):
            raise TypeError(f"{name}: expected one array; the row updates here do not take "
                            "shards (use candidate_sampling.sampled_softmax_loss for those)")


def _check_learning_rate(learning_rate: Any, signed: bool = False) -> Any:
    """The step size to compute with: a real number, finite and unless ``signed`` >= 0
    (:func:`~candidate_sampling.core.checks.check_learning_rate`, NumPy's too), as a
    Python float (a ``Fraction`` too), or a 0-d real JAX array (a schedule's value) as
    given, its value checked so where it can be read (not under ``jax.jit``)."""
    if isinstance(learning_rate, jax.Array):  # tracers included
        real = (jnp.issubdtype(learning_rate.dtype, jnp.floating)
                or jnp.issubdtype(learning_rate.dtype, jnp.integer))
        if tuple(learning_rate.shape) == () and real:
            if not isinstance(learning_rate, jax.core.Tracer):
                checks.check_learning_rate(float(learning_rate), signed=signed)
            return learning_rate
    elif tuple(getattr(learning_rate, "shape", ())) == ():
        return checks.check_learning_rate(learning_rate, signed=signed)
    described = checks.described(learning_rate)
    if hasattr(learning_rate, "dtype"):
        described += f" and dtype {learning_rate.dtype}"
    raise TypeError(f"learning_rate: expected a real number or a 0-d real array, got "
                    f"{described}")


def _check_arrays(**named: Any) -> None:
    """Each argument is one array (a JAX array, or another library's), else a
    TypeError naming it: a list or None failed on a missing ``.dtype`` or ``.ndim``."""
    for name, value in named.items():
        if isinstance(value, (list, tuple)) or not hasattr(value, "shape"):
            raise TypeError(f"{name}: expected a JAX array, got {checks.described(value)}")


def _num_sampled(sampled_values: Any) -> int:
    """The length of ``sampled_values``' candidates (a triple, checked), named where they
    are not an array of one dimension."""
    check_triple(sampled_values)
    candidates = sampled_values[0]
    if not hasattr(candidates, "shape") or len(candidates.shape) != 1:
        raise ValueError(f"sampled_values[0] (sampled_candidates): expected an array of shape "
                         f"[num_sampled], got {checks.described(candidates)}")
    return int(candidates.shape[0])


def touched_rows(weights: Any, biases: Any, labels: Any, sampled: Any) -> TouchedRows:
    """Gather the rows of ``weights [V, D]`` and ``biases [V]`` that ``labels [B, T]``
    and ``sampled [S]`` use, in :func:`~candidate_sampling.core.logits.touched_ids` order.

    The ids are checked to lie in ``[0, V)`` where their values are at hand (not under
    ``jax.jit``, where an id outside, a negative one too, reads a row of NaN)."""
    _check_unsharded(weights, biases)
    _check_arrays(weights=weights, biases=biases, labels=labels, sampled=sampled)
    for name, ids, ndim, shape in (("labels", labels, 2, "[batch_size, num_true]"),
                                   ("sampled", sampled, 1, "[num_sampled]")):
        checks.check_int_array(jnp, ids, name)
        checks.check_ndim(ids, ndim, name, shape)
        checks.check_ids_in_range(jnp, ids, int(weights.shape[0]), name)
    return _touched_rows(weights, biases, labels, sampled)


def _touched_rows(weights: Any, biases: Any, labels: Any, sampled: Any) -> TouchedRows:
    """:func:`touched_rows` of checked arguments."""
    return TouchedRows(touched_ids(jnp, labels, sampled),
                       *lookup_rows(jnp, weights, biases, labels, sampled))


def loss_from_rows(rows: TouchedRows, inputs: Any, labels: Any, sampled_values: Any, *,
                   loss: str = "sampled_softmax",
                   remove_accidental_hits: bool | None = None) -> Any:
    """Per-row losses ``[B]`` from gathered rows: the value of
    ``sampled_softmax_loss``/``nce_loss`` with the same ``sampled_values``.

    ``remove_accidental_hits=None`` takes TensorFlow's default (True for
    ``'sampled_softmax'``, False for ``'nce'``). Differentiate with respect to
    ``rows.weights``/``rows.biases`` to get row gradients. The expected counts are
    checked finite and > 0, and ``rows.ids`` to be those of ``labels`` and the sampled
    candidates, where their values are at hand (not under ``jax.jit``); the shapes and
    dtypes always."""
    if not isinstance(rows, TouchedRows):
        raise TypeError(f"rows: expected the TouchedRows of touched_rows, got "
                        f"{checks.described(rows)}")
    _check_arrays(inputs=inputs, labels=labels)
    num_sampled = _num_sampled(sampled_values)
    checks.check_float_array(jnp, inputs, "inputs")
    checks.check_ndim(inputs, 2, "inputs", "[batch_size, dim]")
    checks.check_int_array(jnp, labels, "labels")
    checks.check_ndim(labels, 2, "labels", "[batch_size, num_true]")
    (batch, dim), num_true = (int(d) for d in inputs.shape), int(labels.shape[1])
    if int(labels.shape[0]) != batch:
        raise ValueError(f"labels: expected shape [batch_size, num_true] = [{batch}, "
                         f"{num_true}] (batch_size from inputs), got {list(labels.shape)}")
    sampled_values = check_sampled_values(jnp, sampled_values, batch, num_true, num_sampled, 0,
                                          check_values=False)
    for name, counts in zip(SAMPLED_NAMES[1:], sampled_values[1:]):
        checks.check_positive(jnp, counts, name)
    n = batch * num_true + num_sampled
    for name, part, shape in (("rows.ids", rows.ids, (n,)), ("rows.weights", rows.weights, (n, dim)),
                              ("rows.biases", rows.biases, (n,))):
        if tuple(getattr(part, "shape", ())) != shape:
            raise ValueError(f"{name}: expected shape {list(shape)} (batch_size * num_true + "
                             f"num_sampled rows, as touched_rows gives them), got "
                             f"{checks.described(part)}")
    checks.check_same_dtype([("inputs", inputs), ("rows.weights", rows.weights),
                             ("rows.biases", rows.biases)])
    # the hits are masked by the labels' ids: rows of other ones would mask other columns
    same = backend_for(jnp).read(lambda: bool(jnp.array_equal(
        rows.ids, touched_ids(jnp, labels, sampled_values[0]).astype(rows.ids.dtype))))
    if same is False:
        raise ValueError("rows: gathered for other ids than these labels and sampled "
                         "candidates (rows.ids must be touched_ids(labels, sampled), as "
                         "touched_rows gathers them)")
    return _loss_from_rows(rows, inputs, labels, sampled_values, loss, remove_accidental_hits)


def _loss_from_rows(rows: TouchedRows, inputs: Any, labels: Any, sampled_values: Any,
                    loss: str, remove_accidental_hits: bool | None) -> Any:
    """:func:`loss_from_rows` of checked sampled values."""
    kind, hits = _check_loss(loss, remove_accidental_hits)
    values = SampledValues(*(jax.lax.stop_gradient(v) for v in sampled_values))
    return row_loss(kind, jnp, inputs, labels, values, rows.weights, rows.biases, True, hits)


def row_gradients(weights: Any, biases: Any, inputs: Any, labels: Any, sampled_values: Any, *,
                  loss: str = "sampled_softmax",
                  remove_accidental_hits: bool | None = None) -> tuple[Any, RowGradients]:
    """``(mean loss, RowGradients)`` of a batch, without a dense ``[V, D]`` gradient.

    Arguments as :func:`candidate_sampling.sampled_softmax_loss` (``num_classes`` is
    ``weights.shape[0]``, ``num_sampled`` the length of the sample), checked the same way."""
    _, hits = _check_loss(loss, remove_accidental_hits)
    _check_unsharded(weights, biases)
    num_sampled = _num_sampled(sampled_values)
    if not hasattr(labels, "shape") or len(labels.shape) != 2:
        raise ValueError(f"labels: expected an array of shape [batch_size, num_true], got "
                         f"{checks.described(labels)}")
    _, labels, values = prepare(weights, biases, labels, inputs, num_sampled,
                                int(weights.shape[0]), int(labels.shape[1]), sampled_values,
                                "div", None)
    rows = _touched_rows(weights, biases, labels, values.sampled_candidates)

    def mean_loss(weight_rows, bias_rows, inputs):
        return jnp.mean(_loss_from_rows(TouchedRows(rows.ids, weight_rows, bias_rows), inputs,
                                        labels, values, loss, hits))

    value, grads = jax.value_and_grad(mean_loss, argnums=(0, 1, 2))(rows.weights, rows.biases,
                                                                   inputs)
    return value, RowGradients(rows.ids, *grads)


def apply_row_updates(weights: Any, biases: Any, ids: Any, grad_weight_rows: Any,
                      grad_bias_rows: Any, learning_rate: Any) -> tuple[Any, Any]:
    """``(weights, biases)`` after one SGD step on the rows ``ids``:
    ``weights[ids] -= learning_rate * grad_weight_rows`` by scatter-add, repeated ids
    accumulating. Under ``jax.jit(..., donate_argnums=...)`` of the caller, with
    ``weights`` donated, XLA does the scatter in place. ``learning_rate`` as
    :func:`make_train_step` takes it, but may be negative (a step up the gradient, or
    with -1 the dense gradient from zeros). ``ids [N]`` are checked to lie in ``[0, V)``
    where their values are at hand (not under ``jax.jit``, where the update of an id
    outside, a negative one too, is dropped), and the rows to be ``[N, D]`` and ``[N]``."""
    learning_rate = _check_learning_rate(learning_rate, signed=True)
    for name, value in (("weights", weights), ("biases", biases)):
        if not isinstance(value, jax.Array):
            raise TypeError(f"{name}: expected a JAX array (updated by scatter, .at[ids].add), "
                            f"got {type(value).__name__}")
        checks.check_float_array(jnp, value, name)  # integers would take a step of 0
    checks.check_ndim(weights, 2, "weights", "[num_classes, dim]")
    if tuple(biases.shape) != (int(weights.shape[0]),):
        raise ValueError(f"biases: expected shape [{int(weights.shape[0])}] (one per row of "
                         f"weights), got {checks.described(biases)}")
    _check_arrays(ids=ids, grad_weight_rows=grad_weight_rows, grad_bias_rows=grad_bias_rows)
    checks.check_int_array(jnp, ids, "ids")
    checks.check_ndim(ids, 1, "ids", "[N]")
    n, dim = int(ids.shape[0]), int(weights.shape[1])
    for name, rows, shape in (("grad_weight_rows", grad_weight_rows, (n, dim)),
                              ("grad_bias_rows", grad_bias_rows, (n,))):
        if tuple(getattr(rows, "shape", ())) != shape:
            raise ValueError(f"{name}: expected shape {list(shape)} (one row per id of ids), "
                             f"got {checks.described(rows)}")
        # a complex row lost its imaginary part in the cast, a bool one stepped by 1
        checks.check_float_array(jnp, rows, name)
    checks.check_ids_in_range(jnp, ids, int(weights.shape[0]), "ids")
    step_w = (-learning_rate * grad_weight_rows).astype(weights.dtype)
    step_b = (-learning_rate * grad_bias_rows).astype(biases.dtype)
    ids = backend_for(jnp).unread_ids(jnp, ids, int(weights.shape[0]))
    return weights.at[ids].add(step_w), biases.at[ids].add(step_b)


def make_train_step(num_sampled: int, num_classes: int, learning_rate: float, *,
                    num_true: int = 1, loss: str = "sampled_softmax", unique: bool = True,
                    remove_accidental_hits: bool | None = None,
                    sampler: Callable[..., SampledValues] = log_uniform_candidate_sampler,
                    donate: bool = True, validate: bool = True) -> Callable:
    """A jitted SGD step on the output layer: ``step(params, inputs, labels, key)`` ->
    ``(params, key, mean loss)``.

    Each call splits ``key``, samples with ``sampler(labels, num_true, num_sampled,
    unique, num_classes, rng=subkey)`` (a ``*_candidate_sampler`` of the library that
    takes ``range_max``, not ``all_candidate_sampler``, or a ``functools.partial`` of one:
    ``fixed_unigram_candidate_sampler`` with its ``unigrams`` bound), takes
    :func:`row_gradients` and applies them with :func:`apply_row_updates`. ``params``
    (an :class:`OutputParams`) is donated when ``donate`` is True: the weights are
    updated in place and the arrays passed in may not be used again. The step reads the
    ``[V, D]`` weights only in the gather of the used rows and writes them only in the
    scatter-add; no gradient has that shape.

    With ``validate`` each call first checks that the labels lie in ``[0, num_classes)``
    (one read of their smallest and largest value; on a GPU, a wait for the device),
    where their values are at hand: not inside the caller's own ``jax.jit``. A label
    out of range, a negative one too, would gather a row of NaN and scatter its update
    nowhere, leaving NaN in the loss and the sampled rows. The step's ``lower`` and the
    other attributes of ``jax.jit``'s function are there as well. The law of a fixed
    unigram sampler with its ``unigrams`` bound is checked once, when the step is made,
    as the sampler checks it (its values are out of reach in the step); with
    ``validate`` a label of weight 0 under it is a ValueError too.
    """
    _check_loss(loss, remove_accidental_hits)
    validate = checks.check_bool(validate, "validate")
    donate = checks.check_bool(donate, "donate")
    if not callable(sampler):  # a name, as the PyTorch modules take, failed inside jit
        raise TypeError(f"sampler: expected a function such as "
                        f"cs.log_uniform_candidate_sampler, got {checks.described(sampler)}")
    if all_candidate_sampler in (sampler, getattr(sampler, "func", None)):
        raise ValueError("sampler: must take range_max (the step calls sampler(labels, "
                         "num_true, num_sampled, unique, num_classes, rng=key)); "
                         "all_candidate_sampler takes none")
    num_sampled = checks.check_int(num_sampled, "num_sampled", minimum=1)
    num_classes = checks.check_int(num_classes, "num_classes", minimum=1)
    num_true = checks.check_int(num_true, "num_true", minimum=1)
    learning_rate = _check_learning_rate(learning_rate)

    draw, zero_classes = _unfolded(sampler, num_sampled, unique, num_classes)

    def step(params: OutputParams, inputs: Any, labels: Any, key: Any):
        if not isinstance(params, OutputParams):  # a plain pair has no .weights
            raise TypeError(f"params: expected an OutputParams(weights, biases), got "
                            f"{checks.described(params)}; wrap a pair as OutputParams(*pair)")
        _check_arrays(**{"params.weights": params.weights, "params.biases": params.biases,
                         "inputs": inputs, "labels": labels})
        check_key(key, "key")
        # the sampler draws ids below num_classes: rows past the weights' would be read
        # as NaN and written nowhere (shapes: checked under jit)
        checks.check_rows(params.weights, "weights", num_classes, "div", ndim=2)
        checks.check_rows(params.biases, "biases", num_classes, "div", ndim=1)
        # the step's own names, before the sampler's (true_classes) could be heard
        checks.check_ndim(inputs, 2, "inputs", "[batch_size, dim]")
        checks.check_labels(jnp, labels, int(inputs.shape[0]), num_true, num_classes)
        key, subkey = jax.random.split(key)
        values = draw(labels, num_true, num_sampled, unique, num_classes, rng=subkey)
        value, grads = row_gradients(params.weights, params.biases, inputs, labels, values,
                                     loss=loss, remove_accidental_hits=remove_accidental_hits)
        weights, biases = apply_row_updates(params.weights, params.biases, grads.ids,
                                            grads.weights, grads.biases, learning_rate)
        return OutputParams(weights, biases), key, value

    jitted = jax.jit(step, donate_argnums=(0,) if donate else ())
    return _CheckedStep(jitted, num_classes, zero_classes) if validate else jitted


_FIXED_LAW = ("vocab_file", "distortion", "num_reserved_ids", "num_shards", "shard", "unigrams")
"""The keyword arguments of ``fixed_unigram_candidate_sampler`` that make its law."""


def _unfolded(sampler: Callable[..., Any], num_sampled: int, unique: bool,
              num_classes: int) -> tuple[Callable[..., Any], Any]:
    """``(sampler for a jitted step, classes of probability 0 or None)``.

    A ``functools.partial`` whose bound arrays (the ``unigrams`` of a fixed unigram
    sampler) pass through ``jax.lax.optimization_barrier`` where the step is traced.
    Bound as they are, they are constants of the compiled step, and XLA folded the law's
    running sums over them when it compiled: 8.9 s to compile the first call at 10^5
    classes and tens of seconds at 10^6, against 3 s. Behind the barrier their values
    are out of the sampler's reach, so the law of ``fixed_unigram_candidate_sampler`` is
    checked here, once, as the sampler checks it (weights, their sum, enough classes
    for a unique sample), and its classes of probability 0 are returned for the labels'
    check of each call."""
    arrays = {name: value for name, value in getattr(sampler, "keywords", {}).items()
              if hasattr(value, "shape") and hasattr(value, "dtype")}
    if not isinstance(sampler, functools.partial) or not arrays:
        return sampler, None
    zero_classes = None
    if sampler.func is fixed_unigram_candidate_sampler and not sampler.args:
        law = {k: v for k, v in sampler.keywords.items() if k in _FIXED_LAW}
        zero_classes = fixed_unigram_zero_classes(jnp, num_classes, num_sampled, unique, **law)

    def draw(*args: Any, **kwargs: Any) -> Any:  # the barriers replace the bound arrays
        return sampler(*args, **kwargs, **{
            name: jax.lax.optimization_barrier(jnp.asarray(value))
            for name, value in arrays.items()})

    return draw, zero_classes


class _CheckedStep:
    """A jitted step of :func:`make_train_step` whose labels are checked in range before
    each call, where their values are at hand; ``jax.jit``'s attributes forwarded."""

    def __init__(self, jitted: Any, num_classes: int, zero_classes: Any = None):
        self.jitted, self.num_classes = jitted, num_classes
        self.zero_classes = zero_classes   # of a fixed unigram law: refused as labels

    def __call__(self, params: Any, inputs: Any, labels: Any, key: Any) -> Any:
        # skipped for traced labels (inside the caller's jax.jit), as every value check
        checks.check_ids_in_range(namespace_of(labels=labels), labels, self.num_classes,
                                  "labels")
        if (self.zero_classes is not None and backend_for(jnp).is_concrete(labels)
                and bool(jnp.any(self.zero_classes[labels]))):
            raise ValueError(zero_true_message("labels"))
        return self.jitted(params, inputs, labels, key)

    def __getattr__(self, name: str) -> Any:
        if name == "jitted":  # not yet set (a copy being made)
            raise AttributeError(name)
        return getattr(self.jitted, name)
