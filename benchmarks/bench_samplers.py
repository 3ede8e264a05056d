"""Unique log-uniform sampling, ``num_sampled`` of ``range_max``: our native samplers on
every installed backend, and the exact TensorFlow and Paddle streams (computed on the
host with NumPy), against TensorFlow's own kernel, in one interleaved run.

    .venv/bin/python benchmarks/bench_samplers.py [--num-sampled 8192] [--range-max 1000000]

Prints a Markdown table of medians (ms) and the ratio to TensorFlow (lower is better).
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


def our_runners(num_sampled: int, range_max: int, number: int) -> dict:
    labels = np.array([[1]])
    call = lambda y: (lambda: cs.log_uniform_candidate_sampler(y, 1, num_sampled, True, range_max))
    runners = {"numpy": lambda: time_calls(call(labels), number)}
    if importlib.util.find_spec("torch"):
        import torch

        runners["torch"] = lambda: time_calls(call(torch.from_numpy(labels)), number)
    if importlib.util.find_spec("jax"):
        import jax

        y = jax.numpy.asarray(labels)
        key = jax.random.key(0)
        jitted = jax.jit(lambda y, k: cs.log_uniform_candidate_sampler(y, 1, num_sampled, True,
                                                                       range_max, rng=k))
        runners["jax (jit)"] = lambda: time_calls(lambda: jitted(y, key), number,
                                                  sync=lambda o: o[0].block_until_ready())
    from candidate_sampling.compat.paddle.log_uniform import (
        expected_count,
        probability,
        unique_negatives,
    )
    from candidate_sampling.compat.tf import random as tf_random

    tf_random.set_seed(1234)
    runners["tf stream (exact)"] = lambda: time_calls(
        lambda: tf_random.log_uniform_candidate_sampler(labels, 1, num_sampled, True, range_max,
                                                        seed=7), number)

    def paddle_stream():
        classes, tries = unique_negatives(range_max, num_sampled, 7)
        return expected_count(probability(classes, range_max), tries, num_sampled)

    runners["paddle stream (exact)"] = lambda: time_calls(paddle_stream, number)
    return runners


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-sampled", type=int, default=8192)
    parser.add_argument("--range-max", type=int, default=10**6)
    parser.add_argument("--number", type=int, default=10, help="timed calls per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    runners = our_runners(args.num_sampled, args.range_max, args.number)
    timings = interleave_with_tensorflow(
        runners, args.rounds, "tensorflow", task="sampler", sampler="log_uniform",
        num_sampled=args.num_sampled, range_max=args.range_max, unique=True, number=args.number)
    reference = timings.get("tensorflow")
    rows = [[name, t.median * 1e3, min(t.times) * 1e3, max(t.times) * 1e3,
             t.median / reference.median if reference else "n/a"] for name, t in timings.items()]
    print(f"unique log-uniform sampler, num_sampled={args.num_sampled}, range_max={args.range_max}")
    print(markdown_table(["backend", "median ms", "min ms", "max ms", "/ tensorflow"], rows))
    if reference is None:
        print("(TensorFlow not found: set CS_BENCH_TF_PYTHON or run bash oracles/regenerate.sh tf2)")
    figures = {name: t.as_dict() for name, t in timings.items()}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()
