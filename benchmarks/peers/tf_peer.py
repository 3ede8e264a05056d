"""TensorFlow 2.x peer for the benchmarks: run with the TensorFlow interpreter; reads one
JSON task per line on stdin, times it, writes ``{"times": [...]}`` (seconds per call).

Tasks:
  {"task": "sampler", "sampler": "log_uniform"|"uniform"|..., "num_sampled", "range_max",
   "unique", "batch", "num_true", "number", "warmup"}
"""

import json
import sys
import time

import tensorflow as tf

SAMPLERS = {
    "uniform": tf.random.uniform_candidate_sampler,
    "log_uniform": tf.random.log_uniform_candidate_sampler,
    "learned_unigram": tf.random.learned_unigram_candidate_sampler,
}


def timed(fn, number, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(number):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def sampler_task(t):
    labels = tf.constant([[i % t["range_max"]] for i in range(t.get("batch", 1))], tf.int64)
    fn = SAMPLERS[t["sampler"]]
    call = lambda: fn(labels, t.get("num_true", 1), t["num_sampled"], t["unique"], t["range_max"],
                      seed=t.get("seed", 1))
    return timed(call, t["number"], t.get("warmup", 2))


TASKS = {"sampler": sampler_task}


def main():
    for line in sys.stdin:
        task = json.loads(line)
        try:
            answer = {"times": TASKS[task["task"]](task), "version": tf.__version__}
        except Exception as exc:  # reported to the harness, which raises
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
