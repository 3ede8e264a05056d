"""The generic backend: correct for any array-API library, with no fast paths."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

__all__ = ["Backend", "Stream", "NumpyStream", "MAX_TRIES", "first_block", "too_many_draws",
           "too_few_classes"]

MAX_TRIES = 2**31 - 2
"""The most draws a unique sample may take. TensorFlow's samplers count their draws in an
``int32`` and abort the process at ``2**31 - 1`` (``CHECK_LT(num_tries, kint32max)``);
the unique draws here raise :func:`too_many_draws` there instead (the loops of fixed
blocks stop at the last whole block within it)."""


def first_block(num_sampled: int) -> int:
    """The draws of the first block of a unique sample, on every path (NumPy's and
    torch's host draws, JAX's table draws, the core's traced loop): a sample that one
    block completes (usually) takes as much of the stream on each, so that a torch
    generator moves on alike eagerly, under ``torch.func`` and on a GPU."""
    return max(2 * num_sampled, 64)


def too_many_draws(num_sampled: int, max_tries: int) -> ValueError:
    """The error of a unique sample that :data:`MAX_TRIES` draws did not complete."""
    return ValueError(
        f"num_sampled: {num_sampled} distinct classes were not drawn in {max_tries} draws "
        "(unique=True); TensorFlow aborts the process there. The law gives too little "
        "probability to too many classes: lower num_sampled, or sample with unique=False")


def too_few_classes(num_sampled: int) -> ValueError:
    """The error of a unique sample from a law that gives fewer than ``num_sampled``
    classes a weight a draw can reach: found before drawing to the limit, where the
    counts went unchecked (``validate=False``, a compiled caller)."""
    return ValueError(
        f"num_sampled: {num_sampled} distinct classes cannot be drawn (unique=True): fewer "
        "classes than that have a weight that a draw can reach (each at least 2**-51 / "
        "range_max of the total); lower num_sampled, or sample with unique=False")


class Stream:
    """Uniform draws in ``[0, 1)``; ``uniform(index, n)`` gives the ``index``-th block of ``n``.

    Eager streams draw blocks in the order asked (``index`` only matters to streams
    that must derive a block from a traced index, as JAX's do)."""

    def uniform(self, index: Any, n: int) -> Any:
        raise NotImplementedError

    def words(self, index: Any, n: int) -> Any:
        """Block ``index`` of ``n`` uint32 random words, for the draws of a library whose
        widest float is float32 (:mod:`~candidate_sampling.core.float32_draws`)."""
        raise NotImplementedError(f"{type(self).__name__} draws float64 uniforms, not words")


class NumpyStream(Stream):
    """Draws from a ``numpy.random.Generator``, moved to the caller's namespace and device."""

    def __init__(self, xp: Any, seed: int | None, rng: Any, device: Any, dtype: Any):
        import numpy as np

        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng: expected a numpy.random.Generator for these arrays, got "
                            f"{type(rng).__name__}")
        self.xp, self.device, self.dtype = xp, device, dtype
        self.gen = rng if rng is not None else np.random.default_rng(seed)

    def uniform(self, index: Any, n: int) -> Any:
        values = self.gen.random(n)
        if self.xp.__name__.endswith("numpy") and self.dtype == self.xp.float64:
            return values
        return self.xp.asarray(values, dtype=self.dtype, device=self.device)


class Backend:
    """Backend hooks used by the core. Subclasses override what their framework does better."""

    name = "generic"

    def stop_gradient(self, x: Any) -> Any:
        """``x`` with gradients blocked (identity where there is no autodiff)."""
        return x

    def int64(self, xp: Any) -> Any:
        """The widest integer dtype the backend gives arrays now (int64)."""
        return xp.int64

    def random_stream(self, xp: Any, seed: int | None, rng: Any, device: Any) -> "Stream":
        """A source of uniform draws on ``device``: from ``rng`` (a ``numpy.random.Generator``)
        if given, else seeded by ``seed``, an int in ``[0, 2**64)`` (the 64 bits of the
        caller's seed; ``None``: fresh entropy)."""
        return NumpyStream(xp, seed, rng, device, self.float64(xp))

    def unique_draws(self, xp: Any, law: Any, num_sampled: int, stream: "Stream",
                     device: Any) -> tuple | None:
        """Native replacement of the core's unique-sampling step: ``(candidates, tries)``,
        the first ``num_sampled`` distinct values of ``law``'s with-replacement stream and
        the draws that took; ``None`` where the backend has no faster way."""
        return None

    def finish_draws(self, xp: Any, complete: Any, tries: Any, num_sampled: int,
                     max_tries: int, possible: Callable[[], Any] | None = None) -> Any:
        """``tries`` of a unique draw of ``num_sampled`` classes, or an error where the
        draw stopped (``complete``, a boolean scalar array, false): :func:`too_few_classes`
        where the law could not give them (``possible()``, as ``law.can_give`` says), else
        :func:`too_many_draws` (the limit of ``max_tries`` reached). Where ``complete`` is
        traced (``jax.jit``, ``torch.compile``) nothing can be raised: ``tries`` becomes
        -1 there, which makes every expected count NaN
        (:func:`~candidate_sampling.core.samplers.expected_count`), and so the losses. (A
        host callback that could raise costs a jitted step more than its sampler.)"""
        done = self.read(lambda: bool(complete))
        if done is None:
            return xp.where(complete, tries,
                            xp.asarray(-1, dtype=tries.dtype, device=self.device(tries)))
        if not done:
            if possible is not None and not bool(possible()):
                raise too_few_classes(num_sampled)
            raise too_many_draws(num_sampled, max_tries)
        return tries

    def while_loop(self, cond: Any, body: Any, state: tuple, entered: bool = False) -> tuple:
        """``while cond(state): state = body(state)`` (traced where the backend traces).
        ``entered``: ``cond(state)`` is known to hold, so the first ``body`` runs without
        reading it (on a GPU each read of the condition waits for the device)."""
        if entered:
            state = body(state)
        while bool(cond(state)):
            state = body(state)
        return state

    def float64(self, xp: Any) -> Any:
        """The widest float dtype the backend gives arrays now (float64)."""
        return xp.float64

    def is_concrete(self, x: Any) -> bool:
        """Whether the values of ``x`` can be read now (not a traced placeholder)."""
        return True

    def without_float_warnings(self, compute: Any) -> Any:
        """``compute()`` with the library's floating-point warnings (overflow, invalid,
        division by zero) off, where it has them (NumPy): for a computation whose
        non-finite values the caller looks for and replaces itself."""
        return compute()

    def read(self, compute: Any) -> Any:
        """``compute()``, a Python value read from arrays, or ``None`` where the values do
        not exist yet (inside a trace)."""
        return compute()

    def with_gradient(self, forward: Any, backward: Any, diff: tuple, static: tuple) -> Any:
        """``forward(*diff, *static, need_grad=False)[0]``, made differentiable with respect
        to the arrays ``diff`` by an analytic rule where the backend differentiates:
        ``forward(*diff, *static, need_grad=True)`` gives ``(out, residuals)`` and
        ``backward(residuals, cotangent)`` the gradients of ``sum(out * cotangent)``, one
        per ``diff`` array (``static`` takes none). Without autodiff, just the value."""
        return forward(*diff, *static, need_grad=False)[0]

    def cumulative_sum(self, xp: Any, x: Any) -> Any:
        """The running sum of the 1-D array ``x``."""
        return xp.cumulative_sum(x)

    def device(self, x: Any) -> Any:
        """The device of array ``x`` (array-api-compat's ``device``)."""
        import array_api_compat

        return array_api_compat.device(x)

    def computes_ids_in(self, dtype: Any) -> bool:
        """Whether ids of integer ``dtype`` can be checked, sorted and looked up (yes)."""
        return True

    def device_memory(self, device: Any) -> int | None:
        """Bytes still free in the memory of ``device`` where it has its own (a GPU's),
        else None: arrays on ``device`` take the system's memory. Here: None."""
        return None

    def sizes_from_values(self, x: Any) -> bool:
        """Whether an array whose size depends on the values of ``x`` (one entry per
        hit) can be made here (yes; not where ``x`` is traced by ``jax.jit`` or
        ``jax.vmap``, or batched by ``torch.func.vmap``)."""
        return True

    def layout_problem(self, x: Any) -> str | None:
        """What keeps array ``x`` from being a plain dense array the core computes with
        (torch's sparse or nested tensors), and what to do, or None (here: nothing)."""
        return None

    def holds_values(self, x: Any) -> bool:
        """Whether array ``x`` has values to compute with (yes; not a tensor on torch's
        ``meta`` device, which has only a shape and a dtype)."""
        return True

    def same_device(self, x: Any, y: Any) -> bool:
        """Whether arrays ``x`` and ``y`` are on one device, as a loss needs its arguments
        (yes: NumPy has one; JAX moves uncommitted arrays and names committed ones on
        different devices itself)."""
        return True

    def casts_mixed_floats(self, x: Any) -> bool:
        """Whether the library casts arrays of mixed float dtypes to a common one by
        itself now, around ``x`` (PyTorch's autocast): only then may the weights, biases
        and inputs of a loss differ in dtype."""
        return False

    def may_overwrite(self, x: Any) -> bool:
        """Whether the core may update ``x``, an array it made and needs no more, in place
        (no autodiff records it, and the library can write arrays)."""
        return False

    def _update(self, x: Any, y: Any, in_place: Any, out_of_place: Any) -> Any:
        return in_place(x, y) if self.may_overwrite(x) else out_of_place(x, y)

    def iadd(self, x: Any, y: Any) -> Any:
        """``x + y``, in ``x``'s memory where :meth:`may_overwrite` allows."""
        return self._update(x, y, operator.iadd, operator.add)

    def isub(self, x: Any, y: Any) -> Any:
        """``x - y``, in ``x``'s memory where :meth:`may_overwrite` allows."""
        return self._update(x, y, operator.isub, operator.sub)

    def imul(self, x: Any, y: Any) -> Any:
        """``x * y``, in ``x``'s memory where :meth:`may_overwrite` allows."""
        return self._update(x, y, operator.imul, operator.mul)

    def linear(self, xp: Any, inputs: Any, weights: Any, bias: Any) -> Any:
        """``inputs [B, D] @ weights[S, D].T + bias [S]``, the bias added in place where
        :meth:`may_overwrite` allows (``bias`` None: the product alone)."""
        product = xp.matmul(inputs, xp.matrix_transpose(weights))
        return product if bias is None else self.iadd(product, bias[None, :])

    def outside_graph(self, fn: Any) -> Any:
        """``fn``, made to run as plain Python where the backend compiles Python into
        graphs (``torch.compile``): for host code that reads values, uses NumPy or keeps
        state, such as the exact TensorFlow and Paddle streams. Elsewhere ``fn`` itself."""
        return fn

    def unread_ids(self, xp: Any, ids: Any, size: int) -> Any:
        """``ids`` into ``size`` rows, for a gather or a scatter: as they are, or, where
        their values could not be checked (under ``jax.jit``), with negative ones moved
        past the end, so that they gather the backend's fill (NaN) and their updates
        are dropped, as for ids past the end, instead of counting from the end."""
        return ids

    def stages(self) -> bool:
        """Whether the calling code is being staged into a graph that later calls run
        again (JAX: ``jax.jit``, ``lax.scan``, ...), where fresh randomness and Python
        state would be fixed when it is traced: no."""
        return False

    def lookup_apart(self, ids: Any) -> bool:
        """Whether the true and sampled rows of the touched ``ids`` are looked up in two
        gathers and stacked, rather than in one. The losses slice the stacked rows
        again; where a slice is a view (NumPy, PyTorch, CuPy) one gather is cheaper."""
        return False

    def host_int(self, x: Any) -> int | None:
        """``x``, a count, as a Python int where its value is at hand without waiting for
        a device or meeting a trace: ``x`` itself when it is an int, else None."""
        return x if isinstance(x, int) else None

    def on_host(self, fn: Any, xp: Any, *ids: Any) -> Any:
        """``fn(xp, *ids)``: an index computation over integer arrays ``ids`` giving a
        tree of tuples of integer or boolean arrays, no gradient. A backend may run it
        with NumPy on the arrays' memory where that costs less (PyTorch on a CPU)."""
        return fn(xp, *ids)

    def argsort(self, xp: Any, values: Any) -> Any:
        """The stable argsort of a 1-D array (equal values keep their order)."""
        return xp.argsort(values, stable=True)

    def row_sum(self, xp: Any, x: Any, weights: Any = None) -> Any:
        """``xp.sum(x, axis=1)`` of a matrix ``x``; with ``weights`` (a vector, one per
        column) the weighted sum ``x @ weights``."""
        return xp.sum(x, axis=1) if weights is None else xp.matmul(x, weights)

    def unshifted_softmax(self, x: Any) -> bool:
        """Whether a softmax over the ``[B, S]`` logits of the inputs ``x`` first tries
        exponentials with no shift by the row maximum and the bias as column weights of the
        row sum, then reads back which rows stayed in range and shifts the others (see
        :mod:`~candidate_sampling.core.row_loss`). It saves three passes over ``[B, S]``
        where the backend makes one per operation and a read costs no synchronisation."""
        return False

    def overflow_allowed(self) -> Any:
        """A context in which a float overflow to ``inf`` passes silently (the unshifted
        softmax looks for it and makes those rows again; the hit mask clamps it to the
        lowest value): NumPy's ``errstate(over="ignore")``, for an array-API library
        that computes with NumPy's ufuncs (array_api_strict; NumPy itself), which
        otherwise warn (an error under ``-W error``); the others compute on silently."""
        import numpy as np

        return np.errstate(over="ignore")

    def matmul(self, xp: Any, a: Any, b: Any) -> Any:
        """``a @ b`` of two matrices (the backend may pick a faster GEMM; the result may be
        a strided view)."""
        return xp.matmul(a, b)

    def matmul_at(self, xp: Any, a: Any, b: Any) -> Any:
        """``a^T @ b`` of two matrices (a step's weight gradient ``g^T x``)."""
        return self.matmul(xp, xp.matrix_transpose(a), b)

    def stack_matmul_at(self, xp: Any, top: Any, a: Any, b: Any, row_scale: Any = None) -> Any:
        """``concat([top, a^T @ b])`` along the rows (a step's weight-row gradient: the
        true rows' part, then the sampled rows' ``g^T x``); with ``row_scale`` (one value
        per column of ``a``) the product's rows are multiplied by it."""
        product = self.matmul_at(xp, a, b)
        if row_scale is not None:
            product = row_scale[:, None] * product
        return xp.concat([top, product], axis=0)

    def iexp(self, xp: Any, x: Any) -> Any:
        """``exp(x)``, in ``x``'s memory where the backend can."""
        return xp.exp(x)

    def iexp2(self, xp: Any, x: Any) -> Any:
        """``2^x``, in ``x``'s memory where the backend can (the Array API has no
        ``exp2``: generic ``exp(x log 2)``)."""
        return self.iexp(xp, x * 0.6931471805599453)

    def prefers_exp2(self, xp: Any, dtype: Any) -> bool:
        """Whether the softmax takes its exponentials of ``dtype`` logits as powers of 2
        (the scale ``log2(e)`` folded into the product's operands), rather than with
        ``exp``: where the library's ``exp2`` is at least as fast as its ``exp``."""
        return True

    def softplus(self, xp: Any, x: Any) -> Any:
        """``log(1 + exp(x))`` without overflow: ``max(x, 0) + log1p(exp(-|x|))``."""
        return xp.maximum(x, xp.zeros_like(x)) + xp.log1p(xp.exp(-xp.abs(x)))

    def softplus_sigmoid(self, xp: Any, x: Any, need_sigmoid: bool = True) -> tuple:
        """``(softplus(x), sigmoid(x))`` (NCE's loss terms and their gradient), the
        sigmoid ``None`` unless ``need_sigmoid``; a backend may share work between them."""
        return self.softplus(xp, x), self.sigmoid(xp, x) if need_sigmoid else None

    def sigmoid(self, xp: Any, x: Any) -> Any:
        """``1 / (1 + exp(-x))`` without overflow: ``e / (1 + e)`` with ``e = exp(-|x|)``
        for negative ``x``."""
        e = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def mask_positions(self, xp: Any, x: Any, found: Any, position: Any, value: Any) -> Any:
        """``x [B, S]`` with ``x[i, position[i, j]] = value`` wherever ``found[i, j]``
        (``found``, ``position``: ``[B, T]``), in ``x``'s memory where the backend can.

        Generic: a dense ``[B, T, S]`` comparison and a ``where``; the native versions
        scatter ``min(x, value)`` to the ``B T`` positions only."""
        from ..core.hits import dense_hits

        hits = dense_hits(xp, found, position, int(x.shape[1]))
        return xp.where(hits, xp.asarray(value, dtype=x.dtype, device=self.device(x)), x)

    def add_rows(self, xp: Any, target: Any, indices: Any, values: Any) -> Any:
        """:meth:`scatter_add`, in ``target``'s memory where the backend can update it."""
        return self.scatter_add(xp, target, indices, values)

    def scatter_add(self, xp: Any, target: Any, indices: Any, values: Any) -> Any:
        """A new array: ``target`` with ``values[k]`` added to row ``indices[k]`` for every
        ``k``, rows given more than once accumulating (``np.add.at`` on a copy).

        ``target`` is ``[N, ...]``, ``indices`` int ``[n]`` in ``[0, N)`` and ``values``
        ``[n, ...]``. The generic version needs no scatter: the values sorted by row, their
        running sum (in float64, or int64), and each row's segment of it found by
        ``searchsorted``; O((n + N) log n), static shapes."""
        if xp.isdtype(target.dtype, "real floating"):
            wide = self.float64(xp)
        elif xp.isdtype(target.dtype, "integral"):
            wide = self.int64(xp)
        else:
            wide = target.dtype
        order = xp.argsort(indices, stable=True)
        ordered = xp.take(indices, order)
        running = xp.cumulative_sum(xp.astype(xp.take(values, order, axis=0), wide), axis=0,
                                    include_initial=True)
        rows = xp.arange(int(target.shape[0]), dtype=ordered.dtype,
                         device=self.device(target))
        first = xp.searchsorted(ordered, rows, side="left")
        end = xp.searchsorted(ordered, rows, side="right")
        sums = xp.take(running, end, axis=0) - xp.take(running, first, axis=0)
        return xp.astype(xp.astype(target, wide) + sums, target.dtype)
