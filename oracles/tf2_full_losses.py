"""TensorFlow 2.21's evaluation recipes for the sampled losses, as their documentation
writes them, into spec/full_losses/tf2.json (read by tests/test_full_losses.py).

``sampled_softmax_loss``: ``softmax_cross_entropy_with_logits`` of ``inputs @ weights.T +
biases``; ``nce_loss``: ``reduce_sum(sigmoid_cross_entropy_with_logits(...), axis=1)``.
With ``num_true > 1`` the labels give each true class ``1/num_true`` (the sum of the
one-hot rows over the true classes, divided by ``num_true``), as the sampled losses do.
Every case is float32; arrays are stored as nested lists.
"""
import json
import os

import numpy as np

import tf2_common as common
from tf2_common import tf

OUT = os.path.join(common.HERE, "..", "spec", "full_losses", "tf2.json")

EXAMPLE = dict(  # the running example of docs/ops
    weights=[[1, 0], [0, 1], [1, 1], [-1, 0], [0, -1], [0.5, 0.5]],
    biases=[0, 0.5, 0, 0, -0.5, 0], inputs=[[1, 2], [0, -1]])


def random_case(case_id, batch, dim, num_classes, num_true, scale):
    rng = common.case_rng(case_id)
    return dict(weights=rng.standard_normal((num_classes, dim)) * scale,
                biases=rng.standard_normal(num_classes) * scale,
                inputs=rng.standard_normal((batch, dim)),
                labels=rng.integers(0, num_classes, (batch, num_true)))


def cases():
    yield "example", dict(EXAMPLE, labels=[[2], [4]])
    yield "example_num_true_2_repeated", dict(EXAMPLE, labels=[[2, 5], [4, 4]])
    yield "random_v50", random_case("random_v50", 5, 8, 50, 1, 1.0)
    yield "random_v120_t3", random_case("random_v120_t3", 4, 8, 120, 3, 0.5)
    yield "large_logits", random_case("large_logits", 3, 4, 20, 1, 3000.0)
    # rows whose loss is far below their logits: their small losses (6e-6 beside logits
    # of 1000, 2.3e-7 beside 16) in full
    yield "confident_rows", {"weights": [[1000.0], [988.0], [16.0], [-16.0], [-20.0]],
                             "biases": [0.0] * 5, "inputs": [[1.0], [-1.0], [0.016]],
                             "labels": [[0], [3], [2]]}
    yield "confident_sigmoid", {"weights": [[16.0], [-16.0], [-20.0]], "biases": [0.0] * 3,
                                "inputs": [[1.0], [-1.0]], "labels": [[0], [2]]}


def recipes(arrays):
    w = tf.constant(np.asarray(arrays["weights"], np.float32))
    b = tf.constant(np.asarray(arrays["biases"], np.float32))
    x = tf.constant(np.asarray(arrays["inputs"], np.float32))
    labels = np.asarray(arrays["labels"], np.int64)
    logits = tf.nn.bias_add(tf.matmul(x, tf.transpose(w)), b)
    targets = tf.reduce_sum(tf.one_hot(labels, int(w.shape[0])), axis=1) / labels.shape[1]
    softmax = tf.nn.softmax_cross_entropy_with_logits(labels=targets, logits=logits)
    sigmoid = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=targets,
                                                                    logits=logits), axis=1)
    return logits.numpy(), softmax.numpy(), sigmoid.numpy()


def main():
    out = []
    for case_id, arrays in cases():
        logits, softmax, sigmoid = recipes(arrays)
        out.append({"id": case_id,
                    "inputs": {k: np.asarray(v, np.float32 if k != "labels" else np.int64).tolist()
                               for k, v in arrays.items()},
                    "num_classes": len(arrays["biases"]),
                    "num_true": int(np.asarray(arrays["labels"]).shape[1]),
                    "logits": logits.tolist(), "full_softmax_loss": softmax.tolist(),
                    "full_sigmoid_loss": sigmoid.tolist()})
    with open(OUT, "w") as f:
        json.dump({"oracle": f"tensorflow {tf.__version__}", "script": "oracles/tf2_full_losses.py",
                   "cases": out}, f)
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT)}: {len(out)} cases")


if __name__ == "__main__":
    main()
