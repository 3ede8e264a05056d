"""TensorFlow 2.x peer for the benchmarks: run with the TensorFlow interpreter; reads one
JSON task per line on stdin, times it, writes ``{"times": [...]}`` (seconds per call).

Tasks:
  {"task": "sampler", "sampler": "log_uniform"|"uniform"|..., "num_sampled", "range_max",
   "unique", "batch", "num_true", "number", "warmup"}
  {"task": "step", "batch", "dim", "num_sampled", "num_classes", "number", "warmup"}:
   one tf.function training step of tf.nn.sampled_softmax_loss (its own sampler), gradients
   of weights, biases (IndexedSlices) and inputs, SGD update of the touched rows.
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


def step_task(t):
    rng = tf.random.Generator.from_seed(0)
    v, d, b, s = t["num_classes"], t["dim"], t["batch"], t["num_sampled"]
    weights = tf.Variable(rng.normal((v, d)) * 0.05)
    biases = tf.Variable(tf.zeros((v,)))
    inputs = rng.normal((b, d))
    labels = rng.uniform((b, 1), 0, v, dtype=tf.int64)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            loss = tf.reduce_mean(tf.nn.sampled_softmax_loss(weights, biases, labels, inputs, s, v))
        gw, gb, gx = tape.gradient(loss, [weights, biases, inputs])
        weights.scatter_sub(tf.IndexedSlices(gw.values * 0.1, gw.indices))
        biases.scatter_sub(tf.IndexedSlices(gb.values * 0.1, gb.indices))
        return loss, gx

    return timed(lambda: [x.numpy() for x in step()], t["number"], t.get("warmup", 3))


TASKS = {"sampler": sampler_task, "step": step_task}


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
