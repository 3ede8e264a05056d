"""Time TensorFlow's exact sampler streams as candidate_sampling.compat.tf.random computes them.

    .venv/bin/python benchmarks/bench_tf_stream.py [--repeats N]

Prints the median wall time of one call for each configuration: the headline is the
unique log-uniform stream with num_sampled=8192 over range_max=10**6 (TensorFlow's own
CPU kernel takes a few milliseconds for it).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from candidate_sampling.compat.tf import random as tfrandom

CONFIGS = [
    # (sampler, num_sampled, range_max, unique)
    ("log_uniform_candidate_sampler", 8192, 10**6, True),
    ("log_uniform_candidate_sampler", 8192, 10**6, False),
    ("uniform_candidate_sampler", 8192, 10**6, True),
    ("learned_unigram_candidate_sampler", 8192, 10**5, True),
    ("fixed_unigram_candidate_sampler", 8192, 10**5, True),
]


def median_ms(name: str, num_sampled: int, range_max: int, unique: bool, repeats: int) -> float:
    """Median milliseconds of one call on a fresh seed (set_seed is outside the timing)."""
    rng = np.random.default_rng(0)
    true_classes = rng.integers(0, range_max, (64, 1))
    kwargs = {}
    if name == "fixed_unigram_candidate_sampler":
        kwargs["unigrams"] = (1.0 / np.arange(1, range_max + 1)).tolist()
    sampler = getattr(tfrandom, name)
    sampler(true_classes, 1, num_sampled, unique, range_max, seed=7, **kwargs)  # warm (kernel made)
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        sampler(true_classes, 1, num_sampled, unique, range_max, seed=7, **kwargs)
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    tfrandom.set_seed(1234)
    for name, num_sampled, range_max, unique in CONFIGS:
        ms = median_ms(name, num_sampled, range_max, unique, args.repeats)
        print(f"{name:36s} num_sampled={num_sampled:<6d} range_max={range_max:<8d} "
              f"unique={str(unique):5s} {ms:8.3f} ms (median of {args.repeats})")


if __name__ == "__main__":
    main()
