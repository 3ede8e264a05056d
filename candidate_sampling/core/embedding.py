"""Row lookup in one array or in a list of shards ('mod' or 'div' partitioning)."""

from __future__ import annotations

from typing import Any, Sequence

from ..backends import backend_for

__all__ = ["embedding_lookup", "shard_of"]


def shard_of(xp: Any, ids: Any, sizes: Sequence[int], partition_strategy: str) -> tuple[Any, Any]:
    """``(shard, row)`` of each id for shards of the given sizes (TensorFlow's rules).

    'mod': shard ``id % n``, row ``id // n``.
    'div': the ``r = N % n`` first shards hold ``q + 1 = N // n + 1`` consecutive ids,
    the others ``q``.
    """
    n = len(sizes)
    if partition_strategy == "mod":
        return ids % n, ids // n
    total = sum(sizes)
    q, r = divmod(total, n)
    boundary = r * (q + 1)
    first = ids < boundary
    rest = ids - boundary
    # In the first part q + 1 > 0; past it q > 0 because no shard is empty (checked).
    shard = xp.where(first, ids // (q + 1), r + rest // max(q, 1))
    row = xp.where(first, ids % (q + 1), rest % max(q, 1))
    return shard, row


def embedding_lookup(xp: Any, params: Any, ids: Any, partition_strategy: str = "mod") -> Any:
    """Rows ``ids`` of ``params``: an array ``[N, ...]`` or a list of shards of it.

    Gradients reach each shard only at the rows looked up. Ids whose values could not be
    checked (under ``jax.jit``) read the backend's fill past the end, negative ones too
    (:meth:`~candidate_sampling.backends.Backend.unread_ids`).
    """
    if not isinstance(params, (list, tuple)):
        return xp.take(params, backend_for(xp).unread_ids(xp, ids, int(params.shape[0])),
                       axis=0)
    if len(params) == 1:
        return embedding_lookup(xp, params[0], ids)
    shard, row = shard_of(xp, ids, [int(p.shape[0]) for p in params], partition_strategy)
    out = None
    for p, part in enumerate(params):
        mine = shard == p
        rows = xp.take(part, xp.where(mine, row, xp.zeros_like(row)), axis=0)
        if out is None:
            out = rows
        else:
            mine = xp.reshape(mine, tuple(mine.shape) + (1,) * (rows.ndim - 1))
            out = xp.where(mine, rows, out)
    return out
