"""The signatures of the TensorFlow 2.21 functions that ``candidate_sampling.compat.tf``
mirrors (``tf.nn``, ``tf.random``, ``tf.compat.v1.nn``), into spec/signatures/tf2.json.

    .oracle-envs/tf2/bin/python oracles/tf2_signatures.py
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signatures import write  # noqa: E402

SAMPLERS = ("uniform_candidate_sampler", "log_uniform_candidate_sampler",
            "learned_unigram_candidate_sampler", "fixed_unigram_candidate_sampler",
            "all_candidate_sampler")

functions = {
    "tf.nn.sampled_softmax_loss": ("tf.nn.sampled_softmax_loss", tf.nn.sampled_softmax_loss),
    "tf.nn.nce_loss": ("tf.nn.nce_loss", tf.nn.nce_loss),
    "tf.nn.compute_accidental_hits": ("tf.nn.compute_accidental_hits",
                                      tf.nn.compute_accidental_hits),
    "tf.random.set_seed": ("tf.random.set_seed", tf.random.set_seed),
    "tf.v1.nn.sampled_softmax_loss": ("tf.compat.v1.nn.sampled_softmax_loss",
                                      tf.compat.v1.nn.sampled_softmax_loss),
    "tf.v1.nn.nce_loss": ("tf.compat.v1.nn.nce_loss", tf.compat.v1.nn.nce_loss),
    "tf.v1.nn.compute_accidental_hits": ("tf.compat.v1.nn.compute_accidental_hits",
                                         tf.compat.v1.nn.compute_accidental_hits),
}
for name in SAMPLERS:
    functions["tf.random." + name] = ("tf.random." + name, getattr(tf.random, name))
    functions["tf.v1.nn." + name] = ("tf.compat.v1.nn." + name, getattr(tf.compat.v1.nn, name))
    if hasattr(tf.nn, name):  # 2.21's tf.nn has three of the five
        functions["tf.nn." + name] = ("tf.nn." + name, getattr(tf.nn, name))

write("tf2", "tensorflow", tf.__version__, functions)
