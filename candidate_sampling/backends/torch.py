"""PyTorch backend."""

from __future__ import annotations

import functools
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator

from ._base import Backend, Stream, first_block

__all__ = ["TorchBackend", "no_value_reads", "value_reads", "onednn_gemm", "tracing",
           "under_torch_func", "values_unreadable"]

_NO_READS: ContextVar[bool] = ContextVar("candidate_sampling_torch_no_reads", default=False)


@contextmanager
def no_value_reads() -> Iterator[None]:
    """Within this block the core reads no tensor values back to the host, as under
    ``torch.compile``: its value checks (ids in range, expected counts positive) are
    skipped, so nothing waits for the device. Shape and dtype checks still run; the
    caller checks the values itself (in one read), or not at all."""
    with _value_reads(False):
        yield


@contextmanager
def value_reads() -> Iterator[None]:
    """Within this block values are read as anywhere, inside :func:`no_value_reads`
    too: for code a caller hands in, such as a sampler that reads the labels (the exact
    TensorFlow streams do)."""
    with _value_reads(True):
        yield


def under_torch_func() -> bool:
    """Whether a ``torch.func`` transform runs the calling code (eagerly: under
    ``torch.compile`` this is False)."""
    import torch

    return not torch.compiler.is_compiling() and _transformed()


def tracing() -> bool:
    """Whether ``torch.compile`` traces the calling code or a ``torch.func`` transform
    (``grad``, ``vjp``, ``jacrev``, ``vmap``, ...) runs it. Either way the library leaves
    NumPy aside, changes no tensor in place, and lets the tracer differentiate the
    forward instead of the analytic backward."""
    import torch

    return torch.compiler.is_compiling() or _transformed()


def values_unreadable() -> bool:
    """Whether the calling code cannot read tensor values back: ``torch.compile`` traces
    it (a traced tensor has no value), or ``torch.func.vmap`` runs it (a tensor holds a
    batch of them). Under ``grad``, ``vjp`` and ``jvp`` alone values are read as eagerly,
    so the value checks still run."""
    import torch

    if torch.compiler.is_compiling():
        return True
    if not _transformed():
        return False
    try:
        from torch._C._functorch import TransformType
        from torch._functorch.pyfunctorch import retrieve_all_functorch_interpreters

        return any(i.key() == TransformType.Vmap for i in retrieve_all_functorch_interpreters())
    except (ImportError, AttributeError):  # torch's private modules moved: assume the worst
        return True


def _transformed() -> bool:
    """Whether functorch has a transform level open (any ``torch.func`` transform)."""
    level = _functorch_level()
    return level is not None and level() is not None


@functools.cache
def _functorch_level() -> Any:
    """torch's ``maybe_current_level`` (None where this torch has none)."""
    import torch

    return getattr(getattr(torch._C, "_functorch", None), "maybe_current_level", None)


@contextmanager
def _value_reads(allowed: bool) -> Iterator[None]:
    token = _NO_READS.set(not allowed)
    try:
        yield
    finally:
        _NO_READS.reset(token)


def _analytic_function():
    """A ``torch.autograd.Function`` running ``forward``/``backward`` of
    :meth:`TorchBackend.with_gradient` (made on first use, so that importing this module
    does not import torch)."""
    import torch

    class Analytic(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, forward: Any, backward: Any, static: tuple, *diff: Any) -> Any:
            out, residuals = forward(*diff, *static, need_grad=True)
            tensors, ctx.skeleton = _split_tensors(residuals)
            ctx.save_for_backward(*diff, *tensors)
            ctx.forward, ctx.backward, ctx.static = forward, backward, static
            ctx.num_diff = len(diff)
            return out

        @staticmethod
        def backward(ctx: Any, cotangent: Any):
            saved = ctx.saved_tensors
            diff, tensors = saved[:ctx.num_diff], saved[ctx.num_diff:]
            if torch.is_grad_enabled():  # backward(create_graph=True)
                grads = _recorded_gradients(ctx.forward, ctx.static, diff, cotangent)
            else:
                grads = ctx.backward(_fill_tensors(ctx.skeleton, tensors), cotangent)
            return (None, None, None, *grads)

    return Analytic


def _carries_tangent(tensors: tuple) -> bool:
    """Whether forward-mode AD (``torch.autograd.forward_ad``) has a tangent on one of
    ``tensors``: an ``autograd.Function`` with only a backward rule cannot carry it
    (torch raises that it has no ``jvp``). Outside a dual level, one look at torch's
    level counter."""
    from torch.autograd import forward_ad

    if getattr(forward_ad, "_current_level", 0) < 0:
        return False
    return any(forward_ad.unpack_dual(t).tangent is not None for t in tensors)


def _recorded_gradients(forward: Any, static: tuple, diff: tuple, cotangent: Any) -> list:
    """The gradients of ``sum(forward(*diff, *static) * cotangent)`` with respect to
    ``diff`` (None where one does not require grad) as autograd takes them through the
    forward's own operations, recorded: what a backward with ``create_graph=True`` needs
    to differentiate them again (the analytic backward's residuals are constants)."""
    import torch

    out = forward(*diff, *static, need_grad=False)[0]
    wanted = [t for t in diff if t.requires_grad]
    found = iter(torch.autograd.grad(out, wanted, cotangent, create_graph=True,
                                     allow_unused=True))
    return [next(found) if t.requires_grad else None for t in diff]


class _Slot(int):
    """The place of a tensor in :func:`_split_tensors`'s list."""


def _map_leaves(fn: Any, tree: Any) -> Any:
    """``tree``, a tree of tuples (named or not), with ``fn`` applied to every leaf."""
    if isinstance(tree, tuple):
        items = [_map_leaves(fn, item) for item in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else tuple(items)
    return fn(tree)


def _split_tensors(tree: Any) -> tuple[list, Any]:
    """``(tensors, skeleton)``: the tensors of a tree of tuples (named or not), in order,
    and the tree with each one replaced by its :class:`_Slot`. The analytic backward's
    residuals go through ``ctx.save_for_backward`` this way, so that autograd manages
    them as any other saved tensors: ``torch.utils.checkpoint`` drops them after the
    forward and recomputes them with the rest of the segment (the row ids included, which
    the gather saves), and an in-place change of one before the backward is an error."""
    import torch

    tensors: list = []

    def slot(leaf: Any) -> Any:
        if not isinstance(leaf, torch.Tensor):
            return leaf
        tensors.append(leaf)
        return _Slot(len(tensors) - 1)

    return tensors, _map_leaves(slot, tree)


def _fill_tensors(skeleton: Any, tensors: tuple) -> Any:
    """The tree of :func:`_split_tensors`, its slots filled from ``tensors``."""
    return _map_leaves(lambda leaf: tensors[leaf] if isinstance(leaf, _Slot) else leaf, skeleton)


@functools.cache
def _onednn_linear() -> Any:
    """``torch.ops.mkldnn._linear_pointwise`` (``x @ w.T + b`` on oneDNN), or None where
    this build of torch has no oneDNN."""
    import torch

    if not torch.backends.mkldnn.is_available():
        return None
    try:
        return torch.ops.mkldnn._linear_pointwise.default
    except (AttributeError, RuntimeError):
        return None


@functools.cache
def _onednn_preferred() -> bool:
    """Whether torch runs AVX-512 code on this CPU (``torch.backends.cpu.
    get_cpu_capability()``, which ``ATEN_CPU_CAPABILITY`` can lower): there oneDNN's
    float32 GEMM uses it, and MKL does not on CPUs not made by Intel."""
    import torch

    return torch.backends.cpu.get_cpu_capability().upper().startswith("AVX512")


def onednn_gemm(*tensors: Any) -> bool:
    """Whether a product of ``tensors`` (``None`` ignored) runs on oneDNN rather than on
    torch's own CPU GEMM (MKL on x86 builds).

    Both are exact float32 products. oneDNN is chosen where torch runs AVX-512 code: on
    such an AMD CPU its GEMM took half MKL's time at the step's shapes, since MKL takes
    its AVX2 code paths on CPUs not made by Intel. With AVX2 alone MKL was as fast or
    faster, and it writes ``g^T x`` in rows where oneDNN gives a transposed view (see
    :meth:`TorchBackend.stack_matmul_at`). oneDNN is used for dense, non-empty float32
    CPU tensors when nothing records a gradient through the product (the core's analytic
    backward runs with grad mode off), outside ``torch.compile`` (whose own CPU GEMMs
    apply there), and while ``torch.backends.mkldnn.enabled`` is on:
    ``torch.backends.mkldnn.flags(enabled=False)`` turns it off."""
    import torch

    present = [t for t in tensors if t is not None]
    if not all(t.device.type == "cpu" and t.dtype == torch.float32 and t.layout == torch.strided
               and t.numel() > 0 for t in present):
        return False
    if torch.is_grad_enabled() and any(t.requires_grad for t in present):
        return False
    return (torch.backends.mkldnn.enabled and not tracing()
            and _onednn_preferred() and _onednn_linear() is not None)


class TorchBackend(Backend):
    name = "torch"
    _analytic = None

    @staticmethod
    def namespace_of(x: Any) -> Any:
        """array-api-compat's torch namespace if ``x`` is a tensor (looked at only once
        torch is imported), else None."""
        torch = sys.modules.get("torch")
        if torch is None or not isinstance(x, torch.Tensor):
            return None
        import array_api_compat.torch

        return array_api_compat.torch

    def with_gradient(self, forward: Any, backward: Any, diff: tuple, static: tuple) -> Any:
        """A ``torch.autograd.Function`` when a ``diff`` tensor requires grad, except where
        the forward is traced (:func:`tracing`): ``torch.compile`` and ``torch.func``
        differentiate its operations themselves; and where a ``diff`` tensor is a dual
        tensor of ``torch.autograd.forward_ad`` (:func:`_carries_tangent`): forward and
        reverse mode then both go through the operations."""
        import torch

        tracked = torch.is_grad_enabled() and any(t.requires_grad for t in diff)
        if not tracked or tracing() or _carries_tangent(diff):
            return forward(*diff, *static, need_grad=False)[0]
        if TorchBackend._analytic is None:
            TorchBackend._analytic = _analytic_function()
        return TorchBackend._analytic.apply(forward, backward, static, *diff)

    def stop_gradient(self, x: Any) -> Any:
        return x.detach()

    def while_loop(self, cond: Any, body: Any, state: tuple, entered: bool = False) -> tuple:
        """The base loop, its condition read each step; under ``torch.func.vmap`` with
        ``randomness='different'`` each batch member draws its own sample and the loop
        cannot read one condition: a ``ValueError`` naming ``unique`` (torch's message
        spoke of data-dependent control flow)."""
        return super().while_loop(lambda s: _one_condition(cond(s)), body, state, entered)

    def is_concrete(self, x: Any) -> bool:
        if values_unreadable() or _NO_READS.get():  # first: Dynamo reads no ContextVar
            return False
        return x.device.type != "meta"

    def read(self, compute: Any) -> Any:
        if values_unreadable() or _NO_READS.get():  # first: Dynamo reads no ContextVar
            return None
        return compute()

    def host_int(self, x: Any) -> int | None:
        """Also a 0-d integer CPU tensor, untraced (:func:`tracing`): its value is in memory
        (a graph would specialise on it)."""
        import torch

        if isinstance(x, torch.Tensor) and x.ndim == 0 and self._host_ids(x) and not tracing():
            return int(x)
        return super().host_int(x)

    def on_host(self, fn: Any, xp: Any, *ids: Any) -> Any:
        """On the CPU, untraced (:func:`tracing`), ``fn`` over NumPy views of the tensors'
        memory, its results wrapped back without a copy: a NumPy operation on a few
        thousand ids costs about a microsecond, a torch one several (the accidental
        hits of a step: 20 operations). Elsewhere ``fn`` on the tensors."""
        if not all(self._host_ids(t) for t in ids) or tracing():
            return fn(xp, *ids)
        import array_api_compat.numpy
        import torch

        found = fn(array_api_compat.numpy, *(t.numpy() for t in ids))
        return _map_leaves(torch.from_numpy, found)

    def _host_ids(self, t: Any) -> bool:
        """Whether ``t`` is a CPU tensor of ids that NumPy reads as torch does."""
        import torch

        return (t.device.type == "cpu" and not t.dtype.is_floating_point
                and not t.dtype.is_complex and t.dtype != torch.bool
                and self.computes_ids_in(t.dtype))

    def argsort(self, xp: Any, values: Any) -> Any:
        """On the CPU, untraced (:func:`tracing`), the stable order of integer ids from
        NumPy's radix sort (:func:`~candidate_sampling.backends.numpy.stable_order`, on
        the tensor's memory): 4,096 sampled ids in 76 µs where ``torch.argsort`` takes
        220 µs. Elsewhere ``torch.argsort(stable=True)``."""
        import torch

        if values.ndim != 1 or not self._host_ids(values) or tracing():
            return torch.argsort(values, stable=True)
        from .numpy import stable_order

        return torch.from_numpy(stable_order(values.numpy()))

    def cumulative_sum(self, xp: Any, x: Any) -> Any:
        """``torch.cumsum`` (array-api-compat's ``cumulative_sum`` looks the namespace up
        again, which ``torch.compile`` traces with a warning)."""
        import torch

        return torch.cumsum(x, 0)

    def device(self, x: Any) -> Any:
        """``x.device`` (array-api-compat's ``device`` runs cached type tests, each traced
        with a warning under ``torch.compile``)."""
        return x.device

    def sizes_from_values(self, x: Any) -> bool:
        import torch

        # torch.compile breaks its graph there; torch.func.vmap has no batching rule
        return torch.compiler.is_compiling() or not values_unreadable()

    def layout_problem(self, x: Any) -> str | None:
        import torch

        if x.is_nested:
            return "a nested tensor (pad it: torch.nested.to_padded_tensor)"
        if x.layout != torch.strided:
            return f"layout {x.layout} (convert it with .to_dense())"
        return None

    def holds_values(self, x: Any) -> bool:
        return x.device.type != "meta"

    def same_device(self, x: Any, y: Any) -> bool:
        """``x.device == y.device`` (an operation on tensors of a real device and the
        ``meta`` device gives values, not an error)."""
        return x.device == y.device

    def computes_ids_in(self, dtype: Any) -> bool:
        """Not in ``uint16``, ``uint32``, ``uint64``: torch has them with few operations
        (no ``min``, ``max`` or ``sort`` on a CPU)."""
        import torch

        return dtype not in (torch.uint16, torch.uint32, torch.uint64)

    def device_memory(self, device: Any) -> int | None:
        """On a CUDA device, what the driver has free plus what torch's caching allocator
        holds unused (``torch.cuda.mem_get_info``, ``memory_reserved - memory_allocated``);
        None elsewhere (the CPU, and devices that share the system's memory)."""
        import torch

        device = torch.device(device)
        if device.type != "cuda":
            return None
        free, _ = torch.cuda.mem_get_info(device)
        return int(free + torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device))

    def casts_mixed_floats(self, x: Any) -> bool:
        """Inside ``torch.autocast`` for ``x``'s device type (never on a device that
        autocast does not know, such as ``meta``)."""
        import torch

        kind = x.device.type
        return torch.amp.is_autocast_available(kind) and torch.is_autocast_enabled(kind)

    def may_overwrite(self, x: Any) -> bool:
        """Not where autograd records ``x``, nor under ``torch.func`` (:func:`tracing`):
        a batched value cannot be written into a tensor of one."""
        import torch

        return not ((torch.is_grad_enabled() and x.requires_grad) or tracing())

    def linear(self, xp: Any, inputs: Any, weights: Any, bias: Any) -> Any:
        """oneDNN's float32 GEMM with the bias in its epilogue where :func:`onednn_gemm`
        allows, else ``torch.nn.functional.linear`` (the bias as the GEMM's initial value)."""
        import torch

        if onednn_gemm(inputs, weights, bias):
            return _onednn_linear()(inputs, weights, bias, "none", [], "")
        return torch.nn.functional.linear(inputs, weights, bias)

    def matmul(self, xp: Any, a: Any, b: Any) -> Any:
        """``a @ b``; a matrix-matrix product of float32 CPU tensors runs on oneDNN
        (:func:`onednn_gemm`). A column-major ``a`` (a transposed view) is computed as
        ``(b.T @ a.T).T``, whose operands oneDNN reads without a reorder: the result is
        then a transposed view."""
        import torch

        if a.ndim != 2 or b.ndim != 2 or min(a.shape[0], b.shape[1]) < 2 or not onednn_gemm(a, b):
            return torch.matmul(a, b)
        linear = _onednn_linear()
        if a.stride(0) == 1 and a.stride(1) >= a.shape[0]:
            return linear(b.T, a, None, "none", [], "").T
        return linear(a, b.T, None, "none", [], "")

    def matmul_at(self, xp: Any, a: Any, b: Any) -> Any:
        """``a^T @ b``: on oneDNN as :meth:`matmul` (a transposed view), else
        ``torch.mm(a.T, b)``, whose GEMM (MKL on x86 CPUs, cuBLAS on a GPU) reads the
        transposed ``a`` in place and writes rows."""
        import torch

        if a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype or onednn_gemm(a, b):
            return super().matmul_at(xp, a, b)
        return torch.mm(a.T, b)

    def stack_matmul_at(self, xp: Any, top: Any, a: Any, b: Any, row_scale: Any = None) -> Any:
        """The product written by ``torch.mm(out=)`` into the rows under ``top`` of one
        new tensor (and scaled there): no second ``[S, D]`` tensor and no copy. On a
        2-core AVX2 CPU at B=512, D=256, S=4096 this took 7.0 ms where oneDNN's
        transposed product and its copy into rows took 11.5 ms. The generic
        concatenation where the product runs on oneDNN (:func:`onednn_gemm`), where
        autograd records the operands (``out=`` is not differentiable), under
        ``torch.compile`` and where the dtypes or devices differ."""
        import torch

        plain = (a.ndim == 2 and b.ndim == 2 and top.ndim == 2
                 and a.dtype == b.dtype == top.dtype and a.device == b.device == top.device)
        untracked = all(self.may_overwrite(t) for t in (top, a, b, row_scale) if t is not None)
        if not plain or not untracked or onednn_gemm(a, b):
            return super().stack_matmul_at(xp, top, a, b, row_scale)
        out = torch.empty((top.shape[0] + a.shape[1], b.shape[1]), dtype=a.dtype,
                          device=a.device)
        out[:top.shape[0]] = top
        product = torch.mm(a.T, b, out=out[top.shape[0]:])
        if row_scale is not None:
            product.mul_(row_scale[:, None])
        return out

    def iexp(self, xp: Any, x: Any) -> Any:
        return x.exp_() if self.may_overwrite(x) else x.exp()

    def iexp2(self, xp: Any, x: Any) -> Any:
        return x.exp2_() if self.may_overwrite(x) else x.exp2()

    def softplus(self, xp: Any, x: Any) -> Any:
        """``torch.nn.functional.softplus``: ``x`` itself above a threshold where
        ``log1p(exp(-x))`` is below half the rounding of ``x``; torch's default of 20 holds
        for float32 and narrower, float64 takes 40 (at 21 the default is 7.6e-10 off)."""
        import torch

        threshold = 40.0 if x.dtype == torch.float64 else 20.0
        return torch.nn.functional.softplus(x, threshold=threshold)

    def sigmoid(self, xp: Any, x: Any) -> Any:
        return x.sigmoid()

    def mask_positions(self, xp: Any, x: Any, found: Any, position: Any, value: Any) -> Any:
        """``scatter_reduce(amin)`` over the ``B T`` positions (no host synchronisation)."""
        import torch

        src = torch.full(found.shape, float("inf"), dtype=x.dtype,
                         device=x.device).masked_fill(found, value)
        index = position.to(torch.int64)
        if self.may_overwrite(x):
            return x.scatter_reduce_(1, index, src, "amin")
        return x.scatter_reduce(1, index, src, "amin")

    def add_rows(self, xp: Any, target: Any, indices: Any, values: Any) -> Any:
        """``Tensor.index_add_`` where ``target`` may be overwritten."""
        import torch

        if not self.may_overwrite(target):
            return self.scatter_add(xp, target, indices, values)
        return target.index_add_(0, indices.to(torch.int64), values.to(target.dtype))

    def scatter_add(self, xp: Any, target: Any, indices: Any, values: Any) -> Any:
        """``Tensor.index_add`` (out of place, differentiable)."""
        import torch

        return target.index_add(0, indices.to(torch.int64), values.to(target.dtype))

    def unique_draws(self, xp: Any, law: Any, num_sampled: int, stream: Stream, device: Any):
        """On the CPU, NumPy's unique (zero-copy views) beats ``torch.unique`` by far; on a
        GPU the core's sort-based step runs on the device. The NumPy draw stays out of
        ``torch.compile``'s graphs (:meth:`outside_graph`)."""
        import torch

        if torch.device(device).type != "cpu" or under_torch_func():
            return None
        return self.outside_graph(_host_draws)(law, num_sampled, stream)

    def outside_graph(self, fn: Any) -> Any:
        """``fn`` behind ``torch.compiler.disable``. Inside ``torch.compile``, Dynamo
        compiles every frame it runs into, those run after a graph break included: it
        would trace NumPy code as torch operations (and fails on some, such as 32-bit
        unsigned shifts), and a compiled graph does not run again the Python side
        effects it traced, such as a seed sequence moving on. Disabled, ``fn`` runs as
        plain Python on every call, its arguments concrete tensors."""
        return _outside_graph(fn)

    def random_stream(self, xp: Any, seed: int | None, rng: Any, device: Any) -> Stream:
        return TorchStream(seed, rng, device)


def _one_condition(condition: Any) -> Any:
    """``condition``, unless ``torch.func.vmap`` batches it (see
    :meth:`TorchBackend.while_loop`)."""
    import torch

    batched = getattr(getattr(torch._C, "_functorch", None), "is_batchedtensor", None)
    if batched is not None and isinstance(condition, torch.Tensor) and batched(condition):
        raise ValueError(
            "unique: a unique draw reads when it holds enough distinct classes, which "
            "torch.func.vmap cannot do where each batch member draws its own sample "
            "(randomness='different'); use randomness='same', unique=False, or pass "
            "sampled_values drawn outside vmap")
    return condition


def _host_draws(law: Any, num_sampled: int, stream: Stream) -> tuple:
    """``(candidates, tries)`` of :meth:`TorchBackend.unique_draws` on the CPU, by NumPy's
    :func:`~candidate_sampling.backends.numpy.first_distinct` over the stream's blocks;
    ``tries`` as a tensor, so that a compiled caller does not specialise on its value
    (an eager one reads it back for nothing, :meth:`TorchBackend.host_int`)."""
    import torch

    from .numpy import first_distinct

    values, tries = first_distinct(
        lambda i, n: law.draw(stream, i, n).numpy(), num_sampled,
        first_block(num_sampled), possible=lambda: law.can_give(num_sampled))
    return torch.from_numpy(values), torch.tensor(tries, dtype=torch.int64)


_DISABLED: dict = {}
"""``fn`` -> ``fn`` behind ``torch.compiler.disable``: one wrapper per function, so that
a compiled caller meets the same object on every call (a plain dict, which Dynamo reads
without the warning it gives for ``functools`` caches)."""


def _outside_graph(fn: Any) -> Any:
    """``fn`` behind ``torch.compiler.disable`` (see :meth:`TorchBackend.outside_graph`);
    ``fn`` itself until ``torch._dynamo`` is imported: ``torch.compile`` imports it
    before it traces, so nothing compiles before, and importing it (seconds) is left to
    what needs it (an optimizer's first step does)."""
    import torch

    if not torch.compiler.is_compiling() and "torch._dynamo" not in sys.modules:
        return fn
    if fn not in _DISABLED:
        _DISABLED[fn] = torch.compiler.disable(fn)
    return _DISABLED[fn]


class TorchStream(Stream):
    """Draws from a ``torch.Generator`` on the tensor's device (the global generator when
    neither ``seed`` nor ``rng`` is given, so ``torch.manual_seed`` applies)."""

    def __init__(self, seed: int | None, rng: Any, device: Any):
        import torch

        if rng is not None and not isinstance(rng, torch.Generator):
            raise TypeError(f"rng: expected a torch.Generator for torch tensors, got {type(rng).__name__}")
        if rng is None and seed is not None:
            rng = torch.Generator(device=device)
            rng.manual_seed(seed)
        self.gen, self.device = rng, device

    def uniform(self, index: Any, n: int) -> Any:
        import torch

        return torch.rand(n, generator=self.gen, dtype=torch.float64, device=self.device)
