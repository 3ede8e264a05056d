"""TensorFlow 2.x peer for the benchmarks: run with the TensorFlow interpreter as a script
(``python tf_peer.py``); reads one JSON task per line on stdin, times it, writes
``{"times": [...]}`` (seconds per call), see ``protocol.py``.

Tasks (``number`` timed calls after ``warmup`` untimed ones, at most ``budget_s`` seconds):
  {"task": "sampler", "sampler": "log_uniform"|"uniform"|..., "num_sampled", "range_max",
   "unique", "batch", "num_true", "number", "warmup", "budget_s"}
  {"task": "step", "loss": "sampled_softmax"|"nce"|"full_softmax", "batch", "dim",
   "num_sampled", "num_classes", "number", "warmup", "budget_s"}:
   one tf.function training step: tf.nn.sampled_softmax_loss or tf.nn.nce_loss (their own
   log-uniform sampler), gradients of weights, biases (IndexedSlices) and inputs, SGD
   update of the touched rows; or full softmax cross entropy over every class
   (tf.nn.sparse_softmax_cross_entropy_with_logits, dense gradients and update).
   The weights of one shape are kept between tasks (and dropped when the shape changes).
  {"task": "release"}: drop the weights kept.
"""

import tensorflow as tf

from protocol import serve, time_calls  # this directory is on sys.path when run as a script

SAMPLERS = {
    "uniform": tf.random.uniform_candidate_sampler,
    "log_uniform": tf.random.log_uniform_candidate_sampler,
    "learned_unigram": tf.random.learned_unigram_candidate_sampler,
}

_STATE = {}  # (num_classes, dim, batch) -> (weights, biases, inputs, labels, {loss: step})


def sampler_task(t):
    labels = tf.constant([[i % t["range_max"]] for i in range(t.get("batch", 1))], tf.int64)
    fn = SAMPLERS[t["sampler"]]
    call = lambda: fn(labels, t.get("num_true", 1), t["num_sampled"], t["unique"], t["range_max"],
                      seed=t.get("seed", 1))
    return time_calls(call, t["number"], t.get("warmup", 2), budget_s=t.get("budget_s"))


def _tensors(v, d, b):
    key = (v, d, b)
    if key not in _STATE:
        _STATE.clear()  # one shape at a time: free the weights of the last one first
        rng = tf.random.Generator.from_seed(0)
        block = rng.normal((min(4096, v), d), stddev=0.05)  # repeated, as ours
        weights = tf.tile(block, [-(-v // block.shape[0]), 1])[:v]
        _STATE[key] = (tf.Variable(weights), tf.Variable(tf.zeros((v,))),
                       rng.normal((b, d)), rng.uniform((b, 1), 0, v, dtype=tf.int64), {})
    return _STATE[key]


def release_task(t):
    """Drop the weights kept between tasks."""
    _STATE.clear()
    return []


def _build_step(loss_name, weights, biases, inputs, labels, s, v):
    if loss_name == "full_softmax":
        @tf.function
        def full_step():
            with tf.GradientTape() as tape:
                tape.watch(inputs)
                logits = tf.matmul(inputs, weights, transpose_b=True) + biases
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=labels[:, 0], logits=logits))
            gw, gb, gx = tape.gradient(loss, [weights, biases, inputs])
            weights.assign_sub(gw * 0.1)
            biases.assign_sub(gb * 0.1)
            return loss, gx

        return full_step
    loss_fn = {"sampled_softmax": tf.nn.sampled_softmax_loss, "nce": tf.nn.nce_loss}[loss_name]

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            loss = tf.reduce_mean(loss_fn(weights, biases, labels, inputs, s, v))
        gw, gb, gx = tape.gradient(loss, [weights, biases, inputs])
        weights.scatter_sub(tf.IndexedSlices(gw.values * 0.1, gw.indices))
        biases.scatter_sub(tf.IndexedSlices(gb.values * 0.1, gb.indices))
        return loss, gx

    return step


def step_task(t):
    v, d, b, s = t["num_classes"], t["dim"], t["batch"], t["num_sampled"]
    loss_name = t.get("loss", "sampled_softmax")
    weights, biases, inputs, labels, steps = _tensors(v, d, b)
    if (loss_name, s) not in steps:
        steps[(loss_name, s)] = _build_step(loss_name, weights, biases, inputs, labels, s, v)
    step = steps[(loss_name, s)]
    return time_calls(lambda: [x.numpy() for x in step()], t["number"], t.get("warmup", 3),
                      budget_s=t.get("budget_s"))


if __name__ == "__main__":
    serve({"sampler": sampler_task, "step": step_task, "release": release_task},
          tf.__version__)
