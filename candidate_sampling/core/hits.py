"""Accidental hits: sampled candidates that equal one of a row's true classes."""

from __future__ import annotations

from typing import Any

from ..backends import backend_for
from . import checks
from .namespace import device_of, index_dtype, required_namespace
from .types import AccidentalHits

__all__ = ["compute_accidental_hits", "first_occurrence", "hit_positions",
           "dense_hits", "hit_mask"]


def first_occurrence(xp: Any, values: Any) -> Any:
    """Boolean ``[n]``: True where ``values[k]`` does not occur before ``k``.

    One stable sort: the first of each run of equal sorted values is the earliest
    position. O(n log n), static shapes."""
    dev = device_of(values)
    order = backend_for(xp).argsort(xp, values)
    ordered = xp.take(values, order)
    new = xp.concat([xp.ones((1,), dtype=xp.bool, device=dev), ordered[1:] != ordered[:-1]])
    return xp.take(new, xp.argsort(order))


def hit_positions(xp: Any, true_classes: Any, sampled_candidates: Any) -> tuple[Any, Any]:
    """``(found, position)``, both ``[B, T]``: whether true class ``(i, j)`` is among the
    sampled candidates, and the position of its LAST occurrence there (TensorFlow maps
    each sampled id to its last position, so only that position can be a hit).

    One stable sort of the ``S`` candidates and a binary search per true class:
    O((S + B T) log S), static shapes; ``position`` is 0 where not ``found``. Run where
    the backend runs index computations (:meth:`~candidate_sampling.backends.Backend.on_host`)."""
    return backend_for(xp).on_host(_hit_positions, xp, true_classes, sampled_candidates)


def _hit_positions(xp: Any, true_classes: Any, sampled_candidates: Any) -> tuple[Any, Any]:
    """:func:`hit_positions` in namespace ``xp``."""
    dt = index_dtype(xp, true_classes, sampled_candidates)
    sampled = xp.astype(sampled_candidates, dt, copy=False)
    order = backend_for(xp).argsort(xp, sampled)
    ordered = xp.take(sampled, order)
    # a copy: the labels may be a strided view (``labels[:, :1]``), whose flat view torch's
    # searchsorted copies with a warning
    flat = xp.reshape(xp.astype(true_classes, dt, copy=False), (-1,), copy=True)
    # the last of a run of equal values, in a stable order, is the latest position
    at = xp.clip(xp.searchsorted(ordered, flat, side="right") - 1, 0, None)
    found = xp.take(ordered, at) == flat
    position = xp.where(found, xp.take(order, at), xp.zeros_like(at))
    shape = tuple(true_classes.shape)
    return xp.reshape(found, shape), xp.reshape(position, shape)


def dense_hits(xp: Any, found: Any, position: Any, num_sampled: int) -> Any:
    """Boolean ``[B, S]`` of the positions :func:`hit_positions` reports."""
    columns = xp.arange(num_sampled, dtype=position.dtype, device=device_of(position))
    return xp.any((position[:, :, None] == columns) & found[:, :, None], axis=1)


def hit_mask(xp: Any, true_classes: Any, sampled_candidates: Any) -> Any:
    """Dense boolean ``[B, S]`` of the positions ``compute_accidental_hits`` reports."""
    found, position = hit_positions(xp, true_classes, sampled_candidates)
    return dense_hits(xp, found, position, int(sampled_candidates.shape[0]))


def compute_accidental_hits(true_classes: Any, sampled_candidates: Any, num_true: int):
    """Compute the position ids in ``sampled_candidates`` matching ``true_classes``.

    Same contract as ``tf.nn.compute_accidental_hits``: for every row ``i`` and true
    class ``j`` (in that order) whose id is among the sampled candidates, one entry
    ``(i, position of the LAST occurrence of that id, -FLT_MAX)``.

    Args:
      true_classes: int ``[batch_size, num_true]``, the target classes.
      sampled_candidates: int ``[num_sampled]``, the sampled ids.
      num_true: the number of target classes per row (0 finds no hits, as TensorFlow).

    Returns:
      an :class:`~candidate_sampling.AccidentalHits` ``(indices, ids, weights)``: int32
      row indices, int64 positions in ``sampled_candidates`` (int32 where the backend
      has no int64 enabled), and float32 weights equal to the lowest finite float32.

    Raises:
      TypeError: on ids traced by ``jax.jit`` or ``jax.vmap``, or batched by
        ``torch.func.vmap``: the number of hits is not known until the ids are, and its
        shapes must be (the losses mask the hits there themselves).
    """
    xp = required_namespace(true_classes=true_classes, sampled_candidates=sampled_candidates)
    num_true = checks.check_int(num_true, "num_true", minimum=0)  # 0: no hits, as in TF
    checks.check_int_array(xp, true_classes, "true_classes")
    checks.check_int_array(xp, sampled_candidates, "sampled_candidates")
    checks.check_ndim(true_classes, 2, "true_classes", "[batch_size, num_true]")
    checks.check_ndim(sampled_candidates, 1, "sampled_candidates", "[num_sampled]")
    if true_classes.shape[1] != num_true:
        raise ValueError(f"true_classes: second dimension must equal num_true={num_true}, "
                         f"got shape {list(true_classes.shape)}")
    backend = backend_for(xp)
    if not (backend.sizes_from_values(true_classes)
            and backend.sizes_from_values(sampled_candidates)):
        raise TypeError("true_classes: compute_accidental_hits returns one entry per hit, a "
                        "number that a traced or batched function (jax.jit, jax.vmap, "
                        "torch.func.vmap) cannot know; call it outside (the losses remove "
                        "accidental hits there themselves)")
    dev = device_of(true_classes)
    batch = int(true_classes.shape[0])
    num_sampled = int(sampled_candidates.shape[0])
    if num_sampled == 0 or batch == 0 or num_true == 0:
        empty = xp.zeros((0,), dtype=xp.int32, device=dev)
        return AccidentalHits(empty, xp.astype(empty, backend.int64(xp)),
                              xp.zeros((0,), dtype=xp.float32, device=dev))
    found, position = hit_positions(xp, true_classes, sampled_candidates)
    (flat,) = xp.nonzero(xp.reshape(found, (-1,)))
    position = xp.reshape(position, (-1,))
    indices = xp.astype(flat // num_true, xp.int32)
    ids = xp.astype(xp.take(position, flat), backend.int64(xp))
    weights = xp.full(ids.shape, xp.finfo(xp.float32).min, dtype=xp.float32, device=dev)
    return AccidentalHits(indices, ids, weights)
