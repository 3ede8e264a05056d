"""PyTorch backend."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator

from ._base import Backend, Stream

__all__ = ["TorchBackend", "no_value_reads"]

_NO_READS: ContextVar[bool] = ContextVar("candidate_sampling_torch_no_reads", default=False)


@contextmanager
def no_value_reads() -> Iterator[None]:
    """Within this block the core reads no tensor values back to the host, as under
    ``torch.compile``: its value checks (ids in range, expected counts positive) are
    skipped, so nothing waits for the device. Shape and dtype checks still run; the
    caller checks the values itself (in one read), or not at all."""
    token = _NO_READS.set(True)
    try:
        yield
    finally:
        _NO_READS.reset(token)


def _analytic_function():
    """A ``torch.autograd.Function`` running ``forward``/``backward`` of
    :meth:`TorchBackend.with_gradient` (made on first use, so that importing this module
    does not import torch)."""
    import torch
    from torch.autograd.function import once_differentiable

    class Analytic(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, forward: Any, backward: Any, static: tuple, *diff: Any) -> Any:
            out, residuals = forward(*diff, *static, need_grad=True)
            ctx.backward, ctx.residuals = backward, residuals
            return out

        @staticmethod
        @once_differentiable
        def backward(ctx: Any, cotangent: Any):
            return (None, None, None, *ctx.backward(ctx.residuals, cotangent))

    return Analytic


class TorchBackend(Backend):
    name = "torch"
    _analytic = None

    def with_gradient(self, forward: Any, backward: Any, diff: tuple, static: tuple) -> Any:
        """A ``torch.autograd.Function`` when a ``diff`` tensor requires grad (outside
        ``torch.compile``, which differentiates the traced forward itself)."""
        import torch

        tracked = torch.is_grad_enabled() and any(t.requires_grad for t in diff)
        if not tracked or torch.compiler.is_compiling():
            return forward(*diff, *static, need_grad=False)[0]
        if TorchBackend._analytic is None:
            TorchBackend._analytic = _analytic_function()
        return TorchBackend._analytic.apply(forward, backward, static, *diff)

    def stop_gradient(self, x: Any) -> Any:
        return x.detach()

    def is_concrete(self, x: Any) -> bool:
        import torch

        if torch.compiler.is_compiling() or _NO_READS.get():
            return False
        return x.device.type != "meta"

    def read(self, compute: Any) -> Any:
        import torch

        if torch.compiler.is_compiling() or _NO_READS.get():
            return None
        return compute()

    def may_overwrite(self, x: Any) -> bool:
        import torch

        return not (torch.is_grad_enabled() and x.requires_grad)

    def linear(self, xp: Any, inputs: Any, weights: Any, bias: Any) -> Any:
        """``torch.nn.functional.linear``: the bias is the GEMM's initial value (addmm)."""
        import torch

        return torch.nn.functional.linear(inputs, weights, bias)

    def iexp(self, xp: Any, x: Any) -> Any:
        return x.exp_() if self.may_overwrite(x) else x.exp()

    def softplus(self, xp: Any, x: Any) -> Any:
        """``torch.nn.functional.softplus`` (``x`` itself above 20, where ``log1p(exp(-x))``
        is below the float32 rounding of ``x``)."""
        import torch

        return torch.nn.functional.softplus(x)

    def sigmoid(self, xp: Any, x: Any) -> Any:
        return x.sigmoid()

    def mask_positions(self, xp: Any, x: Any, found: Any, position: Any, value: Any) -> Any:
        """``scatter_reduce(amin)`` over the ``B T`` positions (no host synchronisation)."""
        import torch

        src = torch.where(found, torch.tensor(value, dtype=x.dtype, device=x.device),
                          torch.tensor(float("inf"), dtype=x.dtype, device=x.device))
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
        GPU the core's sort-based step runs on the device."""
        import torch

        if torch.device(device).type != "cpu":
            return None
        from .numpy import first_distinct

        values, tries = first_distinct(lambda i, n: law.sample(stream.uniform(i, n)).numpy(),
                                       num_sampled, max(2 * num_sampled, 64))
        return torch.from_numpy(values), tries

    def random_stream(self, xp: Any, seed: int | None, rng: Any, device: Any) -> Stream:
        return TorchStream(seed, rng, device)


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
