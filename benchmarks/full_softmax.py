"""Runners of a FULL softmax training step, what sampling avoids: the logits of all
``num_classes`` classes, softmax cross entropy, its gradients (dense ``[V, D]`` for the
weights, and the inputs') and a dense SGD update; same batch and dim as the sampled step.

Each function returns ``{FULL_STEP: runner}`` for :func:`~.harness.interleave`.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from candidate_sampling.baselines import full_softmax_step
from candidate_sampling.devices import torch_device

from .bench_step import LEARNING_RATE, StepShape, initial_weights, torch_sync
from .harness import Runner, timed_runner

__all__ = ["FULL_STEP", "numpy_full_runners", "cupy_full_runners",
           "torch_full_runners", "jax_full_runners"]

FULL_STEP = "full_softmax step"


def numpy_full_runners(shape: StepShape, number: int, budget_s: float | None = None, *,
                       xp: Any = np, sync: Callable[[Any], Any] | None = None,
                       warmup: int = 0) -> dict[str, Runner]:
    """:func:`~candidate_sampling.baselines.full_softmax_step` on NumPy (or CuPy, ``xp``)
    arrays; NumPy has nothing to warm up (a full step takes seconds at large ``V``: no
    call is wasted)."""
    gen = np.random.default_rng(1)
    weights = xp.asarray(initial_weights(shape.num_classes, shape.dim))
    biases = xp.zeros(shape.num_classes, dtype=xp.float32)
    x = xp.asarray(gen.standard_normal((shape.batch, shape.dim), dtype=np.float32))
    y = xp.asarray(gen.integers(0, shape.num_classes, shape.batch))
    step = lambda: full_softmax_step(xp, weights, biases, x, y, LEARNING_RATE)[1]
    return {FULL_STEP: timed_runner(step, number, warmup=warmup, sync=sync, budget_s=budget_s)}


def cupy_full_runners(shape: StepShape, number: int,
                      budget_s: float | None = None) -> dict[str, Runner]:
    """:func:`numpy_full_runners` on CuPy arrays, synchronising the stream in every call,
    after one untimed call (CuPy compiles its kernels on first use)."""
    import cupy

    sync = lambda _: cupy.cuda.get_current_stream().synchronize()
    return numpy_full_runners(shape, number, budget_s, xp=cupy, sync=sync, warmup=1)


def torch_full_runners(shape: StepShape, number: int,
                       budget_s: float | None = None) -> dict[str, Runner]:
    """``F.cross_entropy`` of ``x @ W.T + b``, autograd, ``torch.optim.SGD``; one untimed
    call on a GPU only."""
    import torch
    import torch.nn.functional as F

    device = torch_device()
    torch.manual_seed(1)
    weight = torch.nn.Parameter(torch.from_numpy(
        initial_weights(shape.num_classes, shape.dim)).to(device))
    bias = torch.nn.Parameter(torch.zeros(shape.num_classes, device=device))
    optimizer = torch.optim.SGD([weight, bias], lr=LEARNING_RATE)
    x = torch.randn(shape.batch, shape.dim, device=device, requires_grad=True)
    y = torch.randint(0, shape.num_classes, (shape.batch,), device=device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        x.grad = None
        F.cross_entropy(F.linear(x, weight, bias), y).backward()
        optimizer.step()
        return x.grad

    return {FULL_STEP: timed_runner(step, number, warmup=int(device.type != "cpu"),
                                    sync=torch_sync(device), budget_s=budget_s)}


def jax_full_runners(shape: StepShape, number: int,
                     budget_s: float | None = None) -> dict[str, Runner]:
    """``jax.value_and_grad`` of the mean cross entropy of all logits and an SGD update,
    jitted, weights donated; one untimed call (the compilation)."""
    import jax
    import jax.numpy as jnp

    keys = jax.random.split(jax.random.key(1), 2)
    x = jax.random.normal(keys[0], (shape.batch, shape.dim))
    y = jax.random.randint(keys[1], (shape.batch,), 0, shape.num_classes)

    def mean_loss(weights, biases, inputs):
        logits = inputs @ weights.T + biases
        picked = jnp.take_along_axis(logits, y[:, None], axis=1)[:, 0]
        return jnp.mean(jax.nn.logsumexp(logits, axis=1) - picked)

    def step(weights, biases):
        loss, (gw, gb, gx) = jax.value_and_grad(mean_loss, argnums=(0, 1, 2))(weights, biases, x)
        return (weights - LEARNING_RATE * gw, biases - LEARNING_RATE * gb), loss, gx

    jitted = jax.jit(step, donate_argnums=(0, 1))
    state = {"params": (jnp.asarray(initial_weights(shape.num_classes, shape.dim)),
                        jnp.zeros(shape.num_classes))}

    def run():
        state["params"], loss, d_inputs = jitted(*state["params"])
        return d_inputs

    return {FULL_STEP: timed_runner(run, number, warmup=1, sync=jax.block_until_ready,
                                    budget_s=budget_s)}
