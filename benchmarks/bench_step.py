"""Runners of a training step of sampled softmax and NCE (sampler, forward, backward with
the input gradient, update of the touched rows) on each backend, with the bare floor of
the same shapes (the three matrix products a step cannot avoid: ``x w^T`` forward, then
``g w`` and ``g^T x`` backward), and the NumPy/CuPy forward against its one matmul.

Every function returns ``{name: runner}`` for :func:`~.harness.interleave`; the names are
those of :data:`STEP`, :data:`STEP_FLOOR`, :data:`PLAIN_FLOOR`, :data:`FORWARD` and
:data:`FORWARD_FLOOR`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

import candidate_sampling as cs
from candidate_sampling.devices import torch_device

from .harness import Runner, timed_runner

__all__ = ["StepShape", "LOSSES", "STEP", "STEP_FLOOR", "PLAIN_FLOOR", "FORWARD",
           "FORWARD_FLOOR", "LEARNING_RATE", "torch_products", "jax_products", "initial_weights",
           "torch_sync", "torch_runners", "jax_runners", "numpy_runners", "cupy_runners"]

LOSSES = ("sampled_softmax", "nce")
"""The sampled losses measured: ``sampled_softmax_loss`` and ``nce_loss``."""

STEP = "{loss} step"
STEP_FLOOR = "step floor"
PLAIN_FLOOR = "step floor (@)"
"""PyTorch and JAX: the three products written with ``@`` (torch's own CPU GEMM, MKL on
x86; XLA's plain contractions, ``g^T x`` included), for reference; :data:`STEP_FLOOR` is
the products as the library computes them."""
FORWARD = "forward"
FORWARD_FLOOR = "forward floor"
LEARNING_RATE = 0.1


@dataclass(frozen=True)
class StepShape:
    """``batch`` rows of ``dim`` inputs, ``num_sampled`` of ``num_classes`` classes."""

    batch: int = 512
    dim: int = 256
    num_sampled: int = 4096
    num_classes: int = 200_000


def initial_weights(num_classes: int, dim: int, seed: int = 0, block: int = 4096) -> np.ndarray:
    """``[num_classes, dim]`` float32 weights, normal with standard deviation 0.05: one
    random block of ``block`` rows repeated (drawing 10^9 normal numbers would take longer
    than the benchmark; the timings do not depend on the values)."""
    rng = np.random.default_rng(seed)
    tile = rng.standard_normal((min(block, num_classes), dim), dtype=np.float32) * 0.05
    out = np.empty((num_classes, dim), np.float32)
    for start in range(0, num_classes, tile.shape[0]):
        out[start:start + tile.shape[0]] = tile[:num_classes - start]
    return out


def torch_sync(device: Any) -> Callable[[Any], Any] | None:
    """Waits for the GPU inside a timed call (``None`` on the CPU)."""
    import torch

    return (lambda _: torch.cuda.synchronize(device)) if device.type == "cuda" else None


def torch_runners(shape: StepShape, number: int, budget_s: float | None = None) -> dict[str, Runner]:
    """``layers.torch`` modules with ``sparse=True`` (their own sampler) and an SGD update
    of the touched rows; both losses share one set of weights."""
    import torch

    from candidate_sampling.layers.torch import NCELoss, SampledSoftmaxLoss

    b, d, s, v = shape.batch, shape.dim, shape.num_sampled, shape.num_classes
    device = torch_device()
    sync = torch_sync(device)
    torch.manual_seed(0)
    weight = torch.nn.Parameter(torch.from_numpy(initial_weights(v, d)).to(device))
    bias = torch.nn.Parameter(torch.zeros(v, device=device))
    x = torch.randn(b, d, device=device, requires_grad=True)
    y = torch.randint(0, v, (b, 1), device=device)
    runners = {}
    for loss, cls in zip(LOSSES, (SampledSoftmaxLoss, NCELoss)):
        # built on the meta device: no [V, D] initialisation (slow on a CPU), then shared
        module = cls(v, d, s, sparse=True, validate=False, device="meta")
        module.weight, module.bias = weight, bias
        optimizer = torch.optim.SGD(module.parameters(), lr=LEARNING_RATE)

        def step(module=module, optimizer=optimizer):
            optimizer.zero_grad(set_to_none=True)
            x.grad = None
            module(x, y).backward()
            optimizer.step()
            return x.grad

        runners[STEP.format(loss=loss)] = timed_runner(step, number, sync=sync, budget_s=budget_s)
    w, g, xd = torch.randn(s, d, device=device), torch.randn(b, s, device=device), x.detach()
    runners[STEP_FLOOR] = timed_runner(lambda: torch_products(xd, w, g), number, sync=sync,
                                       budget_s=budget_s)
    runners[PLAIN_FLOOR] = timed_runner(lambda: (xd @ w.T, g @ w, g.T @ xd), number, sync=sync,
                                        budget_s=budget_s)
    return runners


def torch_products(x: Any, w: Any, g: Any) -> tuple:
    """The three products of a step (``x w^T``, ``g w``, ``g^T x``) by the route the
    library takes (:class:`~candidate_sampling.backends.torch.TorchBackend`: oneDNN for
    float32 on a CPU with AVX-512, where it is faster than torch's ``@``; ``g^T x`` in
    rows by ``torch.mm`` elsewhere)."""
    from array_api_compat import array_namespace

    from candidate_sampling.backends.torch import TorchBackend

    backend, xp = TorchBackend(), array_namespace(x)
    return (backend.linear(xp, x, w, None), backend.matmul(xp, g, w),
            backend.matmul_at(xp, g, x))


def jax_runners(shape: StepShape, number: int, budget_s: float | None = None) -> dict[str, Runner]:
    """The body of :func:`candidate_sampling.layers.jax.make_train_step` (sampler,
    ``row_gradients``, ``apply_row_updates``, weights donated), jitted, returning the input
    gradient too: a step that dropped it would let XLA skip one of the three products."""
    import jax
    import jax.numpy as jnp

    from candidate_sampling.layers.jax import apply_row_updates, row_gradients

    b, d, s, v = shape.batch, shape.dim, shape.num_sampled, shape.num_classes
    keys = jax.random.split(jax.random.key(0), 4)
    x = jax.random.normal(keys[1], (b, d))
    y = jax.random.randint(keys[2], (b, 1), 0, v)
    state = {"params": (jnp.asarray(initial_weights(v, d)), jnp.zeros(v), keys[3])}
    ready = jax.block_until_ready
    runners = {}
    for loss in LOSSES:
        def step(weights, biases, key, loss=loss):
            key, sub = jax.random.split(key)
            values = cs.log_uniform_candidate_sampler(y, 1, s, True, v, rng=sub)
            value, grads = row_gradients(weights, biases, x, y, values, loss=loss)
            weights, biases = apply_row_updates(weights, biases, grads.ids, grads.weights,
                                                grads.biases, LEARNING_RATE)
            return (weights, biases, key), value, grads.inputs

        jitted = jax.jit(step, donate_argnums=(0, 1))

        def run(jitted=jitted):
            state["params"], value, d_inputs = jitted(*state["params"])
            return d_inputs

        runners[STEP.format(loss=loss)] = timed_runner(run, number, sync=ready, budget_s=budget_s)
    w, g = jax.random.normal(keys[0], (s, d)), jax.random.normal(keys[1], (b, s))
    floor, plain = jax_products()
    for name, products in ((STEP_FLOOR, floor), (PLAIN_FLOOR, plain)):
        runners[name] = timed_runner(lambda products=products: products(x, w, g), number,
                                     sync=ready, budget_s=budget_s)
    return runners


def jax_products() -> tuple[Callable, Callable]:
    """Two jitted functions of ``(x, w, g)`` giving the three products of a step
    (``x w^T``, ``g w``, ``g^T x``): as the library computes them (``g^T x`` as
    :meth:`~candidate_sampling.backends.jax.JaxBackend.matmul_at` does), and written
    with ``@``."""
    import jax
    import jax.numpy as jnp

    from candidate_sampling.backends.jax import JaxBackend

    matmul_at = JaxBackend().matmul_at
    return (jax.jit(lambda x, w, g: (x @ w.T, g @ w, matmul_at(jnp, g, x))),
            jax.jit(lambda x, w, g: (x @ w.T, g @ w, g.T @ x)))


def numpy_runners(shape: StepShape, number: int, budget_s: float | None = None, *,
                  xp: Any = np, rng: Any = None,
                  sync: Callable[[Any], Any] | None = None) -> dict[str, Runner]:
    """NumPy (or CuPy, ``xp``): the sampler, ``sampled_softmax_loss_and_grad`` /
    ``nce_loss_and_grad`` and the SGD update of the touched rows; the forward alone
    (``sampled_softmax_loss`` with its default sampler) and its floor. The gradients are
    those of the summed loss, so the update takes ``LEARNING_RATE / batch``: the step of
    the mean loss, which the TensorFlow, PyTorch and JAX runners take (a step 512 times
    larger spread the logits to hundreds within a few rounds, and the shifted
    exponentials into the slow subnormal range)."""
    b, d, s, v = shape.batch, shape.dim, shape.num_sampled, shape.num_classes
    gen = np.random.default_rng(0)
    rng = gen if rng is None else rng
    weights = xp.asarray(initial_weights(v, d))
    biases = xp.zeros(v, dtype=xp.float32)
    x = xp.asarray(gen.standard_normal((b, d), dtype=np.float32))
    y = xp.asarray(gen.integers(0, v, (b, 1)))
    w = xp.asarray(gen.standard_normal((s, d), dtype=np.float32))
    g = xp.asarray(gen.standard_normal((b, s), dtype=np.float32))
    runners = {}
    for loss, loss_and_grad in zip(LOSSES, (cs.sampled_softmax_loss_and_grad,
                                            cs.nce_loss_and_grad)):
        def step(loss_and_grad=loss_and_grad):
            values = cs.log_uniform_candidate_sampler(y, 1, s, True, v, rng=rng)
            _, grads = loss_and_grad(weights, biases, y, x, s, v, sampled_values=values)
            grads.sgd_update(weights, biases, LEARNING_RATE / b)
            return grads.inputs

        runners[STEP.format(loss=loss)] = timed_runner(step, number, sync=sync, budget_s=budget_s)
    forward = lambda: cs.sampled_softmax_loss(weights, biases, y, x, s, v)
    timed = lambda fn: timed_runner(fn, number, sync=sync, budget_s=budget_s)
    runners[STEP_FLOOR] = timed(lambda: (x @ w.T, g @ w, g.T @ x))
    runners[FORWARD] = timed(forward)
    runners[FORWARD_FLOOR] = timed(lambda: x @ w.T)
    return runners


def cupy_runners(shape: StepShape, number: int, budget_s: float | None = None) -> dict[str, Runner]:
    """:func:`numpy_runners` on CuPy arrays, synchronising the stream in every call."""
    import cupy

    sync = lambda _: cupy.cuda.get_current_stream().synchronize()
    return numpy_runners(shape, number, budget_s, xp=cupy, rng=cupy.random.default_rng(0),
                         sync=sync)
