"""Shared helpers of the TensorFlow 2.21 generators (tf2_losses.py, tf2_samplers.py).

Importing this module imports TensorFlow with oneDNN rewrites off (so matmul
results do not depend on which oneDNN kernels the CPU picks) and its C++ logging
quieted.  Run as a script it is the child side of ``run_probe``: it calls one op
on arrays read from a file and prints what happened as one JSON line.
"""
import json
import os
import subprocess
import sys
import tempfile
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.ops import nn_impl  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vectorio import VectorGroup, magnitude_atol  # noqa: E402,F401  (re-exported for the generators)

HERE = os.path.dirname(os.path.abspath(__file__))

SAMPLERS = {
    "uniform_candidate_sampler": tf.random.uniform_candidate_sampler,
    "log_uniform_candidate_sampler": tf.random.log_uniform_candidate_sampler,
    "learned_unigram_candidate_sampler": tf.random.learned_unigram_candidate_sampler,
    "fixed_unigram_candidate_sampler": tf.random.fixed_unigram_candidate_sampler,
    "all_candidate_sampler": tf.random.all_candidate_sampler,
}
SAMPLED_NAMES = ("sampled_candidates", "true_expected_count", "sampled_expected_count")


def case_rng(case_id):
    """NumPy generator seeded from the case id, so a case keeps its data when
    cases are added or reordered."""
    return np.random.default_rng(zlib.crc32(case_id.encode("ascii")))


def case_seed(case_id, modulus=10**6):
    """A stable small integer for TensorFlow seeds of one case."""
    return zlib.crc32(case_id.encode("ascii")) % modulus + 1


def reset_stream(global_seed):
    """Set the global seed (None keeps it unset) and clear the eager kernel
    cache, so that every sampler starts a fresh stream."""
    tf.random.set_seed(global_seed)


def shard_rows(array, num_shards, strategy):
    """Split ``array`` along axis 0 the way embedding_lookup expects the list of
    shards for ``strategy``: 'div' gives contiguous blocks, the first
    ``N % num_shards`` of them one row longer; 'mod' puts id ``i`` in shard
    ``i % num_shards`` at row ``i // num_shards``."""
    if num_shards == 1:
        return array
    if strategy == "mod":
        return [array[p::num_shards] for p in range(num_shards)]
    q, r = divmod(array.shape[0], num_shards)
    sizes = [q + 1 if p < r else q for p in range(num_shards)]
    return np.split(array, np.cumsum(sizes)[:-1])


def as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def call_loss(op, api, weights, biases, labels, inputs, kwargs, sampled_values):
    """Call the TensorFlow function behind (op, api).

    ``weights``/``biases``: a tensor/variable or a list of shards.  ``kwargs``:
    the case's scalar arguments exactly as recorded (absent ones keep
    TensorFlow's defaults).  Returns the op's output tensor(s).
    """
    kw = dict(kwargs)
    if sampled_values is not None:
        kw["sampled_values"] = tuple(sampled_values)
    if op == "compute_sampled_logits":
        return nn_impl._compute_sampled_logits(weights, biases, labels, inputs, **kw)
    fn = {
        ("sampled_softmax_loss", "tf2"): tf.nn.sampled_softmax_loss,
        ("nce_loss", "tf2"): tf.nn.nce_loss,
        ("sampled_softmax_loss", "tf1"): tf.compat.v1.nn.sampled_softmax_loss,
        ("nce_loss", "tf1"): tf.compat.v1.nn.nce_loss,
    }[(op, api)]
    return fn(weights, biases, labels, inputs, **kw)


def dense(grad, like):
    """A gradient as a dense float32 array shaped like ``like`` (zeros when
    TensorFlow returns None because nothing reached that variable)."""
    if grad is None:
        return np.zeros(np.shape(like), np.float32)
    return tf.convert_to_tensor(grad).numpy()


# --------------------------------------------------------------------------
# Probes: an op call in a child process, so that a crash, an abort or a hang of
# TensorFlow is recorded instead of ending the generator.

def run_probe(op, api, arrays, kwargs, timeout=180):
    """Run ``op`` in a fresh interpreter on ``arrays`` (dict name -> array or
    list of arrays, with names weights, biases, labels, inputs, sampled_values,
    or true_classes/sampled_candidates for compute_accidental_hits).

    Returns the ``raises`` record: {"type", "message"} where type is the Python
    exception class name, "crash", "hang", or "none" when the call returned.
    """
    with tempfile.TemporaryDirectory() as tmp:
        flat = {}
        layout = {}
        for name, value in arrays.items():
            if value is None:
                layout[name] = None
            elif isinstance(value, (list, tuple)):
                layout[name] = len(value)
                for i, v in enumerate(value):
                    flat["%s.%d" % (name, i)] = v
            else:
                layout[name] = -1
                flat[name] = value
        data = os.path.join(tmp, "arrays.npz")
        np.savez(data, **flat)
        spec = os.path.join(tmp, "spec.json")
        with open(spec, "w") as f:
            json.dump({"op": op, "api": api, "kwargs": kwargs, "layout": layout,
                       "data": data}, f)
        try:
            proc = subprocess.run([sys.executable, os.path.abspath(__file__), spec],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"type": "hang", "message": "no result after %d s" % timeout}
    lines = proc.stdout.decode("utf-8", "replace").strip().splitlines()
    if proc.returncode == 0 and lines:
        return json.loads(lines[-1])
    if proc.returncode < 0:
        how = "signal %d" % -proc.returncode
    else:
        how = "exit code %d" % proc.returncode
    tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
    return {"type": "crash", "message": (how + ("; " + tail[0] if tail else ""))[:300]}


def _probe_child(spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
    data = np.load(spec["data"])
    args = {}
    for name, n in spec["layout"].items():
        if n is None:
            args[name] = None
        elif n == -1:
            args[name] = tf.constant(data[name])
        else:
            args[name] = [tf.constant(data["%s.%d" % (name, i)]) for i in range(n)]
    try:
        if spec["op"] == "compute_accidental_hits":
            out = tf.nn.compute_accidental_hits(args["true_classes"], args["sampled_candidates"],
                                                **spec["kwargs"])
        elif spec["op"] in SAMPLERS:
            out = SAMPLERS[spec["op"]](args["true_classes"], **spec["kwargs"])
        else:
            out = call_loss(spec["op"], spec["api"], args["weights"], args["biases"],
                            args["labels"], args["inputs"], spec["kwargs"],
                            args.get("sampled_values"))
        summary = ", ".join("%s%s" % (t.dtype.name, list(t.shape)) for t in as_list(out))
        finite = all(bool(np.all(np.isfinite(t.numpy()))) for t in as_list(out)
                     if t.dtype.is_floating)
        result = {"type": "none", "message": "returned %s%s" % (
            summary, "" if finite else " with non-finite values")}
    except Exception as e:  # the record of what TensorFlow raised
        result = {"type": type(e).__name__, "message": str(e)[:300]}
    print(json.dumps(result))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        _probe_child(sys.argv[1])
    else:
        print("tf2_common.py holds helpers only; nothing to generate")
