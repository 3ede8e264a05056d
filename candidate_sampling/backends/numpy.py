"""NumPy backend."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from . import _base
from ._base import Backend

__all__ = ["NumpyBackend", "add_rows", "first_distinct", "first_positions", "stable_order",
           "softplus_sigmoid", "exp2_as_fast_as_exp", "MAX_BLOCK"]


def stable_order(values: Any) -> Any:
    """The stable argsort of a 1-D NumPy int array.

    Ids in ``[0, 2**32)`` take one or two passes of NumPy's stable sort of 16-bit keys,
    which is a radix sort (low digit first, then the high digit of the order so far):
    O(n), where ``argsort`` of int64 compares (about 3x slower for a few thousand ids).
    Other values use ``np.argsort(kind="stable")``."""
    import numpy as np

    high = int(values.max()) if values.size else -1
    if high < 0 or high >= 2**32 or int(values.min()) < 0:
        return np.argsort(values, kind="stable")
    digits = values.astype(np.uint32, copy=False)
    order = np.argsort(digits.astype(np.uint16), kind="stable")
    if high >= 2**16:
        upper = (digits >> 16).astype(np.uint16)
        order = order[np.argsort(upper[order], kind="stable")]
    return order


def first_positions(values: Any) -> Any:
    """Ascending positions of the first occurrence of each distinct value of int array
    ``values``: the first of each run of equal values in a stable order, marked in a
    boolean array (no second sort)."""
    import numpy as np

    n = values.size
    order = stable_order(values)
    ordered = values[order]
    first = np.empty(n, dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    marked = np.zeros(n, dtype=bool)
    marked[order[first]] = True
    return np.flatnonzero(marked)


MAX_BLOCK = 2**22
"""The most draws :func:`first_distinct` holds at once (32 MiB of int64)."""


def first_distinct(draw: Any, num_sampled: int, block: int, max_tries: int | None = None,
                   possible: Callable[[], Any] | None = None) -> tuple:
    """``(values, tries)``: the first ``num_sampled`` distinct values of the stream that
    ``draw(index, n)`` yields block by block (NumPy arrays), and the draws that took.

    The first block has ``block`` draws; each later one as many as drawn so far, up to
    :data:`MAX_BLOCK`: a stream that needs many draws (``num_sampled`` close to the
    range, or a law that gives a few classes nearly all its mass) is scanned in a
    logarithmic number of blocks, in bounded memory. In a later block, the first
    occurrences of new values are found by one stable sort of the values found so far
    followed by the block (:func:`first_positions`), or, where the values found span a
    range no wider than a few times their number and the block's (a law with most of
    its mass on few classes, whose blocks are long runs of repeats), by a membership
    test against a table of that range first.

    ``possible()``, asked once the first block falls short, says whether the law can
    give ``num_sampled`` distinct values at all (``law.can_give``); None: it can.

    Raises:
      ValueError: naming ``num_sampled``, when ``num_sampled`` distinct values take more
        than ``max_tries`` draws (default :data:`~candidate_sampling.backends._base.MAX_TRIES`),
        or ``possible()`` is false.
    """
    import numpy as np

    max_tries = _base.MAX_TRIES if max_tries is None else max_tries
    stream = draw(0, min(block, max_tries))
    found = stream[:0]
    done, index = 0, 1
    while True:
        positions = _new_positions(found, stream)
        need = num_sampled - found.size
        if positions.size >= need:
            positions = positions[:need]
            return np.concatenate([found, stream[positions]]), done + int(positions[-1]) + 1
        found = np.concatenate([found, stream[positions]])
        if index == 1 and possible is not None and not bool(possible()):
            raise _base.too_few_classes(num_sampled)
        done += stream.size
        if done >= max_tries:
            raise _base.too_many_draws(num_sampled, max_tries)
        stream = draw(index, min(done, MAX_BLOCK, max_tries - done))
        index += 1


def _new_positions(found: Any, stream: Any) -> Any:
    """Ascending positions in ``stream`` of the first occurrences of the values not in
    ``found`` (distinct values), for :func:`first_distinct`."""
    import numpy as np

    if not found.size:
        return first_positions(stream)
    span = int(found.max()) - int(found.min())
    if span > _TABLE_SPAN * (found.size + stream.size):
        # found values first: every one of them is a first occurrence, and the
        # rest are the new values' first occurrences, in stream order
        return first_positions(np.concatenate([found, stream]))[found.size:] - found.size
    candidates = np.flatnonzero(~np.isin(stream, found, kind="table"))
    return candidates[first_positions(stream[candidates])]


_TABLE_SPAN = 6
""":func:`_new_positions` tests membership against a table where the values found span at
most this many times the values it looks at (NumPy's own rule for ``np.isin``, which
sorts otherwise)."""


def add_rows(target: Any, indices: Any, values: Any) -> Any:
    """``np.add.at(target, indices, values)`` on the rows of ``target`` (``indices`` int
    ``[n]``, ``values`` ``[n, ...]`` as ``target[indices]``), in place; returns ``target``.

    ``np.add.at`` walks a ``[n, D]`` update element by element. Here the rows whose index
    occurs once (found in one stable order of the indices) are updated at once by fancy
    indexing, and only the rows of repeated indices go through ``np.add.at``: in a step,
    where few ids repeat, several times faster.

    Raises:
      IndexError: an index outside ``[-len(target), len(target))``, as ``np.add.at``.
    """
    import numpy as np

    values = values.astype(target.dtype, copy=False)
    if indices.size == 0:
        return target
    rows = target.shape[0]
    low, high = int(indices.min()), int(indices.max())
    if low < -rows or high >= rows:
        bad = low if low < -rows else high
        raise IndexError(f"index {bad} is out of bounds for axis 0 with size {rows}")
    if low < 0:
        indices = np.where(indices < 0, indices + rows, indices)
    order = stable_order(indices)
    ordered = indices[order]
    differs = ordered[1:] != ordered[:-1]
    once = np.ones(ordered.size, dtype=bool)
    once[1:] &= differs
    once[:-1] &= differs
    if once.all():
        target[indices] += values
        return target
    single, repeated = order[once], order[~once]
    target[indices[single]] += values[single]
    np.add.at(target, indices[repeated], values[repeated])
    return target


def masked_minimum(module: Any, found: Any, position: Any, value: Any, dtype: Any) -> tuple:
    """``(rows, position, src)`` for a scatter-min of ``value`` to the found positions:
    ``src`` is ``value`` where ``found`` and ``+inf`` (no change) elsewhere."""
    rows = module.broadcast_to(module.arange(found.shape[0])[:, None], found.shape)
    src = module.where(found, module.asarray(value, dtype=dtype), module.asarray(module.inf, dtype=dtype))
    return rows, position, src


def softplus_sigmoid(module: Any, x: Any, need_sigmoid: bool = True) -> tuple:
    """``(softplus(x), sigmoid(x))`` with NumPy or CuPy (``module``) from one ``exp`` and
    one ``log``, the sigmoid ``None`` unless ``need_sigmoid``.

    With ``t = exp(-|x|)`` in ``(0, 1]`` and ``u = 1 + t`` rounded: ``softplus(x) =
    max(x, 0) + log1p(t)``, where ``log1p(t) = log(u) - c / u`` with ``c = (u - 1) - t``,
    the rounding error of ``u`` (exact in floating point; the formula is within the
    rounding of ``log`` of ``log1p``, and gives ``t`` where ``u`` rounds to 1); and
    ``sigmoid(x) = max(t, x >= 0) / u``: ``t / u`` for ``x < 0``, ``1 / u`` elsewhere,
    with no branch (a ``where`` on a random mask takes ten times longer). NumPy's
    ``log1p`` is vectorised for x86 only with AVX-512 (as ``exp2``, while ``tanh`` is slow
    with AVX2); ``exp`` and ``log`` are vectorised with AVX2 too, where this takes a
    quarter of the time of ``log1p`` and ``tanh`` over NCE's ``[B, S]`` logits. Three new
    arrays (two without the sigmoid); no value overflows, so NumPy warns of nothing."""
    t = module.abs(x)
    module.negative(t, out=t)
    module.exp(t, out=t)
    u = t + 1.0
    c = u - 1.0
    c -= t
    c /= u
    sigmoid = None
    if need_sigmoid:
        sigmoid = module.maximum(t, x >= 0)
        sigmoid /= u
    module.log(u, out=u)
    u -= c
    u += module.maximum(x, 0, out=c)
    return u, sigmoid


@functools.cache
def exp2_as_fast_as_exp(dtype_name: str) -> bool:
    """Whether NumPy runs ``exp2`` of ``dtype_name`` arrays on the same CPU target as
    ``exp`` (``numpy.lib.introspect.opt_func_info``, NumPy 2). x86 builds vectorise
    ``exp2`` with AVX-512 only (SVML): with AVX2 alone it is a scalar loop that takes
    1.5-2.3 times the time of the vectorised ``exp`` over the ``[B, S]`` logits. False
    where NumPy cannot tell (before NumPy 2)."""
    try:
        from numpy.lib.introspect import opt_func_info
    except ImportError:
        return False
    found = opt_func_info(func_name="^exp2?$", signature=f"^{dtype_name}$")
    targets = {name: [loop["current"] for loop in loops.values()]
               for name, loops in found.items()}
    return len(targets.get("exp", [])) == 1 and targets.get("exp") == targets.get("exp2")


def tanh_sigmoid(module: Any, x: Any) -> Any:
    """``sigmoid(x) = (1 + tanh(x / 2)) / 2`` with NumPy or CuPy (``module``), in one new
    array: one vectorised transcendental and no overflow to guard against."""
    out = x * 0.5
    module.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


class NumpyBackend(Backend):
    name = "numpy"

    def may_overwrite(self, x):
        return bool(getattr(getattr(x, "flags", None), "writeable", False))

    def argsort(self, xp, values):
        """:func:`stable_order` for ints (a radix sort of ids)."""
        import numpy as np

        if np.issubdtype(values.dtype, np.integer):
            return stable_order(values)
        return np.argsort(values, kind="stable")

    def row_sum(self, xp, x, weights=None):
        """A matrix-vector product (with ones where no ``weights``): BLAS's threaded GEMV,
        where ``np.sum`` makes one pairwise pass on one core."""
        import numpy as np

        return x @ (np.ones(x.shape[1], dtype=x.dtype) if weights is None else weights)

    def unshifted_softmax(self, x):
        """Yes: NumPy makes a pass over ``[B, S]`` per operation, and reads cost nothing."""
        return True

    def stack_matmul_at(self, xp, top, a, b, row_scale=None):
        """The product written by BLAS into the rows under ``top`` of one new array (and
        scaled there): no second ``[S, D]`` array, no copy."""
        import numpy as np

        dtype = np.result_type(top, a, b)
        out = np.empty((top.shape[0] + a.shape[1], b.shape[1]), dtype=dtype)
        out[:top.shape[0]] = top
        product = np.matmul(a.T, b, out=out[top.shape[0]:])
        if row_scale is not None:
            product *= row_scale[:, None]
        return out

    def without_float_warnings(self, compute):
        """``compute()`` inside ``np.errstate(all="ignore")``."""
        import numpy as np

        with np.errstate(all="ignore"):
            return compute()

    def iexp(self, xp, x):
        """``np.exp``, silent where it overflows to ``inf`` (which the unshifted softmax
        of :mod:`~candidate_sampling.core.row_loss` looks for)."""
        import numpy as np

        with np.errstate(over="ignore"):
            return np.exp(x, out=x) if self.may_overwrite(x) else np.exp(x)

    def iexp2(self, xp, x):
        """``np.exp2``, silent where it overflows, as :meth:`iexp`."""
        import numpy as np

        with np.errstate(over="ignore"):
            return np.exp2(x, out=x) if self.may_overwrite(x) else np.exp2(x)

    def prefers_exp2(self, xp, dtype):
        """Where NumPy's ``exp2`` is vectorised as its ``exp`` is
        (:func:`exp2_as_fast_as_exp`)."""
        import numpy as np

        return exp2_as_fast_as_exp(np.dtype(dtype).name)

    def softplus(self, xp, x):
        """:func:`softplus_sigmoid`'s softplus (one ``exp``, one ``log``)."""
        import numpy as np

        return softplus_sigmoid(np, x, need_sigmoid=False)[0]

    def softplus_sigmoid(self, xp, x, need_sigmoid=True):
        """:func:`softplus_sigmoid`: both from one ``exp`` and one ``log``."""
        import numpy as np

        return softplus_sigmoid(np, x, need_sigmoid)

    def sigmoid(self, xp, x):
        """:func:`tanh_sigmoid`."""
        import numpy as np

        return tanh_sigmoid(np, x)

    def mask_positions(self, xp, x, found, position, value):
        """``np.minimum.at`` over the ``B T`` positions."""
        import numpy as np

        if not self.may_overwrite(x):
            x = x.copy()
        rows, position, src = masked_minimum(np, found, position, value, x.dtype)
        np.minimum.at(x, (rows, position), src)
        return x

    def scatter_add(self, xp, target, indices, values):
        """``np.add.at`` on a copy."""
        import numpy as np

        return self.add_rows(xp, np.array(target, copy=True), indices, values)

    def add_rows(self, xp, target, indices, values):
        """:func:`add_rows`, in place where ``target`` is writeable."""
        import numpy as np

        if not self.may_overwrite(target):
            return self.scatter_add(xp, target, indices, values)
        return add_rows(target, np.asarray(indices), np.asarray(values))

    def unique_draws(self, xp, law, num_sampled, stream, device):
        values, tries = first_distinct(
            lambda i, n: law.draw(stream, i, n), num_sampled,
            _base.first_block(num_sampled), possible=lambda: law.can_give(num_sampled))
        return xp.asarray(values), tries
