"""The losses with their gradients, computed analytically: training with array libraries
that have no automatic differentiation (NumPy, CuPy), on the forward pieces of
:mod:`.logits`, :mod:`.losses` and :mod:`.sample_logits`.

Each ``*_and_grad`` function returns ``(loss, grads)``, ``grads`` being the gradients of
``sum(loss * cotangent)``. The TensorFlow losses give them sparsely, per touched class
row (:class:`SampledGrads`); :meth:`SampledGrads.dense` lays them out like the weights
and biases. Paddle's op gives the dense gradient of its logits (:class:`LogitsGrads`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import array_api_compat

from ..backends import backend_for
from . import checks
from .embedding import shard_of
from .logits import touched_ids
from .losses import rank_resampled_rows
from .row_loss import PreparedRows, prepare_rows, row_loss_backward, row_loss_forward
from .namespace import accumulation_dtype, device_of, namespace_of, require_arrays
from .sample_logits import SeededSampler, clipped_softmax_cross_entropy_terms, picked_logits

__all__ = [
    "SampledGrads", "LogitsGrads", "sampled_softmax_loss_and_grad", "nce_loss_and_grad",
    "sampled_sparse_softmax_loss_and_grad", "rank_sampled_softmax_loss_and_grad",
    "sampled_softmax_with_cross_entropy_and_grad", "scatter_add",
]


def scatter_add(xp: Any, target: Any, indices: Any, values: Any) -> Any:
    """``target`` with ``values[k]`` added at row ``indices[k]``, duplicates accumulating
    (a new array), by the backend's fastest means (:meth:`Backend.scatter_add`)."""
    return backend_for(xp).scatter_add(xp, target, indices, values)


def _layout(params: Any, name: str, partition_strategy: str, trailing: tuple
            ) -> tuple[list[int], bool]:
    """``(row counts, sharded)`` of ``params``: a number of classes, an array, or shards
    of the sizes ``partition_strategy`` gives them, whose rows are of shape
    ``trailing`` (that of the gradient's rows)."""
    if isinstance(params, (list, tuple)):
        if not params:
            raise ValueError(f"{name}: expected at least one shard, got an empty list")
        arrays = list(params)
    elif hasattr(params, "shape") and len(params.shape) > 0:  # not a NumPy int, a 0-d array
        arrays = [params]
    else:
        return [checks.check_int(params, name, minimum=1)], False
    layout = "[num_classes" + "".join(f", {d}" for d in trailing) + "]"
    for arr in arrays:
        if not hasattr(arr, "shape") or len(arr.shape) == 0 or tuple(arr.shape[1:]) != trailing:
            raise ValueError(f"{name}: expected shape {layout} (rows like the gradient's)"
                             f"{' in every shard' if len(arrays) > 1 else ''}, "
                             f"got {checks.described(arr)}")
    sizes = [int(p.shape[0]) for p in arrays]
    if isinstance(params, (list, tuple)):
        checks.check_rows(params, name, sum(sizes), partition_strategy, params[0].ndim)
    return sizes, isinstance(params, (list, tuple))


def _check_room(xp: Any, ids: Any, rows: dict[str, int]) -> None:
    """Every touched id has a row among the ``rows[name]`` of each parameter (one read
    of the largest id; where the ids can be read: not inside ``jax.jit``, where a
    scatter would drop the others silently)."""
    backend = backend_for(xp)
    if not backend.is_concrete(ids) or int(ids.shape[0]) == 0:
        return
    largest = backend.read(lambda: int(xp.max(ids)))
    for name, count in rows.items():
        if largest is not None and largest >= count:
            raise ValueError(f"{name}: holds {count} rows, fewer than the touched class ids "
                             f"need (the largest is {largest})")


def _dense_rows(xp: Any, ids: Any, rows: Any, sizes: list[int], sharded: bool,
                partition_strategy: str) -> Any:
    """Rows ``[n, ...]`` of the classes ``ids`` summed into a zero array ``[sum(sizes), ...]``,
    or into one per shard (``sharded``) laid out by ``partition_strategy``. Summed in
    :func:`accumulation_dtype`, returned in ``rows``' dtype."""
    wide = accumulation_dtype(xp, rows.dtype)
    values = xp.astype(rows, wide)
    tail = tuple(int(d) for d in rows.shape[1:])
    dev = device_of(rows)
    backend = backend_for(xp)
    if not sharded or len(sizes) == 1:
        target = xp.zeros((sizes[0],) + tail, dtype=wide, device=dev)
        out = xp.astype(backend.scatter_add(xp, target, ids, values), rows.dtype)
        return [out] if sharded else out
    shard, row = shard_of(xp, ids, sizes, partition_strategy)
    shards = []
    for p, size in enumerate(sizes):
        mine = shard == p
        target = xp.zeros((size,) + tail, dtype=wide, device=dev)
        mine_rows = xp.reshape(mine, tuple(mine.shape) + (1,) * len(tail))
        part = backend.scatter_add(xp, target, xp.where(mine, row, xp.zeros_like(row)),
                                   xp.where(mine_rows, values, xp.zeros_like(values)))
        shards.append(xp.astype(part, rows.dtype))
    return shards


class SampledGrads(NamedTuple):
    """Gradients of a sampled TensorFlow loss: dense for ``inputs``, per touched class row
    for ``weights`` and ``biases``.

    Attributes:
      inputs: ``[batch_size, dim]``, the gradient of ``inputs``.
      ids: int ``[n]``, the class ids the loss touched, as
        :func:`~candidate_sampling.core.logits.touched_ids` orders them (the flattened
        labels, then the sampled candidates), duplicates kept.
      weight_rows: ``[n, dim]``, the gradient of each touched row occurrence; the rows of
        an id that occurs more than once add up to that class's gradient.
      bias_rows: ``[n]``, the same for the biases.
      partition_strategy: how :meth:`dense` lays out sharded gradients.
    """

    inputs: Any
    ids: Any
    weight_rows: Any
    bias_rows: Any
    partition_strategy: str = "div"

    def dense(self, weights: Any, biases: Any = None) -> tuple[Any, Any]:
        """``(d_weights, d_biases)``: the gradients laid out like the parameters.

        Args:
          weights: the weights (an array ``[num_classes, dim]`` or a list of shards of it;
            only their shapes are read), or ``num_classes``.
          biases: the same for the biases; ``None``: laid out as ``weights``.

        Returns:
          Dense gradients in the dtype of the rows: an array ``[num_classes, dim]`` (and
          ``[num_classes]``), or a list of per-shard arrays where the parameter is a list,
          shards laid out by ``partition_strategy``. The rows of repeated ids are summed.
        """
        xp = namespace_of(weight_rows=self.weight_rows)
        dim = tuple(int(d) for d in self.weight_rows.shape[1:])
        w_sizes, w_sharded = _layout(weights, "weights", self.partition_strategy, dim)
        b_sizes, b_sharded = (w_sizes, w_sharded) if biases is None else \
            _layout(biases, "biases", self.partition_strategy, ())
        _check_room(xp, self.ids, {"weights": sum(w_sizes), "biases": sum(b_sizes)})
        return (_dense_rows(xp, self.ids, self.weight_rows, w_sizes, w_sharded,
                            self.partition_strategy),
                _dense_rows(xp, self.ids, self.bias_rows, b_sizes, b_sharded,
                            self.partition_strategy))

    def sgd_update(self, weights: Any, biases: Any, learning_rate: float) -> tuple[Any, Any]:
        """One SGD step on the touched rows only: ``weights[ids] -= learning_rate *
        weight_rows`` and the same for ``biases``, the rows of a repeated id accumulating.

        The step costs ``O((B T + S) D)``, not ``O(V D)``. It updates ``weights`` and
        ``biases`` in place where the library can (NumPy, CuPy, torch tensors that do
        not require grad, or under ``torch.no_grad()``) and returns them; JAX gets new arrays (use
        :mod:`candidate_sampling.layers.jax` under ``jax.jit`` for an in-place update).

        Args:
          weights: ``[num_classes, dim]``, one array (not shards).
          biases: ``[num_classes]``.
          learning_rate: the step size.

        Returns:
          ``(weights, biases)`` after the step.
        """
        rate = -checks.check_learning_rate(learning_rate)
        require_arrays(weights=weights, biases=biases)
        xp = namespace_of(weights=weights, biases=biases, weight_rows=self.weight_rows)
        for name, value in (("weights", weights), ("biases", biases)):
            if isinstance(value, (list, tuple)):
                raise TypeError(f"{name}: expected one array; sgd_update does not take shards")
        checks.check_ndim(weights, 2, "weights", "[num_classes, dim]")
        checks.check_ndim(biases, 1, "biases", "[num_classes]")
        for name, value in (("weights", weights), ("biases", biases)):
            checks.check_float_array(xp, value, name)  # ints would take a step of 0
        if tuple(weights.shape[1:]) != tuple(self.weight_rows.shape[1:]):
            raise ValueError(f"weights: expected rows of dim {int(self.weight_rows.shape[1])} "
                             f"(those of the gradients), got shape {list(weights.shape)}")
        _check_room(xp, self.ids, {"weights": int(weights.shape[0]),
                                   "biases": int(biases.shape[0])})
        backend = backend_for(xp)
        return (backend.add_rows(xp, weights, self.ids, self.weight_rows * rate),
                backend.add_rows(xp, biases, self.ids, self.bias_rows * rate))


class LogitsGrads(NamedTuple):
    """Gradient of Paddle's ``sampled_softmax_with_cross_entropy``.

    Attributes:
      logits: ``[N, K]``, the gradient of the full logits (zero outside the sampled columns).
    """

    logits: Any


def _cotangent(xp: Any, cotangent: Any, loss: Any, wide: Any) -> Any:
    """The cotangent as ``[batch_size]`` in dtype ``wide``: ones for ``None``; an array
    shaped like ``loss``, ``[batch_size]``, or one that broadcasts to ``loss``."""
    batch = int(loss.shape[0])
    if cotangent is None:
        return xp.ones((batch,), dtype=wide, device=device_of(loss))
    if array_api_compat.is_array_api_obj(cotangent):
        namespace_of(loss=loss, cotangent=cotangent)
    else:
        cotangent = xp.asarray(cotangent, device=device_of(loss))
    if not (xp.isdtype(cotangent.dtype, "real floating") or xp.isdtype(cotangent.dtype, "integral")):
        raise TypeError(f"cotangent: expected a real array, got dtype {cotangent.dtype}")
    shape, loss_shape = tuple(cotangent.shape), tuple(loss.shape)
    if shape != (batch,):
        if not checks.broadcasts_to(shape, loss_shape):
            raise ValueError(f"cotangent: expected shape [batch_size] = [{batch}] or one that "
                             f"broadcasts to the loss's {list(loss_shape)}, got {list(shape)}")
        cotangent = xp.broadcast_to(cotangent, loss_shape)
    return xp.reshape(xp.astype(cotangent, wide), (batch,))


def _minus_targets(xp: Any, probabilities: Any, num_true: int) -> Any:
    """``probabilities - labels`` for labels ``1/num_true`` on the first ``num_true`` columns."""
    return xp.concat([probabilities[:, :num_true] - 1.0 / num_true,
                      probabilities[:, num_true:]], axis=1)


def _sampled_loss_and_grad(kind: str, weights: Any, biases: Any, labels: Any, inputs: Any,
                           num_sampled: int, num_classes: int, num_true: int,
                           sampled_values: Any, remove_accidental_hits: bool,
                           partition_strategy: str, seed: int | None,
                           cotangent: Any) -> tuple[Any, SampledGrads]:
    """:func:`~candidate_sampling.core.row_loss.row_loss_forward` and
    :func:`~candidate_sampling.core.row_loss.row_loss_backward` on the checked arguments."""
    p = prepare_rows(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                     sampled_values, remove_accidental_hits, partition_strategy, seed)
    return _rows_loss_and_grad(kind, p, inputs, partition_strategy, cotangent)


def _rows_loss_and_grad(kind: str, p: PreparedRows, inputs: Any, partition_strategy: str,
                        cotangent: Any) -> tuple[Any, SampledGrads]:
    """The loss ``kind`` and its :class:`SampledGrads` over prepared rows."""
    xp = p.xp
    loss, residuals = row_loss_forward(kind, xp, inputs, p.labels, p.values, p.weight_rows,
                                       p.bias_rows, True, p.remove_accidental_hits)
    scale = None if cotangent is None else _cotangent(xp, cotangent, loss, residuals.sampled.dtype)
    d_inputs, d_weight_rows, d_bias_rows = row_loss_backward(xp, residuals, scale)
    ids = touched_ids(xp, p.labels, p.values.sampled_candidates)
    return loss, SampledGrads(d_inputs, ids, d_weight_rows, d_bias_rows, partition_strategy)


def sampled_softmax_loss_and_grad(weights: Any, biases: Any, labels: Any, inputs: Any,
                                  num_sampled: int, num_classes: int, num_true: int = 1,
                                  sampled_values: Any = None,
                                  remove_accidental_hits: bool = True, seed: int | None = None,
                                  *, partition_strategy: str = "div",
                                  cotangent: Any = None) -> tuple[Any, SampledGrads]:
    """Computes the sampled softmax training loss and its gradients.

    The loss is :func:`~candidate_sampling.sampled_softmax_loss`'s; the gradients, those
    of ``sum(loss * cotangent)``, are computed analytically, so no automatic
    differentiation is needed (NumPy, CuPy, any array-API library). With respect to the
    logits they are ``cotangent * (softmax - labels)``; a masked accidental hit passes its
    gradient through (as TensorFlow's additive mask does), and as its softmax is 0 it
    gets none; ``log Q`` and the sampled values get none.

    Args:
      weights, biases, labels, inputs, num_sampled, num_classes, num_true, sampled_values,
        remove_accidental_hits, seed, partition_strategy: as for
        :func:`~candidate_sampling.sampled_softmax_loss` (``weights`` and ``biases`` may
        be lists of shards).
      cotangent: keyword only; ``[batch_size]`` weights of the per-row losses
        (``None``: ones, the gradient of ``sum(loss)``).

    Returns:
      ``(loss, grads)``: the ``[batch_size]`` losses in the dtype of the logits, and a
      :class:`SampledGrads` (``grads.dense(weights)`` gives ``(d_weights, d_biases)``).
      Gradients are reduced in float32 for half-precision arrays and returned in the
      dtype of their parameter.
    """
    return _sampled_loss_and_grad("softmax", weights, biases, labels, inputs, num_sampled,
                                  num_classes, num_true, sampled_values, remove_accidental_hits,
                                  partition_strategy, seed, cotangent)


def nce_loss_and_grad(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int,
                      num_classes: int, num_true: int = 1, sampled_values: Any = None,
                      remove_accidental_hits: bool = False, *, partition_strategy: str = "div",
                      seed: int | None = None, cotangent: Any = None) -> tuple[Any, SampledGrads]:
    """Computes the NCE training loss and its gradients.

    The loss is :func:`~candidate_sampling.nce_loss`'s (same arguments); the gradients of
    ``sum(loss * cotangent)`` are, with respect to the logits,
    ``cotangent * (sigmoid(logits) - labels)`` (labels ``1/num_true`` on the true
    columns, 0 on the sampled ones; masked hits get none), then through ``x . w + b``.

    Args:
      cotangent: keyword only; ``[batch_size]`` weights of the per-row losses
        (``None``: ones). The other arguments are :func:`sampled_softmax_loss_and_grad`'s.

    Returns:
      ``(loss, grads)``: ``[batch_size]`` losses and a :class:`SampledGrads`.
    """
    return _sampled_loss_and_grad("nce", weights, biases, labels, inputs, num_sampled,
                                  num_classes, num_true, sampled_values, remove_accidental_hits,
                                  partition_strategy, seed, cotangent)


def sampled_sparse_softmax_loss_and_grad(weights: Any, biases: Any, labels: Any, inputs: Any,
                                         num_sampled: int, num_classes: int,
                                         sampled_values: Any = None,
                                         remove_accidental_hits: bool = True,
                                         partition_strategy: str = "mod",
                                         seed: int | None = None, *,
                                         cotangent: Any = None) -> tuple[Any, SampledGrads]:
    """Computes contrib's sampled sparse softmax loss and its gradients.

    The loss is :func:`~candidate_sampling.sampled_sparse_softmax_loss`'s (``labels``
    int ``[batch_size, 1]``; ``partition_strategy`` defaults to ``'mod'``); the gradients
    are :func:`sampled_softmax_loss_and_grad`'s with one true class per row.

    Returns:
      ``(loss, grads)``: ``[batch_size]`` losses and a :class:`SampledGrads`.
    """
    checks.check_single_labels(labels)
    return sampled_softmax_loss_and_grad(weights, biases, labels, inputs, num_sampled,
                                         num_classes, 1, sampled_values, remove_accidental_hits,
                                         seed, partition_strategy=partition_strategy,
                                         cotangent=cotangent)


def rank_sampled_softmax_loss_and_grad(weights: Any, biases: Any, labels: Any, inputs: Any,
                                       num_sampled: int, num_resampled: int, num_classes: int,
                                       num_true: int, sampled_values: Any,
                                       resampling_temperature: float,
                                       remove_accidental_hits: bool, partition_strategy: str,
                                       seed: int | None = None, *,
                                       cotangent: Any = None) -> tuple[Any, SampledGrads]:
    """Computes contrib's rank-resampled softmax loss and its gradients.

    The loss is :func:`~candidate_sampling.rank_sampled_softmax_loss`'s (same arguments):
    the ``num_resampled`` classes of highest score are kept, then the sampled softmax
    loss is taken over them. The resampling takes no gradient (as in contrib); the
    gradients are :func:`sampled_softmax_loss_and_grad`'s for the kept classes, whose ids
    ``grads.ids`` lists after the labels.

    Returns:
      ``(loss, grads)``: ``[batch_size]`` losses and a :class:`SampledGrads`.
    """
    p = rank_resampled_rows(weights, biases, labels, inputs, num_sampled, num_resampled,
                            num_classes, num_true, sampled_values, resampling_temperature,
                            remove_accidental_hits, partition_strategy, seed)
    return _rows_loss_and_grad("softmax", p, inputs, partition_strategy, cotangent)


def sampled_softmax_with_cross_entropy_and_grad(
        logits: Any, label: Any, num_samples: int, num_true: int = 1,
        remove_accidental_hits: bool = True, use_customized_samples: bool = False,
        customized_samples: Any = None, customized_probabilities: Any = None, seed: int = 0, *,
        seeded_sampler: SeededSampler | None = None,
        cotangent: Any = None) -> tuple[Any, LogitsGrads]:
    """Computes Paddle's ``sampled_softmax_with_cross_entropy`` and its gradient.

    The loss is :func:`~candidate_sampling.sampled_softmax_with_cross_entropy`'s (same
    arguments). The gradient of ``sum(loss * cotangent)`` is Paddle's: ``cotangent *
    (softmax - labels)`` of the clipped softmax at every picked column, added into the
    columns of the logits it was picked from (a class picked twice in a row gets both);
    the hit mask, ``- log Q`` and the clamp to ``+-1e20`` pass it through unchanged.

    Args:
      cotangent: keyword only; ``[N]`` or ``[N, 1]`` weights of the losses (``None``: ones).
      seeded_sampler: keyword only; see :func:`~candidate_sampling.sampled_softmax_with_cross_entropy`.

    Returns:
      ``(loss, grads)``: ``[N, 1]`` losses and a :class:`LogitsGrads` holding the ``[N, K]``
      gradient of ``logits``, in the dtype of ``logits`` (reduced in float32 for half
      precision).
    """
    xp, samples, picked, num_true = picked_logits(
        logits, label, num_samples, num_true, remove_accidental_hits, use_customized_samples,
        customized_samples, customized_probabilities, seed, seeded_sampler=seeded_sampler)
    rows, num_classes = (int(d) for d in logits.shape)
    loss, exps, totals = clipped_softmax_cross_entropy_terms(xp, picked, num_true)
    loss = xp.reshape(loss, (rows, 1))
    d_picked = _minus_targets(xp, exps / totals, num_true)
    d_picked = _cotangent(xp, cotangent, loss, d_picked.dtype)[:, None] * d_picked
    offsets = xp.arange(rows, dtype=samples.dtype, device=device_of(samples)) * num_classes
    flat = xp.reshape(samples + offsets[:, None], (-1,))
    target = xp.zeros((rows * num_classes,), dtype=d_picked.dtype, device=device_of(d_picked))
    d_logits = scatter_add(xp, target, flat, xp.reshape(d_picked, (-1,)))
    return loss, LogitsGrads(xp.astype(xp.reshape(d_logits, (rows, num_classes)), logits.dtype))
