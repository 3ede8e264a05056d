"""Implementations that take the process down or never answer, for some cases only
(``tf.compat.v1.nn.sampled_softmax_loss`` signature; right otherwise)."""

from __future__ import annotations

import ctypes
import os
import time

from .ports import tf1_port


def crashes(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
            sampled_values=None, remove_accidental_hits=True, partition_strategy="mod",
            name="sampled_softmax_loss", seed=None):
    """Reads address 0 (a segfault) when ``num_true == 2``; ``os._exit(3)`` when 3."""
    if num_true == 2:
        ctypes.string_at(0)
    if num_true == 3:
        os._exit(3)
    return tf1_port(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                    sampled_values, remove_accidental_hits, partition_strategy)


def hangs(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
          sampled_values=None, remove_accidental_hits=True, partition_strategy="mod",
          name="sampled_softmax_loss", seed=None):
    """Never answers when ``num_true == 3`` with partition 'div'."""
    if num_true == 3 and partition_strategy == "div":
        time.sleep(3600)
    return tf1_port(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                    sampled_values, remove_accidental_hits, partition_strategy)


