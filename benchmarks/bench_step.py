"""A training step of sampled softmax (sampler, forward, backward, update of the touched
rows) on PyTorch and JAX, against TensorFlow 2.21's ``tf.function`` step and the bare
floor of the same shapes (the three matrix products a step cannot avoid), over a range of
``num_classes``; and the NumPy forward against its one-matmul floor.

    .venv/bin/python benchmarks/bench_step.py [--classes 20000 200000 2000000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import candidate_sampling as cs  # noqa: E402
from benchmarks.harness import interleave_with_tensorflow, markdown_table, time_calls  # noqa: E402

B, D, S = 512, 256, 4096


def torch_runners(num_classes: int, number: int) -> dict:
    import torch

    from candidate_sampling.layers.torch import SampledSoftmaxLoss

    torch.manual_seed(0)
    module = SampledSoftmaxLoss(num_classes, D, S, sparse=True, validate=False)
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    x = torch.randn(B, D, requires_grad=True)
    y = torch.randint(0, num_classes, (B, 1))

    def step():
        optimizer.zero_grad(set_to_none=True)
        x.grad = None
        module(x, y).backward()
        optimizer.step()

    w, g = torch.randn(S, D), torch.randn(B, S)
    xd = x.detach()

    def floor():
        return xd @ w.T, g @ w, g.T @ xd

    return {"torch step": lambda: time_calls(step, number),
            "torch floor": lambda: time_calls(floor, number)}


def jax_runners(num_classes: int, number: int) -> dict:
    import jax
    import jax.numpy as jnp

    from candidate_sampling.layers.jax import apply_row_updates, row_gradients

    keys = jax.random.split(jax.random.key(0), 4)
    weights = jax.random.normal(keys[0], (num_classes, D)) * 0.05
    biases = jnp.zeros(num_classes)
    x = jax.random.normal(keys[1], (B, D))
    y = jax.random.randint(keys[2], (B, 1), 0, num_classes)

    def step(weights, biases, key):
        key, sub = jax.random.split(key)
        values = cs.log_uniform_candidate_sampler(y, 1, S, True, num_classes, rng=sub)
        loss, grads = row_gradients(weights, biases, x, y, values)
        weights, biases = apply_row_updates(weights, biases, grads.ids, grads.weights,
                                            grads.biases, 0.1)
        return weights, biases, key, loss, grads.inputs

    jitted = jax.jit(step, donate_argnums=(0, 1))
    state = {"params": (weights, biases, keys[3])}

    def run():
        w, b, k = state["params"]
        w, b, k, loss, gx = jitted(w, b, k)
        state["params"] = (w, b, k)
        return gx

    w, g = jax.random.normal(keys[0], (S, D)), jax.random.normal(keys[1], (B, S))
    floor = jax.jit(lambda x, w, g: (x @ w.T, g @ w, g.T @ x))
    ready = lambda out: jax.block_until_ready(out)
    return {"jax step": lambda: time_calls(run, number, sync=ready),
            "jax floor": lambda: time_calls(lambda: floor(x, w, g), number, sync=ready)}


def numpy_runners(num_classes: int, number: int) -> dict:
    rng = np.random.default_rng(0)
    weights = (rng.standard_normal((num_classes, D), dtype=np.float32) * 0.05)
    biases = np.zeros(num_classes, np.float32)
    x = rng.standard_normal((B, D), dtype=np.float32)
    y = rng.integers(0, num_classes, (B, 1))
    w = rng.standard_normal((S, D), dtype=np.float32)
    forward = lambda: cs.sampled_softmax_loss(weights, biases, y, x, S, num_classes)
    return {"numpy forward": lambda: time_calls(forward, number),
            "numpy floor": lambda: time_calls(lambda: x @ w.T, number)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, nargs="+", default=[20_000, 200_000, 2_000_000])
    parser.add_argument("--number", type=int, default=5, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    figures = {}
    for num_classes in args.classes:
        runners = numpy_runners(num_classes, args.number)
        if importlib.util.find_spec("torch"):
            runners.update(torch_runners(num_classes, args.number))
        if importlib.util.find_spec("jax"):
            runners.update(jax_runners(num_classes, args.number))
        timings = interleave_with_tensorflow(
            runners, args.rounds, "tensorflow step", task="step", batch=B, dim=D,
            num_sampled=S, num_classes=num_classes, number=args.number)
        med = {k: t.median * 1e3 for k, t in timings.items()}
        tf_ms = med.get("tensorflow step")
        rows = []
        for name, ms in med.items():
            floor = med.get(name.split()[0] + " floor")
            rows.append([name, ms, ms / floor if floor and not name.endswith("floor") else "",
                         ms / tf_ms if tf_ms and name.endswith("step") else ""])
        print(f"\nB={B} D={D} S={S} num_classes={num_classes}")
        print(markdown_table(["what", "median ms", "/ floor", "/ tensorflow"], rows))
        figures[num_classes] = {k: t.as_dict() for k, t in timings.items()}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()
