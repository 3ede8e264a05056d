"""Runners of unique log-uniform sampling, ``num_sampled`` of ``range_max``: the native
samplers on each backend, and the exact TensorFlow and Paddle streams (computed on the
host with NumPy); TensorFlow's own kernel is the peer they are compared with
(``peers/tf_peer.py``, task :func:`tf_sampler_task`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import candidate_sampling as cs

from .harness import Runner, timed_runner

__all__ = ["NATIVE", "TF_STREAM", "PADDLE_STREAM", "TF_KERNEL", "sampler_runners",
           "tf_sampler_task"]

NATIVE = "{backend} (native)"
TF_STREAM = "tf stream (exact)"
PADDLE_STREAM = "paddle stream (exact)"
TF_KERNEL = "tensorflow kernel"


def _native(backend: str, num_sampled: int, range_max: int, number: int,
            budget_s: float | None) -> Runner:
    labels = np.array([[1]])
    call = lambda y, **kw: (lambda: cs.log_uniform_candidate_sampler(y, 1, num_sampled, True,
                                                                     range_max, **kw))
    if backend == "numpy":
        return timed_runner(call(labels), number, budget_s=budget_s)
    if backend == "torch":
        import torch

        from candidate_sampling.devices import torch_device

        from .bench_step import torch_sync

        device = torch_device()
        return timed_runner(call(torch.from_numpy(labels).to(device)), number,
                            sync=torch_sync(device), budget_s=budget_s)
    if backend == "jax":
        import jax

        y, key = jax.numpy.asarray(labels), jax.random.key(0)
        jitted = jax.jit(lambda y, k: cs.log_uniform_candidate_sampler(y, 1, num_sampled, True,
                                                                       range_max, rng=k))
        return timed_runner(lambda: jitted(y, key), number, sync=jax.block_until_ready,
                            budget_s=budget_s)
    if backend == "cupy":
        import cupy

        sync = lambda _: cupy.cuda.get_current_stream().synchronize()
        return timed_runner(call(cupy.asarray(labels), rng=cupy.random.default_rng(0)), number,
                            sync=sync, budget_s=budget_s)
    raise ValueError(f"backend: must be one of numpy, torch, jax, cupy, got {backend!r}")


def sampler_runners(backends: list[str], num_sampled: int, range_max: int, number: int,
                    budget_s: float | None = None) -> dict[str, Runner]:
    """The native sampler of each of ``backends``, then the exact TensorFlow and Paddle
    streams."""
    runners = {NATIVE.format(backend=b): _native(b, num_sampled, range_max, number, budget_s)
               for b in backends}
    from candidate_sampling.compat.paddle.log_uniform import (
        expected_count,
        probability,
        unique_negatives,
    )
    from candidate_sampling.compat.tf import random as tf_random

    labels = np.array([[1]])
    tf_random.set_seed(1234)
    runners[TF_STREAM] = timed_runner(
        lambda: tf_random.log_uniform_candidate_sampler(labels, 1, num_sampled, True, range_max,
                                                        seed=7), number, budget_s=budget_s)

    def paddle_stream():
        classes, tries = unique_negatives(range_max, num_sampled, 7)
        return expected_count(probability(classes, range_max), tries, num_sampled)

    runners[PADDLE_STREAM] = timed_runner(paddle_stream, number, budget_s=budget_s)
    return runners


def tf_sampler_task(num_sampled: int, range_max: int, number: int,
                    budget_s: float | None = None) -> dict[str, Any]:
    """The TensorFlow peer's task for the same sampling."""
    return {"task": "sampler", "sampler": "log_uniform", "num_sampled": num_sampled,
            "range_max": range_max, "unique": True, "number": number, "budget_s": budget_s}
