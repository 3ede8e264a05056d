"""Time of Paddle's seeded sampler stream: ``num_samples`` distinct log-uniform negatives
over ``num_classes`` classes, drawn from ``std::mt19937_64`` on NumPy.

    .venv/bin/python benchmarks/bench_paddle_stream.py [--num-samples 8192] [--num-classes 1000000]

Prints the median over ``--repeats`` runs of: the engine alone (as many outputs as the
sampler needs), the whole stream (negatives, draw count and expected counts, what the
first call with given arguments computes), and a later call of ``log_uniform_samples``
for a batch of labels (the negatives are then kept).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

import numpy as np

from candidate_sampling.compat.paddle.log_uniform import (
    expected_count,
    log_uniform_samples,
    probability,
    unique_negatives,
)
from candidate_sampling.compat.paddle.mt19937_64 import MT19937_64


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls of ``fn`` (after one untimed call)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print one line per timing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-samples", type=int, default=8192)
    parser.add_argument("--num-classes", type=int, default=10**6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=51)
    args = parser.parse_args(argv)
    k, s, seed = args.num_classes, args.num_samples, args.seed

    def stream() -> None:
        classes, tries = unique_negatives(k, s, seed)
        expected_count(probability(classes, k), tries, s)

    _, tries = unique_negatives(k, s, seed)
    label = np.random.default_rng(0).integers(0, k, size=(args.batch, 1))
    print(f"num_samples={s} num_classes={k} seed={seed}: {tries} draws, "
          f"median of {args.repeats} runs")
    for name, fn in (("engine outputs", lambda: MT19937_64(seed).random_raw(tries)),
                     ("stream (negatives + Q)", stream),
                     (f"later call, batch {args.batch}",
                      lambda: log_uniform_samples(label, s, k, seed))):
        print(f"  {name:<28} {median_seconds(fn, args.repeats) * 1e3:8.3f} ms")


if __name__ == "__main__":
    main()
