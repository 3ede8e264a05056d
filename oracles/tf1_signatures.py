"""The signatures of the TensorFlow 1.15 contrib losses that
``candidate_sampling.compat.tf.contrib`` mirrors (``tf.contrib.nn``), into
spec/signatures/tf1.json.

    .oracle-envs/tf1/bin/python oracles/tf1_signatures.py
"""
from __future__ import print_function

import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signatures import write  # noqa: E402

functions = {}
for name in ("rank_sampled_softmax_loss", "sampled_sparse_softmax_loss"):
    functions["tf.contrib.nn." + name] = ("tf.contrib.nn." + name, getattr(tf.contrib.nn, name))

write("tf1", "tensorflow", tf.__version__, functions)
