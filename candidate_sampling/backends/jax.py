"""JAX backend."""

from __future__ import annotations

import functools
from typing import Any

from . import _base
from ._base import Backend, Stream

__all__ = ["JaxBackend", "TABLE_LIMIT", "TABLE_PER_SAMPLE", "seed_key", "staged"]

TABLE_LIMIT = 2**23
"""Largest range for the first-position table of the unique sampler (32 MiB of int32);
the table also stays within ``TABLE_PER_SAMPLE`` entries per sampled class."""

TABLE_PER_SAMPLE = 512
"""Entries of the first-position table per sampled class, at most: beyond, finding the
first positions among the classes kept (a sort of three times ``num_sampled`` ids a
block) costs less than filling the table. On a 2-core CPU a jitted unique draw of 4,096
classes took about 1.2 to 2 ms that way at any range from 10**6 to 2**31 - 1, and with
the table 0.6 ms at 2*10**5 classes, 1.0 at 10**6, 1.6 to 2 at 4*10**6 (1.3 sorted),
2.8 at 8*10**6 and 29 at 1.6*10**7."""


def staged() -> bool:
    """Whether JAX stages the calling code into a jaxpr (``jax.jit``, ``lax.scan``,
    ``jax.checkpoint``, ...; under ``grad`` or ``vmap`` alone it runs on every call).
    From JAX's private trace context; where that has moved, False."""
    try:
        from jax._src import core

        trace = core.trace_ctx.trace
    except (ImportError, AttributeError):
        return False
    while trace is not None:
        if type(trace).__name__ == "DynamicJaxprTrace":
            return True
        trace = getattr(trace, "parent_trace", None)
    return False


class JaxBackend(Backend):
    name = "jax"

    def stop_gradient(self, x: Any) -> Any:
        import jax

        return jax.lax.stop_gradient(x)

    def int64(self, xp: Any) -> Any:
        import jax

        return xp.int64 if jax.config.jax_enable_x64 else xp.int32

    def is_concrete(self, x: Any) -> bool:
        import jax

        return not isinstance(x, jax.core.Tracer)

    def sizes_from_values(self, x: Any) -> bool:
        return self.is_concrete(x)

    def unread_ids(self, xp: Any, ids: Any, size: int) -> Any:
        if self.is_concrete(ids):
            return ids
        return xp.where(ids < 0, xp.asarray(size, dtype=ids.dtype), ids)

    def stages(self) -> bool:
        return staged()

    def host_int(self, x: Any) -> int | None:
        """Also a concrete 0-d integer array on the CPU (outside ``jax.jit``): reading it
        waits for no device, and an eager caller then makes a few operations where it
        made a dozen (the expected counts of an eager unique draw: 0.14 ms where they took
        0.73). Not on a GPU, where the read would wait for the device."""
        import jax
        import jax.numpy as jnp

        if (isinstance(x, jax.Array) and self.is_concrete(x) and x.ndim == 0
                and jnp.issubdtype(x.dtype, jnp.integer)
                and all(d.platform == "cpu" for d in x.devices())):
            return int(x)
        return super().host_int(x)

    def read(self, compute: Any) -> Any:
        import jax

        try:
            return compute()
        except (jax.errors.ConcretizationTypeError, jax.errors.TracerBoolConversionError,
                jax.errors.TracerIntegerConversionError, jax.errors.TracerArrayConversionError):
            return None

    def device_memory(self, device: Any) -> int | None:
        """``bytes_limit - bytes_in_use`` of the device's ``memory_stats()`` (a GPU's
        allocator); None on the CPU, or where the device gives no statistics."""
        if getattr(device, "platform", "cpu") == "cpu":
            return None
        stats = device.memory_stats() or {}
        if "bytes_limit" not in stats:
            return None
        return int(stats["bytes_limit"] - stats.get("bytes_in_use", 0))

    def float64(self, xp: Any) -> Any:
        import jax

        return xp.float64 if jax.config.jax_enable_x64 else xp.float32

    def random_stream(self, xp: Any, seed: int | None, rng: Any, device: Any) -> Stream:
        return JaxStream(seed, rng, self.float64(xp), device)

    def unique_draws(self, xp: Any, law: Any, num_sampled: int, stream: Stream, device: Any):
        """A table of each class's first position in the stream, updated by scatter-min:
        no sort (XLA's CPU sort is slow), static shapes, runs under ``jax.jit``. The table
        has ``range_max`` entries, so it is used up to ``TABLE_LIMIT`` classes and
        ``TABLE_PER_SAMPLE`` per sampled class; beyond, each block of attempts finds its
        first positions among the classes kept so far (:func:`_first_seen`), at a cost
        that does not grow with ``range_max``. Both give the same classes. Called
        eagerly, the draw runs as one compiled function per law description
        (``law.split()``; a unigram law's weights are arguments), kept across calls: eager
        calls do not compile again. It takes the law's attempts (``law.attempt``): one
        that does not stand is not a draw."""
        compact = law.range_max > min(TABLE_LIMIT, TABLE_PER_SAMPLE * num_sampled)
        ints = self.int64(xp)
        description, arrays = law.split()
        arrays = _committed(arrays)
        block = _base.first_block(num_sampled)
        last_block = _base.MAX_TRIES // block
        found, tries, complete = _compiled_table_draws()(stream.key, arrays, description,
                                                         num_sampled, stream.dtype, ints,
                                                         last_block, compact)
        return found, self.finish_draws(xp, complete, tries, num_sampled, last_block * block,
                                        lambda: law.can_give(num_sampled))

    def lookup_apart(self, ids: Any) -> bool:
        """Yes under a trace: XLA copies a slice of one gather out (the ``[S, D]``
        sampled rows, 4 MiB in a step), while the slices of a concatenation that match
        its parts are those parts, and the concatenation itself is never made."""
        return not self.is_concrete(ids)

    def argsort(self, xp: Any, values: Any) -> Any:
        """Stable argsort of ``n`` integers by two single-array sorts, which XLA's CPU
        backend runs several times faster than the sort of (value, position) pairs an
        argsort is (0.25 ms against 0.7 ms for 4096 ids): sort the values, take each one's
        rank (its first place among them, by binary search), then sort ``rank * n +
        position``, which fits int32 while ``n * n < 2^31``."""
        import jax.numpy as jnp

        n = int(values.shape[0])
        if values.ndim != 1 or n * n >= 2**31 or not jnp.issubdtype(values.dtype, jnp.integer):
            return jnp.argsort(values, stable=True)
        rank = jnp.searchsorted(jnp.sort(values), values, side="left").astype(jnp.int32)
        keys = rank * n + jnp.arange(n, dtype=jnp.int32)
        return (jnp.sort(keys) % n).astype(self.int64(xp))

    def matmul_at(self, xp: Any, a: Any, b: Any) -> Any:
        """``a^T @ b`` computed as ``(b^T @ a)^T``, the small ``b^T`` copied first and the
        product kept apart from its transpose (``lax.optimization_barrier``). XLA folds a
        transposed operand into the contraction, and its CPU backend runs a contraction
        over the leading dimension of ``[B, S]`` as a generic dot: 5 ms for a step's
        ``g^T x``, against about 3 ms for the plain product and its transposed copy."""
        import jax

        barrier = jax.lax.optimization_barrier
        return barrier(barrier(b.T) @ a).T

    def while_loop(self, cond: Any, body: Any, state: tuple, entered: bool = False) -> tuple:
        """``jax.lax.while_loop`` (its condition is evaluated on the device; ``entered``
        changes nothing)."""
        import jax

        return jax.lax.while_loop(cond, body, state)

    def with_gradient(self, forward: Any, backward: Any, diff: tuple, static: tuple) -> Any:
        """A ``jax.custom_vjp`` (so ``jax.grad``, ``jax.jit`` and ``jax.vmap`` apply);
        ``static`` gets zero cotangents."""
        import jax

        @jax.custom_vjp
        def function(diff: tuple, static: tuple) -> Any:
            return forward(*diff, *static, need_grad=False)[0]

        def function_fwd(diff: tuple, static: tuple) -> tuple:
            out, residuals = forward(*diff, *static, need_grad=True)
            return out, (residuals, static)

        def function_bwd(saved: tuple, cotangent: Any) -> tuple:
            residuals, static = saved
            return tuple(backward(residuals, cotangent)), jax.tree_util.tree_map(_zero_cotangent, static)

        function.defvjp(function_fwd, function_bwd)
        return function(tuple(diff), tuple(static))

    def softplus(self, xp: Any, x: Any) -> Any:
        """``max(x, 0) + log1p(exp(-|x|))``, the 0 a scalar: XLA's CPU code for it takes
        about half the time of ``jax.nn.softplus`` (``logaddexp(x, 0)``) over the
        ``[B, S]`` logits, a jitted NCE step 0.92-0.93 of its time with it."""
        import jax.numpy as jnp

        return jnp.maximum(x, 0) + jnp.log1p(jnp.exp(-jnp.abs(x)))

    def sigmoid(self, xp: Any, x: Any) -> Any:
        """``jax.nn.sigmoid`` (``lax.logistic``)."""
        import jax

        return jax.nn.sigmoid(x)

    def iexp2(self, xp: Any, x: Any) -> Any:
        import jax.numpy as jnp

        return jnp.exp2(x)

    def mask_positions(self, xp: Any, x: Any, found: Any, position: Any, value: Any) -> Any:
        """Traced, the generic dense comparison and ``where``: elementwise, so XLA fuses
        it and the bias add before it into one pass over the logits, where a scatter
        needs the biased logits written out first (a jitted sampled softmax step at
        B = 512, S = 4096 takes 0.97-0.98 of its time with the scatter, paired, with the
        same loss). Eagerly, a scatter-min of ``value`` to the ``B T`` positions
        (``x.at[...].min``), which touches only those."""
        import jax.numpy as jnp

        from .numpy import masked_minimum

        if not self.is_concrete(x):
            return super().mask_positions(xp, x, found, position, value)
        rows, position, src = masked_minimum(jnp, found, position, value, x.dtype)
        return x.at[rows, position].min(src)

    def scatter_add(self, xp: Any, target: Any, indices: Any, values: Any) -> Any:
        """``target.at[indices].add(values)`` (traceable, differentiable)."""
        return target.at[indices].add(values.astype(target.dtype))


def _table_draws(key: Any, arrays: tuple, description: tuple, num_sampled: int, dtype: Any,
                 ints: Any, last_block: int, compact: bool) -> tuple:
    """``(candidates, tries, complete)``: :meth:`JaxBackend.unique_draws` on a PRNG
    ``key``, for the law ``join(description, arrays)``, making at most ``last_block``
    blocks of attempts; ``tries`` counts those that stand up to the last class kept;
    ``complete`` is False where they did not give ``num_sampled`` classes. The first
    positions are kept in a table of ``range_max`` entries, or with ``compact`` found
    again in each block among the classes kept so far (:func:`_first_seen`)."""
    import jax
    import jax.numpy as jnp

    law = description[0].join(description, arrays)
    stream = JaxStream(None, key, dtype)
    block = _base.first_block(num_sampled)
    never = jnp.iinfo(ints).max
    offsets = jnp.arange(block, dtype=ints)

    possible = jnp.asarray(law.can_give(num_sampled))

    def cond(state):
        return (state[2] < num_sampled) & (state[4] < last_block) & possible

    def body(state):
        first, found, count, tries, index, draws = state
        drawn, stands = law.attempt(stream, index, block)
        drawn = drawn.astype(ints)
        position = index * block + offsets
        if stands is None:  # every attempt a draw
            number = position + 1
        else:  # an attempt that does not stand marks nothing and is not counted
            number = draws + jnp.cumsum(stands.astype(ints))
        if compact:
            new = _first_seen(found, count, drawn, stands)
        elif stands is None:
            first = first.at[drawn].min(position)
            new = first[drawn] == position
        else:
            first = first.at[jnp.where(stands, drawn, law.range_max)].min(position, mode="drop")
            new = stands & (first[jnp.where(stands, drawn, 0)] == position)
        rank = count + jnp.cumsum(new.astype(ints))
        keep = new & (rank <= num_sampled)
        found = found.at[jnp.where(keep, rank - 1, num_sampled)].set(drawn, mode="drop")
        complete = rank[-1] >= num_sampled
        tries = jnp.where(complete, jnp.max(jnp.where(keep, number, 0)), tries)
        return first, found, jnp.minimum(rank[-1], num_sampled), tries, index + 1, number[-1]

    zero = jnp.zeros((), ints)
    start = (jnp.full((0 if compact else law.range_max,), never, ints),
             jnp.zeros((num_sampled,), ints), zero, zero, zero, zero)
    _, found, count, tries, _, _ = jax.lax.while_loop(cond, body, start)
    return found, tries, count >= num_sampled


def _first_seen(found: Any, count: Any, drawn: Any, stands: Any) -> Any:
    """Whether each of a block's attempts ``drawn`` (those that stand, where ``stands`` is
    not None) is its class's first: not one of the ``count`` classes ``found`` so far,
    nor drawn earlier in the block. Over the ``m`` classes kept and drawn, in stream
    order: each one's group is the place of its first equal in their sorted order, and
    a scatter-min over a table of ``m`` groups finds each group's first position. It
    costs a sort of ``m`` ids where a table of every class costs ``range_max`` entries;
    -1, no class, stands for the places not yet found and the attempts that do not
    stand."""
    import jax.numpy as jnp

    kept = jnp.where(jnp.arange(found.shape[0]) < count, found, -1)
    ids = jnp.concatenate([kept, drawn if stands is None else jnp.where(stands, drawn, -1)])
    group = jnp.searchsorted(jnp.sort(ids), ids, side="left")
    order = jnp.arange(ids.shape[0], dtype=group.dtype)
    first = jnp.full(ids.shape, ids.shape[0], group.dtype).at[group].min(order)
    new = first[group[found.shape[0]:]] == order[found.shape[0]:]
    return new if stands is None else new & stands


def _committed(arrays: tuple) -> tuple:
    """``arrays`` with each concrete one committed to its device, as a compiled
    function's outputs are: a law's weights made fresh (uncommitted) and those of a
    learned unigram step's counts (committed) would otherwise compile the draw twice."""
    import jax

    return tuple(a if isinstance(a, jax.core.Tracer) or getattr(a, "committed", True)
                 else jax.device_put(a, next(iter(a.devices()))) for a in arrays)


@functools.lru_cache(maxsize=1)
def _compiled_table_draws() -> Any:
    """:func:`_table_draws` under ``jax.jit``, the law's description and the sizes
    static (one compile per description, size and dtype; inside a trace, inlined)."""
    import jax

    return jax.jit(_table_draws, static_argnums=(2, 3, 4, 5, 6, 7))


def _zero_cotangent(x: Any) -> Any:
    """The zero cotangent of a primal ``x`` (``float0`` for integer arrays)."""
    import jax
    import numpy as np

    if jax.numpy.issubdtype(x.dtype, jax.numpy.inexact):
        return jax.numpy.zeros_like(x)
    return np.zeros(x.shape, dtype=jax.dtypes.float0)


def seed_key(seed: int) -> Any:
    """The JAX key of a 64-bit ``seed`` in ``[0, 2**64)``, the same whether or not
    ``jax_enable_x64`` is on (``jax.random.key`` keeps only 32 bits of a seed without it,
    and refuses one of 2**63 or more with it): ``jax.random.key(seed)`` for a seed below
    ``2**32``, else the key of its low 32 bits folded in with its high 32 bits."""
    import jax

    high, low = divmod(seed, 2**32)
    key = jax.random.key(low)
    return key if high == 0 else jax.random.fold_in(key, high)


def _one_key(rng: Any) -> bool:
    """Whether ``rng`` is one JAX key: a typed key of shape ``()``, or a legacy
    ``PRNGKey`` of the configured implementation (uint32, shape ``[2]`` for threefry,
    ``[4]`` for the ``rbg`` ones)."""
    import jax
    import numpy as np

    dtype, shape = getattr(rng, "dtype", None), tuple(getattr(rng, "shape", (None,)))
    if dtype is None:
        return False
    if jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
        return shape == ()
    return shape == _raw_key_shape() and np.dtype(dtype) == np.uint32


def _raw_key_shape() -> tuple:
    """The shape of a legacy ``jax.random.PRNGKey`` under the configured default
    implementation."""
    import jax

    return _raw_key_shape_of(str(jax.config.jax_default_prng_impl))


@functools.cache
def _raw_key_shape_of(implementation: str) -> tuple:
    """:func:`_raw_key_shape` while ``implementation`` is the default one (traced only:
    no array is made)."""
    import jax

    return tuple(jax.eval_shape(lambda: jax.random.PRNGKey(0)).shape)


def check_key(rng: Any, name: str = "rng") -> None:
    """``rng`` is one JAX key (:func:`_one_key`), else a TypeError naming ``name``."""
    if _one_key(rng):
        return
    described = type(rng).__name__
    if hasattr(rng, "dtype"):
        described += f" of dtype {rng.dtype} and shape {list(getattr(rng, 'shape', ()))}"
    raise TypeError(f"{name}: expected one JAX PRNG key (jax.random.key(s), or a "
                    f"jax.random.PRNGKey(s), uint32 of shape {list(_raw_key_shape())}), "
                    f"got {described}")


class JaxStream(Stream):
    """Blocks of draws from a JAX PRNG key: block ``index`` uses ``fold_in(key, index)``,
    so a traced loop index works under ``jax.jit``. Eagerly, the key is moved to
    ``device``, the labels' (a key made from a seed, or given on another device, would
    draw there: on the default device, beside labels committed to another)."""

    def __init__(self, seed: int | None, rng: Any, dtype: Any, device: Any = None):
        import secrets

        import jax

        if rng is None:
            rng = seed_key(secrets.randbits(64) if seed is None else seed)
        else:
            check_key(rng)
        if (isinstance(device, jax.Device) and not isinstance(rng, jax.core.Tracer)
                and rng.devices() != {device}):
            rng = jax.device_put(rng, device)
        self.key, self.dtype = rng, dtype

    def uniform(self, index: Any, n: int) -> Any:
        """Block ``index`` of ``n`` uniform draws: those of ``fold_in(key, index)``."""
        import jax

        return jax.random.uniform(jax.random.fold_in(self.key, index), (n,), dtype=self.dtype)

    def words(self, index: Any, n: int) -> Any:
        """Block ``index`` of ``n`` uint32 words: from a threefry key, the hashes of the
        counters ``0 .. n - 1`` under ``fold_in(key, index)``, two words a hash
        (``threefry_2x32``; ``jax.random.bits`` hashes once a word); from another key,
        ``jax.random.bits``."""
        import jax
        import jax.numpy as jnp

        block_key = jax.random.fold_in(self.key, index)
        if jax.random.key_impl(self.key) != "threefry2x32":
            return jax.random.bits(block_key, (n,), jnp.uint32)
        from jax.extend.random import threefry_2x32

        return threefry_2x32(jax.random.key_data(block_key), jnp.arange(n, dtype=jnp.uint32))
