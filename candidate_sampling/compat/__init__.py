"""Front ends with the exact signatures and defaults of the originals.

- :mod:`candidate_sampling.compat.tf`: ``tf.nn``, ``tf.random``, ``tf.compat.v1``
  (as ``tf.v1``) and ``tf.contrib`` (as ``tf.contrib``).
- :mod:`candidate_sampling.compat.paddle`: ``paddle.fluid.layers`` functions.
"""
